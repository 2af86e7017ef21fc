"""The outcomes report of a cohort from its facts, without a database: counts, time to pairing, sessions per
pairing, surveys before and after, goals met, and groups under five people folded or hidden."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from registration.api.outcomes import as_csv
from registration.domain.cohort import Cohort
from registration.domain.dates import CohortDates
from registration.domain.errors import Refused
from registration.domain.outcomes import (
    Assessment,
    CohortFacts,
    EarlyEnd,
    PairingOutcome,
    PairingState,
    Refusal,
    Registrant,
    Row,
    SurveyScores,
    grade_band,
    groups_of,
    report,
)
from registration.domain.programme_rules import default_rules
from together_contracts.registration import ProgrammeKind
from together_servicekit.errors import Violation

T0 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


def person(
    entity: str = "DESA", grade: str = "P-3", gender: str | None = "female", station: str = "Geneva", **kw: Any
) -> Registrant:
    defaults: dict[str, Any] = {"placed_at": T0, "waitlisted": False, "withdrawn": False}
    return Registrant(
        id=uuid.uuid4(),
        groups=groups_of({"entity": entity, "grade": grade, "gender": gender, "duty_station": station}),
        **{**defaults, **kw},
    )


def pairing(mentee: Registrant, mentor: Registrant, *, days: float = 0, sessions: int = 0, **kw: Any) -> PairingOutcome:
    defaults: dict[str, Any] = {"state": PairingState.open, "early_end": None}
    return PairingOutcome(
        id=uuid.uuid4(),
        mentee_id=mentee.id,
        mentor_id=mentor.id,
        formed_at=T0 + timedelta(days=days),
        sessions_held=sessions,
        **{**defaults, **kw},
    )


def facts(registrants=(), refusals=(), pairings=(), surveys=(), assessments=()) -> CohortFacts:
    return CohortFacts(tuple(registrants), tuple(refusals), tuple(pairings), tuple(surveys), tuple(assessments))


def rows_of(rows: list[Row], measure: str) -> dict[tuple[str, str], tuple[int, int | float | None]]:
    return {(r.dimension, r.group): (r.people, r.value) for r in rows if r.measure == measure}


def total(rows: list[Row], measure: str) -> int | float | None:
    return rows_of(rows, measure)[("cohort", "all")][1]


def test_grade_bands_and_unstated_answers():
    bands = [grade_band(g) for g in ("G-6", "NO-B", "FS-4", "P-3", "D-1", "ASG", None)]
    assert bands == ["G", "NO", "FS", "P", "D", "ASG", "not stated"]
    assert groups_of({"entity": " DESA ", "grade": "P-2", "gender": None, "duty_station": ""}) == {
        "entity": "DESA", "grade_band": "P", "gender": "not stated", "duty_station": "not stated",
    }  # fmt: skip


def test_who_asked_was_accepted_or_refused_by_rule():
    accepted = [person(), person(waitlisted=True, placed_at=None), person(withdrawn=True)]
    refusals = [
        Refusal(uuid.uuid4(), ("entity",), groups_of({"entity": "UNICEF", "grade": "P-3"})),
        Refusal(uuid.uuid4(), ("entity", "job_network"), groups_of({"entity": "UNICEF", "grade": "P-3"})),
    ]
    rows = report(facts(accepted, refusals))
    assert [total(rows, m) for m in ("registered", "accepted", "refused", "waitlisted", "withdrawn")] == [5, 3, 2, 1, 1]
    assert total(rows, "refused_by_entity") == 2 and total(rows, "refused_by_job_network") == 1
    assert "refused_by_appointment_type" not in {r.measure for r in rows}  # only the rules that refused somebody


def test_time_to_pairing_runs_from_the_place_to_the_first_pairing():
    mentor = person(grade="P-5")
    mentees = [person(placed_at=T0) for _ in range(3)]
    late = person(placed_at=T0 + timedelta(days=10))  # admitted from the waitlist on day 10
    pairings = [
        pairing(mentees[0], mentor, days=2),
        pairing(mentees[0], mentor, days=30),  # their second pairing does not count
        pairing(mentees[1], mentor, days=4),
        pairing(mentees[2], mentor, days=12),
        pairing(late, mentor, days=12),
    ]
    rows = report(facts([mentor, *mentees, late], pairings=pairings))
    assert total(rows, "time_to_pairing_days_mean") == 5.0  # (2 + 4 + 12 + 2) / 4
    assert total(rows, "time_to_pairing_days_median") == 3.0
    assert total(rows, "paired") == 5 and total(rows, "pairings") == 5


def test_pairings_sessions_and_how_they_ended():
    mentor = person(grade="P-5")
    mentees = [person() for _ in range(4)]
    pairings = [
        pairing(mentees[0], mentor, sessions=5, state=PairingState.completed),
        pairing(mentees[1], mentor, sessions=2, state=PairingState.ended_early, early_end=EarlyEnd.mentee_ended),
        pairing(mentees[2], mentor, sessions=0, state=PairingState.ended_early, early_end=EarlyEnd.mentor_withdrew),
        pairing(mentees[3], mentor, sessions=1),
    ]
    rows = report(facts([mentor, *mentees], pairings=pairings))
    assert total(rows, "sessions_per_pairing_mean") == 2.0 and total(rows, "sessions_per_pairing_median") == 1.5
    assert [total(rows, f"pairings_{s}") for s in ("open", "completed", "ended_early")] == [1, 1, 2]
    assert total(rows, "pairings_ended_early_mentee_ended") == 1 and total(rows, "pairings_ended_early_mentor_withdrew") == 1
    assert "pairings_ended_early_mentee_withdrew" not in {r.measure for r in rows}
    assert EarlyEnd.of("mentee", False) is EarlyEnd.mentee_ended and EarlyEnd.of("mentor", True) is EarlyEnd.mentor_withdrew


def test_surveys_before_and_after_with_their_change_and_goals_met():
    people = [person() for _ in range(3)]
    surveys = [
        SurveyScores(people[0].id, pre_confidence=2, post_confidence=4, post_satisfaction=5),
        SurveyScores(people[1].id, pre_confidence=3, post_confidence=4, post_satisfaction=4),
        SurveyScores(people[2].id, pre_confidence=4, post_confidence=None, post_satisfaction=None),
    ]
    assessments = [
        Assessment(uuid.uuid4(), people[0].id, items_rated=4, items_met=3),
        Assessment(uuid.uuid4(), people[1].id, items_rated=6, items_met=2),
    ]
    rows = report(facts(people, surveys=surveys, assessments=assessments))
    assert total(rows, "pre_survey_confidence_mean") == 3.0
    assert total(rows, "post_survey_confidence_mean") == 4.0
    assert total(rows, "survey_confidence_change_mean") == 1.5  # only who answered both: +2 and +1
    assert total(rows, "post_survey_satisfaction_mean") == 4.5
    assert total(rows, "goals_met_share") == 0.5  # 5 of the 10 items rated
    assert total(rows, "final_assessments") == 2


def test_nothing_to_measure_is_none_not_zero():
    rows = report(facts())
    assert total(rows, "registered") == 0 and isinstance(total(rows, "registered"), int)
    assert total(rows, "time_to_pairing_days_median") is None and total(rows, "goals_met_share") is None
    assert all(r.dimension == "cohort" for r in rows)  # no breakdown of nobody


def test_groups_under_five_are_folded_into_other_and_other_under_five_is_hidden():
    cohort = (
        [person(entity="DESA", gender="female") for _ in range(6)]
        + [person(entity="OCHA", gender="male") for _ in range(3)]
        + [person(entity="UNEP", gender="male") for _ in range(2)]
        + [person(entity="OHCHR", gender="non-binary")]
    )
    registered = rows_of(report(facts(cohort)), "registered")
    assert registered[("cohort", "all")] == (12, 12)
    assert registered[("entity", "DESA")] == (6, 6)
    assert registered[("entity", "other")] == (6, 6)  # OCHA, UNEP and OHCHR together
    assert ("entity", "OCHA") not in registered
    assert registered[("gender", "female")] == (6, 6) and registered[("gender", "male")] == (5, 5)
    assert ("gender", "other") not in registered and ("gender", "non-binary") not in registered  # 1 alone: hidden
    assert all(people >= 5 for (dimension, _), (people, _) in registered.items() if dimension != "cohort")


def test_a_group_is_as_large_as_the_people_the_measure_is_about():
    """Six in DESA registered, but only three answered the survey: DESA's survey mean is not shown."""
    desa = [person(entity="DESA") for _ in range(6)]
    surveys = [SurveyScores(p.id, pre_confidence=5, post_confidence=None, post_satisfaction=None) for p in desa[:3]]
    rows = report(facts(desa, surveys=surveys))
    assert ("entity", "DESA") in rows_of(rows, "registered")
    assert rows_of(rows, "pre_survey_confidence_mean") == {("cohort", "all"): (3, 5.0)}


