"""A cohort's end in pairing, on the real database and broker: registration's CohortEnded completes the
active pairings and lets the open requests lapse; nothing new happens in the cohort after (409
`cohort_ended`); the same event again, redelivered or republished, changes nothing."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from pairing.consumers import handlers
from pairing.deadline_worker import deadline_worker
from pairing.tables import cohorts, followers, pairings, participants, requests, selections, timers
from tests.apps import client, service_app
from tests.http.access import deliver, envelope_of
from tests.integration.test_pairing_lifecycle import Cohort, open_cohort
from tests.kafka_tools import group_caught_up, wait_until
from together_contracts.registration import CohortEnded, ProgrammeKind, Role
from together_contracts.topics import declared_topics
from together_events import EventConsumer, build_producer
from together_events.tables import outbox_table
from together_events.topics import service_topic
from together_operator.provision import delete_topics, ensure_topics

pytestmark = pytest.mark.integration


@pytest.fixture
async def cohort(stack, create_database, signer):
    async with service_app("pairing", await create_database("cohort_end"), stack.kafka_bootstrap, signer) as (app, runtime):
        async with client(app) as http:
            yield Cohort(http, runtime, signer)


async def published(cohort: Cohort) -> list[tuple[str, dict]]:
    """Every event pairing recorded, in commit order: (event name, data)."""
    async with cohort.runtime.engine.connect() as conn:
        rows = await conn.execute(sa.select(outbox_table.c.event_type, outbox_table.c.envelope).order_by(outbox_table.c.position))
        return [(t.split(".")[2], e["data"]) for t, e in rows]


async def rows(cohort: Cohort, query: sa.Select) -> list[sa.Row]:
    async with cohort.runtime.engine.connect() as conn:
        return list(await conn.execute(query))


async def consume(stack, cohort: Cohort, *envelopes) -> None:
    """Send the records over a broker namespace of the test's own to pairing's consumer, each handled before the next."""
    namespace = f"cohortend{uuid.uuid4().hex[:8]}."
    topics = declared_topics(namespace)
    await ensure_topics(stack.kafka_bootstrap, topics)
    producer = build_producer(stack.kafka_bootstrap, client_id="test-cohort-end")
    await producer.start()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("TOGETHER_TOPIC_NAMESPACE", namespace)
            consumer = EventConsumer(
                name="pairing", group_id=f"{namespace}pairing", engine=cohort.runtime.engine,
                bootstrap_servers=stack.kafka_bootstrap, handlers=handlers(cohort.runtime), dead_letters=producer,
                now=cohort.runtime.now,
            )  # fmt: skip
        task = asyncio.create_task(consumer.run())
        try:
            for envelope in envelopes:
                await producer.send_and_wait(
                    service_topic("registration", namespace),
                    value=envelope.to_json_bytes(),
                    key=envelope.subject.encode(),
                    headers=envelope.kafka_headers(),
                )
                for name in consumer.topics:
                    await wait_until(lambda t=name: group_caught_up(stack.kafka_bootstrap, consumer.group_id, t), what=name)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    finally:
        await producer.stop()
        await delete_topics(stack.kafka_bootstrap, [t.name for t in topics])


async def test_the_cohorts_end_completes_pairings_lapses_requests_and_nothing_new_happens_after(stack, cohort: Cohort):
    await open_cohort(cohort, ProgrammeKind.mentoring)
    full, busy, spare = [await cohort.join(Role.mentor, capacity=1) for _ in range(3)]
    paired, asking, queued, follower = [await cohort.join(Role.mentee) for _ in range(4)]
    await cohort.prefer(paired, full)
    assert await cohort.answer(full, "accept") == 200
    await cohort.prefer(asking, busy, spare)  # pending at busy; spare would be the next choice
    await cohort.prefer(queued, busy)  # waits behind it
    followed = await cohort.http.put(f"/mentors/{full}/followers/{follower}", headers=cohort.as_(follower))
    assert followed.status_code == 200, followed.text
    (pairing_id,) = [r.id for r in await rows(cohort, sa.select(pairings.c.id))]
    before = len(await published(cohort))

    ended = CohortEnded(
        cohort_id=cohort.id,
        programme_id=cohort.programme,
        ends_on=date.today() - timedelta(days=1),
        ended_at=cohort.runtime.now(),
    )
    envelope = envelope_of(ended)
    await consume(stack, cohort, envelope, envelope)  # the same record twice: a redelivery the inbox absorbs

    news = (await published(cohort))[before:]
    assert [name for name, _ in news] == ["RequestLapsed", "RequestLapsed", "PairingCompleted"]
    lapsed = {data["mentee_id"]: data["was_pending"] for name, data in news if name == "RequestLapsed"}
    assert lapsed == {str(asking): True, str(queued): False}
    completed = news[-1][1]
    assert (completed["pairing_id"], completed["reason"]) == (str(pairing_id), "programme_ended")
    # No next choice (spare is never asked), no request reaches a mentor, no follower is told.
    assert {r.status for r in await rows(cohort, sa.select(requests.c.status).where(requests.c.mentor_id == spare))} == set()
    statuses = await rows(cohort, sa.select(selections.c.mentee_id, selections.c.status))
    assert {(r.mentee_id, r.status) for r in statuses} == {(paired, "paired"), (asking, "closed"), (queued, "closed")}
    assert await rows(cohort, sa.select(followers)) == []
    (row,) = await rows(cohort, sa.select(pairings).where(pairings.c.id == pairing_id))
    assert (row.status, row.ended_by, row.completed_because) == ("ended", None, "programme_ended")
    counted = await rows(cohort, sa.select(participants.c.active_pairings).where(participants.c.id == full))
    assert counted[0].active_pairings == 0
    (known,) = await rows(cohort, sa.select(cohorts.c.ended_at).where(cohorts.c.id == cohort.id))
    assert known.ended_at == ended.ended_at
    # The lapsed pending request's timers are moot at once; later the worker fires nothing but moot timers.
    lapsed_timers = await rows(
        cohort,
        sa.select(timers.c.outcome, timers.c.fired_at)
        .join(requests, requests.c.id == timers.c.request_id)
        .where(requests.c.mentee_id == asking),
    )
    assert len(lapsed_timers) == 2 and all(t.outcome == "moot" and t.fired_at is not None for t in lapsed_timers)
    cohort.runtime.clock.travel(timedelta(days=10))
    assert set(await deadline_worker(cohort.runtime).run_due()) <= {"moot"}  # the accepted request's, as ever

    shown = await cohort.http.get(f"/pairings/{pairing_id}", headers=cohort.as_(paired))
    assert shown.json()["status"] == "ended" and shown.json()["completed_because"] == "programme_ended"
    refusals = [
        await cohort.http.post(
            f"/cohorts/{cohort.id}/mentees/{follower}/preferences",
            json={"mentor_ids": [str(spare)]},
            headers=cohort.as_(follower),
        ),
        await cohort.http.post(
            f"/pairings/{pairing_id}/end", json={"message_to_partner": "thank you"}, headers=cohort.as_(paired)
        ),
        await cohort.http.put(f"/mentors/{busy}/followers/{follower}", headers=cohort.as_(follower)),
    ]
    lapsed_request = (await cohort.http.get(f"/mentees/{asking}/requests", headers=cohort.as_(asking))).json()[0]
    assert lapsed_request["status"] == "lapsed"
    refusals.append(await cohort.http.post(f"/requests/{lapsed_request['id']}/accept", headers=cohort.as_(busy)))
    for refused in refusals:
        assert refused.status_code == 409, refused.text
        assert [(d["field"], d["rule"]) for d in refused.json()["error"]["details"]] == [("cohort_id", "cohort_ended")]

    # CohortEnded published again (a new event id, which the inbox does not know): nothing more happens.
    settled = await published(cohort)
    await deliver(cohort.runtime, handlers(cohort.runtime), ended.model_copy())
    again = CohortEnded(
        cohort_id=cohort.id, programme_id=cohort.programme, ends_on=ended.ends_on, ended_at=ended.ended_at + timedelta(hours=1)
    )
    await deliver(cohort.runtime, handlers(cohort.runtime), again)
    assert await published(cohort) == settled
    (known,) = await rows(cohort, sa.select(cohorts.c.ended_at).where(cohorts.c.id == cohort.id))
    assert known.ended_at == ended.ended_at
