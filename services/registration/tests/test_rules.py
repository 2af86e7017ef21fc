"""Registration refuses with every reason at once."""

from __future__ import annotations

from datetime import date

from registration.domain import cohort_date_violations, registration_violations
from together_events.contracts.registration import GRADES, Role, grade_rank

WINDOW = dict(opens=date(2026, 11, 1), closes=date(2026, 11, 30))


def rules(v: list) -> set[tuple[str, str]]:
    return {(x.field, x.rule) for x in v}


def test_grades_are_ordered_across_categories():
    order = ["G-7", "NO-A", "NO-D", "FS-1", "FS-7", "P-1", "P-5", "D-1", "D-2", "ASG", "USG"]
    assert [grade_rank(g) for g in order] == sorted(grade_rank(g) for g in order)
    assert grade_rank("G-1") == 0 and GRADES[-1] == "USG"


def test_a_valid_mentor_registration_passes():
    assert (
        registration_violations(
            today=date(2026, 11, 10), time_zone="Africa/Nairobi", grade="P-4", roles=[Role.mentor], mentor_capacity=2, **WINDOW
        )
        == []
    )


def test_every_reason_at_once():
    violations = registration_violations(
        today=date(2026, 12, 5),
        time_zone="Mars/Olympus",
        grade="P-9",
        roles=[Role.mentor, Role.mentor],
        mentor_capacity=3,
        **WINDOW,
    )
    assert rules(violations) == {
        ("cohort", "registration_window"),
        ("time_zone", "iana_time_zone"),
        ("grade", "known_grade"),
        ("roles", "unique"),
        ("mentor_capacity", "between_1_and_2"),
    }
    window = next(v for v in violations if v.rule == "registration_window")
    assert "2026-11-01" in window.message and "2026-11-30" in window.message


def test_capacity_is_for_mentors_only_and_required_of_them():
    mentee = registration_violations(
        today=date(2026, 11, 10), time_zone="UTC", grade="G-5", roles=[Role.mentee], mentor_capacity=1, **WINDOW
    )
    assert rules(mentee) == {("mentor_capacity", "mentors_only")}
    mentor = registration_violations(
        today=date(2026, 11, 10), time_zone="UTC", grade="P-5", roles=[Role.mentor], mentor_capacity=None, **WINDOW
    )
    assert rules(mentor) == {("mentor_capacity", "required_for_mentors")}


def test_cohort_dates_in_order():
    assert cohort_date_violations(date(2026, 1, 10), date(2026, 1, 31), date(2026, 2, 1), date(2026, 6, 1)) == []
    bad = cohort_date_violations(date(2026, 1, 31), date(2026, 1, 10), date(2026, 1, 5), date(2026, 1, 5))
    assert rules(bad) == {
        ("registration_closes_on", "not_before_opening"),
        ("starts_on", "after_registration"),
        ("ends_on", "after_start"),
    }
