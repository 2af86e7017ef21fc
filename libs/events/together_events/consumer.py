"""Idempotent consumers with a dead-letter path.

One consumer group per service. For each record:
1. parse the envelope and the typed event; a record that cannot be parsed goes
   to `<topic>.dlq` with the reason in its headers;
2. in ONE database transaction: insert (consumer, event id) into the inbox and
   run the handler; if the inbox row already existed, the event was handled
   before and nothing happens;
3. transient failures (database or network) retry with backoff, without end:
   skipping would lose the event. Any other handler failure dead-letters it;
4. offsets are committed after the records were handled, so a crash replays
   them and the inbox absorbs the replay.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

import sqlalchemy as sa
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from together_events.context import caused_by
from together_events.envelope import Envelope, MalformedEvent
from together_events.registry import Event, decode
from together_events.tables import inbox_table
from together_events.topics import dead_letter_topic

log = structlog.get_logger(__name__)

Handler = Callable[[AsyncConnection, Event, Envelope], Awaitable[None]]

_TRANSIENT_SQLSTATES = {"40001", "40P01", "55P03", "57P01", "57P03"}


class TransientError(Exception):
    """Raise from a handler to have the event retried later instead of dead-lettered."""


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, TransientError | OSError | asyncio.TimeoutError | ConnectionError):
        return True
    if isinstance(exc, sa.exc.DBAPIError):
        if exc.connection_invalidated or isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError):
            return True
        sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(getattr(exc.orig, "__cause__", None), "sqlstate", None)
        return sqlstate in _TRANSIENT_SQLSTATES
    return False


class EventConsumer:
    def __init__(
        self,
        *,
        name: str,
        engine: AsyncEngine,
        group_id: str | None = None,
        bootstrap_servers: str,
        handlers: Mapping[type[Event], Handler],
        dead_letters: AIOKafkaProducer,
        now: Callable[[], datetime],
        max_backoff: float = 30.0,
    ) -> None:
        self.name = name  # the inbox key: stable, so a replay under a new group has no second effect
        self.group_id = group_id or name
        self._engine = engine
        self._bootstrap = bootstrap_servers
        self._handlers = {model.event_type(): handler for model, handler in handlers.items()}
        self.topics = sorted({model.topic() for model in handlers})
        self._dead_letters = dead_letters
        self._max_backoff = max_backoff
        self._now = now
        self._consumer: AIOKafkaConsumer | None = None
        self.ready = asyncio.Event()

    async def run(self) -> None:
        self._consumer = AIOKafkaConsumer(
            *self.topics,
            bootstrap_servers=self._bootstrap,
            group_id=self.group_id,
            client_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await self._consumer.start()
        self.ready.set()
        try:
            while True:
                batches = await self._consumer.getmany(timeout_ms=500, max_records=500)
                for partition, records in batches.items():
                    for record in records:
                        await self.process(record)
                    await self._consumer.commit({partition: records[-1].offset + 1})
        finally:
            self.ready.clear()  # /readyz says so while the supervisor restarts us
            await self._consumer.stop()

    async def process(self, record: ConsumerRecord) -> None:
        try:
            envelope = Envelope.from_json_bytes(record.value)
            if record.key is not None and record.key.decode(errors="replace") != envelope.subject:
                raise MalformedEvent("record key does not match the event's subject")
            handler = self._handlers.get(envelope.type)
            if handler is None:
                return  # an event this consumer does not need: not an error
            event = decode(envelope)
        except MalformedEvent as exc:
            await self._dead_letter(record, f"malformed: {exc}")
            return
        await self._handle(record, envelope, event, handler)

    async def _handle(self, record: ConsumerRecord, envelope: Envelope, event: Event, handler: Handler) -> None:
        backoff = 0.1
        while True:
            try:
                with caused_by(envelope.correlationid, envelope.id):
                    async with self._engine.begin() as conn:
                        first_time = (
                            await conn.execute(
                                insert(inbox_table)
                                .values(
                                    consumer=self.name,
                                    event_id=envelope.id,
                                    event_type=envelope.type,
                                )
                                .on_conflict_do_nothing()
                                .returning(inbox_table.c.event_id)
                            )
                        ).first()
                        if first_time is None:
                            log.info(
                                "event.duplicate_ignored",
                                consumer=self.name,
                                event_id=envelope.id,
                            )
                            return
                        await handler(conn, event, envelope)
                    log.info(
                        "event.handled",
                        consumer=self.name,
                        event_type=envelope.type,
                        event_id=envelope.id,
                    )
                    return
            except Exception as exc:
                if not is_transient(exc):
                    log.exception("event.handler_failed", consumer=self.name, event_id=envelope.id)
                    await self._dead_letter(record, f"handler failed: {exc!r}")
                    return
                log.warning(
                    "event.retrying",
                    consumer=self.name,
                    event_id=envelope.id,
                    error=repr(exc),
                    retry_in=backoff,
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)

    async def _dead_letter(self, record: ConsumerRecord, reason: str) -> None:
        headers = list(record.headers or ()) + [
            ("dlq_reason", reason[:2000].encode()),
            ("dlq_source_topic", record.topic.encode()),
            ("dlq_source_partition", str(record.partition).encode()),
            ("dlq_source_offset", str(record.offset).encode()),
            ("dlq_consumer", self.name.encode()),
            ("dlq_failed_at", self._now().isoformat().encode()),
        ]
        await self._dead_letters.send_and_wait(
            dead_letter_topic(record.topic),
            value=record.value,
            key=record.key,
            headers=headers,
        )
        log.warning(
            "event.dead_lettered",
            consumer=self.name,
            topic=record.topic,
            offset=record.offset,
            reason=reason,
        )
