"""Scheduling on the real broker: it learns of the pairing from Kafka, publishes through its outbox
relay, completes a session once even when its worker restarts, and answers a pairing's end (delivered
twice) with one cancellation whose invitation a subscriber can build from the event alone.

The topics are this module's own (a namespace), so the run shares the broker with anything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import sqlalchemy as sa
from dateutil.rrule import rrulestr

from scheduling.completion_worker import completion_worker
from scheduling.consumers import handlers
from scheduling.tables import participants, sessions
from tests.apps import client, service_app
from tests.http.access import check
from tests.kafka_tools import group_caught_up, read_topic, wait_until
from together_contracts.pairing import EndedBy, PairingEnded, PairingFormed
from together_contracts.registration import (
    ParticipantAnswersErased,
    ParticipantRegistered,
    ParticipantWithdrawn,
    ProgrammeCreated,
    ProgrammeKind,
    PublicProfile,
    Role,
)
from together_contracts.topics import declared_topics
from together_events import Envelope, Event, EventConsumer, build_producer
from together_events.topics import service_topic
from together_operator.provision import delete_topics, ensure_topics
from together_operator.rebuild import compare, rebuild
from together_servicekit.invitations import Person, invitation

pytestmark = pytest.mark.integration

RUN = uuid.uuid4().hex[:8]
NS = f"sched{RUN}."


@pytest.fixture
async def topics(stack, monkeypatch) -> AsyncIterator[None]:
    created = list(declared_topics(NS))
    await ensure_topics(stack.kafka_bootstrap, created)
    monkeypatch.setenv("TOGETHER_TOPIC_NAMESPACE", NS)  # the consumer subscribes, and the outbox records, here
    yield
    await delete_topics(stack.kafka_bootstrap, [t.name for t in created])


@contextlib.asynccontextmanager
async def running(work) -> AsyncIterator[asyncio.Task]:
    task = asyncio.create_task(work())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def envelope(event: Event, sequence: int = 1) -> Envelope:
    return Envelope(
        id=str(uuid.uuid4()), source=f"/together/{event.service}", type=event.event_type(), subject=event.aggregate_id(),
        time=datetime.now(UTC), aggregatetype=event.aggregate, sequence=sequence, correlationid=f"sched-{RUN}",
        data=event.model_dump(mode="json"),
    )  # fmt: skip


async def test_learns_from_kafka_completes_once_across_a_worker_restart_and_cancels_once(stack, topics, create_database, signer):
    database = await create_database("sched_broker")
    async with service_app("scheduling", database, stack.kafka_bootstrap, signer) as (app, runtime):
        consumer = EventConsumer(
            name="scheduling", group_id=f"sched-{RUN}", engine=runtime.engine, bootstrap_servers=stack.kafka_bootstrap,
            handlers=handlers(runtime), dead_letters=runtime.producer, now=runtime.now,
        )  # fmt: skip
        assert consumer.topics == sorted([service_topic("registration", NS), service_topic("pairing", NS)])
        programme, cohort, pairing_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        mentee, mentor = uuid.uuid4(), uuid.uuid4()
        now = datetime.now(UTC)

        def registered(pid: uuid.UUID, person: str, role: Role, zone: str) -> ParticipantRegistered:
            return ParticipantRegistered(
                participant_id=pid, person_id=person, cohort_id=cohort, programme_id=programme, roles=[role],
                profile=PublicProfile(display_name=person.title(), entity="UNEP", duty_station="x", time_zone=zone,
                                      grade="P-3", years_of_service=4, job_network="DEVNET", languages=["English"]),
                registered_at=now,
            )  # fmt: skip

        ended = envelope(
            PairingEnded(pairing_id=pairing_id, mentee_id=mentee, mentor_id=mentor, cohort_id=cohort,
                         ended_by=EndedBy.mentor, ended_at=now + timedelta(days=1)),
            sequence=2,
        )  # fmt: skip
        producer = build_producer(stack.kafka_bootstrap, client_id=f"sched-test-{RUN}")
        await producer.start()

        async def publish(*envelopes: Envelope) -> None:
            for e in envelopes:
                topic = service_topic(e.source.rsplit("/", 1)[1], NS)
                await producer.send_and_wait(topic, value=e.to_json_bytes(), key=e.subject.encode(), headers=e.kafka_headers())

        try:
            await publish(
                envelope(ProgrammeCreated(programme_id=programme, name="Coaching", kind=ProgrammeKind.coaching, suggestions_per_mentee=3)),
                envelope(registered(mentee, f"client-{RUN}", Role.client, "Africa/Nairobi")),
                envelope(registered(mentor, f"coach-{RUN}", Role.coach, "America/New_York")),
                envelope(PairingFormed(pairing_id=pairing_id, request_id=uuid.uuid4(), mentee_id=mentee, mentor_id=mentor,
                                       cohort_id=cohort, programme_id=programme, mentee_person_id=f"client-{RUN}",
                                       mentor_person_id=f"coach-{RUN}", formed_at=now)),
            )  # fmt: skip
            client_h = signer.headers(f"client-{RUN}", "participant")
            async with client(app) as http, running(consumer.run):

                async def plan_known() -> bool:
                    response = await http.get(f"/pairings/{pairing_id}/plan", headers=client_h)
                    return response.status_code == 200 and response.json()["programme_kind"] == "coaching"

                await wait_until(plan_known, what="scheduling learns of the coaching pairing from Kafka")
                start = (runtime.now() + timedelta(hours=1)).astimezone(ZoneInfo("Africa/Nairobi"))
                booked = await http.post(
                    f"/pairings/{pairing_id}/sessions",
                    json={"starts_at": start.replace(tzinfo=None, microsecond=0).isoformat(), "time_zone": "Africa/Nairobi", "duration_minutes": 45},
                    headers=client_h,
                )  # fmt: skip
                check(booked, 201)
                session_id = booked.json()["id"]
                later = (runtime.now() + timedelta(days=30)).astimezone(ZoneInfo("America/New_York"))
                series = await http.post(
                    f"/pairings/{pairing_id}/series",
                    json={"starts_at": later.replace(hour=9, minute=0, second=0, microsecond=0, tzinfo=None).isoformat(),
                          "time_zone": "America/New_York", "frequency": "monthly", "count": 5, "duration_minutes": 45},
                    headers=signer.headers(f"coach-{RUN}", "participant"),
                )  # fmt: skip
                check(series, 201)

                # The clock passes the end; a worker completes the session, is stopped, and a new one starts.
                runtime.clock.travel(timedelta(hours=2))
                first = completion_worker(runtime, grace=timedelta(0), poll_interval=0.05)
                async with running(first.run):

                    async def completed() -> bool:
                        async with runtime.engine.connect() as conn:
                            status = await conn.execute(
                                sa.select(sessions.c.status).where(sessions.c.id == uuid.UUID(session_id))
                            )
                            return status.scalar() == "completed"

                    await wait_until(completed, what="the worker completes the session")
                restarted = completion_worker(runtime, grace=timedelta(0), poll_interval=0.05)
                async with running(restarted.run):
                    await asyncio.sleep(0.3)
                assert await restarted.run_due() == []

                await publish(ended, ended)  # delivered twice: the inbox makes the second a no-op

                async def series_cancelled() -> bool:
                    async with runtime.engine.connect() as conn:
                        left = await conn.execute(
                            sa.select(sa.func.count()).select_from(sessions).where(sessions.c.status == "scheduled")
                        )
                        return left.scalar() == 0

                await wait_until(series_cancelled, what="the pairing's end cancels the series")
                while await runtime.relay.publish_pending():
                    pass
        finally:
            await producer.stop()

        records = [
            Envelope.from_json_bytes(r.value) for r in await read_topic(stack.kafka_bootstrap, service_topic("scheduling", NS))
        ]
        names = [e.type.split(".")[2] for e in records]
        assert names.count("SessionCompleted") == 1
        assert names.count("SeriesCancelled") == 1
        [done] = [e for e in records if e.type.endswith("SessionCompleted.v1")]
        assert done.subject == session_id and done.data["completed_by"] == "end_time_passed" and done.sequence == 2
        [reminder] = [e for e in records if e.type.endswith("NextSessionReminderDue.v1")] or [None]
        assert reminder is None  # the series was booked: the next session is there
        scheduled = next(e for e in records if e.type.endswith("SeriesScheduled.v1"))
        cancelled = next(e for e in records if e.type.endswith("SeriesCancelled.v1"))
        assert (scheduled.subject, scheduled.sequence) == (cancelled.subject, 1) and cancelled.sequence == 2
        assert cancelled.data["reason"] == "pairing_ended" and len(cancelled.data["cancelled_session_ids"]) == 5

        # A subscriber builds both invitations from the events alone, and calendar clients read them.
        data = scheduled.data
        people = [Person("Client", ident=str(mentee)), Person("Coach", ident=str(mentor))]
        for event_data, method in ((data, "REQUEST"), (cancelled.data, "CANCEL")):
            text = invitation(
                uid=event_data["calendar_uid"], sequence=event_data["calendar_sequence"], method=method,
                summary=event_data["agenda_title"], starts_at=datetime.fromisoformat(event_data["starts_at"]),
                time_zone=event_data["time_zone"], duration_minutes=event_data["duration_minutes"], organizer=people[1],
                attendees=people, stamp=datetime.now(UTC), rrule=event_data["rrule"],
                until=datetime.fromisoformat(data["occurrence_starts"][-1]),
            )  # fmt: skip
            calendar = icalendar.Calendar.from_ical(text)
            vevent = calendar.walk("VEVENT")[0]
            assert calendar["METHOD"] == method and str(vevent["UID"]) == f"series-{scheduled.subject}@together"
            assert int(vevent["SEQUENCE"]) == (0 if method == "REQUEST" else 1)
            expanded = rrulestr(
                vevent["RRULE"].to_ical().decode(), dtstart=vevent["DTSTART"].dt.replace(tzinfo=ZoneInfo("America/New_York"))
            )
            assert [o.astimezone(UTC) for o in expanded] == [datetime.fromisoformat(s) for s in data["occurrence_starts"]]
        assert data["agenda_title"].startswith("Coaching session 1")  # after the introduction the first session took

        # The read model rebuilt from the topics equals the live one (the pairing's end included).
        fresh = await create_database("sched_rebuilt")
        await rebuild("scheduling", fresh, bootstrap=stack.kafka_bootstrap, prefix=NS)
        comparison = await compare("scheduling", fresh, database)
        assert comparison.equal, comparison.lines()
        assert [(t.table, t.rebuilt_rows) for t in comparison.tables] == [
            ("pairings", 1), ("programmes", 1), ("cohorts", 0), ("participants", 2), ("request_engagements", 0),
            ("station_holidays", 0),
        ]  # fmt: skip


async def test_an_erasure_replaces_the_name_and_zone_and_keeps_the_sessions(stack, topics, create_database, signer):
    database = await create_database("sched_erasure")
    async with service_app("scheduling", database, stack.kafka_bootstrap, signer) as (app, runtime):
        consumer = EventConsumer(
            name="scheduling", group_id=f"sched-erase-{RUN}", engine=runtime.engine, bootstrap_servers=stack.kafka_bootstrap,
            handlers=handlers(runtime), dead_letters=runtime.producer, now=runtime.now,
        )  # fmt: skip
        programme, cohort, pairing_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        mentee, mentor = uuid.uuid4(), uuid.uuid4()
        mentee_person, mentor_person = f"mentee-{RUN}", f"mentor-{RUN}"
        secret_name, secret_zone = f"Zephyrine {RUN}", "Pacific/Chatham"  # the mentee's answers, later erased
        now = datetime.now(UTC)

        def registered(pid: uuid.UUID, person: str, name: str, role: Role, zone: str) -> ParticipantRegistered:
            return ParticipantRegistered(
                participant_id=pid, person_id=person, cohort_id=cohort, programme_id=programme, roles=[role],
                profile=PublicProfile(display_name=name, entity="UNEP", duty_station="x", time_zone=zone,
                                      grade="P-3", years_of_service=4, job_network="DEVNET", languages=["English"]),
                registered_at=now,
            )  # fmt: skip

        common = dict(participant_id=mentee, person_id=mentee_person, cohort_id=cohort, programme_id=programme)
        producer = build_producer(stack.kafka_bootstrap, client_id=f"sched-erase-{RUN}")
        await producer.start()

        async def publish(*envelopes: Envelope) -> None:
            for e in envelopes:
                topic = service_topic(e.source.rsplit("/", 1)[1], NS)
                await producer.send_and_wait(topic, value=e.to_json_bytes(), key=e.subject.encode(), headers=e.kafka_headers())

        async def mentee_row() -> sa.Row | None:
            async with runtime.engine.connect() as conn:
                return (await conn.execute(sa.select(participants).where(participants.c.id == mentee))).first()

        async def rows_mentioning(text: str) -> list[str]:
            """Every table of scheduling's database whose rows, as text, contain `text` (any case)."""
            async with runtime.engine.connect() as conn:
                tables = (
                    await conn.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))
                ).scalars()
                found = []
                for table in tables:
                    query = sa.text(f'SELECT count(*) FROM "{table}" AS t WHERE t::text ILIKE :pattern')
                    if (await conn.execute(query, {"pattern": f"%{text}%"})).scalar_one():
                        found.append(table)
            return found

        mentor_h = signer.headers(mentor_person, "participant")
        try:
            await publish(
                envelope(ProgrammeCreated(programme_id=programme, name="Mentoring", kind=ProgrammeKind.mentoring, suggestions_per_mentee=3)),
                envelope(registered(mentee, mentee_person, secret_name, Role.mentee, secret_zone)),
                envelope(registered(mentor, mentor_person, "Mentor Name", Role.mentor, "America/New_York")),
                envelope(PairingFormed(pairing_id=pairing_id, request_id=uuid.uuid4(), mentee_id=mentee, mentor_id=mentor,
                                       cohort_id=cohort, programme_id=programme, mentee_person_id=mentee_person,
                                       mentor_person_id=mentor_person, formed_at=now)),
            )  # fmt: skip
            async with client(app) as http, running(consumer.run):

                async def plan_known() -> bool:
                    return (await http.get(f"/pairings/{pairing_id}/plan", headers=mentor_h)).status_code == 200

                await wait_until(plan_known, what="scheduling learns of the pairing from Kafka")
                start = (runtime.now() + timedelta(days=2)).astimezone(ZoneInfo("America/New_York"))
                booked = await http.post(
                    f"/pairings/{pairing_id}/sessions",
                    json={"starts_at": start.replace(tzinfo=None, microsecond=0).isoformat(), "time_zone": "America/New_York",
                          "duration_minutes": 45},
                    headers=mentor_h,
                )  # fmt: skip
                check(booked, 201)
                session_id = booked.json()["id"]
                later = (runtime.now() + timedelta(days=30)).astimezone(ZoneInfo("America/New_York"))
                series = await http.post(
                    f"/pairings/{pairing_id}/series",
                    json={"starts_at": later.replace(hour=9, minute=0, second=0, microsecond=0, tzinfo=None).isoformat(),
                          "time_zone": "America/New_York", "frequency": "monthly", "count": 3, "duration_minutes": 45},
                    headers=mentor_h,
                )  # fmt: skip
                check(series, 201)
                series_id = series.json()["id"]

                async def attendees(path: str) -> set[str]:
                    served = await http.get(path, headers=mentor_h)
                    check(served, 200)
                    assert secret_name not in served.text.replace("\r\n ", "")
                    return {str(a.params["CN"]) for a in icalendar.Calendar.from_ical(served.text).walk("VEVENT")[0]["ATTENDEE"]}

                invitation_before = await http.get(f"/sessions/{session_id}/invitation.ics", headers=mentor_h)
                attendees_before = icalendar.Calendar.from_ical(invitation_before.text).walk("VEVENT")[0]["ATTENDEE"]
                assert {str(a.params["CN"]) for a in attendees_before} == {secret_name, "Mentor Name"}
                assert await rows_mentioning(secret_name) == ["participants"]  # the scan sees the copy while kept
                listed_before = (await http.get(f"/pairings/{pairing_id}/sessions", headers=mentor_h)).json()

                # Withdrawn, then erased later at their request.
                await publish(
                    envelope(ParticipantWithdrawn(**common, withdrawn_at=runtime.now(), answers_erased=False), sequence=2),
                    envelope(ParticipantAnswersErased(**common, erased_at=runtime.now()), sequence=3),
                )

                async def erased() -> bool:
                    row = await mentee_row()
                    return row is not None and row.display_name == "Withdrawn participant"

                await wait_until(erased, what="scheduling erases its copy of the mentee's answers")
                row = await mentee_row()
                assert (row.person_id, row.time_zone, row.withdrawn_at is not None) == (mentee_person, "UTC", True)
                for secret in (secret_name, secret_zone):
                    assert await rows_mentioning(secret) == [], secret

                # Sessions and series keep their ids and times; the invitations now name the placeholder.
                listed_after = (await http.get(f"/pairings/{pairing_id}/sessions", headers=mentor_h)).json()
                assert [(s["id"], s["starts_at"], s["duration_minutes"]) for s in listed_after] == [
                    (s["id"], s["starts_at"], s["duration_minutes"]) for s in listed_before
                ]
                for path in (f"/sessions/{session_id}/invitation.ics", f"/series/{series_id}/invitation.ics"):
                    assert await attendees(path) == {"Withdrawn participant", "Mentor Name"}, path

                # Erased again under a new id: the same placeholders.
                await publish(envelope(ParticipantAnswersErased(**common, erased_at=runtime.now()), sequence=4))
                await wait_until(
                    lambda: group_caught_up(stack.kafka_bootstrap, consumer.group_id, service_topic("registration", NS)),
                    what="scheduling handles the second erasure",
                )
                assert (await mentee_row()) == row
        finally:
            await producer.stop()

        # The read model rebuilt from the topics equals the live one, erasure included.
        fresh = await create_database("sched_erasure_rebuilt")
        await rebuild("scheduling", fresh, bootstrap=stack.kafka_bootstrap, prefix=NS)
        comparison = await compare("scheduling", fresh, database)
        assert comparison.equal, "\n".join(comparison.lines())
