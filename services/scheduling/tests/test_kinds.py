"""The rules of reverse mentoring's and on-the-job learning's records: versioned ground rules agreed by
both, REAL goals for each, the first session waiting for both, the three-month plan; the learning plan's
dates and its assessment, step by step."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from scheduling.domain.kinds import (
    LearningRecord,
    PlanStep,
    ReverseMentoring,
    StepAssessment,
    StepOutcome,
    add_months,
    check_first_session,
    check_kind,
    check_within_plan,
    plan_end,
)
from scheduling.domain.pairing import Pairing
from together_contracts.registration import ProgrammeKind
from together_contracts.scheduling_kinds import GoalFramework
from together_servicekit.errors import Conflict, DomainError

FORMED = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
NOW = FORMED + timedelta(days=2)
GOAL = {"relevant": "r", "experimental": "e", "aspirational": "a", "learning_based": "l"}


def pairing(formed_at: datetime | None = FORMED) -> Pairing:
    return Pairing(
        uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), "mentee", "mentor", None, formed_at=formed_at
    )


def rules_of(p: Pairing) -> ReverseMentoring:
    return ReverseMentoring(pairing_id=p.id)


def rules(violations: Exception) -> list[tuple[str, str]]:
    assert isinstance(violations, DomainError)
    return [(v.field, v.rule) for v in violations.violations]


def test_a_record_of_another_kind_is_refused_naming_the_rule():
    check_kind("reverse_mentoring", ProgrammeKind.reverse_mentoring)
    with pytest.raises(Conflict) as refused:
        check_kind("mentoring", ProgrammeKind.reverse_mentoring)
    assert rules(refused.value) == [("pairing_id", "reverse_mentoring_only")]
    with pytest.raises(Conflict) as refused:
        check_kind("coaching", ProgrammeKind.on_the_job_learning)
    assert rules(refused.value) == [("pairing_id", "on_the_job_learning_only")]


def test_ground_rules_are_agreed_when_both_agree_to_the_same_version_and_a_new_text_replaces_agreement():
    p = pairing()
    record = rules_of(p)
    with pytest.raises(Conflict) as refused:
        record.agree(p, p.mentee_id, 1, NOW)
    assert rules(refused.value) == [("version", "ground_rules_proposed")]
    record.propose(p.mentor_id, "Candour; one hour a month", NOW)
    assert (record.version, record.agreed_by_both) == (1, False)
    assert record.agree(p, p.mentor_id, 1, NOW) is None  # the author agrees too, explicitly
    record.propose(p.mentee_id, "Candour; 90 minutes a month", NOW)  # version 2 replaces the mentor's agreement
    assert record.agree(p, p.mentee_id, 2, NOW) is None
    with pytest.raises(Conflict) as refused:
        record.agree(p, p.mentor_id, 1, NOW)
    assert rules(refused.value) == [("version", "current_version")]
    agreed = record.agree(p, p.mentor_id, 2, NOW)
    assert agreed is not None and (agreed.ground_rules_version, agreed.participant_ids) == (2, p.partners)
    assert record.agree(p, p.mentor_id, 2, NOW) is None  # agreeing again publishes nothing
    record.propose(p.mentee_id, "Candour; 90 minutes a month", NOW)  # the same text changes nothing
    assert (record.version, record.agreed_by_both, record.agreed_at) == (2, True, NOW)
    record.propose(p.mentee_id, "Something else", NOW)
    assert (record.version, record.agreed_by_both, record.agreed_at) == (3, False, None)


def test_each_partner_sets_their_own_real_goals_and_the_event_counts_them():
    p = pairing()
    record = rules_of(p)
    event = record.set_goals(p, p.mentor_id, [GOAL, GOAL], NOW)
    assert (event.set_by, event.framework, event.goal_count) == (p.mentor_id, GoalFramework.real, 2)
    assert set(type(event).model_fields) == {"pairing_id", "participant_ids", "set_by", "framework", "goal_count", "set_at"}
    assert [v.message for v in record.missing_before_first_session()] == [
        "no ground rules are proposed yet",
        "the mentee has not set their REAL goals",
    ]


def test_the_first_session_waits_for_agreed_ground_rules_and_both_partners_goals_but_later_ones_do_not():
    p = pairing()
    record = rules_of(p)
    record.propose(p.mentee_id, "text", NOW)
    record.agree(p, p.mentee_id, 1, NOW)
    with pytest.raises(Conflict) as refused:
        check_first_session(record, live_sessions=0)
    assert rules(refused.value) == [
        ("ground_rules", "agreed_by_both"),
        ("real_goals", "set_by_both"),
        ("real_goals", "set_by_both"),
    ]
    assert "not yet agreed by the mentor" in str(refused.value)
    check_first_session(record, live_sessions=1)  # a session is booked: the first is behind them
    record.agree(p, p.mentor_id, 1, NOW)
    record.set_goals(p, p.mentee_id, [GOAL], NOW)
    record.set_goals(p, p.mentor_id, [GOAL], NOW)
    check_first_session(record, live_sessions=0)
    assert record.missing_before_first_session() == []


def test_the_plan_runs_three_calendar_months_from_the_formation():
    assert plan_end(pairing()) == datetime(2027, 2, 28, 9, 0, tzinfo=UTC)  # 30 November: the end of February
    assert add_months(datetime(2027, 11, 30, tzinfo=UTC), 3) == datetime(2028, 2, 29, tzinfo=UTC)  # a leap year
    assert add_months(datetime(2026, 1, 15, tzinfo=UTC), 12) == datetime(2027, 1, 15, tzinfo=UTC)
    p = pairing()
    check_within_plan(p, [datetime(2027, 2, 28, 9, 0, tzinfo=UTC)])  # its last moment still is
    with pytest.raises(Conflict) as refused:
        check_within_plan(p, [NOW, datetime(2027, 2, 28, 9, 1, tzinfo=UTC)])
    assert rules(refused.value) == [("starts_at", "within_three_month_plan")]
    assert "ends on 2027-02-28" in str(refused.value)
    check_within_plan(pairing(formed_at=None), [datetime(2030, 1, 1, tzinfo=UTC)])  # formed before it was known


def test_the_learning_records_events_carry_counts_and_dates_only():
    p = pairing()
    record = LearningRecord(pairing_id=p.id)
    scanned = record.scan(p, p.mentee_id, ["giving feedback", "budgets"], NOW)
    assert (scanned.need_count, scanned.set_by) == (2, p.mentee_id)
    goals = record.set_smart_goals(p, p.mentor_id, [dict.fromkeys(("specific", "measurable"), "x")], NOW)
    assert (goals.framework, goals.goal_count) == (GoalFramework.smart, 1)
    plan = record.set_plan(p, p.mentor_id, [PlanStep("read", date(2026, 12, 15)), PlanStep("do", date(2027, 1, 15))], NOW)
    assert (plan.step_count, plan.last_due_on) == (2, date(2027, 1, 15))
    for event in (scanned, goals, plan):
        assert not {"needs", "goals", "steps", "comment"} & set(type(event).model_fields)


def test_the_plans_due_dates_are_in_order_from_the_formation_on():
    p = pairing()
    record = LearningRecord(pairing_id=p.id)
    with pytest.raises(DomainError) as refused:
        record.set_plan(
            p,
            p.mentee_id,
            [PlanStep("a", date(2026, 11, 29)), PlanStep("b", date(2027, 3, 1)), PlanStep("c", date(2027, 2, 1))],
            NOW,
        )
    assert rules(refused.value) == [("steps[1].due_on", "after_pairing_formed"), ("steps[3].due_on", "in_date_order")]
    with pytest.raises(DomainError) as refused:
        record.set_plan(p, p.mentee_id, [PlanStep("a", date(2031, 12, 1))], NOW)
    assert rules(refused.value) == [("steps[1].due_on", "within_5_years")]
    assert record.plan is None  # refused: nothing changed


def test_the_assessment_rates_each_step_once_and_a_new_plan_drops_it():
    p = pairing()
    record = LearningRecord(pairing_id=p.id)
    with pytest.raises(Conflict) as refused:
        record.assess(p, p.mentee_id, [StepAssessment(1, StepOutcome.met)], True, "", NOW)
    assert rules(refused.value) == [("steps", "plan_set")]
    steps = [PlanStep("a", date(2026, 12, 1)), PlanStep("b", date(2026, 12, 2)), PlanStep("c", date(2026, 12, 3))]
    record.set_plan(p, p.mentee_id, steps, NOW)
    with pytest.raises(DomainError) as refused:
        record.assess(
            p, p.mentee_id, [StepAssessment(1, StepOutcome.met), StepAssessment(1, StepOutcome.partly), StepAssessment(4, StepOutcome.met)], True, "", NOW
        )  # fmt: skip
    assert rules(refused.value) == [
        ("steps", "same_as_plan"),
        ("steps", "same_as_plan"),
        ("steps", "same_as_plan"),
        ("steps", "once_each"),
    ]
    outcomes = [StepAssessment(3, StepOutcome.not_met), StepAssessment(1, StepOutcome.met), StepAssessment(2, StepOutcome.partly)]
    assessed = record.assess(p, p.mentor_id, outcomes, False, "the budget step came too late", NOW)
    assert (assessed.steps_met, assessed.steps_partly_met, assessed.steps_not_met, assessed.plan_worked) == (1, 1, 1, False)
    assert record.assessment is not None and [s.step for s in record.assessment["steps"]] == [1, 2, 3]
    record.set_plan(p, p.mentee_id, steps, NOW)  # the same plan keeps its assessment
    assert record.assessment is not None
    record.set_plan(p, p.mentee_id, steps[:2], NOW)
    assert record.assessment is None
