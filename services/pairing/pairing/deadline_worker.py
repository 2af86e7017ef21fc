"""Fires due reminders and expiries (durable timers in the `timers` table), on the shared job poller.

Each due timer is claimed in its own transaction with FOR UPDATE SKIP LOCKED and
marked fired in the same transaction as its effect and its events. So several
workers (or replicas) share the work without firing a timer twice, and a worker
that dies mid-way leaves its timer unclaimed for the next one. Time comes from the
runtime's clock: in travel mode a test moves it and the worker catches up.

A timer whose effect raises must not hold back the timers behind it: its transaction
rolls back, the failure is recorded on the row (attempts, last_error, next_attempt_at:
30 s, then 1, 2, 4 minutes) and the pass moves on (`job.attempt_failed`). After the fifth
attempt the timer is failed: no longer tried, logged as `job.failed` and counted in the
cohort's statistics.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from pairing import offer_records, records
from pairing.offer_use_cases import fire_offer_timer
from pairing.use_cases import fire_timer
from together_servicekit.jobs import Backoff, Failure, JobPoller
from together_servicekit.runtime import Runtime

log = structlog.get_logger(__name__)


class DeadlineTimers:
    name: ClassVar[str] = "deadline-worker"
    act_in_claim: ClassVar[bool] = True
    backoff = Backoff(first=timedelta(seconds=30), longest=timedelta(minutes=4), attempts=5)

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    async def claim(self, conn: AsyncConnection, now: datetime) -> sa.Row[Any] | None:
        return await records.claim_due_timer(conn, now)

    async def act(self, conn: AsyncConnection | None, item: sa.Row[Any], now: datetime) -> str:
        assert conn is not None  # act_in_claim
        fired = await fire_timer(self._runtime, conn, item)
        outcome = fired.value if fired is not None else "rescheduled"  # its deadline moved while claimed
        log.info("timer.fired", kind=item.kind, request_id=str(item.request_id), outcome=outcome)
        return outcome

    def attempts_before(self, item: sa.Row[Any]) -> int:
        return int(item.attempts)

    async def record_failure(self, conn: AsyncConnection, item: sa.Row[Any], failure: Failure) -> None:
        await records.record_timer_failure(conn, item.id, failure, self._runtime.now())

    def describe(self, item: sa.Row[Any]) -> dict[str, Any]:
        return {"kind": item.kind, "request_id": str(item.request_id)}


class OfferTimers(DeadlineTimers):
    """An offer's reminder and expiry (`offer_timers`): the same claim, backoff and failure record as a request's."""

    name: ClassVar[str] = "offer-deadline-worker"

    async def claim(self, conn: AsyncConnection, now: datetime) -> sa.Row[Any] | None:
        return await offer_records.claim_due_timer(conn, now)

    async def act(self, conn: AsyncConnection | None, item: sa.Row[Any], now: datetime) -> str:
        assert conn is not None  # act_in_claim
        outcome = (await fire_offer_timer(self._runtime, conn, item)).value
        log.info("offer_timer.fired", kind=item.kind, offer_id=str(item.offer_id), outcome=outcome)
        return outcome

    async def record_failure(self, conn: AsyncConnection, item: sa.Row[Any], failure: Failure) -> None:
        await offer_records.record_timer_failure(conn, item.id, failure, self._runtime.now())

    def describe(self, item: sa.Row[Any]) -> dict[str, Any]:
        return {"kind": item.kind, "offer_id": str(item.offer_id)}


def deadline_worker(runtime: Runtime, *, poll_interval: float = 1.0) -> JobPoller[sa.Row[Any]]:
    return JobPoller.for_runtime(runtime, DeadlineTimers(runtime), poll_interval=poll_interval)


def offer_deadline_worker(runtime: Runtime, *, poll_interval: float = 1.0) -> JobPoller[sa.Row[Any]]:
    return JobPoller.for_runtime(runtime, OfferTimers(runtime), poll_interval=poll_interval)


def workers(runtime: Runtime) -> list[tuple[str, Callable[[], Awaitable[None]]]]:
    return [deadline_worker(runtime).worker(runtime), offer_deadline_worker(runtime).worker(runtime)]
