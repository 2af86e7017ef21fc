"""The event backbone's guarantees, on the real broker and database.

Invariants asserted: no event lost, none handled twice, one aggregate's events
in order, bad records dead-lettered with a reason while the rest flow on.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.backbone import RUN, TOPIC, ThingHappened, count_effect, drain, effects, now, records_of, running, write_events
from tests.kafka_tools import group_caught_up, header, read_topic, wait_until
from together_events import Envelope, EventConsumer, OutboxRelay, RetryPolicy, TransientError, build_producer, dead_letter_topic
from together_events.tables import inbox_table, outbox_table

pytestmark = pytest.mark.integration


async def test_an_event_committed_before_a_crash_is_published_once(stack, topics, engine, producer):
    thing = f"crash-before-publish-{uuid.uuid4()}"
    [envelope] = await write_events(engine, thing, 1)  # committed; no relay ran: the process "died" here
    assert await records_of(stack, thing) == []

    await drain(OutboxRelay(engine, producer, name="after-restart"))
    await drain(OutboxRelay(engine, producer, name="after-restart"))  # a second pass finds nothing to do

    records = await records_of(stack, thing)
    assert [header(r, "ce_id") for r in records] == [envelope.id]
    assert Envelope.from_json_bytes(records[0].value) == envelope
    async with engine.connect() as conn:
        unpublished = await conn.scalar(sa.select(sa.func.count()).where(outbox_table.c.published_at.is_(None)))
    assert unpublished == 0


async def test_a_restart_mid_way_does_not_reorder_an_aggregates_events(stack, topics, engine, producer):
    thing = f"restart-{uuid.uuid4()}"
    await write_events(engine, thing, 25)
    first = OutboxRelay(engine, producer, name="r", batch_size=10)
    assert await first.publish_pending() == 10  # then the relay "crashes"
    await drain(OutboxRelay(engine, producer, name="r", batch_size=7))

    sequences = [int(header(r, "ce_sequence")) for r in await records_of(stack, thing)]
    assert sequences == list(range(1, 26))


async def test_two_relays_at_once_publish_everything_once_and_in_order(stack, topics, engine, producer):
    things = [f"two-relays-{i}-{uuid.uuid4()}" for i in range(4)]

    async def writer(thing: str) -> None:
        await write_events(engine, thing, 30)

    other_producer = build_producer(stack.kafka_bootstrap, client_id=f"test-{RUN}-2")
    await other_producer.start()
    try:
        relays = [
            OutboxRelay(engine, producer, name="pair", batch_size=5),
            OutboxRelay(engine, other_producer, name="pair", batch_size=5),
        ]
        relay_tasks = [asyncio.create_task(relay.run()) for relay in relays]
        await asyncio.gather(*(writer(t) for t in things))

        async def all_published() -> bool:
            async with engine.connect() as conn:
                return await conn.scalar(sa.select(sa.func.count()).where(outbox_table.c.published_at.is_(None))) == 0

        await wait_until(all_published, what="both relays to publish everything")
        for task in relay_tasks:
            task.cancel()
        await asyncio.gather(*relay_tasks, return_exceptions=True)
    finally:
        await other_producer.stop()

    for thing in things:
        sequences = [int(header(r, "ce_sequence")) for r in await records_of(stack, thing)]
        assert sequences == list(range(1, 31)), thing


async def test_a_duplicated_delivery_has_one_effect(stack, topics, engine, producer):
    thing = f"duplicate-{uuid.uuid4()}"
    [envelope] = await write_events(engine, thing, 1)
    relay = OutboxRelay(engine, producer, name="dup")
    await drain(relay)
    # The relay published, then "crashed" before its mark committed: it publishes again.
    async with engine.begin() as conn:
        await conn.execute(outbox_table.update().values(published_at=None))
    await drain(relay)
    assert len(await records_of(stack, thing)) == 2

    consumer = EventConsumer(
        name=f"dup-{uuid.uuid4()}", engine=engine, bootstrap_servers=stack.kafka_bootstrap,
        handlers={ThingHappened: count_effect}, dead_letters=producer, now=now,
    )  # fmt: skip
    async with running(consumer):
        await wait_until(
            lambda: group_caught_up(stack.kafka_bootstrap, consumer.name, TOPIC), what="the consumer to pass both copies"
        )
    # A replay of the whole topic under a new consumer group (same consumer, same database): no effect.
    replay = EventConsumer(
        name=consumer.name, group_id=f"replay-{uuid.uuid4()}", engine=engine, bootstrap_servers=stack.kafka_bootstrap,
        handlers={ThingHappened: count_effect}, dead_letters=producer, now=now,
    )  # fmt: skip
    async with running(replay):
        await wait_until(lambda: group_caught_up(stack.kafka_bootstrap, replay.group_id, TOPIC), what="the replay")
    async with engine.connect() as conn:
        times = await conn.scalar(sa.select(effects.c.times).where(effects.c.thing_id == thing))
        handled = await conn.scalar(sa.select(sa.func.count()).where(inbox_table.c.event_id == envelope.id))
    assert times == 1
    assert handled == 1


async def test_bad_records_go_to_the_dead_letter_topic_and_the_next_one_is_handled(stack, topics, engine, producer):
    thing = f"dlq-{uuid.uuid4()}"
    good = ThingHappened(thing_id=thing, n=7)
    valid = Envelope(
        id=str(uuid.uuid4()), source="/test", type=good.event_type(), subject=thing, time=now(), aggregatetype="thing",
        sequence=1, correlationid="c", data=good.model_dump(),
    )  # fmt: skip
    breaks_contract = valid.model_copy(update={"id": str(uuid.uuid4()), "data": {"thing_id": thing, "n": "seven"}})
    key = thing.encode()
    await producer.send_and_wait(TOPIC, value=b"\x00not json", key=key)
    await producer.send_and_wait(TOPIC, value=breaks_contract.to_json_bytes(), key=key)
    await producer.send_and_wait(TOPIC, value=valid.to_json_bytes(), key=key)

    consumer = EventConsumer(
        name=f"dlq-{uuid.uuid4()}", engine=engine, bootstrap_servers=stack.kafka_bootstrap,
        handlers={ThingHappened: count_effect}, dead_letters=producer, now=now,
    )  # fmt: skip
    async with running(consumer):

        async def handled() -> bool:
            async with engine.connect() as conn:
                return await conn.scalar(sa.select(effects.c.last_n).where(effects.c.thing_id == thing)) == 7

        await wait_until(handled, what="the valid record after two bad ones")

    dead = [r for r in await read_topic(stack.kafka_bootstrap, dead_letter_topic(TOPIC)) if r.key == key]
    assert [r.value for r in dead] == [b"\x00not json", breaks_contract.to_json_bytes()]
    reasons = [header(r, "dlq_reason") for r in dead]
    assert reasons[0].startswith("malformed: value is not JSON")
    assert "n: Input should be a valid integer" in reasons[1]
    assert all(header(r, "dlq_source_topic") == TOPIC for r in dead)
    assert all(header(r, "dlq_consumer") == consumer.name for r in dead)


async def test_transient_failures_retry_and_a_handler_bug_dead_letters(stack, topics, engine, producer):
    flaky_thing, buggy_thing = f"flaky-{uuid.uuid4()}", f"buggy-{uuid.uuid4()}"
    attempts: dict[str, int] = {}

    async def handler(conn: AsyncConnection, event: ThingHappened, envelope: Envelope) -> None:
        attempts[event.thing_id] = attempts.get(event.thing_id, 0) + 1
        if event.thing_id == flaky_thing and attempts[event.thing_id] < 3:
            raise TransientError("database briefly away")
        if event.thing_id == buggy_thing:
            raise ZeroDivisionError("a bug")
        await count_effect(conn, event, envelope)

    await write_events(engine, buggy_thing, 1)
    await write_events(engine, flaky_thing, 1)
    await drain(OutboxRelay(engine, producer, name="flaky"))
    consumer = EventConsumer(
        name=f"flaky-{uuid.uuid4()}", engine=engine, bootstrap_servers=stack.kafka_bootstrap,
        handlers={ThingHappened: handler}, dead_letters=producer, now=now, policy=RetryPolicy(max_delay=0.2),
    )  # fmt: skip
    async with running(consumer):

        async def flaky_done() -> bool:
            async with engine.connect() as conn:
                return await conn.scalar(sa.select(effects.c.times).where(effects.c.thing_id == flaky_thing)) == 1

        await wait_until(flaky_done, what="the flaky event to succeed on its third attempt")

        async def buggy_dead() -> bool:
            dead = await read_topic(stack.kafka_bootstrap, dead_letter_topic(TOPIC))
            return any(r.key == buggy_thing.encode() for r in dead)

        await wait_until(buggy_dead, what="the buggy event to be dead-lettered")
    assert (attempts[buggy_thing], attempts[flaky_thing]) == (1, 3)
    dead = [r for r in await read_topic(stack.kafka_bootstrap, dead_letter_topic(TOPIC)) if r.key == buggy_thing.encode()]
    assert "handler failed: ZeroDivisionError('a bug')" in header(dead[0], "dlq_reason")
    async with engine.connect() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).where(effects.c.thing_id == buggy_thing)) == 0
