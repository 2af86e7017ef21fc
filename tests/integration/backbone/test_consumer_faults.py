"""No record, and no outage, stops a consumer: on the real broker and database.

Each poison record is set aside with its reason and the next record is handled; a copy
too large for the broker is reduced; a record with nowhere to go on Kafka is parked in
the database; a transient failure holds its partition for the policy's budget at most,
unless the database itself is away, which spends none of it; readiness says why.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import ClassVar

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from tests.backbone import TOPIC, ThingHappened, count_effect, effects, metadata, now, running
from tests.faults import TcpProxy, proxied_url, target_of
from tests.kafka_tools import header, read_topic, start_group_at_end, wait_until
from together_events import (
    Envelope,
    Event,
    EventConsumer,
    RetryPolicy,
    Topic,
    TransientError,
    build_producer,
    dead_letter_topic,
    kafka_options,
)
from together_events.registry import register
from together_events.tables import parked_records_table
from together_operator.provision import delete_topics, ensure_topics

pytestmark = pytest.mark.integration

QUICK = RetryPolicy(first_delay=0.05, max_delay=0.2, record_budget=2.0, attempt_timeout=2.0, stalled_after=1.0)


def envelope_of(event: ThingHappened, **changes: object) -> Envelope:
    envelope = Envelope(
        id=str(uuid.uuid4()), source="/test", type=event.event_type(), subject=event.thing_id, time=now(),
        aggregatetype="thing", sequence=1, correlationid="c", data=event.model_dump(),
    )  # fmt: skip
    return envelope.model_copy(update=changes)


async def consumer_for(stack, engine, producer, handler=count_effect, **options) -> EventConsumer:
    """A consumer of its own group that starts at the topic's current end: it sees this test's records only."""
    name = f"faults-{uuid.uuid4()}"
    await start_group_at_end(stack.kafka_bootstrap, name, TOPIC)
    return EventConsumer(
        name=name, engine=engine, bootstrap_servers=stack.kafka_bootstrap,
        handlers={ThingHappened: handler}, dead_letters=producer, now=now, **options,
    )  # fmt: skip


async def publish(producer: AIOKafkaProducer, thing: str, *numbers: int) -> None:
    for n in numbers:
        await producer.send_and_wait(
            TOPIC, value=envelope_of(ThingHappened(thing_id=thing, n=n)).to_json_bytes(), key=thing.encode()
        )


async def effect_of(engine, thing: str) -> int | None:
    async with engine.connect() as conn:
        return await conn.scalar(sa.select(effects.c.last_n).where(effects.c.thing_id == thing))


async def dead_letters_of(stack, key: bytes) -> list:
    return [r for r in await read_topic(stack.kafka_bootstrap, dead_letter_topic(TOPIC)) if r.key == key]


async def test_poison_records_of_every_kind_are_set_aside_and_the_next_is_handled(stack, topics, engine):
    thing = f"poison-{uuid.uuid4()}"
    key = thing.encode()
    valid = envelope_of(ThingHappened(thing_id=thing, n=7))
    poison = {
        "not JSON": b"\xff\xfe not json",
        "JSON, not an object": b"[1, 2, 3]",
        "JSON, not an event": json.dumps({"hello": "world"}).encode(),
        "nested too deep to parse": b"[" * 100_000 + b"]" * 100_000,
        "broken contract": envelope_of(ThingHappened(thing_id=thing, n=1), data={"thing_id": thing}).to_json_bytes(),
        "out-of-range integer": envelope_of(
            ThingHappened(thing_id=thing, n=1), data={"thing_id": thing, "n": 10**30}
        ).to_json_bytes(),
        "key not its subject": envelope_of(ThingHappened(thing_id=thing, n=1), subject="someone-else").to_json_bytes(),
        "tombstone": None,
    }
    unknown = envelope_of(ThingHappened(thing_id=thing, n=1), type="together.future.SomethingNew.v1").to_json_bytes()
    # Larger than the dead-letter topic takes (see conftest): its copy cannot be written as is.
    oversize = b'{"padding": "' + b"x" * 1_500_000 + b'"}'
    async with dead_letter_producer(stack) as producer:
        consumer = await consumer_for(stack, engine, producer, policy=QUICK)
        async with AIOKafkaProducer(**kafka_options(stack.kafka_bootstrap), max_request_size=3_000_000) as big_producer:
            for value in poison.values():
                await big_producer.send_and_wait(TOPIC, value=value, key=key)
            await big_producer.send_and_wait(TOPIC, value=oversize, key=key, headers=[("origin", b"test")])
            await big_producer.send_and_wait(TOPIC, value=unknown, key=key)
            await big_producer.send_and_wait(TOPIC, value=valid.to_json_bytes(), key=key)
        async with running(consumer):
            await wait_until(lambda: _equals(effect_of(engine, thing), 7), what="the valid record after the poison")
            assert consumer.health() == "ok"

    dead = await dead_letters_of(stack, key)
    assert len(dead) == len(poison) + 1  # every poison record and the oversize one; the unknown type is skipped
    reasons = [header(r, "dlq_reason") for r in dead]
    assert "value is not JSON" in reasons[0]
    assert "not a JSON object" in reasons[1]
    assert "not a CloudEvent" in reasons[2]
    assert "unreadable: RecursionError" in reasons[3]
    assert "n: Field required" in reasons[4]
    assert reasons[5].startswith("handler failed: ") and "out of int32 range" in reasons[5]  # the database refuses it
    assert "record key does not match" in reasons[6]
    assert "record has no value" in reasons[7] and dead[7].value is None
    reduced = dead[len(poison)]
    assert header(reduced, "dlq_reduced") == "true"
    assert header(reduced, "dlq_original_size") == str(len(oversize))
    assert header(reduced, "dlq_original_sha256") == hashlib.sha256(oversize).hexdigest()
    assert header(reduced, "origin") == "test"
    assert reduced.value == oversize[:1024]
    assert consumer.status.unknown_types == {(TOPIC, "together.future.SomethingNew.v1"): 1}
    assert sum(consumer.status.set_aside.values()) == len(poison) + 1
    assert consumer.status.set_aside_where == {"dlq": len(poison), "dlq_reduced": 1}


async def test_unknown_types_are_set_aside_when_the_service_says_so(stack, topics, engine):
    thing = f"unknown-{uuid.uuid4()}"
    unknown = envelope_of(ThingHappened(thing_id=thing, n=1), type="together.future.SomethingNew.v1")
    async with dead_letter_producer(stack) as producer:
        consumer = await consumer_for(stack, engine, producer, policy=QUICK, unknown_types="dead_letter")
        await producer.send_and_wait(TOPIC, value=unknown.to_json_bytes(), key=thing.encode())
        await publish(producer, thing, 2)
        async with running(consumer):
            await wait_until(lambda: _equals(effect_of(engine, thing), 2), what="the record after the unknown type")
    [dead] = await dead_letters_of(stack, thing.encode())
    assert header(dead, "dlq_reason") == ("unknown event type 'together.future.SomethingNew.v1' (this consumer sets them aside)")
    assert consumer.status.unknown_types == {(TOPIC, "together.future.SomethingNew.v1"): 1}


async def test_a_permanent_os_error_is_set_aside_at_once(stack, topics, engine):
    thing = f"os-error-{uuid.uuid4()}"
    attempts = 0

    async def zone_lookup_fails(conn: AsyncConnection, event: ThingHappened, envelope: Envelope) -> None:
        nonlocal attempts
        attempts += 1
        if event.n == 1:
            raise OSError(36, "File name too long")  # what ZoneInfo raises for a 300-character zone
        await count_effect(conn, event, envelope)

    async with dead_letter_producer(stack) as producer:
        consumer = await consumer_for(stack, engine, producer, zone_lookup_fails, policy=QUICK)
        await publish(producer, thing, 1, 2)
        async with running(consumer):
            await wait_until(lambda: _equals(effect_of(engine, thing), 2), what="the record after the failing one")
    assert attempts == 2  # one each: the OSError is not retried
    [dead] = await dead_letters_of(stack, thing.encode())
    assert header(dead, "dlq_reason") == "handler failed: OSError(36, 'File name too long')"


async def test_a_transient_failure_holds_its_partition_for_the_budget_only_and_readiness_says_so(stack, topics, engine):
    thing = f"budget-{uuid.uuid4()}"

    async def always_busy(conn: AsyncConnection, event: ThingHappened, envelope: Envelope) -> None:
        if event.n == 1:
            raise TransientError("lock held elsewhere")
        await count_effect(conn, event, envelope)

    async with dead_letter_producer(stack) as producer:
        consumer = await consumer_for(stack, engine, producer, always_busy, policy=QUICK)
        await publish(producer, thing, 1, 2)
        started = time.monotonic()
        async with running(consumer):
            await wait_until(lambda: _true(consumer.health().startswith("stalled:")), what="readiness to say stalled")
            assert "attempts, last error: declared transient: lock held elsewhere" in consumer.health()
            await wait_until(lambda: _equals(effect_of(engine, thing), 2), what="the record behind the held one")
            held_for = time.monotonic() - started
            assert consumer.health() == "ok"
    assert QUICK.record_budget <= held_for < QUICK.record_budget + 5
    [dead] = await dead_letters_of(stack, thing.encode())
    assert header(dead, "dlq_reason").startswith("transient failure outlived 2s (")
    assert consumer.status.retries["declared transient: lock held elsewhere"] >= 3


async def test_a_handler_that_hangs_is_timed_out_within_the_budget(stack, topics, engine):
    thing = f"hangs-{uuid.uuid4()}"

    async def hangs_on_the_first(conn: AsyncConnection, event: ThingHappened, envelope: Envelope) -> None:
        if event.n == 1:
            await conn.execute(sa.text("SELECT pg_sleep(3600)"))  # a lock wait that never ends, say
        await count_effect(conn, event, envelope)

    async with dead_letter_producer(stack) as producer:
        consumer = await consumer_for(stack, engine, producer, hangs_on_the_first, policy=QUICK)
        await publish(producer, thing, 1, 2)
        async with running(consumer):
            await wait_until(lambda: _equals(effect_of(engine, thing), 2), what="the record behind the hanging one")
    [dead] = await dead_letters_of(stack, thing.encode())
    assert header(dead, "dlq_reason").startswith("transient failure outlived 2s (1 attempts): timed out")
    async with engine.connect() as conn:  # the server stopped the query too: nothing still sleeps
        sleeping = await conn.scalar(
            sa.text("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(3600)%' AND state = 'active'")
        )
    assert sleeping == 0


async def test_a_database_outage_spends_no_budget_and_the_consumer_resumes(stack, topics, create_database):
    url = await create_database("outage")
    proxy = TcpProxy(*target_of(url))
    await proxy.start()
    engine = create_async_engine(proxied_url(url, proxy), pool_pre_ping=True)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    thing = f"outage-{uuid.uuid4()}"
    try:
        async with dead_letter_producer(stack) as producer:
            consumer = await consumer_for(stack, engine, producer, policy=QUICK)
            async with running(consumer):
                await consumer.ready.wait()
                await proxy.cut()
                await publish(producer, thing, 5)
                await wait_until(lambda: _true(consumer.health() == "waiting: database unreachable"), what="the outage")
                await asyncio.sleep(QUICK.record_budget * 2)  # longer than the record's budget
                await proxy.start()
                await wait_until(lambda: _equals(effect_of(engine, thing), 5), what="the record once the database is back")
                assert consumer.health() == "ok"
        assert await dead_letters_of(stack, thing.encode()) == []
        assert consumer.status.retries["database connection lost"] + consumer.status.retries["connection lost"] >= 1
    finally:
        await engine.dispose()
        await proxy.cut()


@register
class UnroutedThing(Event):
    """On a topic of its own that has no dead-letter topic: the last resort is the database."""

    service: ClassVar[str] = f"nodlq{uuid.uuid4().hex[:8]}"
    aggregate: ClassVar[str] = "thing"
    thing_id: str


async def test_a_record_with_nowhere_to_go_on_kafka_is_parked_in_the_database(stack, engine):
    topic = UnroutedThing.topic()
    await ensure_topics(stack.kafka_bootstrap, [Topic(topic, 1)])  # and no `.dlq` beside it
    thing = f"parked-{uuid.uuid4()}"
    try:
        async with dead_letter_producer(stack) as producer:
            await producer.send_and_wait(topic, value=b"not json", key=thing.encode(), headers=[("origin", b"test")])
            consumer = EventConsumer(
                name=f"parked-{uuid.uuid4()}", engine=engine, bootstrap_servers=stack.kafka_bootstrap,
                handlers={UnroutedThing: count_effect}, dead_letters=producer, now=now, policy=QUICK,
            )  # fmt: skip

            async def parked() -> list:
                async with engine.connect() as conn:
                    return (await conn.execute(sa.select(parked_records_table))).all()

            async with running(consumer):
                await wait_until(lambda: _true_async(parked()), what="the record to be parked")
        [row] = await parked()
        assert (row.topic, row.partition, row.offset, row.key, row.value) == (topic, 0, 0, thing.encode(), b"not json")
        assert row.headers == [["origin", "dGVzdA=="]]
        assert row.reason.startswith("malformed: value is not JSON")
        assert consumer.status.set_aside_where == {"parked": 1}
    finally:
        await delete_topics(stack.kafka_bootstrap, [topic])


@contextlib.asynccontextmanager
async def dead_letter_producer(stack) -> AsyncIterator[AIOKafkaProducer]:
    """A producer for the test to publish with and the consumer to dead-letter with."""
    producer = build_producer(stack.kafka_bootstrap, client_id=f"faults-{uuid.uuid4().hex[:6]}")
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


async def _equals(value, expected) -> bool:
    return await value == expected


async def _true(value: bool) -> bool:
    return value


async def _true_async(value) -> bool:
    return bool(await value)
