"""Reading topics for an operator: a window of offsets or times, then cheap filters.

The consumer has no group (assign + seek): an operator's read leaves no offsets
behind and never joins a service's group. End offsets are captured when the
read starts, so it terminates while services keep publishing.

Timestamps need not grow with offsets (several producers, mirrored records), so a
time window is bounded by offsets only where that is exact: the start by the broker's
time lookup, the end by the end offsets; each record is then kept by its timestamp.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncGenerator, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

import together_contracts  # noqa: F401 - registers every contract, for --type names
from together_contracts.topics import SERVICES
from together_events.connection import kafka_options
from together_events.registry import registered_types
from together_events.topics import service_topic

# Shared with bench/replay.py's raw consumer, so the benchmark compares like with like.
CONSUMER_SETTINGS = {
    "enable_auto_commit": False,
    "auto_offset_reset": "earliest",  # a --from-offset below the log start begins at the log start
    "max_partition_fetch_bytes": 8 * 1024 * 1024,  # large fetches: an operator reads whole histories
    "fetch_max_bytes": 64 * 1024 * 1024,
}
NO_LIMIT = 2**63 - 1
NO_START = -(2**63)  # without --from-time, even a record without timestamp (-1) is in the window


def project_topics(prefix: str | None = None) -> list[str]:
    """The services' topics (no dead-letter topics), under the namespace `prefix` (default: the environment's)."""
    return [service_topic(service, prefix) for service in SERVICES]


def topic_names(requested: Iterable[str], prefix: str | None = None) -> list[str]:
    """Topic names as given, where a bare service name (`pairing`) means that service's topic."""
    names = [service_topic(t, prefix) if t in SERVICES else t for t in requested]
    return names or project_topics(prefix)


@dataclass(frozen=True)
class Window:
    """Which part of each partition to read: [start, end) by offset and/or by Kafka record timestamp.

    Offsets apply to every partition read. Times select by the record's Kafka timestamp, i.e.
    when the outbox relay published it, which is close to (but not) the event's `time`: exactly
    the records with from_time <= timestamp < to_time, whatever their order in the partition.
    """

    from_offset: int | None = None
    to_offset: int | None = None
    from_time: datetime | None = None
    to_time: datetime | None = None

    def timestamp_range(self) -> tuple[int, int]:
        return (
            _epoch_ms(self.from_time) if self.from_time else NO_START,
            _epoch_ms(self.to_time) if self.to_time else NO_LIMIT,
        )


