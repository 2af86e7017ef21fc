"""Reverse mentoring's and on-the-job learning's records on the real database, over HTTP: ground rules
agreed by both, REAL goals, the first session waiting for them, the three-month plan; micro-needs, SMART
goals, the personalised plan and its assessment. Who writes and reads each, the wrong kind refused, and
the events committed with each change (counts and flags, never the partners' words).
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta

import pytest

from tests.apps import client, service_app
from tests.http.access import check
from tests.integration.test_scheduling_sessions import NEW_YORK, Pair, service  # noqa: F401 (the fixture)
from tests.kafka_tools import read_topic
from together_contracts.registration import ProgrammeKind
from together_contracts.topics import declared_topics
from together_events import Envelope
from together_events.topics import service_topic
from together_operator.provision import delete_topics, ensure_topics

pytestmark = pytest.mark.integration

NS = f"schedkinds{uuid.uuid4().hex[:8]}."

GOAL = {
    "relevant": "Understand how younger colleagues use collaboration tools",
    "experimental": "Run one team meeting without slides",
    "aspirational": "Lead a digital-first unit",
    "learning_based": "Learn to review a pull request",
}


def details(response) -> list[tuple[str, str]]:
    return [(d["field"], d["rule"]) for d in response.json()["error"]["details"]]


def new_york_in(pair: Pair, days: int) -> datetime:
    """A local New York start `days` after now, at 10:00 (as a partner types it)."""
    return (
        (pair.runtime.now() + timedelta(days=days))
        .astimezone(NEW_YORK)
        .replace(hour=10, minute=0, second=0, microsecond=0, tzinfo=None)
    )


async def booking(pair: Pair, local: datetime, path: str = "sessions", **more: object):
    body = {"starts_at": local.isoformat(), "time_zone": "America/New_York", "duration_minutes": 60, **more}
    return await pair.http.post(f"/pairings/{pair.pairing}/{path}", json=body, headers=pair.mentee_h)


@pytest.fixture
async def reverse(service, signer) -> Pair:  # noqa: F811 (the fixture imported above)
    http, runtime = service
    return await Pair(http, runtime, signer).form(ProgrammeKind.reverse_mentoring)


@pytest.fixture
async def on_the_job(service, signer) -> Pair:  # noqa: F811
    http, runtime = service
    return await Pair(http, runtime, signer).form(ProgrammeKind.on_the_job_learning)


async def test_the_first_session_waits_for_ground_rules_agreed_by_both_and_both_partners_real_goals(reverse, signer):
    pair, url = reverse, f"/pairings/{reverse.pairing}"
    refused = await booking(pair, new_york_in(pair, 7))
    check(refused, 409)
    assert details(refused) == [
        ("ground_rules", "agreed_by_both"),
        ("real_goals", "set_by_both"),
        ("real_goals", "set_by_both"),
    ]
    pair.runtime.clock.travel(timedelta(days=3))
    held = await pair.http.post(
        f"{url}/recorded-sessions",
        json={"starts_at": new_york_in(pair, -1).isoformat(), "time_zone": "America/New_York", "duration_minutes": 45},
        headers=pair.mentor_h,
    )
    check(held, 409)  # a session held elsewhere is a first session too
    assert ("ground_rules", "agreed_by_both") in details(held)

    text = {"text": "We speak candidly; what is said stays between us; one hour a month."}
    check(await pair.http.put(f"{url}/ground-rules", json=text, headers=pair.team_h), 403)  # the team reads, never writes
    stranger = signer.headers("stranger", "participant")
    check(await pair.http.put(f"{url}/ground-rules", json=text, headers=stranger), 404)
    check(await pair.http.get(f"{url}/ground-rules", headers=pair.mentee_h), 404)  # none proposed yet
    proposed = await pair.http.put(f"{url}/ground-rules", json=text, headers=pair.mentee_h)
    check(proposed, 200)
    assert (proposed.json()["version"], proposed.json()["agreed_by"]) == (1, [])
    check(await pair.http.post(f"{url}/ground-rules/agree", json={"version": 1}, headers=pair.mentor_h), 200)
    revised = {"text": "We speak candidly; what is said stays between us; 90 minutes a month."}
    check(await pair.http.put(f"{url}/ground-rules", json=revised, headers=pair.mentor_h), 200)  # replaces the agreement
    stale = await pair.http.post(f"{url}/ground-rules/agree", json={"version": 1}, headers=pair.mentee_h)
    check(stale, 409)
    assert details(stale) == [("version", "current_version")]
    for headers in (pair.mentee_h, pair.mentor_h):
        agreed = await pair.http.post(f"{url}/ground-rules/agree", json={"version": 2}, headers=headers)
        check(agreed, 200)
    assert agreed.json()["agreed_by"] == [str(pair.mentee), str(pair.mentor)] and agreed.json()["agreed_at"]

    still = await booking(pair, new_york_in(pair, 7))
    check(still, 409)
    assert details(still) == [("real_goals", "set_by_both"), ("real_goals", "set_by_both")]
    check(await pair.http.put(f"{url}/real-goals", json={"goals": [GOAL, GOAL]}, headers=pair.mentee_h), 200)
    bad_goal = {"goals": [{k: v for k, v in GOAL.items() if k != "aspirational"}]}
    missing_facet = await pair.http.put(f"{url}/real-goals", json=bad_goal, headers=pair.mentor_h)
    check(missing_facet, 422)
    assert missing_facet.json()["error"]["details"][0]["field"] == "body.goals.0.aspirational"
    check(await pair.http.put(f"{url}/real-goals", json={"goals": [GOAL]}, headers=pair.mentor_h), 200)
    check(await booking(pair, new_york_in(pair, 7)), 201)

    team_view = await pair.http.get(f"{url}/reverse-mentoring", headers=pair.team_h)
    check(team_view, 200)
    view = team_view.json()
    assert view["missing_before_first_session"] == [] and view["ground_rules"]["text"] == revised["text"]
    assert [(p["role"], len(p["goals"])) for p in view["real_goals"]["partners"]] == [("mentee", 2), ("mentor", 1)]
    assert (await pair.http.get(f"{url}/real-goals", headers=pair.mentor_h)).json()["partners"][0]["goals"][0] == GOAL
    other_team = signer.headers("other-lead", "programme_team", programmes=[str(uuid.uuid4())])
    check(await pair.http.get(f"{url}/reverse-mentoring", headers=other_team), 404)

    events = await pair.events("GroundRulesAgreed", "GoalsSet")
    assert [(e["type"], e.get("ground_rules_version"), e.get("goal_count")) for e in events] == [
        ("GroundRulesAgreed", 2, None),
        ("GoalsSet", None, 2),
        ("GoalsSet", None, 1),
    ]
    assert [e["set_by"] for e in events[1:]] == [str(pair.mentee), str(pair.mentor)]
    published = json.dumps(events)
    assert "candidly" not in published and "pull request" not in published  # the words stay here


async def test_a_reverse_pairings_sessions_start_within_three_months_of_its_formation(reverse):
    pair, url = reverse, f"/pairings/{reverse.pairing}"
    check(await pair.http.put(f"{url}/ground-rules", json={"text": "rules"}, headers=pair.mentee_h), 200)
    for headers in (pair.mentee_h, pair.mentor_h):
        check(await pair.http.post(f"{url}/ground-rules/agree", json={"version": 1}, headers=headers), 200)
        check(await pair.http.put(f"{url}/real-goals", json={"goals": [GOAL]}, headers=headers), 200)
    plan_ends_at = datetime.fromisoformat(
        (await pair.http.get(f"{url}/reverse-mentoring", headers=pair.mentor_h)).json()["plan_ends_at"]
    )
    late = await booking(pair, new_york_in(pair, 100))
    check(late, 409)
    assert details(late) == [("starts_at", "within_three_month_plan")]
    assert plan_ends_at.date().isoformat() in late.json()["error"]["message"]
    series = await booking(pair, new_york_in(pair, 7), "series", frequency="monthly", count=4)  # the 4th falls after it
    check(series, 409)
    assert details(series) == [("starts_at", "within_three_month_plan")]
    session = await pair.book(new_york_in(pair, 7))
    moved = await pair.http.post(
        f"/sessions/{session}/reschedule",
        json={"starts_at": new_york_in(pair, 120).isoformat(), "time_zone": "America/New_York"},
        headers=pair.mentor_h,
    )
    check(moved, 409)
    assert details(moved) == [("starts_at", "within_three_month_plan")]
    check(await booking(pair, new_york_in(pair, 14), "series", frequency="monthly", count=2), 201)
    assert [e["type"] for e in await pair.events("SessionScheduled", "SeriesScheduled")] == [
        "SessionScheduled",
        "SeriesScheduled",
    ]


async def test_records_of_another_kind_are_refused_naming_the_rule(reverse, on_the_job, service, signer):  # noqa: F811
    http, runtime = service
    mentoring = await Pair(http, runtime, signer).form(ProgrammeKind.mentoring)
    wrong = await http.put(f"/pairings/{mentoring.pairing}/ground-rules", json={"text": "x"}, headers=mentoring.mentee_h)
    check(wrong, 409)
    assert details(wrong) == [("pairing_id", "reverse_mentoring_only")]
    check(await http.get(f"/pairings/{on_the_job.pairing}/real-goals", headers=on_the_job.team_h), 409)
    needs = await http.put(f"/pairings/{reverse.pairing}/micro-needs", json={"needs": ["x"]}, headers=reverse.mentor_h)
    check(needs, 409)
    assert details(needs) == [("pairing_id", "on_the_job_learning_only")]
    await mentoring.book(new_york_in(mentoring, 200))  # other kinds: no first-session gate, no three months
    await on_the_job.book(new_york_in(on_the_job, 200))


async def test_on_the_job_learning_records_needs_goals_a_dated_plan_and_whether_it_worked(on_the_job, signer):
    pair, url = on_the_job, f"/pairings/{on_the_job.pairing}"
    check(await pair.http.get(f"{url}/micro-needs", headers=pair.team_h), 404)  # not scanned yet
    needs = {"needs": ["Giving feedback to a peer", "Reading a budget report", "Chairing a meeting"]}
    check(await pair.http.put(f"{url}/micro-needs", json=needs, headers=pair.team_h), 403)
    check(await pair.http.put(f"{url}/micro-needs", json=needs, headers=pair.mentor_h), 200)
    smart = {
        "specific": "Chair the weekly unit meeting",
        "measurable": "4 meetings chaired",
        "achievable": "with the supervisor present",
        "relevant": "the role's next step",
        "time_bound": "within 2 months",
    }
    check(await pair.http.put(f"{url}/smart-goals", json={"goals": [smart]}, headers=pair.mentee_h), 200)
    formed_on = pair.runtime.now().date()
    bad_plan = {
        "steps": [
            {"step": "Shadow the chair", "due_on": (formed_on - timedelta(days=1)).isoformat()},
            {"step": "Chair with support", "due_on": (formed_on + timedelta(days=30)).isoformat()},
            {"step": "Chair alone", "due_on": (formed_on + timedelta(days=20)).isoformat()},
        ]
    }
    refused = await pair.http.put(f"{url}/learning-plan", json=bad_plan, headers=pair.mentee_h)
    check(refused, 422)
    assert details(refused) == [("steps[1].due_on", "after_pairing_formed"), ("steps[3].due_on", "in_date_order")]
    not_a_date = await pair.http.put(
        f"{url}/learning-plan", json={"steps": [{"step": "x", "due_on": "next week"}]}, headers=pair.mentee_h
    )
    check(not_a_date, 422)
    assert not_a_date.json()["error"]["details"][0]["field"] == "body.steps.0.due_on"
    check(await pair.http.put(f"{url}/learning-plan/assessment", json={"steps": [{"step": 1, "outcome": "met"}], "worked": True}, headers=pair.mentee_h), 409)  # fmt: skip
    steps = [
        {"step": "Shadow the chair", "due_on": (formed_on + timedelta(days=7)).isoformat()},
        {"step": "Chair with support", "due_on": (formed_on + timedelta(days=30)).isoformat()},
        {"step": "Chair alone", "due_on": (formed_on + timedelta(days=60)).isoformat()},
    ]
    check(await pair.http.put(f"{url}/learning-plan", json={"steps": steps}, headers=pair.mentee_h), 200)
    partial = {"steps": [{"step": 1, "outcome": "met"}, {"step": 4, "outcome": "met"}], "worked": True}
    incomplete = await pair.http.put(f"{url}/learning-plan/assessment", json=partial, headers=pair.mentor_h)
    check(incomplete, 422)
    assert details(incomplete) == [("steps", "same_as_plan")] * 3
    assessment = {
        "steps": [
            {"step": 1, "outcome": "met", "comment": ""},
            {"step": 2, "outcome": "partly", "comment": "two of four"},
            {"step": 3, "outcome": "not_met", "comment": "no meeting in August"},
        ],
        "worked": True,
        "comment": "Confident chairing with support",
    }
    check(await pair.http.put(f"{url}/learning-plan/assessment", json=assessment, headers=pair.mentor_h), 200)

    team = await pair.http.get(f"{url}/on-the-job-learning", headers=pair.team_h)
    check(team, 200)
    record = team.json()
    assert (record["micro_needs"], record["smart_goals"], record["assessment"]) == (needs["needs"], [smart], assessment)
    assert record["plan"] == steps and record["updated_by"] == str(pair.mentor)
    assert (await pair.http.get(f"{url}/learning-plan/assessment", headers=pair.mentee_h)).json() == assessment
    assert (await pair.http.get(f"{url}/smart-goals", headers=pair.mentor_h)).json() == [smart]
    other_team = signer.headers("other-lead", "programme_team", programmes=[str(uuid.uuid4())])
    check(await pair.http.get(f"{url}/learning-plan", headers=other_team), 404)
    check(await pair.http.get(f"{url}/micro-needs", headers=signer.headers("stranger", "participant")), 404)

    events = await pair.events("MicroNeedsScanned", "GoalsSet", "PlanSet", "PlanAssessed")
    assert [e["type"] for e in events] == ["MicroNeedsScanned", "GoalsSet", "PlanSet", "PlanAssessed"]
    scanned, goals, plan, assessed = events
    assert (scanned["need_count"], goals["framework"], goals["goal_count"]) == (3, "smart", 1)
    assert (plan["step_count"], plan["last_due_on"]) == (3, steps[2]["due_on"])
    counted = ("steps_met", "steps_partly_met", "steps_not_met", "plan_worked")
    assert [assessed[name] for name in counted] == [1, 1, 1, True]
    published = json.dumps(events)
    assert not any(words in published for words in ("budget", "Chair", "August", "supervisor"))

    replaced = await pair.http.put(f"{url}/learning-plan", json={"steps": steps[:2]}, headers=pair.mentee_h)
    check(replaced, 200)
    assert replaced.json()["assessment"] is None  # a new plan drops the old assessment
    check(await pair.http.get(f"{url}/learning-plan/assessment", headers=pair.team_h), 404)
    assert date.fromisoformat(replaced.json()["plan"][-1]["due_on"]) == formed_on + timedelta(days=30)


async def test_the_records_facts_reach_kafka_keyed_by_the_pairing_in_order_without_the_words(
    stack, create_database, signer, monkeypatch
):
    created = list(declared_topics(NS))
    await ensure_topics(stack.kafka_bootstrap, created)
    monkeypatch.setenv("TOGETHER_TOPIC_NAMESPACE", NS)  # the outbox records, and the relay publishes, here
    try:
        database = await create_database("sched_kinds_kafka")
        async with service_app("scheduling", database, stack.kafka_bootstrap, signer) as (app, runtime):
            async with client(app) as http:
                pair = await Pair(http, runtime, signer).form(ProgrammeKind.reverse_mentoring)
                url = f"/pairings/{pair.pairing}"
                check(await http.put(f"{url}/ground-rules", json={"text": "Candour, always"}, headers=pair.mentor_h), 200)
                for headers in (pair.mentor_h, pair.mentee_h):
                    check(await http.post(f"{url}/ground-rules/agree", json={"version": 1}, headers=headers), 200)
                    check(await http.put(f"{url}/real-goals", json={"goals": [GOAL]}, headers=headers), 200)
                await pair.book(new_york_in(pair, 7))
            while await runtime.relay.publish_pending():
                pass
        records = [
            r
            for r in await read_topic(stack.kafka_bootstrap, service_topic("scheduling", NS))
            if r.key == str(pair.pairing).encode()
        ]
        envelopes = [Envelope.from_json_bytes(r.value) for r in records]
        assert [e.type.split(".")[2] for e in envelopes] == ["GoalsSet", "GroundRulesAgreed", "GoalsSet"]  # as it happened
        assert [e.sequence for e in envelopes] == [1, 2, 3]  # one aggregate, in order
        assert [envelopes[0].data["set_by"], envelopes[2].data["set_by"]] == [str(pair.mentor), str(pair.mentee)]
        assert envelopes[1].data["ground_rules_version"] == 1
        assert not any(b"Candour" in r.value or b"pull request" in r.value for r in records)
    finally:
        await delete_topics(stack.kafka_bootstrap, [t.name for t in created])
