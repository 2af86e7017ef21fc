"""The first flow, end to end: five services as separate processes, real Kafka and PostgreSQL.

A programme team creates a programme and cohort; a mentor and a mentee
register; matching explains its suggestion; the mentee's preference becomes a
request, the mentor accepts; a session is booked and marked done; each partner
is notified exactly once per event, even when an event is delivered twice.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from tests.kafka_tools import group_caught_up, read_topic
from tests.stack import REPO, Stack
from together_events import Envelope
from together_events.provision import delete_topics, ensure_topics
from together_events.topics import declared_topics, service_topic
from together_servicekit import launcher

pytestmark = pytest.mark.e2e

RUN = uuid.uuid4().hex[:8]
NAMESPACE = f"e2e{RUN}."  # topics of their own: a running demo or an earlier run cannot interfere
SPECS = tuple(launcher.ServiceSpec(spec.name, 18100 + i) for i, spec in enumerate(launcher.SERVICES, 1))
URL = {spec.name: spec.url() for spec in SPECS}


@pytest.fixture(scope="module")
async def services(stack: Stack, create_database) -> AsyncIterator[dict[str, str]]:
    await ensure_topics(stack.kafka_bootstrap, declared_topics(NAMESPACE))
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": stack.kafka_bootstrap,
        "TOGETHER_CLOCK_MODE": "travel",
        "TOGETHER_TOPIC_NAMESPACE": NAMESPACE,
    }
    for spec in SPECS:
        env[f"{spec.env_prefix}DATABASE_URL"] = await create_database(spec.name)
        env[f"{spec.env_prefix}CONSUMER_GROUP"] = f"e2e-{RUN}-{spec.name}"
    state = REPO / ".run" / f"e2e-{RUN}"
    try:
        await asyncio.to_thread(launcher.start, SPECS, state=state, extra_env=env)
        yield URL
    except Exception:
        _print_logs(state)
        raise
    finally:
        await asyncio.to_thread(launcher.stop, SPECS, state=state)
        await delete_topics(stack.kafka_bootstrap, [t.name for t in declared_topics(NAMESPACE)])


def topic(service: str) -> str:
    return service_topic(service, NAMESPACE)


def _print_logs(state: Path) -> None:
    for log in sorted((state / "logs").glob("*.log")):
        print(f"--- {log.name}\n" + "\n".join(log.read_text().splitlines()[-30:]))


async def eventually(call, until=lambda r: r.is_success, timeout: float = 30.0) -> httpx.Response:  # type: ignore[no-untyped-def]
    """Retry until `until` holds: a service learns of another's facts through events, a moment later."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        response = await call()
        if until(response) or asyncio.get_running_loop().time() > deadline:
            return response
        await asyncio.sleep(0.2)


async def events_of(stack: Stack, topic: str, keys: set[str]) -> list[Envelope]:
    return [Envelope.from_json_bytes(r.value) for r in await read_topic(stack.kafka_bootstrap, topic) if r.key.decode() in keys]


def answers(name: str, **overrides: object) -> dict:
    base = {
        "name": name, "email": f"{name.lower()}.{RUN}@un.org", "entity": "DESA", "duty_station": "New York",
        "time_zone": "America/New_York", "grade": "P-4", "years_of_service": 12, "job_network": "DEVNET",
        "languages": ["English", "French"], "skills": ["negotiation"], "goals": [],
    }  # fmt: skip
    return {**base, **overrides}


