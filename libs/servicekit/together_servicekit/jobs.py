"""Durable, clock-driven jobs whose rows are their own timers, run by one poller.

A job is a table of due work: cohorts to close, request deadlines, sessions to complete, mails
to send. The poller takes one due row at a time with FOR UPDATE SKIP LOCKED (so replicas and
lanes share the work without doing a row twice), acts on it, and after a failure records it on
the row: the attempt count, the reason, and either when to try again (growing back-off) or, after
the last attempt, the failed state with the reason. A row that keeps failing therefore never
holds back the rows behind it, and a crash between claim and commit leaves the row for the next
pass. Readiness reports "stalled" when no pass has completed for a while.

Two shapes of job:
- `act_in_claim = True`: the effect (and its events) commits in the claim's transaction, so the
  row's lock is held while acting and an exception rolls everything back;
- `act_in_claim = False`: the claim itself commits (the job marks the row taken, with a lease),
  and `act` runs outside it, for work that waits on the network (mail).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from together_servicekit.runtime import Progress, Runtime

log = structlog.get_logger(__name__)

Item = TypeVar("Item")


@dataclass(frozen=True)
class Backoff:
    """When to try again after a failed attempt: `first`, doubling up to `longest`; none after `attempts`."""

    first: timedelta
    longest: timedelta
    attempts: int

    def retry_at(self, attempts_made: int, now: datetime) -> datetime | None:
        if attempts_made >= self.attempts:
            return None
        return now + min(self.first * (1 << max(attempts_made - 1, 0)), self.longest)


@dataclass(frozen=True)
class Failure:
    """What the poller records on a row after a failed attempt: `retry_at` None means it gave up."""

    attempts: int
    reason: str
    retry_at: datetime | None

    @property
    def gave_up(self) -> bool:
        return self.retry_at is None


class Job(Protocol[Item]):
    name: ClassVar[str]  # the worker task's name and its readiness check
    backoff: Backoff
    act_in_claim: ClassVar[bool]

    async def claim(self, conn: AsyncConnection, now: datetime) -> Item | None:
        """One due row (FOR UPDATE SKIP LOCKED), or None when nothing is due."""
        ...

    async def act(self, conn: AsyncConnection | None, item: Item, now: datetime) -> str:
        """Do the work; the outcome's name. `conn` is the claim's transaction when `act_in_claim`."""
        ...

    def attempts_before(self, item: Item) -> int:
        """Failed attempts already recorded on the row (the claim may count the current one: then minus it)."""
        ...

    async def record_failure(self, conn: AsyncConnection, item: Item, failure: Failure) -> None: ...

    def describe(self, item: Item) -> dict[str, Any]:
        """The row's identity, for the logs."""
        ...


class JobPoller(Generic[Item]):
    def __init__(
        self,
        engine: AsyncEngine,
        now: Callable[[], datetime],
        job: Job[Item],
        *,
        poll_interval: float,
        lanes: int = 1,
        stalled_after: float = 60.0,
    ) -> None:
        self._engine, self._now = engine, now
        self._job = job
        self._poll_interval = poll_interval
        self._lanes = max(1, lanes)
        self.progress = Progress(poll_interval, stalled_after=stalled_after)

    @property
    def name(self) -> str:
        return self._job.name

    @classmethod
    def for_runtime(cls, runtime: Runtime, job: Job[Item], *, poll_interval: float, **options: Any) -> JobPoller[Item]:
        return cls(runtime.engine, runtime.now, job, poll_interval=poll_interval, **options)

    def worker(self, runtime: Runtime) -> tuple[str, Callable[[], Awaitable[None]]]:
        """The supervised task, its readiness check registered under the same name."""
        runtime.checks[self._job.name] = self.progress.health
        return self._job.name, self.run

    async def run(self) -> None:
        while True:
            await self.run_due()
            await asyncio.sleep(self._poll_interval)

    async def run_due(self, limit: int = 500) -> list[str]:
        """Act on every row due now (up to `limit`), `lanes` at a time; their outcomes ("failed_attempt" for one that raised)."""
        outcomes: list[str] = []
        await asyncio.gather(*(self._lane(outcomes, limit) for _ in range(self._lanes)))
        self.progress.passed()
        return outcomes

    async def _lane(self, outcomes: list[str], limit: int) -> None:
        while len(outcomes) < limit:
            outcome = await self._one()
            if outcome is None:
                return
            outcomes.append(outcome)
            self.progress.passed()

    async def _one(self) -> str | None:
        """Claim one row and act on it. A failed claim (the database is down) raises: the supervisor restarts us."""
        job, now = self._job, self._now()
        item: Item | None = None
        try:
            async with self._engine.begin() as conn:
                item = await job.claim(conn, now)
                if item is None:
                    return None
                if job.act_in_claim:
                    outcome = await job.act(conn, item, now)
            if not job.act_in_claim:
                outcome = await job.act(None, item, now)
        except Exception as exc:
            if item is None:
                raise
            await self._failed(item, exc)
            return "failed_attempt"
        return outcome

    async def _failed(self, item: Item, exc: Exception) -> None:
        """Nothing of the attempt committed (or, for a committed claim, only the claim): record why, and when to try again."""
        job, now = self._job, self._now()
        attempts = job.attempts_before(item) + 1
        reason = f"{type(exc).__name__}: {exc}"[:2000]
        failure = Failure(attempts, reason, job.backoff.retry_at(attempts, now))
        async with self._engine.begin() as conn:
            await job.record_failure(conn, item, failure)
        # One pair of event names for every job, so one alert rule watches them all.
        fields = {"job": job.name, **job.describe(item), "attempts": attempts, "reason": reason}
        if failure.retry_at is None:
            log.error("job.failed", **fields)
        else:
            log.warning("job.attempt_failed", retry_at=failure.retry_at.isoformat(), **fields)
