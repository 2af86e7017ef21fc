"""What participants are asked at the start and the end of a cohort, on the real broker and database:
registration asks the pre survey, a pairing's completion asks each partner the final assessment and
the post survey, an early end asks the partner who stayed; the reminders fire once each, a set number
of working days later with the clock moved, and not for what was answered; a replay asks nothing twice.
And migration 0013 moves the surveys kept per pairing to the participants who gave them.

The topics are this module's own (a namespace), so the run shares the broker with anything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from alembic import command

from scheduling.consumers import handlers
from scheduling.domain.outcomes import after_working_days
from scheduling.reminder_worker import reminder_worker
from scheduling.tables import outcome_asks, participant_surveys, station_holidays
from tests.apps import client, service_app
from tests.http.access import check
from tests.kafka_tools import read_topic, wait_until
from together_contracts.pairing import CompletedBecause, EndedBy, PairingCompleted, PairingEnded, PairingFormed
from together_contracts.registration import ParticipantRegistered, ProgrammeCreated, ProgrammeKind, PublicProfile, Role
from together_contracts.topics import declared_topics
from together_contracts.working_days import HolidaysChanged
from together_events import Envelope, Event, EventConsumer, build_producer
from together_events.topics import service_topic
from together_operator.provision import delete_topics, ensure_topics
from together_servicekit.db import alembic_config, make_engine

pytestmark = pytest.mark.integration

RUN = uuid.uuid4().hex[:8]
NS = f"asks{RUN}."
NAIROBI, NEW_YORK = "Africa/Nairobi", "America/New_York"


@pytest.fixture
async def topics(stack, monkeypatch) -> AsyncIterator[None]:
    created = list(declared_topics(NS))
    await ensure_topics(stack.kafka_bootstrap, created)
    monkeypatch.setenv("TOGETHER_TOPIC_NAMESPACE", NS)
    yield
    await delete_topics(stack.kafka_bootstrap, [t.name for t in created])


@contextlib.asynccontextmanager
async def running(work) -> AsyncIterator[None]:
    task = asyncio.create_task(work())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def envelope(event: Event, sequence: int = 1) -> Envelope:
    return Envelope(
        id=str(uuid.uuid4()), source=f"/together/{event.service}", type=event.event_type(), subject=event.aggregate_id(),
        time=datetime.now(UTC), aggregatetype=event.aggregate, sequence=sequence, correlationid=f"asks-{RUN}",
        data=event.model_dump(mode="json"),
    )  # fmt: skip


async def test_asked_at_registration_and_at_the_end_reminded_once_on_working_days_unless_answered(
    stack, topics, create_database, signer
):
    database = await create_database("sched_asks")
    async with service_app("scheduling", database, stack.kafka_bootstrap, signer) as (app, runtime):
        consumer = EventConsumer(
            name="scheduling", group_id=f"asks-{RUN}", engine=runtime.engine, bootstrap_servers=stack.kafka_bootstrap,
            handlers=handlers(runtime), dead_letters=runtime.producer, now=runtime.now,
        )  # fmt: skip
        programme, cohort, pairing_id, early_pairing = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        mentee, mentor, loner = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        left, stayed = uuid.uuid4(), uuid.uuid4()  # the early pairing: the mentee left the cohort
        people = {mentee: f"mentee-{RUN}", mentor: f"mentor-{RUN}", loner: f"loner-{RUN}"}
        now = runtime.now()

        def registered(pid: uuid.UUID, role: Role, zone: str, station: str = "x") -> Envelope:
            return envelope(
                ParticipantRegistered(
                    participant_id=pid, person_id=people[pid], cohort_id=cohort, programme_id=programme, roles=[role],
                    profile=PublicProfile(display_name=people[pid], entity="UNEP", duty_station=station, time_zone=zone,
                                          grade="P-3", years_of_service=4, job_network="DEVNET", languages=["English"]),
                    registered_at=now,
                )
            )  # fmt: skip

        completed = envelope(
            PairingCompleted(pairing_id=pairing_id, mentee_id=mentee, mentor_id=mentor, cohort_id=cohort,
                             reason=CompletedBecause.programme_ended, completed_at=now),
            sequence=2,
        )  # fmt: skip
        mentee_registered = registered(mentee, Role.mentee, NAIROBI, "Nairobi")
        # The team's days off at the mentee's station in the cohort: the next two weekdays where she works.
        today = now.astimezone(ZoneInfo(NAIROBI)).date()
        team_days = [d for d in (today + timedelta(days=n) for n in range(1, 8)) if d.weekday() < 5][:2]
        producer = build_producer(stack.kafka_bootstrap, client_id=f"asks-test-{RUN}")
        await producer.start()

        async def publish(*envelopes: Envelope) -> None:
            for e in envelopes:
                topic = service_topic(e.source.rsplit("/", 1)[1], NS)
                await producer.send_and_wait(topic, value=e.to_json_bytes(), key=e.subject.encode(), headers=e.kafka_headers())

        async def asks() -> set[tuple[uuid.UUID, str, uuid.UUID | None]]:
            async with runtime.engine.connect() as conn:
                rows = await conn.execute(
                    sa.select(outcome_asks.c.participant_id, outcome_asks.c.kind, outcome_asks.c.pairing_id)
                )
                return {(r.participant_id, r.kind, r.pairing_id) for r in rows}

        def headers(pid: uuid.UUID) -> dict[str, str]:
            return signer.headers(people[pid], "participant")

        try:
            await publish(
                envelope(HolidaysChanged(cohort_id=cohort, duty_station="Nairobi", days_added=team_days, days_removed=[],
                                         changed_at=now)),
            )  # fmt: skip
            async with running(consumer.run):

                async def team_days_known() -> bool:
                    async with runtime.engine.connect() as conn:
                        return (await conn.execute(sa.select(sa.func.count()).select_from(station_holidays))).scalar_one() == 1

                await wait_until(team_days_known, what="scheduling learns the team's days off at the station")
            await publish(
                envelope(ProgrammeCreated(programme_id=programme, name="Mentoring", kind=ProgrammeKind.mentoring, suggestions_per_mentee=3)),
                mentee_registered,
                registered(mentor, Role.mentor, NEW_YORK),
                registered(loner, Role.mentee, NAIROBI),  # registered, never paired
                envelope(PairingFormed(pairing_id=pairing_id, request_id=uuid.uuid4(), mentee_id=mentee, mentor_id=mentor,
                                       cohort_id=cohort, programme_id=programme, mentee_person_id=people[mentee],
                                       mentor_person_id=people[mentor], formed_at=now)),
            )  # fmt: skip
            async with client(app) as http, running(consumer.run):

                async def pre_surveys_asked() -> bool:
                    return len(await asks()) == 3

                await wait_until(pre_surveys_asked, what="registration asks each participant the pre survey")
                assert await asks() == {(p, "pre_survey", None) for p in (mentee, mentor, loner)}

                # The pre survey needs no pairing: the participant answers their own; nobody else reads it.
                check(await http.put(f"/participants/{loner}/surveys/pre", json={"confidence": 2}, headers=headers(loner)), 200)
                check(await http.put(f"/participants/{mentee}/surveys/pre", json={"confidence": 3, "comment": "new here"},
                                     headers=headers(mentee)), 200)  # fmt: skip
                assert (await http.get(f"/participants/{mentee}/surveys/pre", headers=headers(mentee))).json()[
                    "comment"
                ] == "new here"
                check(await http.get(f"/participants/{mentee}/surveys/pre", headers=headers(loner)), 404)
                check(await http.put(f"/participants/{mentee}/surveys/pre", json={"confidence": 1}, headers=headers(loner)), 404)
                team = signer.headers("team", "programme_team", programmes=[str(programme)])
                check(await http.get(f"/participants/{mentee}/surveys/pre", headers=team), 403)  # aggregates only
                other_team = signer.headers("other", "programme_team", programmes=[str(uuid.uuid4())])
                for outsider in (other_team, signer.headers("svc", "service")):
                    check(await http.get(f"/participants/{mentee}/surveys/pre", headers=outsider), 404)  # as a missing one
                check(await http.get(f"/participants/{mentee}/surveys/pre"), 401)
                check(await http.get(f"/participants/{mentor}/surveys/pre", headers=headers(mentor)), 404)  # not answered
                refused = await http.put(f"/participants/{loner}/surveys/pre", json={"confidence": 2, "satisfaction": 4},
                                         headers=headers(loner))  # fmt: skip
                check(refused, 422)
                assert refused.json()["error"]["details"][0]["rule"] == "post_only"

                # The cohort ends: the pairing completes (delivered twice), and another ended early when its mentee left.
                await publish(
                    completed,
                    completed,
                    envelope(PairingEnded(pairing_id=early_pairing, mentee_id=left, mentor_id=stayed, cohort_id=cohort,
                                          ended_by=EndedBy.mentee, ended_at=now, participant_withdrew=True)),
                )  # fmt: skip

                async def end_asked() -> bool:
                    return len(await asks()) == 3 + 4 + 2

                await wait_until(end_asked, what="the end asks each partner the final assessment and the post survey")
                assert await asks() >= {
                    (mentee, "final_assessment", pairing_id), (mentor, "final_assessment", pairing_id),
                    (mentee, "post_survey", pairing_id), (mentor, "post_survey", pairing_id),
                    (stayed, "final_assessment", early_pairing), (stayed, "post_survey", early_pairing),
                }  # fmt: skip

                # The completed pairing takes no more bookings: scheduling's copy ended with it.
                start = (runtime.now() + timedelta(days=1)).replace(tzinfo=None, microsecond=0).isoformat()
                check(await http.post(f"/pairings/{pairing_id}/sessions", json={"starts_at": start, "time_zone": "UTC"},
                                      headers=headers(mentee)), 409)  # fmt: skip

                # The mentor gives the final assessment: one item of two met.
                agreement = {"skills_and_goals": ["negotiation", "delegation"], "development_plan": "p", "schedule": "s"}
                check(await http.put(f"/pairings/{pairing_id}/agreement", json=agreement, headers=headers(mentee)), 200)
                assessment = {
                    "ratings": [{"skill_or_goal": "negotiation", "rating": 5}, {"skill_or_goal": "delegation", "rating": 2}]
                }
                check(await http.put(f"/pairings/{pairing_id}/assessment", json=assessment, headers=headers(mentor)), 200)

                # A replay asks nothing twice: the same facts again under new envelope ids (past the inbox).
                again = envelope(PairingCompleted.model_validate(completed.data), sequence=3)
                await publish(envelope(ParticipantRegistered.model_validate(mentee_registered.data)), again)
                await asyncio.sleep(1.5)

                # Not due yet; then the clock passes five working days (two weeks at most: two weekends and the team's two days).
                worker = reminder_worker(runtime, poll_interval=0.05)
                assert await worker.run_due() == []
                runtime.clock.travel(timedelta(days=14, hours=2))
                # The mentee answers the post survey the moment before the reminder would go.
                post = {"confidence": 4, "satisfaction": 5}
                check(await http.put(f"/participants/{mentee}/surveys/post", json=post, headers=headers(mentee)), 200)
                async with running(worker.run):

                    async def reminded() -> bool:
                        async with runtime.engine.connect() as conn:
                            query = sa.select(sa.func.count()).where(outcome_asks.c.reminded_at.is_not(None))
                            return (await conn.execute(query)).scalar_one() == 5

                    await wait_until(reminded, what="the reminders of what is unanswered")
                restarted = reminder_worker(runtime, poll_interval=0.05)
                async with running(restarted.run):
                    await asyncio.sleep(0.3)
                runtime.clock.travel(timedelta(days=30))
                assert await restarted.run_due() == []  # once each, however long it stays unanswered
                while await runtime.relay.publish_pending():
                    pass
        finally:
            await producer.stop()

        records = [
            Envelope.from_json_bytes(r.value) for r in await read_topic(stack.kafka_bootstrap, service_topic("scheduling", NS))
        ]

        def of(name: str) -> list[dict]:
            return [e.data for e in records if e.type.split(".")[2] == name]

        requested = of("OutcomeRequested")
        assert len(requested) == 9
        assert {(uuid.UUID(r["participant_id"]), r["kind"]) for r in requested} == {
            (mentee, "pre_survey"), (mentor, "pre_survey"), (loner, "pre_survey"),
            (mentee, "final_assessment"), (mentor, "final_assessment"), (mentee, "post_survey"), (mentor, "post_survey"),
            (stayed, "final_assessment"), (stayed, "post_survey"),
        }  # fmt: skip
        zones = {mentee: NAIROBI, mentor: NEW_YORK, loner: NAIROBI, stayed: "UTC"}  # one scheduling does not know: UTC
        for r in requested:
            asked_of = uuid.UUID(r["participant_id"])
            zone, days_off = zones[asked_of], set(team_days) if asked_of == mentee else set()
            asked, remind_at = datetime.fromisoformat(r["requested_at"]), datetime.fromisoformat(r["remind_at"])
            assert remind_at == after_working_days(asked, 5, zone, days_off)
            assert remind_at.astimezone(ZoneInfo(zone)).weekday() < 5  # a working day where they work
            assert remind_at.astimezone(ZoneInfo(zone)).date() not in days_off

        # Answered before their reminder: the mentee's and the loner's pre surveys, the mentor's assessment,
        # the mentee's post survey. The rest is reminded once each.
        assert sorted((r["participant_id"], r["kind"]) for r in of("OutcomeReminderDue")) == sorted(
            (str(p), kind) for p, kind in (
                (mentor, "pre_survey"), (mentee, "final_assessment"), (mentor, "post_survey"),
                (stayed, "final_assessment"), (stayed, "post_survey"),
            )
        )  # fmt: skip

        [given] = of("FinalAssessmentGiven")
        assert (given["participant_id"], given["items_rated"], given["items_met"]) == (str(mentor), 2, 1)
        answered = sorted((r["participant_id"] == str(mentee), r["survey"], r["confidence"]) for r in of("SurveyAnswered"))
        assert answered == [(False, "pre", 2), (True, "post", 4), (True, "pre", 3)]
        assert "new here" not in str(records) and "negotiation" not in str(records)


async def test_surveys_from_before_move_to_the_partner_who_gave_them(create_database):
    """Migration 0013: a survey kept per pairing and author becomes the author's, as their participant in
    that pairing, with its cohort; one participant's same kind in two pairings keeps the later answer."""
    url = await create_database("sched_0013")
    config = alembic_config("scheduling", url)
    await asyncio.to_thread(command.upgrade, config, "0012")
    programme, cohort = uuid.uuid4(), uuid.uuid4()
    first, second = uuid.uuid4(), uuid.uuid4()
    mentee, mentor, next_mentor = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            pairing = sa.text(
                "INSERT INTO pairings (id, mentee_id, mentor_id, cohort_id, programme_id, mentee_person_id, "
                "mentor_person_id, formed_at) VALUES (:id, :mentee, :mentor, :cohort, :programme, :mentee_person, "
                ":mentor_person, :formed_at)"
            )
            for pid, its_mentor, mentor_person, day in ((first, mentor, "mentor", 1), (second, next_mentor, "next", 2)):
                await conn.execute(pairing, {
                    "id": pid, "mentee": mentee, "mentor": its_mentor, "cohort": cohort, "programme": programme,
                    "mentee_person": "mentee", "mentor_person": mentor_person, "formed_at": datetime(2026, 1, day, tzinfo=UTC),
                })  # fmt: skip
            survey = sa.text(
                "INSERT INTO surveys (pairing_id, author_person_id, kind, programme_id, confidence, satisfaction, comment, "
                "submitted_at) VALUES (:pairing, :author, :kind, :programme, :confidence, NULL, '', :at)"
            )
            for pid, author, kind, confidence, day in (
                (first, "mentee", "pre", 2, 3), (first, "mentor", "pre", 4, 3), (second, "mentee", "pre", 3, 5),
                (second, "next", "post", 5, 6),
            ):  # fmt: skip
                await conn.execute(survey, {
                    "pairing": pid, "author": author, "kind": kind, "programme": programme, "confidence": confidence,
                    "at": datetime(2026, 1, day, tzinfo=UTC),
                })  # fmt: skip
        await asyncio.to_thread(command.upgrade, config, "head")
        async with engine.connect() as conn:
            moved = {
                (row.participant_id, row.kind): (row.cohort_id, row.programme_id, row.confidence)
                for row in await conn.execute(sa.select(participant_surveys))
            }
            asked = (await conn.execute(sa.select(sa.func.count()).select_from(outcome_asks))).scalar_one()
        # Back down: each survey returns to the participant's first pairing in the cohort.
        await asyncio.to_thread(command.downgrade, config, "0012")
        async with engine.connect() as conn:
            query = sa.text("SELECT pairing_id, author_person_id, kind, confidence FROM surveys")
            returned = {tuple(row) for row in await conn.execute(query)}
    finally:
        await engine.dispose()
    assert moved == {
        (mentee, "pre"): (cohort, programme, 3),  # the later of the mentee's two answers
        (mentor, "pre"): (cohort, programme, 4),
        (next_mentor, "post"): (cohort, programme, 5),
    }
    assert asked == 0  # nothing was asked before
    assert returned == {(first, "mentee", "pre", 3), (first, "mentor", "pre", 4), (second, "next", "post", 5)}