EVERYTHING = Window()


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch, rounded up: a record's timestamp is >= this exactly when it is not before `moment`.

    Integer arithmetic: `moment.timestamp() * 1000` is a float and can land one millisecond low.
    """
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # a time without offset is UTC
    return -((_EPOCH - moment) // timedelta(milliseconds=1))


@dataclass
class Progress:
    """Counts kept while reading, for reports and the benchmark."""

    read: int = 0
    selected: int = 0


class OperatorError(Exception):
    """A command cannot run as asked; the message says why."""


class UnknownTopic(OperatorError, LookupError):
    pass


class UnknownType(OperatorError, ValueError):
    pass


async def _partitions(
    consumer: AIOKafkaConsumer, topics: Iterable[str], partitions: Iterable[int] | None
) -> list[TopicPartition]:
    # A consumer without a group learns partitions only once assigned; ask for the cluster's metadata
    # (aiokafka has no public call for it: `topics()` returns names only).
    cluster = await consumer._client.fetch_all_metadata()
    wanted = None if partitions is None else set(partitions)
    result: list[TopicPartition] = []
    for topic in topics:
        found = cluster.partitions_for_topic(topic)
        if found is None:
            raise UnknownTopic(f"topic {topic!r} does not exist on the broker")
        result.extend(TopicPartition(topic, p) for p in sorted(found) if wanted is None or p in wanted)
    return result


async def _bounds(consumer: AIOKafkaConsumer, tps: list[TopicPartition], window: Window) -> dict[TopicPartition, tuple[int, int]]:
    """[start, end) offsets per partition, end no later than the end at this moment.

    Times bound offsets only where that is exact for any order of timestamps; read_batches
    then keeps each record by its own timestamp.
    """
    first = await consumer.beginning_offsets(tps)
    last = await consumer.end_offsets(tps)
    bounds = {}
    for tp in tps:
        start, end = first[tp], last[tp]
        if window.from_offset is not None:
            start = max(start, window.from_offset)
        if window.to_offset is not None:
            end = min(end, window.to_offset)
        bounds[tp] = (start, end)
    if window.from_time is not None:
        # The broker answers with the *earliest* offset whose timestamp is >= from_time (it searches by
        # running maximum timestamps), so every offset before it is before the window, in any order.
        found = await consumer.offsets_for_times({tp: _epoch_ms(window.from_time) for tp in tps})
        for tp, hit in found.items():  # None: no record at or after that time
            start, end = bounds[tp]
            bounds[tp] = (max(start, hit.offset if hit else end), end)
    # No such bound for to_time: a back-dated record can follow any offset, so the read goes on
    # to the end offsets above.
    return bounds


async def read_batches(
    bootstrap: str,
    topics: Iterable[str],
    window: Window = EVERYTHING,
    *,
    partitions: Iterable[int] | None = None,
    progress: Progress | None = None,
) -> AsyncGenerator[list[ConsumerRecord]]:
    """Every record in `window`, a fetched batch at a time, each partition in offset order."""
    consumer = AIOKafkaConsumer(
        **kafka_options(bootstrap), group_id=None, client_id="together-events-operator", **CONSUMER_SETTINGS
    )
    await consumer.start()
    try:
        tps = await _partitions(consumer, topics, partitions)
        bounds = await _bounds(consumer, tps, window) if tps else {}
        remaining = {tp: end for tp, (start, end) in bounds.items() if start < end}  # partition -> its end offset
        if not remaining:
            return
        consumer.assign(list(remaining))
        for tp in remaining:
            consumer.seek(tp, bounds[tp][0])
        from_ms, to_ms = window.timestamp_range()
        by_time = window.from_time is not None or window.to_time is not None

        def finished(tp: TopicPartition) -> None:
            del remaining[tp]
            consumer.pause(tp)  # stop fetching past the end

        while remaining:
            fetched = await consumer.getmany(timeout_ms=1000, max_records=20_000)
            if not fetched:  # offsets can skip (e.g. transaction markers): look where each partition stands
                for tp, partition_end in list(remaining.items()):
                    if await consumer.position(tp) >= partition_end:
                        finished(tp)
                continue
            for tp, records in fetched.items():
                end = remaining.get(tp)
                if end is None:
                    continue
                if records[-1].offset + 1 >= end:
                    finished(tp)
                    if records[-1].offset >= end:
                        records = [r for r in records if r.offset < end]
                if by_time:  # the offsets only bound the window; this makes it exact
                    records = [r for r in records if from_ms <= r.timestamp < to_ms]
                if progress is not None:
                    progress.read += len(records)
                if records:
                    yield records
    finally:
        await consumer.stop()


# --- filters ----------------------------------------------------------------------------


def resolve_types(names: Iterable[str]) -> frozenset[str]:
    """Full type strings for `--type` values: a full type, `RequestSent` (every version) or `RequestSent.v1`.

    A full `together.` type is taken as is, even if no contract knows it (a retired version);
    a short name must name a contract.
    """
    known = registered_types()
    resolved: set[str] = set()
    for name in names:
        if name.startswith("together.") or name in known:
            resolved.add(name)
            continue
        matches = {t for t, model in known.items() if name in (model.__name__, f"{model.__name__}.v{model.version}")}
        if not matches:
            raise UnknownType(
                f"unknown event type {name!r}: give a full type (together.<service>.<Name>.v<n>) or a contract's name"
            )
        resolved |= matches
    return frozenset(resolved)


@dataclass(frozen=True)
class Selection:
    """Keep records of these types and subjects (empty: any). Reads the `ce_*` headers, not the value."""

    types: frozenset[str] = frozenset()
    subjects: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.types or self.subjects)

    def keep(self, records: list[ConsumerRecord]) -> list[ConsumerRecord]:
        types = frozenset(t.encode() for t in self.types)
        subjects = frozenset(s.encode() for s in self.subjects)
        kept = []
        for record in records:
            headers = dict(record.headers)
            event_type, subject = headers.get("ce_type"), headers.get("ce_subject")
            if event_type is None or subject is None:  # not from an outbox: ask the value, then the key
                event_type, subject = _type_and_subject(record)
            if types and event_type not in types:
                continue
            if subjects and subject not in subjects:
                continue
            kept.append(record)
        return kept


def _type_and_subject(record: ConsumerRecord) -> tuple[bytes | None, bytes | None]:
    with contextlib.suppress(ValueError, TypeError, AttributeError):
        document = json.loads(record.value)
        return str(document.get("type")).encode(), str(document.get("subject")).encode()
    return None, record.key  # the key is the subject, by the binding


async def replay_batches(
    bootstrap: str,
    topics: Iterable[str],
    window: Window = EVERYTHING,
    selection: Selection = Selection(),
    *,
    partitions: Iterable[int] | None = None,
    progress: Progress | None = None,
) -> AsyncGenerator[list[ConsumerRecord]]:
    """The records in `window` that `selection` keeps, a batch at a time (the fast path)."""
    progress = progress if progress is not None else Progress()
    async with contextlib.aclosing(read_batches(bootstrap, topics, window, partitions=partitions, progress=progress)) as batches:
        async for batch in batches:
            kept = selection.keep(batch) if selection else batch
            progress.selected += len(kept)
            if kept:
                yield kept


async def replay(
    bootstrap: str,
    topics: Iterable[str],
    window: Window = EVERYTHING,
    selection: Selection = Selection(),
    *,
    partitions: Iterable[int] | None = None,
) -> AsyncGenerator[ConsumerRecord]:
    """The records in `window` that `selection` keeps, one at a time."""
    async with contextlib.aclosing(replay_batches(bootstrap, topics, window, selection, partitions=partitions)) as batches:
        async for batch in batches:
            for record in batch:
                yield record


def header(record: ConsumerRecord, name: str) -> str | None:
    headers: Sequence[tuple[str, bytes]] = record.headers or ()
    for key, value in headers:
        if key == name:
            return value.decode(errors="replace")
    return None
