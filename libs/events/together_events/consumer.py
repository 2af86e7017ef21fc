"""Idempotent consumers that no record can stop.

One consumer group per service. For each record:
1. parse the envelope and the typed event. A record that cannot be parsed (not JSON,
   not an event, a broken contract, a key that is not its subject, a tombstone) is
   set aside with the reason (dead_letters.py). An event type this code has never
   heard of is logged, counted per topic and type, and skipped or set aside as the
   service chooses (`unknown_types`: forward compatibility is a per-service policy);
2. in ONE database transaction: insert (consumer, event id) into the inbox and run the
   handler; if the inbox row already existed, the event was handled before and
   nothing happens;
3. a failure is retried only if `failures.transient_reason` names it (connection lost,
   deadlock, ...), with backoff. When the database does not answer at all, or a service
   the handler needs is down (`failures.DependencyDown`), that is an outage, not the
   record's fault: the consumer waits for it without spending the record's budget. Otherwise a record holds its partition for at most
   `RetryPolicy.record_budget` seconds; then, or at once for any other failure, it is
   set aside and the consumer moves on;
4. offsets are committed after the records were handled, so a crash replays them and
   the inbox absorbs the replay.

`status` holds the figures an operator needs (handled, set aside, unknown types, lag
per partition, the record being retried); `health()` turns them into readiness: a
consumer with records waiting and no progress for `RetryPolicy.stalled_after` seconds
is stalled.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypeVar, cast

import sqlalchemy as sa
import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from together_events.connection import KafkaSecurity, kafka_options
from together_events.context import caused_by
from together_events.dead_letters import DeadLetters, DeadLetterSink
from together_events.envelope import Envelope, MalformedEvent
from together_events.failures import RetryPolicy, is_outage, transient_reason
from together_events.registry import Event, decode, model_for
from together_events.tables import inbox_table
from together_events.tracing import mark_failed, processing

log = structlog.get_logger(__name__)

Handler = Callable[[AsyncConnection, Event, Envelope], Awaitable[None]]
E = TypeVar("E", bound=Event)


class Handlers(Mapping[type[Event], Handler]):
    """Which function handles each event type. `on` checks that a handler takes the event class it is
    registered for (or a wider one), which a plain dict of classes to functions cannot express."""

    def __init__(self) -> None:
        self._by_model: dict[type[Event], Handler] = {}

    def on(self, model: type[E], handler: Callable[[AsyncConnection, E, Envelope], Awaitable[None]]) -> Handlers:
        if model in self._by_model:
            raise ValueError(f"{model.__name__} already has a handler")
        self._by_model[model] = cast(Handler, handler)  # safe: the consumer passes only `model`'s events
        return self

    def replace(self, model: type[Event], handler: Handler) -> Handlers:
        """Wrap or swap the handler of a model that has one (e.g. to do more after it)."""
        if model not in self._by_model:
            raise KeyError(f"{model.__name__} has no handler to replace")
        self._by_model[model] = handler
        return self

    def __getitem__(self, model: type[Event]) -> Handler:
        return self._by_model[model]

    def __iter__(self) -> Iterator[type[Event]]:
        return iter(self._by_model)

    def __len__(self) -> int:
        return len(self._by_model)


UnknownTypes = Literal["skip", "dead_letter"]

PROBE_TIMEOUT = 3.0


@dataclass
class PartitionProgress:
    next_offset: int  # the first offset not yet handled
    end_offset: int | None = None  # the broker's high watermark, as last fetched
    waiting_since: float | None = None  # monotonic time records began to wait here
    last_progress: float = field(default_factory=time.monotonic)

    @property
    def lag(self) -> int:
        return max((self.end_offset or 0) - self.next_offset, 0)


@dataclass
class HeldRecord:
    """The record being retried: where it is, since when, and why."""

    where: str
    since: float
    attempts: int = 0
    last_error: str = ""


@dataclass
class ConsumerStatus:
    handled: Counter[tuple[str, str]] = field(default_factory=Counter)  # (topic, event type)
    duplicates: int = 0
    set_aside: Counter[tuple[str, str]] = field(default_factory=Counter)  # (topic, why): malformed, handler_failed, ...
    set_aside_where: Counter[str] = field(default_factory=Counter)  # dlq, dlq_reduced, parked
    unknown_types: Counter[tuple[str, str]] = field(default_factory=Counter)  # (topic, event type)
    retries: Counter[str] = field(default_factory=Counter)  # by transient reason
    partitions: dict[str, PartitionProgress] = field(default_factory=dict)  # "topic[partition]"
    held: HeldRecord | None = None
    waiting_for: str | None = None  # an outage the consumer is waiting out

    def figures(self) -> dict[str, Any]:
        """Plain figures for /readyz (and, later, metrics)."""
        now = time.monotonic()
        return {
            "handled": sum(self.handled.values()),
            "duplicates": self.duplicates,
            "set_aside": {f"{topic}/{why}": n for (topic, why), n in sorted(self.set_aside.items())},
            "set_aside_where": dict(self.set_aside_where),
            "unknown_types": {f"{topic}/{kind}": n for (topic, kind), n in sorted(self.unknown_types.items())},
            "retries": dict(self.retries),
            "partitions": {
                name: {"lag": p.lag, "seconds_since_progress": round(now - p.last_progress, 1)}
                for name, p in sorted(self.partitions.items())
            },
            "held": None
            if self.held is None
            else {
                "record": self.held.where,
                "seconds": round(now - self.held.since, 1),
                "attempts": self.held.attempts,
                "last_error": self.held.last_error,
            },
            "waiting_for": self.waiting_for,
        }


class EventConsumer:
    def __init__(
        self,
        *,
        name: str,
        engine: AsyncEngine,
        group_id: str | None = None,
        bootstrap_servers: str,
        handlers: Mapping[type[Event], Handler],
        dead_letters: DeadLetterSink,
        now: Callable[[], datetime],
        policy: RetryPolicy = RetryPolicy(),
        unknown_types: UnknownTypes = "skip",
        security: KafkaSecurity | None = None,  # how to log in; by default from the environment
    ) -> None:
        self.name = name  # the inbox key: stable, so a replay under a new group has no second effect
        self.group_id = group_id or name
        self._engine = engine
        self._bootstrap = bootstrap_servers
        self._security = security
        self._handlers = {model.event_type(): handler for model, handler in handlers.items()}
        self.topics = sorted({model.topic() for model in handlers})
        self._dead_letters = DeadLetters(consumer=name, producer=dead_letters, engine=engine, now=now, policy=policy)
        self._policy = policy
        self.unknown_types = unknown_types
        self._consumer: AIOKafkaConsumer | None = None
        self.ready = asyncio.Event()
        self.status = ConsumerStatus()

    async def run(self) -> None:
        self._consumer = AIOKafkaConsumer(
            *self.topics,
            **kafka_options(self._bootstrap, self._security),
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
                        self._progressed(partition, record.offset + 1)
                    await self._commit(partition, records[-1].offset + 1)
                self.note_end_offsets()
        finally:
            self.ready.clear()  # /readyz says so while the supervisor restarts us
            await self._consumer.stop()

    async def _commit(self, partition: TopicPartition, next_offset: int) -> None:
        assert self._consumer is not None
        try:
            await self._consumer.commit({partition: next_offset})
        except (CommitFailedError, IllegalStateError) as exc:
            # The group rebalanced while we handled the batch (an instance joined, left or was frozen):
            # the partition's new owner resumes from the last commit and the inbox absorbs what we did.
            # Polling again rejoins the group; crashing would only add the supervisor's pause.
            log.info("consumer.commit_after_rebalance", consumer=self.name, partition=str(partition), error=repr(exc)[:300])

    async def process(self, record: ConsumerRecord) -> None:
        try:
            envelope = Envelope.from_json_bytes(record.value)
            if record.key is not None and record.key.decode(errors="replace") != envelope.subject:
                raise MalformedEvent("record key does not match the event's subject")
            handler = self._handlers.get(envelope.type)
            if handler is None:
                if model_for(envelope.type) is None:
                    await self._unknown_type(record, envelope.type)
                return  # a known event this consumer does not need: not an error
            event = decode(envelope)
        except Exception as exc:  # whatever the bytes hold (even JSON nested too deep to parse), never a crash
            reason = str(exc) if isinstance(exc, MalformedEvent) else f"unreadable: {exc!r}"
            await self._set_aside(record, "malformed", f"malformed: {reason}")
            return
        with processing(record.topic, record.partition, record.offset, envelope, self.group_id):
            await self._handle(record, envelope, event, handler)

    def health(self) -> str:
        """For /readyz: "ok", or what an operator needs to read."""
        if not self.ready.is_set():
            return "not subscribed (starting, or restarting after a crash)"
        if self.status.waiting_for is not None:
            return f"waiting: {self.status.waiting_for}"
        now = time.monotonic()
        held = self.status.held
        if held is not None and now - held.since > self._policy.stalled_after:
            return (
                f"stalled: {held.where} held for {now - held.since:.0f}s, {held.attempts} attempts, last error: {held.last_error}"
            )
        for name, progress in self.status.partitions.items():
            if progress.lag and progress.waiting_since is not None:
                idle = now - max(progress.waiting_since, progress.last_progress)
                if idle > self._policy.stalled_after:
                    return f"stalled: {progress.lag} records waiting on {name}, none handled for {idle:.0f}s"
        return "ok"

    async def _handle(self, record: ConsumerRecord, envelope: Envelope, event: Event, handler: Handler) -> None:
        loop = asyncio.get_running_loop()
        held = self.status.held = HeldRecord(where=f"{record.topic}[{record.partition}]@{record.offset}", since=time.monotonic())
        started, outage = loop.time(), 0.0
        try:
            while True:
                try:
                    # One attempt may not outlast what is left of the budget: a handler that hangs
                    # (a lock never released, a peer that never answers) times out like any other.
                    remaining = self._policy.record_budget - (loop.time() - started - outage)
                    attempt_started = loop.time()
                    async with asyncio.timeout(max(remaining, self._policy.first_delay)):
                        await self._handle_once(envelope, event, handler)
                    self.status.handled[record.topic, envelope.type] += 1
                    return
                except Exception as exc:
                    reason = transient_reason(exc)
                    if reason is None:
                        log.exception("event.handler_failed", consumer=self.name, event_id=envelope.id)
                        await self._set_aside(record, "handler_failed", f"handler failed: {exc!r}")
                        return
                    held.attempts += 1
                    held.last_error = f"{reason}: {exc!r}"[:500]
                    self.status.retries[reason] += 1
                    if is_outage(exc):
                        # A service the handler needs is down (e.g. registration, for a data key): an
                        # outage too, waited out with backoff; the attempt and the pause are not budgeted.
                        delay = self._policy.delay(held.attempts)
                        log.warning(
                            "event.waiting_for_dependency",
                            consumer=self.name,
                            event_id=envelope.id,
                            error=repr(exc)[:300],
                            retry_in=delay,
                        )
                        await asyncio.sleep(delay)
                        outage += loop.time() - attempt_started
                        continue
                    if not await self._database_answers():
                        # An outage is not this record's fault: wait it out without spending its budget.
                        waited_from = loop.time()
                        await self._wait_for_database()
                        outage += loop.time() - waited_from
                        continue
                    if loop.time() - started - outage >= self._policy.record_budget:
                        await self._set_aside(
                            record,
                            "retries_exhausted",
                            f"transient failure outlived {self._policy.record_budget:.0f}s "
                            f"({held.attempts} attempts): {reason}: {exc!r}",
                        )
                        return
                    delay = self._policy.delay(held.attempts)
                    log.warning("event.retrying", consumer=self.name, event_id=envelope.id, reason=reason, retry_in=delay)
                    await asyncio.sleep(delay)
        finally:
            self.status.held = None

    async def _handle_once(self, envelope: Envelope, event: Event, handler: Handler) -> None:
        with caused_by(envelope.correlationid, envelope.id):
            async with self._engine.begin() as conn:
                first_time = (
                    await conn.execute(
                        insert(inbox_table)
                        .values(consumer=self.name, event_id=envelope.id, event_type=envelope.type)
                        .on_conflict_do_nothing()
                        .returning(inbox_table.c.event_id)
                    )
                ).first()
                if first_time is None:
                    self.status.duplicates += 1
                    log.info("event.duplicate_ignored", consumer=self.name, event_id=envelope.id)
                    return
                await handler(conn, event, envelope)
            log.info("event.handled", consumer=self.name, event_type=envelope.type, event_id=envelope.id)

    async def _unknown_type(self, record: ConsumerRecord, event_type: str) -> None:
        first = self.status.unknown_types[record.topic, event_type] == 0
        self.status.unknown_types[record.topic, event_type] += 1
        if self.unknown_types == "dead_letter":
            await self._set_aside(record, "unknown_type", f"unknown event type {event_type!r} (this consumer sets them aside)")
        elif first:  # a newer producer's event: worth one line per type, not one per record
            log.warning("event.unknown_type_skipped", consumer=self.name, topic=record.topic, event_type=event_type[:200])

    async def _set_aside(self, record: ConsumerRecord, why: str, reason: str) -> None:
        mark_failed(f"set aside: {why}")
        where = await self._dead_letters.put(record, reason)
        self.status.set_aside[record.topic, why] += 1
        self.status.set_aside_where[where] += 1
        log.warning(
            "event.dead_lettered", consumer=self.name, topic=record.topic, offset=record.offset, reason=reason[:500], where=where
        )

    async def _database_answers(self) -> bool:
        try:
            async with asyncio.timeout(PROBE_TIMEOUT), self._engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
            return True
        except Exception:
            return False

    async def _wait_for_database(self) -> None:
        self.status.waiting_for = "database unreachable"
        log.warning("consumer.waiting_for_database", consumer=self.name)
        attempt = 0
        try:
            while not await self._database_answers():
                attempt += 1
                await asyncio.sleep(self._policy.delay(attempt))
        finally:
            self.status.waiting_for = None
        log.info("consumer.database_back", consumer=self.name)

    def _progressed(self, partition: TopicPartition, next_offset: int) -> None:
        name = f"{partition.topic}[{partition.partition}]"
        progress = self.status.partitions.get(name)
        if progress is None:
            progress = self.status.partitions[name] = PartitionProgress(next_offset=next_offset)
        progress.next_offset = next_offset
        progress.last_progress = time.monotonic()

    def note_end_offsets(self) -> None:
        """Record the broker's end offsets, so readiness can tell waiting records from an idle topic (also called
        when metrics are scraped: the fetcher keeps learning them while a record is being handled)."""
        if self._consumer is None:
            return
        assigned = {f"{tp.topic}[{tp.partition}]": tp for tp in self._consumer.assignment()}
        for name in list(self.status.partitions):
            if name not in assigned:
                del self.status.partitions[name]  # moved to another instance by a rebalance
        now = time.monotonic()
        for name, progress in self.status.partitions.items():
            end = self._consumer.highwater(assigned[name])
            if end is None:
                continue
            progress.end_offset = end
            if progress.lag == 0:
                progress.waiting_since = None
            elif progress.waiting_since is None:
                progress.waiting_since = now
