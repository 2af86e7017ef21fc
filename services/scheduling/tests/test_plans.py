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


# Agenda content: what each planned session covers -----------------------------------------------


def test_coaching_plans_an_introduction_and_five_sessions_each_with_its_themes():
    plan = plan_for("coaching", None)
    intro, *coaching = plan.sessions
    assert any("Confidentiality" in theme for theme in intro.themes)
    assert any("five monthly sessions of 45 minutes" in theme for theme in intro.themes)
    assert len(coaching) == 5 and all(session.themes for session in coaching)
    assert "The specific challenge or goal the client brings" in coaching[0].themes
    assert any("action steps" in theme for theme in coaching[1].themes + coaching[2].themes)
    assert any("next steps" in theme for theme in coaching[-1].themes)
    every_theme = [theme for session in plan.sessions for theme in session.themes]
    assert len(every_theme) == len(set(every_theme))  # each theme has one session


def test_mentoring_suggests_the_pilot_faqs_topics_spread_over_its_sessions_in_order():
    plan = plan_for("mentoring", None)
    first, *between, last = plan.sessions
    assert any("mentorship agreement" in theme for theme in first.themes)
    suggested = [theme for session in between for theme in session.themes]
    assert suggested[0] == "Navigating the UN culture" and suggested[-1] == "Improving work-life balance"
    assert len(suggested) == 14 and all(1 <= len(session.themes) <= 3 for session in between)
    assert "The final assessment" in last.themes


def test_the_programmes_rules_name_the_sessions_and_the_kind_says_what_they_cover():
    # Registration's coaching rules name them "introduction", "coaching session 1", ...
    rules = SessionPlan(
        period_months=6,
        meeting_interval="monthly",
        session_minutes=45,
        agenda=["introduction", *(f"coaching session {n}" for n in range(1, 6))],
    )
    named, default = plan_for("coaching", rules), plan_for("coaching", None)
    assert [s.title for s in named.sessions][:2] == ["introduction", "coaching session 1"]
    assert [s.themes for s in named.sessions] == [s.themes for s in default.sessions]


def test_a_longer_plan_still_covers_every_topic_once_and_a_shorter_one_keeps_the_opening_and_closing():
    longer = plan_for("mentoring", SessionPlan(period_months=9, meeting_interval="twice a month"))
    assert len(longer.sessions) == 18
    assert sum(len(s.themes) for s in longer.sessions[1:-1]) == 14
    assert longer.sessions[-1].themes == plan_for("mentoring", None).sessions[-1].themes
    networking = plan_for("networking_mentoring", None, "networking_meetings")
    first, second = networking.sessions
    assert any("questions or agenda" in theme for theme in first.themes)
    assert any("next steps" in theme for theme in second.themes)


def test_every_kind_gives_each_planned_session_themes():
    for kind in ("mentoring", "coaching", "reverse_mentoring", "on_the_job_learning"):
        assert all(session.themes for session in plan_for(kind, None).sessions), kind
    reverse = plan_for("reverse_mentoring", None)
    assert any("REAL goals" in theme for theme in reverse.sessions[0].themes)
    assert any("Ground rules" in theme for theme in reverse.sessions[0].themes)


def test_a_booking_takes_its_agenda_items_themes_and_beyond_the_plan_there_are_none():
    plan = plan_for("coaching", None)
    (item,) = plan.open_items({1}, 1)
    assert (item.step, item.themes) == (2, plan.sessions[1].themes)
    beyond = plan.open_items(set(range(1, 7)), 1)[0]
    assert (beyond.step, beyond.themes) == (None, ())
