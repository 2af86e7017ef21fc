"""Rebuilding a service's read model from the topics, and comparing it with the live one.

The service's own handlers run through the ordinary `EventConsumer.process` (inbox,
contracts, dead-letter decisions) into a fresh database. Dead letters are collected
and reported, never sent: a rebuild must not write to the live dead-letter topics.

The tool names no service. Each service that keeps a read model declares what a rebuild
takes (a `RebuildSpec` in its `<service>/rebuild.py`) as an entry point of the group
`together.rebuild` in its pyproject.toml; `rebuildable()` lists the installed ones, and a
service's package is imported only when it is rebuilt or compared.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import entry_points
from typing import Any

import sqlalchemy as sa
from aiokafka import ConsumerRecord
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from together_events.consumer import EventConsumer, Handler
from together_events.envelope import Envelope
from together_events.outbox import record_event
from together_events.registry import Event
from together_events.tables import inbox_table
from together_events.topics import service_topic
from together_operator.reading import OperatorError, Progress, header, read_batches

ENTRY_POINTS = "together.rebuild"


@dataclass(frozen=True)
class RebuildSpec:
    """What a service declares so that its read model can be rebuilt from the topics and compared."""

    service: str  # its name: the inbox key and the events' source, as when it runs
    # Its consumers' factory; a `ReplayRuntime` stands in for its Runtime (clock, `record`, settings).
    handlers: Callable[[Any], Mapping[type[Event], Handler]]
    read_model: tuple[sa.Table, ...]  # the tables built from events alone: rebuilt, then compared
    migrate: Callable[[str], None]  # brings a fresh database (its URL) to the service's head
    settings: Callable[[], Any]  # its settings as the service reads them (the environment), for handlers that use them
    # Per table name, the columns compared where a rebuild cannot reproduce them all (the others: every column).
    compared_columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def columns(self, table: sa.Table) -> list[sa.Column[Any]]:
        names = self.compared_columns.get(table.name)
        return list(table.columns) if names is None else [table.c[name] for name in names]


class RebuildError(OperatorError):
    pass


def rebuildable() -> list[str]:
    """The installed services that declare a rebuild."""
    return sorted(point.name for point in entry_points(group=ENTRY_POINTS))


def spec_for(service: str) -> RebuildSpec:
    points = [point for point in entry_points(group=ENTRY_POINTS) if point.name == service]
    if not points:
        offered = ", ".join(rebuildable()) or "none installed"
        raise RebuildError(f"{service} declares no rebuild (a service that keeps a read model does: {offered})")
    spec = points[0].load()
    if not isinstance(spec, RebuildSpec) or spec.service != service:
        raise RebuildError(f"the entry point {points[0].value} is not {service}'s RebuildSpec")
    return spec


def asyncpg_url(url: str) -> str:
    """Services reach PostgreSQL through asyncpg, whichever scheme the operator typed."""
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+asyncpg://" + url.removeprefix(scheme)
    return url


class ReplayClock:
    """The time of the event being replayed, so a rebuild gives the same rows each time it runs."""

    def __init__(self) -> None:
        self.at: datetime | None = None

    def now(self) -> datetime:
        return self.at or datetime.now(UTC)

    def follow(self, record: ConsumerRecord) -> None:
        at = header(record, "ce_time")
        if at is not None:
            with contextlib.suppress(ValueError):
                self.at = datetime.fromisoformat(at)


@dataclass
class ReplayRuntime:
    """What a service's `handlers(runtime)` use of its Runtime: the settings, the clock and `record`.

    Events the handlers record land in the rebuilt database's outbox, where no relay runs.
    """

    engine: AsyncEngine
    source: str
    settings: Any
    clock: ReplayClock = field(default_factory=ReplayClock)

    def now(self) -> datetime:
        return self.clock.now()

    async def record(self, conn: AsyncConnection, event: Event) -> Envelope:
        return await record_event(conn, event, source=self.source, time=self.clock.now())


@dataclass(frozen=True)
class DeadLetter:
    topic: str
    partition: int
    offset: int
    reason: str

    def line(self) -> str:
        return f"{self.topic} partition {self.partition} offset {self.offset}: {self.reason}"


class DeadLetterCollector:
    """Stands in for the producer EventConsumer dead-letters with: keeps what it would have sent."""

    def __init__(self) -> None:
        self.letters: list[DeadLetter] = []

    async def send_and_wait(
        self, topic: str, value: bytes | None = None, key: bytes | None = None, headers: Sequence[tuple[str, bytes]] = ()
    ) -> None:
        said = {name: raw.decode(errors="replace") for name, raw in headers or ()}
        self.letters.append(
            DeadLetter(
                said["dlq_source_topic"], int(said["dlq_source_partition"]), int(said["dlq_source_offset"]), said["dlq_reason"]
            )
        )


@dataclass
class RebuildReport:
    service: str
    topics: list[str]
    records: int  # read from the topics
    handled: int  # events the handlers applied (inbox rows)
    dead_letters: list[DeadLetter]

    def summary(self) -> str:
        return (
            f"rebuilt {self.service} from {', '.join(self.topics)}: {self.records} records read, {self.handled} events handled, "
            f"{self.records - self.handled - len(self.dead_letters)} skipped (no handler, or a copy already handled), {len(self.dead_letters)} dead letters"
        )


async def _row_counts(conn: AsyncConnection, tables: tuple[sa.Table, ...]) -> dict[str, int]:
    return {t.name: (await conn.execute(sa.select(sa.func.count()).select_from(t))).scalar_one() for t in (inbox_table, *tables)}


async def rebuild(service: str, database_url: str, *, bootstrap: str, prefix: str | None = None,
                  progress: Progress | None = None) -> RebuildReport:  # fmt: skip
    """Migrate `database_url` (a fresh database) and apply `service`'s handlers to its topics, up to their ends now."""
    spec = spec_for(service)
    url = asyncpg_url(database_url)
    await asyncio.to_thread(spec.migrate, url)  # Alembic runs its own event loop
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            counts = await _row_counts(conn, spec.read_model)
        if any(counts.values()):
            filled = ", ".join(f"{name} {n}" for name, n in counts.items() if n)
            raise RebuildError(f"not a fresh database (rows: {filled}): a rebuild needs an empty one")
        runtime = ReplayRuntime(engine, source=f"/together/{service}", settings=spec.settings())
        handlers = spec.handlers(runtime)
        topics = sorted({service_topic(model.service, prefix) for model in handlers})
        letters = DeadLetterCollector()
        consumer = EventConsumer(
            name=service,  # the service's inbox key, as live
            engine=engine,
            bootstrap_servers=bootstrap,
            handlers=handlers,
            dead_letters=letters,
            now=runtime.now,
        )
        progress = progress if progress is not None else Progress()
        # Registration's topic first: it states the people and programmes every other fact names, as the
        # live consumer had them when those facts came. Read all at once, a fact about a person could be
        # handled before the person is known, an order the live service never saw.
        origin = service_topic("registration", prefix)
        for stage in ([t for t in topics if t == origin], [t for t in topics if t != origin]):
            if not stage:
                continue
            async with contextlib.aclosing(read_batches(bootstrap, stage, progress=progress)) as batches:
                async for batch in batches:
                    for record in batch:
                        runtime.clock.follow(record)
                        await consumer.process(record)
        async with engine.connect() as conn:
            handled = await conn.scalar(sa.select(sa.func.count()).select_from(inbox_table))
        return RebuildReport(service, topics, progress.read, handled or 0, letters.letters)
    finally:
        await engine.dispose()