def test_a_refusal_by_the_eligibility_rules_is_counted_and_a_shut_window_is_not():
    cohort = Cohort(
        id=uuid.uuid4(), programme_id=uuid.uuid4(), name="c", rules=default_rules(ProgrammeKind.mentoring),
        dates=CohortDates(T0.date(), T0.date(), T0.date(), T0.date() + timedelta(days=90)), places=None,
    )  # fmt: skip
    eligibility = Refused(
        "registration refused",
        [
            Violation("entity", "eligible_entity", "entity 'UNICEF' is not eligible"),
            Violation("grade", "known_grade", "'X' is not a grade"),
            Violation("job_network", "eligible_job_network", "job network 'LOGNET' is not open to mentees"),
        ],
    )
    refused = cohort.refusal(eligibility, T0)
    assert refused is not None
    assert (refused.cohort_id, refused.failed_rules, refused.refused_at) == (cohort.id, ["entity", "job_network"], T0)
    window = Refused("registration refused", [Violation("cohort", "registration_window", "closed")])
    assert cohort.refusal(window, T0) is None


def test_the_csv_has_one_row_per_measure_dimension_and_group_and_runs_no_formula():
    text = as_csv([Row("registered", "cohort", "all", 12, 12), Row("goals_met_share", "entity", "=HYPERLINK(1)", 5, None)])
    assert text.splitlines() == [
        "measure,dimension,group,people,value",
        "registered,cohort,all,12,12",
        "goals_met_share,entity,'=HYPERLINK(1),5,",
    ]