async def test_the_first_flow_through_all_five_services(stack: Stack, services: dict[str, str]):
    async with httpx.AsyncClient(timeout=10) as http:
        # 1. Programme, cohort, a mentor and a mentee.
        programme = (await http.post(f"{URL['registration']}/programmes", json={"name": "Together", "kind": "mentoring"})).json()
        today = date.today()
        cohort = (
            await http.post(
                f"{URL['registration']}/programmes/{programme['id']}/cohorts",
                json={
                    "name": f"e2e {RUN}",
                    "registration_opens_on": str(today - timedelta(days=1)),
                    "registration_closes_on": str(today + timedelta(days=10)),
                    "starts_on": str(today + timedelta(days=11)),
                    "ends_on": str(today + timedelta(days=131)),
                },
            )
        ).json()
        register = f"{URL['registration']}/cohorts/{cohort['id']}/participants"
        mentor = await http.post(register, json=answers("Amina", roles=["mentor"], mentor_capacity=1, time_zone="Africa/Nairobi"))
        mentee = await http.post(
            register, json=answers("Ravi", roles=["mentee"], grade="G-6", years_of_service=5, goals=["negotiation"], skills=[])
        )
        assert (mentor.status_code, mentee.status_code) == (201, 201)
        mentor_id, mentee_id = mentor.json()["id"], mentee.json()["id"]

        # 2. Matching learnt of both through events and explains its suggestion.
        suggestions = await eventually(
            lambda: http.get(f"{URL['matching']}/cohorts/{cohort['id']}/mentees/{mentee_id}/suggestions"),
            until=lambda r: r.is_success and r.json()["suggestions"],  # both registrations arrived
        )
        assert suggestions.status_code == 200, suggestions.text
        [suggestion] = suggestions.json()["suggestions"]
        assert suggestion["mentor_id"] == mentor_id
        assert "both work in DEVNET" in suggestion["reasons"]
        assert "has 'negotiation' among skills, which is one of your goals" in suggestion["reasons"]

        # 3. Preferences become a request to the first choice; the mentor sees it and accepts.
        preferences = await eventually(
            lambda: http.post(
                f"{URL['pairing']}/cohorts/{cohort['id']}/mentees/{mentee_id}/preferences", json={"mentor_ids": [mentor_id]}
            )
        )
        assert preferences.status_code == 201, preferences.text
        request = (await http.get(f"{URL['pairing']}/mentors/{mentor_id}/current-request")).json()
        assert (request["mentee_id"], request["rank"], request["status"]) == (mentee_id, 1, "pending")
        accepted = await http.post(f"{URL['pairing']}/requests/{request['id']}/accept")
        assert accepted.status_code == 200, accepted.text
        pairing_id = accepted.json()["pairing_id"]
        again = await http.post(f"{URL['pairing']}/requests/{request['id']}/accept")
        assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"

        # 4. Scheduling learnt of the pairing; a session is booked, then marked done after it started.
        start = (today + timedelta(days=1)).isoformat() + "T13:00:00"
        booked = await eventually(
            lambda: http.post(
                f"{URL['scheduling']}/pairings/{pairing_id}/sessions",
                json={"starts_at": start, "time_zone": "America/New_York", "duration_minutes": 60},
            )
        )
        assert booked.status_code == 201, booked.text
        session_id = booked.json()["id"]
        too_early = await http.post(f"{URL['scheduling']}/sessions/{session_id}/done")
        assert too_early.status_code == 409
        travelled = await http.post(f"{URL['scheduling']}/clock/travel", json={"seconds": 3 * 24 * 3600})
        assert travelled.status_code == 200
        done = await http.post(f"{URL['scheduling']}/sessions/{session_id}/done")
        assert done.status_code == 204, done.text

        # 5. Notifications: one message per event and person.
        async def kinds(person: str) -> list[str]:
            rows = (await http.get(f"{URL['notifications']}/participants/{person}/notifications")).json()
            return [row["kind"] for row in rows]

        deadline = asyncio.get_running_loop().time() + 30
        while (len(await kinds(mentor_id)), len(await kinds(mentee_id))) != (3, 3):
            assert asyncio.get_running_loop().time() < deadline, (await kinds(mentor_id), await kinds(mentee_id))
            await asyncio.sleep(0.2)
        assert await kinds(mentor_id) == ["request_received", "session_scheduled", "feedback_requested"]
        assert await kinds(mentee_id) == ["request_accepted", "session_scheduled", "feedback_requested"]
        notification_ids = {
            row["id"]
            for person in (mentor_id, mentee_id)
            for row in (await http.get(f"{URL['notifications']}/participants/{person}/notifications")).json()
        }

    # The events on the topics: types in order per aggregate, keyed by aggregate, numbered from 1.
    registration = await events_of(stack, topic("registration"), {programme["id"], cohort["id"], mentor_id, mentee_id})
    assert sorted(e.type.split(".")[2] for e in registration) == [
        "CohortOpened", "ParticipantRegistered", "ParticipantRegistered", "ProgrammeCreated",
    ]  # fmt: skip
    assert all(e.sequence == 1 and e.source == "/together/registration" for e in registration)
    served = (await events_of(stack, topic("matching"), {mentee_id}))[-1]  # each suggestion request is recorded
    assert served.data["suggestions"][0]["mentor_id"] == mentor_id

    pairing = await events_of(stack, topic("pairing"), {request["id"], pairing_id})
    by_aggregate = {
        key: [(e.type.split(".")[2], e.sequence) for e in pairing if e.subject == key] for key in (request["id"], pairing_id)
    }
    assert by_aggregate == {request["id"]: [("RequestSent", 1), ("RequestAccepted", 2)], pairing_id: [("PairingFormed", 1)]}
    accepted_event, formed_event = (
        next(e for e in pairing if e.type.endswith(name + ".v1")) for name in ("RequestAccepted", "PairingFormed")
    )
    assert accepted_event.correlationid == formed_event.correlationid  # one HTTP request caused both
    scheduling = await events_of(stack, topic("scheduling"), {session_id})
    assert [(e.type.split(".")[2], e.sequence) for e in scheduling] == [("SessionScheduled", 1), ("SessionCompleted", 2)]
    assert scheduling[1].data["completed_by"] == "marked_done"

    # (Filtered by this deployment's notification ids: another deployment may share the broker.)
    recorded = [e for e in await events_of_all(stack, topic("notifications")) if e.data["notification_id"] in notification_ids]
    sources = {e.id: e for e in pairing + scheduling}
    assert len(recorded) == 6
    for notification in recorded:
        cause = sources[notification.causationid]  # each notification names the event that caused it
        assert notification.data["source_event_id"] == cause.id
        assert notification.correlationid == cause.correlationid


