"""Fires due reminders and expiries (durable timers in the `timers` table).

Each due timer is claimed in its own transaction with FOR UPDATE SKIP LOCKED and
marked fired in the same transaction as its effect and its events. So several
workers (or replicas) share the work without firing a timer twice, and a worker
that dies mid-way leaves its timer unclaimed for the next one. Time comes from the
runtime's clock: in travel mode a test moves it and the worker catches up.

A timer whose effect raises must not hold back the timers behind it: its transaction
rolls back, the failure is recorded on the row (attempts, last_error, next_attempt_at
with backoff) and the pass moves on. After MAX_ATTEMPTS the timer is `failed`: no
longer tried, logged as `timer.failed` and counted in the cohort's statistics.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import sqlalchemy as sa
import structlog

from pairing.tables import timers
from pairing.use_cases import fire_timer
from together_servicekit.runtime import Progress, Runtime

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 5
FIRST_RETRY_AFTER = timedelta(seconds=30)  # then 1, 2, 4 minutes


class DeadlineWorker:
    def __init__(self, runtime: Runtime, *, poll_interval: float = 1.0) -> None:
        self._runtime = runtime
        self._poll_interval = poll_interval
        self.progress = Progress(poll_interval)  # /readyz: "stalled" when no pass completed for a minute

    async def fire_due(self, limit: int = 500) -> list[str]:
        """Fire up to `limit` timers that are due now; return their outcomes (`failed_attempt` for one that raised)."""
        outcomes: list[str] = []
        while len(outcomes) < limit:
            now, timer = self._runtime.now(), None
            try:
                async with self._runtime.engine.begin() as conn:
                    timer = (
                        await conn.execute(
                            sa.select(timers)
                            .where(
                                timers.c.fired_at.is_(None),
                                timers.c.failed_at.is_(None),
                                timers.c.due_at <= now,
                                sa.or_(timers.c.next_attempt_at.is_(None), timers.c.next_attempt_at <= now),
                            )
                            .order_by(timers.c.due_at, timers.c.id)
                            .limit(1)
                            .with_for_update(skip_locked=True)
                        )
                    ).first()
                    if timer is None:
                        break
                    outcome = (await fire_timer(self._runtime, conn, timer)).value
            except Exception as exc:
                if timer is None:
                    raise  # the claim itself failed (database down): a crash, the supervisor restarts us
                await self._record_failure(timer, exc)
                outcomes.append("failed_attempt")
                continue
            outcomes.append(outcome)
            log.info("timer.fired", kind=timer.kind, request_id=str(timer.request_id), outcome=outcome)
        self.progress.passed()
        return outcomes

    async def _record_failure(self, timer: sa.Row, exc: Exception) -> None:
        attempts = timer.attempts + 1
        now = self._runtime.now()
        failed = attempts >= MAX_ATTEMPTS
        async with self._runtime.engine.begin() as conn:
            await conn.execute(
                timers.update()
                .where(timers.c.id == timer.id, timers.c.fired_at.is_(None))
                .values(
                    attempts=attempts,
                    last_error=f"{type(exc).__name__}: {exc}"[:2000],
                    next_attempt_at=None if failed else now + FIRST_RETRY_AFTER * 2 ** (attempts - 1),
                    failed_at=now if failed else None,
                )
            )
        fields = {"kind": timer.kind, "request_id": str(timer.request_id), "attempts": attempts, "error": repr(exc)}
        if failed:
            log.error("timer.failed", **fields)
        else:
            log.warning("timer.attempt_failed", **fields)

    async def run(self) -> None:
        while True:
            await self.fire_due()
            await asyncio.sleep(self._poll_interval)


def workers(runtime: Runtime) -> list[tuple[str, Callable[[], Awaitable[None]]]]:
    worker = DeadlineWorker(runtime)
    runtime.checks["deadline-worker"] = worker.progress.health
    return [("deadline-worker", worker.run)]
