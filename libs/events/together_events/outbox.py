"""Transactional outbox: write events with the state change, publish them afterwards.

`record_event` runs inside the caller's transaction. `OutboxRelay` publishes
committed rows in `position` order with an idempotent producer (acks=all) and
marks them sent. A crash after commit and before publish leaves the row
unpublished, so the next relay publishes it; a crash after publish and before
the mark publishes it again with the same event id, which consumers drop.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
import zlib
from datetime import datetime

import asyncpg
import sqlalchemy as sa
import structlog
from aiokafka import AIOKafkaProducer
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from together_events.connection import KafkaSecurity, kafka_options
from together_events.context import current_causation
from together_events.envelope import Envelope
from together_events.registry import Event
from together_events.tables import aggregate_sequence_table, outbox_table
from together_events.tracing import PublishSpans, created

log = structlog.get_logger(__name__)

NOTIFY_CHANNEL = "together_outbox"


async def record_event(conn: AsyncConnection, event: Event, *, source: str, time: datetime) -> Envelope:
    """Add `event` to the outbox in the caller's transaction and return its envelope."""
    aggregate_id = event.aggregate_id()
    bump = (
        insert(aggregate_sequence_table)
        .values(aggregate_id=aggregate_id, last_sequence=1)
        .on_conflict_do_update(
            index_elements=["aggregate_id"],
            set_={"last_sequence": aggregate_sequence_table.c.last_sequence + 1},
        )
        .returning(aggregate_sequence_table.c.last_sequence)
    )
    sequence = (await conn.execute(bump)).scalar_one()
    causation = current_causation()
    event_id = str(uuid.uuid4())
    envelope = Envelope(
        id=event_id,
        source=source,
        type=event.event_type(),
        subject=aggregate_id,
        time=time,
        aggregatetype=event.aggregate,
        sequence=sequence,
        correlationid=causation.correlation_id,
        causationid=causation.causation_id,
        data=event.model_dump(mode="json"),
        **created(event.topic(), event.event_type(), event_id),  # the trace context travels with the event
    )
    await conn.execute(
        outbox_table.insert().values(
            event_id=envelope.id,
            topic=event.topic(),
            aggregate_type=event.aggregate,
            aggregate_id=aggregate_id,
            sequence=sequence,
            event_type=envelope.type,
            envelope=envelope.document(),
            # The insert's moment, not now() (the transaction's start): the row's age then counts from when it was
            # written, so the relay's pickup (published_at - created_at) is not charged for the caller's own statements.
            created_at=sa.func.clock_timestamp(),
        )
    )
    # Delivered at commit only, so the relay wakes exactly when there is work.
    await conn.execute(sa.select(sa.func.pg_notify(NOTIFY_CHANNEL, "")))
    return envelope


def build_producer(bootstrap_servers: str, client_id: str, security: KafkaSecurity | None = None) -> AIOKafkaProducer:
    # Idempotence forces acks=all and keeps per-partition order across retries.
    return AIOKafkaProducer(
        **kafka_options(bootstrap_servers, security),
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=2,
    )


class OutboxRelay:
    """Publishes committed outbox rows in order; one active relay per database.

    Several relay processes may run (e.g. several API replicas): a transaction
    advisory lock lets one publish at a time, so one aggregate's events are
    never published out of order by two relays racing.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        producer: AIOKafkaProducer,
        *,
        name: str,
        batch_size: int = 500,
        poll_interval: float = 1.0,
    ) -> None:
        self._engine = engine
        self._producer = producer
        self._lock_key = zlib.crc32(f"outbox-relay:{name}".encode())
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._wakeup = asyncio.Event()

    async def publish_pending(self, conn: AsyncConnection | None = None) -> int:
        """Publish one batch of unpublished events; return how many were published.

        `conn`, if given, is a connection the caller holds across batches (the relay's loop does): no pool checkout
        and pre-ping per batch, which on a busy event loop cost more than the batch's own statements."""
        if conn is None:
            async with self._engine.connect() as own:
                return await self.publish_pending(own)
        async with conn.begin():
            # The lock and the read in one round trip: without the lock the CTE yields no row, so no outbox row either.
            lock = sa.select(sa.func.pg_try_advisory_xact_lock(self._lock_key).label("held")).cte("relay_lock")
            rows = (
                await conn.execute(
                    sa.select(outbox_table.c.position, outbox_table.c.topic, outbox_table.c.envelope)
                    .join(lock, lock.c.held)
                    .where(outbox_table.c.published_at.is_(None))
                    .order_by(outbox_table.c.position)
                    .limit(self._batch_size)
                )
            ).all()
            if not rows:
                return 0
            # send() only queues each record (in order, per partition) and returns its delivery future: the batch goes
            # out in the producer's few requests and the acks are awaited together, before the rows are marked.
            deliveries = []
            spans = PublishSpans()
            for row in rows:
                envelope = Envelope.model_validate(row.envelope)
                spans.start(row.topic, envelope)
                deliveries.append(
                    await self._producer.send(
                        row.topic,
                        value=envelope.to_json_bytes(),
                        key=envelope.subject.encode(),
                        headers=envelope.kafka_headers(),
                    )
                )
            await spans.delivered(asyncio.gather(*deliveries))
            await conn.execute(
                outbox_table.update()
                .where(outbox_table.c.position.in_([row.position for row in rows]))
                .values(published_at=sa.func.now())
            )
        log.debug("outbox.published", count=len(rows))
        return len(rows)

    async def run(self) -> None:
        """Publish until cancelled: on each commit notification, and every poll interval."""
        listener = await self._listen()
        conn: AsyncConnection | None = None
        backoff = 0.1
        try:
            while True:
                # Clear before publishing: a commit landing during the batch must wake the next round.
                self._wakeup.clear()
                try:
                    if conn is None:
                        conn = await self._engine.connect()
                    while await self.publish_pending(conn) == self._batch_size:
                        pass
                    backoff = 0.1
                except Exception as exc:  # database or broker down: the rows stay, try again later
                    log.warning("outbox.publish_failed", error=repr(exc), retry_in=backoff)
                    await _discard(conn)  # a fresh connection next round: this one may be broken
                    conn = None
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 10.0)
                    continue
                # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a cancellation that lands as the
                # event is set, and the relay would then never stop.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._poll_interval):
                        await self._wakeup.wait()
        finally:
            await _discard(conn)
            if listener is not None:
                await listener.close()

    async def _listen(self) -> asyncpg.Connection | None:
        """A dedicated connection that LISTENs for commits; polling covers its absence."""
        url = self._engine.url.set(drivername="postgresql")
        try:
            connection = await asyncpg.connect(url.render_as_string(hide_password=False))
            await connection.add_listener(NOTIFY_CHANNEL, lambda *_: self._wakeup.set())
            return connection
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("outbox.listen_unavailable", error=repr(exc))
            return None


async def _discard(conn: AsyncConnection | None) -> None:
    """Close `conn` (returning it to the pool, or dropping it if broken), whatever state it is in."""
    if conn is not None:
        with contextlib.suppress(Exception):
            await conn.close()