async def events_of_all(stack: Stack, topic: str) -> list[Envelope]:
    return [Envelope.from_json_bytes(r.value) for r in await read_topic(stack.kafka_bootstrap, topic)]


async def test_an_event_delivered_twice_notifies_once(stack: Stack, services: dict[str, str]):
    """Redeliver a RequestSent already handled: the mentor still has one message for it."""
    from together_events import build_producer

    records = [r for r in await read_topic(stack.kafka_bootstrap, topic("pairing"))]
    sent = [r for r in records if b"RequestSent" in r.value]
    assert sent, "the flow test runs first and sends a request"
    original = sent[-1]
    envelope = Envelope.from_json_bytes(original.value)
    producer = build_producer(stack.kafka_bootstrap, client_id=f"e2e-{RUN}-redeliver")
    await producer.start()
    try:
        await producer.send_and_wait(topic("pairing"), value=original.value, key=original.key, headers=list(original.headers))
    finally:
        await producer.stop()
    group = f"e2e-{RUN}-notifications"
    deadline = asyncio.get_running_loop().time() + 30
    while not await group_caught_up(stack.kafka_bootstrap, group, topic("pairing")):
        assert asyncio.get_running_loop().time() < deadline, "notifications did not consume the redelivery"
        await asyncio.sleep(0.2)
    async with httpx.AsyncClient(timeout=10) as http:
        rows = (await http.get(f"{URL['notifications']}/participants/{envelope.data['mentor_id']}/notifications")).json()
    assert [row["source_event_id"] for row in rows].count(envelope.id) == 1


async def test_bad_input_is_refused_naming_the_field_and_the_rule(services: dict[str, str]):
    async with httpx.AsyncClient(timeout=10) as http:
        wrong_kind = await http.post(f"{URL['registration']}/programmes", json={"name": "x", "kind": "bogus"})
        assert wrong_kind.status_code == 422
        assert wrong_kind.json()["error"]["details"][0]["field"] == "body.kind"
        assert wrong_kind.json()["error"]["details"][0]["rule"] == "enum"

        programme = (await http.post(f"{URL['registration']}/programmes", json={"name": "x", "kind": "mentoring"})).json()
        dates = await http.post(
            f"{URL['registration']}/programmes/{programme['id']}/cohorts",
            json={"name": "c", "registration_opens_on": "2026-02-01", "registration_closes_on": "2026-01-01",
                  "starts_on": "2026-03-01", "ends_on": "2026-02-01"},
        )  # fmt: skip
        assert dates.status_code == 422
        assert {d["field"] for d in dates.json()["error"]["details"]} == {"registration_closes_on", "ends_on"}

        missing = await http.post(
            f"{URL['registration']}/cohorts/{uuid.uuid4()}/participants", json=answers("Nobody", roles=["mentee"])
        )
        assert missing.status_code == 404

        zone = await http.post(
            f"{URL['scheduling']}/pairings/{uuid.uuid4()}/sessions",
            json={"starts_at": "2027-03-14T02:30:00", "time_zone": "America/New_York"},
        )
        assert zone.status_code == 422 and zone.json()["error"]["details"][0]["rule"] == "exists_in_zone"

        too_many = await http.post(
            f"{URL['pairing']}/cohorts/{uuid.uuid4()}/mentees/{uuid.uuid4()}/preferences",
            json={"mentor_ids": [str(uuid.uuid4()) for _ in range(6)]},
        )
        assert too_many.status_code == 422 and too_many.json()["error"]["details"][0]["field"] == "body.mentor_ids"