# --- comparing --------------------------------------------------------------------------


@dataclass
class TableComparison:
    table: str
    columns: list[str]
    key: list[str]  # primary-key columns among those compared, to pair differing rows up
    rebuilt_rows: int
    live_rows: int
    only_rebuilt: list[dict[str, Any]]
    only_live: list[dict[str, Any]]

    @property
    def equal(self) -> bool:
        return not self.only_rebuilt and not self.only_live

    def differences(self, sample: int = 5) -> list[str]:
        """Up to `sample` readable differences: changed columns of one row, or a row on one side only."""
        lines: list[str] = []
        live_by_key = {self._key(row): row for row in self.only_live} if self.key else {}
        paired = set()
        for row in self.only_rebuilt:
            live = live_by_key.get(self._key(row))
            if live is not None:
                paired.add(self._key(row))
                changed = [
                    f"{c}: rebuilt {row[c]!r}, live {live[c]!r}"
                    for c in self.columns
                    if _canonical(row[c]) != _canonical(live[c])
                ]
                lines.append(f"{self.table} {self._named_key(row)}: " + "; ".join(changed))
            else:
                lines.append(f"{self.table}: only in the rebuilt database: {_shown(row)}")
        lines.extend(
            f"{self.table}: only in the live database: {_shown(row)}" for row in self.only_live if self._key(row) not in paired
        )
        return lines[:sample]

    def _key(self, row: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(_canonical(row[c]) for c in self.key)

    def _named_key(self, row: dict[str, Any]) -> str:
        return " ".join(f"{c}={row[c]}" for c in self.key)


@dataclass
class Comparison:
    service: str
    tables: list[TableComparison]

    @property
    def equal(self) -> bool:
        return all(t.equal for t in self.tables)

    def lines(self, sample: int = 5) -> list[str]:
        out = []
        for t in self.tables:
            verdict = "equal" if t.equal else f"DIFFERENT ({len(t.only_rebuilt)} rows only rebuilt, {len(t.only_live)} only live)"
            out.append(f"{t.table} [{', '.join(t.columns)}]: rebuilt {t.rebuilt_rows} rows, live {t.live_rows} rows: {verdict}")
            out.extend(f"  {line}" for line in t.differences(sample))
        out.append(f"{self.service} read model: " + ("EQUAL" if self.equal else "DIFFERENT"))
        return out


def _canonical(value: Any) -> Any:
    """A hashable, order-independent form of a column value (ARRAY -> tuple, JSONB -> sorted items)."""
    if isinstance(value, dict):
        return tuple(sorted((k, _canonical(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_canonical(v) for v in value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    return value


def _row_key(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(_canonical(v) for v in row.values())


def _beyond(rows: list[dict[str, Any]], extra: Counter[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """The rows of one side that the other side lacks (as many copies as are extra)."""
    left, out = Counter(extra), []
    for row in rows:
        if left[_row_key(row)] > 0:
            left[_row_key(row)] -= 1
            out.append(row)
    return out


def _shown(row: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k}={v!s}" for k, v in row.items()) + "}"


async def _rows(engine: AsyncEngine, columns: list[sa.Column[Any]]) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        return [dict(row._mapping) for row in await conn.execute(sa.select(*columns))]


async def compare(service: str, rebuilt_url: str, live_url: str) -> Comparison:
    """The service's read-model tables, row by row in any order, in two databases."""
    spec = spec_for(service)
    engines = create_async_engine(asyncpg_url(rebuilt_url)), create_async_engine(asyncpg_url(live_url))
    try:
        tables = []
        for table in spec.read_model:
            columns = spec.columns(table)
            rebuilt, live = [await _rows(engine, columns) for engine in engines]
            counts = [Counter(map(_row_key, rows)) for rows in (rebuilt, live)]
            tables.append(
                TableComparison(
                    table=table.name,
                    columns=[c.name for c in columns],
                    key=[c.name for c in columns if c.primary_key],
                    rebuilt_rows=len(rebuilt),
                    live_rows=len(live),
                    only_rebuilt=_beyond(rebuilt, counts[0] - counts[1]),
                    only_live=_beyond(live, counts[1] - counts[0]),
                )
            )
        return Comparison(service, tables)
    finally:
        for engine in engines:
            await engine.dispose()
