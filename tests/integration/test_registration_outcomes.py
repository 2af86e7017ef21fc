"""A cohort's outcomes report on the real database and broker.

People register over HTTP (some refused by the programme's rules: `RegistrationRefused` on registration's
topic); pairing's and scheduling's events are sent on their real topics, a redelivery among them, to
registration's own consumer; the programme team reads the report as JSON and CSV, no group under five
shown; anyone else is refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import uuid
from datetime import timedelta
from typing import Any

import pytest

from registration.consumers import handlers
from tests.apps import client, service_app
from tests.http.access import envelope_of
from tests.integration.test_registration import World
from tests.kafka_tools import group_caught_up, wait_until
from together_contracts.pairing import CompletedBecause, EndedBy, PairingCompleted, PairingEnded, PairingFormed
from together_contracts.scheduling import CompletedBy, FinalAssessmentGiven, SessionCompleted, SurveyAnswered, SurveyKind
from together_contracts.topics import declared_topics
from together_events import Envelope, EventConsumer, build_producer
from together_events.registry import Event
from together_events.topics import service_topic
from together_operator.provision import delete_topics, ensure_topics
from together_operator.rebuild import compare, rebuild

pytestmark = pytest.mark.integration


class Outcomes(World):
    """Registration's world, with registration's consumer reading pairing's and scheduling's topics."""

    consumer: EventConsumer
    producer: Any
    namespace: str
    database: str

    async def send(self, *events: Event | Envelope) -> None:
        """Each batch is handled before the next is sent: the two topics are not ordered with each other."""
        for event in events:
            envelope = event if isinstance(event, Envelope) else envelope_of(event)
            topic = service_topic(envelope.type.split(".")[1], self.namespace)
            await self.producer.send_and_wait(
                topic, value=envelope.to_json_bytes(), key=envelope.subject.encode(), headers=envelope.kafka_headers()
            )
        for name in self.consumer.topics:
            await wait_until(
                lambda t=name: group_caught_up(self.stack.kafka_bootstrap, self.consumer.group_id, t), what=name, timeout=60
            )

    async def report(self, cohort: str, headers: dict[str, str] | None = None) -> dict[tuple[str, str, str], tuple[int, Any]]:
        response = await self.http.get(f"/cohorts/{cohort}/outcomes", headers=headers or self.team)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["cohort_id"] == cohort and body["minimum_group_size"] == 5
        return {(r["measure"], r["dimension"], r["group"]): (r["people"], r["value"]) for r in body["rows"]}


@pytest.fixture
async def world(stack, create_database, signer, monkeypatch):
    namespace = f"o{uuid.uuid4().hex[:8]}."
    monkeypatch.setenv("TOGETHER_TOPIC_NAMESPACE", namespace)
    topics = declared_topics(namespace)
    await ensure_topics(stack.kafka_bootstrap, topics)
    producer = build_producer(stack.kafka_bootstrap, client_id="test-outcomes")
    await producer.start()
    database = await create_database("outcomes")
    try:
        async with service_app("registration", database, stack.kafka_bootstrap, signer) as (app, runtime), client(app) as http:
            world = Outcomes(http, runtime, signer, stack)
            world.namespace, world.producer, world.database = namespace, producer, database
            world.consumer = EventConsumer(
                name="registration", group_id=f"{namespace}registration", engine=runtime.engine,
                bootstrap_servers=stack.kafka_bootstrap, handlers=handlers(runtime), dead_letters=producer, now=runtime.now,
            )  # fmt: skip
            task = asyncio.create_task(world.consumer.run())
            try:
                yield world
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    finally:
        await producer.stop()
        await delete_topics(stack.kafka_bootstrap, [t.name for t in topics])


async def test_a_cohorts_outcomes_from_registrations_refusals_and_the_real_topics(world: Outcomes, create_database):
    programme = await world.programme("mentoring")
    cohort = await world.cohort(programme)
    mentors = [
        (await world.register(cohort, f"mentor{i}", entity="OCHA", grade="P-5", roles=["mentor"], mentor_capacity=1))["id"]
        for i in range(5)
    ]
    mentees = [(await world.register(cohort, f"mentee{i}", entity="DESA"))["id"] for i in range(5)]
    few = [(await world.register(cohort, f"few{i}", entity="UNEP", gender="male"))["id"] for i in range(2)]

    # Refused by the programme's rules: 422 as before, and counted.
    refused = await world.register(cohort, "unicef", expect=422, entity="UNICEF")
    assert ("entity", "eligible_entity") in {(d["field"], d["rule"]) for d in refused["error"]["details"]}
    await world.register(cohort, "consultant", expect=422, appointment_type="consultant", entity="UNICEF")
    await world.register(cohort, "shut", expect=422, grade="Z-9")  # a malformed answer is no refusal by rule
    refusals = [e for e in await world.events(every=True) if e.type == "together.registration.RegistrationRefused.v1"]
    assert sorted(tuple(e.data["failed_rules"]) for e in refusals) == [("appointment_type", "entity"), ("entity",)]
    assert {e.subject for e in refusals} == {cohort} and all(e.data["programme_id"] == programme for e in refusals)
    assert all(set(e.data) == {"cohort_id", "programme_id", "failed_rules", "refused_at"} for e in refusals)  # about no one

    # Pairing's and scheduling's events, on their topics.
    cohort_id, programme_id = uuid.UUID(cohort), uuid.UUID(programme)
    formed_at = world.runtime.now() + timedelta(days=3)
    pairings = [uuid.uuid4() for _ in mentees]
    formed = [
        PairingFormed(
            pairing_id=pairing, request_id=uuid.uuid4(), mentee_id=uuid.UUID(mentee), mentor_id=uuid.UUID(mentor),
            cohort_id=cohort_id, programme_id=programme_id, mentee_person_id=f"mentee-{i}", mentor_person_id=f"mentor-{i}",
            formed_at=formed_at,
        )
        for i, (pairing, mentee, mentor) in enumerate(zip(pairings, mentees, mentors, strict=True))
    ]  # fmt: skip
    await world.send(*formed)
    sessions = [
        SessionCompleted(
            session_id=uuid.uuid4(), pairing_id=pairing, participant_ids=[formed[i].mentee_id, formed[i].mentor_id],
            completed_at=formed_at + timedelta(days=14 * (n + 1)), completed_by=CompletedBy.marked_done,
        )
        for i, pairing in enumerate(pairings)
        for n in range(i)  # 0, 1, 2, 3, 4 sessions
    ]  # fmt: skip
    redelivered = envelope_of(sessions[0])  # sent twice: the inbox takes it once
    ended_at = formed_at + timedelta(days=60)
    ended = PairingEnded(
        pairing_id=pairings[0], mentee_id=formed[0].mentee_id, mentor_id=formed[0].mentor_id, cohort_id=cohort_id,
        ended_by=EndedBy.mentee, ended_at=ended_at,
    )  # fmt: skip
    completed = [
        PairingCompleted(
            pairing_id=f.pairing_id, mentee_id=f.mentee_id, mentor_id=f.mentor_id, cohort_id=cohort_id,
            reason=CompletedBecause.programme_ended, completed_at=formed_at + timedelta(days=120),
        )
        for f in formed[1:]
    ]  # fmt: skip
    surveys = [
        SurveyAnswered(
            participant_id=f.mentee_id, cohort_id=cohort_id, survey=kind, confidence=score, satisfaction=satisfaction,
            answered_at=at,
        )
        for f in formed
        for kind, score, satisfaction, at in (
            (SurveyKind.pre, 2, None, formed_at), (SurveyKind.post, 4, 5, formed_at + timedelta(days=121)),
        )
    ]  # fmt: skip
    stale = SurveyAnswered(
        participant_id=formed[0].mentee_id, cohort_id=cohort_id, survey=SurveyKind.post, confidence=1, satisfaction=1,
        answered_at=formed_at + timedelta(days=100),
    )  # an older answer arriving late changes nothing  # fmt: skip
    assessments = [
        FinalAssessmentGiven(
            pairing_id=f.pairing_id, cohort_id=cohort_id, participant_id=f.mentee_id, items_rated=4, items_met=3,
            given_at=formed_at + timedelta(days=121),
        )
        for f in formed
    ]  # fmt: skip
    await world.send(redelivered, *sessions[1:], redelivered, ended, *completed, *surveys, *assessments)
    await world.send(stale)
    assert world.consumer.status.duplicates == 1

    report = await world.report(cohort)
    whole = {measure: value for (measure, dimension, _), (_, value) in report.items() if dimension == "cohort"}
    assert (whole["registered"], whole["accepted"], whole["refused"]) == (14, 12, 2)
    assert (whole["refused_by_entity"], whole["refused_by_appointment_type"]) == (2, 1)
    assert (whole["paired"], whole["pairings"]) == (10, 5)
    assert whole["time_to_pairing_days_median"] == pytest.approx(3.0, abs=0.01)
    assert (whole["sessions_per_pairing_mean"], whole["sessions_per_pairing_median"]) == (2.0, 2.0)  # the redelivery counted once
    assert (whole["pairings_completed"], whole["pairings_ended_early"], whole["pairings_open"]) == (4, 1, 0)
    assert whole["pairings_ended_early_mentee_ended"] == 1
    assert (whole["pre_survey_confidence_mean"], whole["post_survey_confidence_mean"]) == (2.0, 4.0)
    assert (whole["survey_confidence_change_mean"], whole["post_survey_satisfaction_mean"]) == (2.0, 5.0)
    assert (whole["goals_met_share"], whole["final_assessments"]) == (0.75, 5)

    # The breakdown: DESA's five and OCHA's five are shown; UNEP's two accepted and UNICEF's two refused are
    # folded into `other`, which at four is hidden too.
    assert report["registered", "entity", "DESA"] == (5, 5) and report["registered", "entity", "OCHA"] == (5, 5)
    assert not {key for key in report if key[0] == "registered" and key[1] == "entity"} - {
        ("registered", "entity", "DESA"), ("registered", "entity", "OCHA")
    }  # fmt: skip
    assert report["pairings", "entity", "DESA"] == (5, 5)
    assert report["registered", "gender", "female"] == (12, 12) and report["accepted", "gender", "female"] == (12, 10)
    assert ("registered", "gender", "male") not in report and ("registered", "gender", "other") not in report
    assert not [key for key, (people, _) in report.items() if key[1] != "cohort" and people < 5]

    answer = await world.http.get(f"/cohorts/{cohort}/outcomes.csv", headers=world.team)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert {"measure": "goals_met_share", "dimension": "entity", "group": "DESA", "people": "5", "value": "0.75"} in rows
    assert len(rows) == len(report)
    assert {"measure": "registered", "dimension": "cohort", "group": "all", "people": "14", "value": "14"} in rows
    assert few  # registered, counted in the cohort and in `other` only

    # The read model is the topics': a rebuild from them equals what the live consumer built.
    fresh = await create_database("outcomes_rebuilt")
    rebuilt = await rebuild("registration", fresh, bootstrap=world.stack.kafka_bootstrap, prefix=world.namespace)
    assert (rebuilt.records, rebuilt.handled) == (37, 36)  # every event once, the redelivered copy skipped
    comparison = await compare("registration", fresh, world.database)
    assert comparison.equal, comparison.lines()


async def test_only_the_programmes_team_reads_its_cohorts_outcomes(world: Outcomes):
    programme = await world.programme("mentoring")
    cohort = await world.cohort(programme)
    await world.register(cohort, "amina")
    others = [
        world.person("amina"),
        world.signer.headers(f"other-team-{world.run}", "programme_team", programmes=[str(uuid.uuid4())]),
        world.signer.headers(f"svc-{world.run}", "service", scopes=["registration:data-keys"]),
    ]
    for headers in others:
        for path in ("outcomes", "outcomes.csv"):
            answer = await world.http.get(f"/cohorts/{cohort}/{path}", headers=headers)
            assert answer.status_code == 403, answer.text
    own_team = world.signer.headers(f"team-{world.run}", "programme_team", programmes=[programme])
    assert (await world.report(cohort, own_team))["registered", "cohort", "all"] == (1, 1)
    assert (await world.http.get(f"/cohorts/{uuid.uuid4()}/outcomes", headers=world.team)).status_code == 404
    assert (await world.http.get(f"/cohorts/{cohort}/outcomes")).status_code == 401
