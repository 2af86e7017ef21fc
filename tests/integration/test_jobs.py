"""The shared durable-job poller on a real PostgreSQL table: a failing row never holds back the rows
behind it, gives up to a failed state with the reason, and concurrent pollers act on each row once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from together_servicekit.jobs import Backoff, Failure, JobPoller

pytestmark = pytest.mark.integration

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
metadata = sa.MetaData()
work = sa.Table(
    "work",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("done_at", sa.DateTime(timezone=True)),
    sa.Column("taken", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    sa.Column("retry_at", sa.DateTime(timezone=True)),
    sa.Column("failed_at", sa.DateTime(timezone=True)),
)


class Clock:
    def __init__(self) -> None:
        self.at = START

    def now(self) -> datetime:
        return self.at


class Work:
    """Rows of `work` due by `due_at`; ids in `poison` raise when acted on."""

    name: ClassVar[str] = "work"
    act_in_claim: ClassVar[bool] = True

    def __init__(self, poison: frozenset[int] = frozenset(), backoff: Backoff | None = None) -> None:
        self.poison = poison
        self.backoff = backoff or Backoff(first=timedelta(minutes=1), longest=timedelta(minutes=4), attempts=3)
        self.acted: Counter[int] = Counter()

    async def claim(self, conn: AsyncConnection, now: datetime) -> Any:
        return (
            await conn.execute(
                sa.select(work)
                .where(
                    work.c.done_at.is_(None),
                    work.c.failed_at.is_(None),
                    work.c.due_at <= now,
                    sa.or_(work.c.retry_at.is_(None), work.c.retry_at <= now),
                )
                .order_by(work.c.due_at, work.c.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
        ).first()

    async def act(self, conn: AsyncConnection | None, item: Any, now: datetime) -> str:
        assert conn is not None
        await conn.execute(work.update().where(work.c.id == item.id).values(done_at=now))
        await asyncio.sleep(0.01)  # hold the row a moment, so concurrent pollers would collide if they could
        if item.id in self.poison:
            raise ValueError(f"row {item.id} cannot be done")
        self.acted[item.id] += 1
        return "done"

    def attempts_before(self, item: Any) -> int:
        return int(item.attempts)

    async def record_failure(self, conn: AsyncConnection, item: Any, failure: Failure) -> None:
        await conn.execute(
            work.update()
            .where(work.c.id == item.id)
            .values(
                attempts=failure.attempts,
                last_error=failure.reason,
                retry_at=failure.retry_at,
                failed_at=START if failure.retry_at is None else None,
            )
        )

    def describe(self, item: Any) -> dict[str, Any]:
        return {"work_id": item.id}


class TakenWork(Work):
    """Claims commit on their own (the row is marked taken) and the work happens outside the claim."""

    act_in_claim: ClassVar[bool] = False

    async def claim(self, conn: AsyncConnection, now: datetime) -> Any:
        row = (
            await conn.execute(
                sa.select(work).where(work.c.taken.is_(False)).order_by(work.c.id).limit(1).with_for_update(skip_locked=True)
            )
        ).first()
        if row is not None:
            await conn.execute(work.update().where(work.c.id == row.id).values(taken=True))
        return row

    async def act(self, conn: AsyncConnection | None, item: Any, now: datetime) -> str:
        assert conn is None
        if item.id in self.poison:
            raise ValueError(f"row {item.id} cannot be done")
        self.acted[item.id] += 1
        return "done"


@pytest.fixture
async def engine(create_database) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(await create_database("jobs"))
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.execute(work.insert(), [{"id": i, "due_at": START - timedelta(minutes=10 - i)} for i in range(1, 9)])
    yield engine
    await engine.dispose()


async def rows(engine: AsyncEngine) -> dict[int, Any]:
    async with engine.connect() as conn:
        return {row.id: row for row in await conn.execute(sa.select(work))}


async def test_a_failing_row_is_recorded_and_the_rows_behind_it_are_done(engine):
    clock, job = Clock(), Work(poison=frozenset({2}))
    poller = JobPoller(engine, clock.now, job, poll_interval=1.0)
    assert poller.progress.health() == "no pass completed yet"

    outcomes = await poller.run_due()

    assert outcomes.count("done") == 7 and outcomes.count("failed_attempt") == 1
    after = await rows(engine)
    assert after[2].done_at is None  # its effect rolled back with the failure
    assert after[2].attempts == 1 and after[2].last_error == "ValueError: row 2 cannot be done"
    assert after[2].retry_at == START + timedelta(minutes=1) and after[2].failed_at is None
    assert all(after[i].done_at == START for i in after if i != 2)
    assert poller.progress.health() == "ok"
    assert await poller.run_due() == []  # not due again before its retry time


async def test_a_row_that_keeps_failing_backs_off_then_gives_up_with_the_reason(engine):
    clock, job = Clock(), Work(poison=frozenset({5}))
    poller = JobPoller(engine, clock.now, job, poll_interval=1.0)
    await poller.run_due()
    retries = []
    for _ in range(2):
        clock.at = (await rows(engine))[5].retry_at
        retries.append(clock.at)
        assert await poller.run_due() == ["failed_attempt"]
    assert retries == [START + timedelta(minutes=1), START + timedelta(minutes=1) + timedelta(minutes=2)]

    failed = (await rows(engine))[5]
    assert failed.attempts == 3 and failed.failed_at is not None and failed.retry_at is None
    assert failed.last_error == "ValueError: row 5 cannot be done"
    clock.at += timedelta(days=1)
    assert await poller.run_due() == []  # failed: never tried again


def test_the_backoff_doubles_up_to_its_longest_and_ends_after_its_attempts():
    backoff = Backoff(first=timedelta(seconds=30), longest=timedelta(minutes=2), attempts=5)
    assert [backoff.retry_at(n, START) for n in range(1, 6)] == [
        START + timedelta(seconds=30),
        START + timedelta(minutes=1),
        START + timedelta(minutes=2),
        START + timedelta(minutes=2),
        None,
    ]


async def test_concurrent_pollers_and_lanes_act_on_each_row_once(engine):
    clock, job = Clock(), Work()
    pollers = [JobPoller(engine, clock.now, job, poll_interval=1.0, lanes=3) for _ in range(2)]

    results = await asyncio.gather(*(poller.run_due() for poller in pollers))

    assert sum(len(outcomes) for outcomes in results) == 8
    assert job.acted == Counter({i: 1 for i in range(1, 9)})


async def test_work_outside_the_claim_records_its_failure_too(engine):
    clock, job = Clock(), TakenWork(poison=frozenset({3}))
    poller = JobPoller(engine, clock.now, job, poll_interval=1.0)

    outcomes = await poller.run_due()

    assert outcomes.count("failed_attempt") == 1 and len(outcomes) == 8
    third = (await rows(engine))[3]
    assert third.taken and third.attempts == 1 and third.retry_at == START + timedelta(minutes=1)


async def test_a_claim_that_cannot_reach_the_database_raises_for_the_supervisor():
    unreachable = create_async_engine("postgresql+asyncpg://nobody:secret@127.0.0.1:9/none", connect_args={"timeout": 2})
    poller = JobPoller(unreachable, Clock().now, Work(), poll_interval=1.0)
    with pytest.raises(OSError):
        await poller.run_due()
    assert poller.progress.health() == "no pass completed yet"
    await unreachable.dispose()
