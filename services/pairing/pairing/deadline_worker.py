"""Fires due reminders and expiries (durable timers in the `timers` table).

Each due timer is claimed in its own transaction with FOR UPDATE SKIP LOCKED and
marked fired in the same transaction as its effect and its events. So several
workers (or replicas) share the work without firing a timer twice, and a worker
that dies mid-way leaves its timer unclaimed for the next one. Time comes from the
runtime's clock: in travel mode a test moves it and the worker catches up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import sqlalchemy as sa
import structlog

from pairing.lifecycle import fire_timer
from pairing.tables import timers
from together_servicekit.runtime import Runtime

log = structlog.get_logger(__name__)


class DeadlineWorker:
    def __init__(self, runtime: Runtime, *, poll_interval: float = 1.0) -> None:
        self._runtime = runtime
        self._poll_interval = poll_interval

    async def fire_due(self, limit: int = 500) -> list[str]:
        """Fire up to `limit` timers that are due now; return their outcomes."""
        outcomes: list[str] = []
        while len(outcomes) < limit:
            async with self._runtime.engine.begin() as conn:
                timer = (
                    await conn.execute(
                        sa.select(timers)
                        .where(timers.c.fired_at.is_(None), timers.c.due_at <= self._runtime.now())
                        .order_by(timers.c.due_at, timers.c.id)
                        .limit(1)
                        .with_for_update(skip_locked=True)
                    )
                ).first()
                if timer is None:
                    break
                outcome = await fire_timer(self._runtime, conn, timer)
            outcomes.append(outcome)
            log.info("timer.fired", kind=timer.kind, request_id=str(timer.request_id), outcome=outcome)
        return outcomes

    async def run(self) -> None:
        while True:
            await self.fire_due()
            await asyncio.sleep(self._poll_interval)


def workers(runtime: Runtime) -> list[tuple[str, Callable[[], Awaitable[None]]]]:
    return [("deadline-worker", DeadlineWorker(runtime).run)]
