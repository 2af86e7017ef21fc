"""What the backbone tests share: a test-only event on a topic of this run, the tables of
its database (the backbone's and an `effects` table), and helpers to write events, run a
consumer and drain a relay. Their fixtures are in tests/integration/backbone/conftest.py."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tests.kafka_tools import read_topic
from tests.stack import Stack
from together_events import Envelope, Event, EventConsumer, OutboxRelay
from together_events.outbox import record_event
from together_events.registry import register
from together_events.tables import define_backbone_tables

RUN = uuid.uuid4().hex[:8]


@register
class ThingHappened(Event):
    """A test-only event on a topic of its own for this run."""

    service: ClassVar[str] = f"conformance{RUN}"
    aggregate: ClassVar[str] = "thing"
    thing_id: str
    n: int


TOPIC = ThingHappened.topic()
metadata = sa.MetaData()
define_backbone_tables(metadata)
effects = sa.Table(
    "effects",
    metadata,
    sa.Column("thing_id", sa.Text, primary_key=True),
    sa.Column("times", sa.Integer, nullable=False),
    sa.Column("last_n", sa.Integer, nullable=False),
)


def now() -> datetime:
    return datetime.now(UTC)


async def write_events(engine: AsyncEngine, thing_id: str, count: int) -> list[Envelope]:
    written = []
    for n in range(1, count + 1):
        async with engine.begin() as conn:
            written.append(await record_event(conn, ThingHappened(thing_id=thing_id, n=n), source="/test", time=now()))
    return written


async def count_effect(conn: AsyncConnection, event: ThingHappened, _: Envelope) -> None:
    await conn.execute(
        sa.dialects.postgresql.insert(effects)
        .values(thing_id=event.thing_id, times=1, last_n=event.n)
        .on_conflict_do_update(index_elements=["thing_id"], set_={"times": effects.c.times + 1, "last_n": event.n})
    )


@contextlib.asynccontextmanager
async def running(consumer: EventConsumer) -> AsyncIterator[EventConsumer]:
    task = asyncio.create_task(consumer.run())
    try:
        yield consumer
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def records_of(stack: Stack, thing_id: str) -> list:
    return [r for r in await read_topic(stack.kafka_bootstrap, TOPIC) if r.key == thing_id.encode()]


async def drain(relay: OutboxRelay) -> None:
    while await relay.publish_pending():
        pass
