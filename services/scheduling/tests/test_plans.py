"""Each programme kind's session plan, and the programme's own plan where registration gives one."""

from __future__ import annotations

from scheduling.domain.plans import meetings_in, plan_for
from together_contracts.registration import SessionPlan


def test_coaching_is_an_introduction_and_five_monthly_sessions_of_45_minutes():
    plan = plan_for("coaching", None)
    assert [s.title for s in plan.sessions] == ["Introduction meeting", *(f"Coaching session {n}" for n in range(1, 6))]
    assert {s.minutes for s in plan.sessions} == {45}
    assert plan.meeting_interval == "monthly"


def test_mentoring_is_a_first_session_then_twice_a_month_for_four_months():
    plan = plan_for("mentoring", None)
    assert plan.period_months == 4 and plan.meeting_interval == "twice a month"
    assert len(plan.sessions) == 8 and plan.sessions[0].title.startswith("First session")


def test_networking_plans_what_the_request_asked_for():
    meetings = plan_for("networking_mentoring", None, "networking_meetings")
    relationship = plan_for("networking_mentoring", None, "mentoring_relationship")
    assert (len(meetings.sessions), meetings.minimum) == (2, 1)
    assert (len(relationship.sessions), relationship.minimum) == (6, 3)
    assert relationship.meeting_interval == "every 3 weeks"


def test_reverse_mentoring_starts_with_a_kickoff_and_runs_three_months():
    plan = plan_for("reverse_mentoring", None)
    assert "introductions" in plan.sessions[0].title and "expectations" in plan.sessions[0].title
    assert plan.period_months == 3


def test_the_programme_rules_plan_decides_where_given():
    rules = SessionPlan(period_months=6, meeting_interval="monthly", session_minutes=50, agenda=["Kick-off", "Goals"])
    plan = plan_for("coaching", rules)
    assert [s.title for s in plan.sessions][:2] == ["Kick-off", "Goals"]
    assert len(plan.sessions) == 6 and {s.minutes for s in plan.sessions} == {50}


def test_rhythms_become_counts():
    assert meetings_in(4, "twice a month") == 8
    assert meetings_in(3, "every 3 weeks") == 4
    assert meetings_in(5, "monthly") == 5
    assert meetings_in(5, "whenever") is None
