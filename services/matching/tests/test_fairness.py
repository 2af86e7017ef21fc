"""The fairness figures on counts worked out by hand."""

from __future__ import annotations

import uuid

import pytest

from matching.domain.fairness import UNSTATED, Member, gini, report


def test_gini_of_equal_and_concentrated_counts():
    assert gini([]) == 0.0
    assert gini([0, 0, 0]) == 0.0
    assert gini([2, 2, 2, 2]) == 0.0
    assert gini([0, 0, 0, 3]) == pytest.approx(0.75)  # all to one of four: (n - 1) / n
    assert gini([1, 3]) == pytest.approx(0.25)


def member(name: str, grade: str, gender: str | None, entity: str = "DESA", station: str = "Geneva") -> Member:
    attributes = {"grade": grade, "gender": gender or UNSTATED, "entity": entity, "duty_station": station}
    return Member(uuid.uuid4(), name, attributes)


def test_report_counts_each_suggestion_once_and_spreads_them_by_group():
    pool = [member(f"m{i}", "P-4" if i < 4 else "P-5", "female" if i % 2 else None) for i in range(20)]
    mentees = [member("a", "G-5", "male"), member("b", "G-5", "female"), member("c", "G-6", "female"), member("d", "G-6", None)]
    a, b, c = (m.participant_id for m in mentees[:3])
    top, second = pool[0].participant_id, pool[1].participant_id
    suggested = [(a, top), (a, top), (b, top), (c, top), (a, second)]  # a saw `top` twice: counted once
    accepted = [(b, second)]

    figures = report(pool, suggested, accepted, mentees)

    c_ = figures.concentration
    assert (c_.mentors, c_.suggestions, c_.mentors_suggested, c_.top_decile_mentors) == (20, 4, 2, 2)
    assert c_.top_decile_share == 1.0  # the two most suggested mentors (10% of 20) had every suggestion
    assert c_.gini == pytest.approx(gini([3, 1] + [0] * 18), abs=1e-4)
    assert [(m.display_name, m.suggestions, m.share) for m in c_.most_suggested] == [("m0", 3, 0.75), ("m1", 1, 0.25)]
    grades = {g.value: (g.mentors, g.suggestions, g.suggestion_share, g.acceptances) for g in figures.by["grade"]}
    assert grades == {"P-4": (4, 4, 1.0, 1), "P-5": (16, 0, 0.0, 0)}
    genders = {g.value: (g.mentors, g.suggestions, g.acceptances) for g in figures.by["gender"]}
    assert genders == {UNSTATED: (10, 3, 0), "female": (10, 1, 1)}
    by_mentee_grade = {g.value: (g.mentees, g.suggested, g.paired) for g in figures.mentees_by["grade"]}
    assert by_mentee_grade == {"G-5": (2, 2, 1), "G-6": (2, 1, 0)}  # d was never shown anyone
    by_mentee_gender = {g.value: (g.mentees, g.suggested, g.paired) for g in figures.mentees_by["gender"]}
    assert by_mentee_gender == {"female": (2, 2, 1), "male": (1, 1, 0), UNSTATED: (1, 0, 0)}


def test_an_empty_cohort_reports_zeros():
    figures = report([], [], [])
    assert (figures.concentration.mentors, figures.concentration.gini, figures.concentration.top_decile_share) == (0, 0.0, 0.0)
    assert figures.by["grade"] == []
