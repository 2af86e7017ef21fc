"""Closes cohorts whose registration window has passed: CohortClosed, exactly once per cohort.

Durable and clock-driven: the cohort row itself is the timer (its status is open until it is
closed). Each due cohort is claimed in its own transaction with FOR UPDATE SKIP LOCKED and
closed in that transaction with its event, so several replicas share the work without closing
a cohort twice, and a crash leaves the cohort for the next round. The window includes its last
day: a cohort closes once the clock's UTC date is after `registration_closes_on`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from uuid import UUID

import structlog

from registration.use_cases.programmes import close_next_due_cohort
from together_servicekit.runtime import Progress, Runtime

log = structlog.get_logger(__name__)


class CohortCloser:
    def __init__(self, runtime: Runtime, *, poll_interval: float = 30.0) -> None:
        self._runtime = runtime
        self._poll_interval = poll_interval
        self.progress = Progress(poll_interval)

    async def close_due(self, limit: int = 500) -> list[UUID]:
        """Close up to `limit` cohorts whose window has passed; return their ids."""
        closed: list[UUID] = []
        while len(closed) < limit:
            cohort = await close_next_due_cohort(self._runtime)
            if cohort is None:
                break
            closed.append(cohort.id)
            log.info("cohort.closed", cohort_id=str(cohort.id), registration_closes_on=cohort.dates.closes.isoformat())
        self.progress.passed()
        return closed

    async def run(self) -> None:
        while True:
            await self.close_due()
            await asyncio.sleep(self._poll_interval)


def workers(runtime: Runtime) -> list[tuple[str, Callable[[], Awaitable[None]]]]:
    interval = getattr(runtime.settings, "cohort_close_poll_seconds", 30.0)
    closer = CohortCloser(runtime, poll_interval=interval)
    runtime.checks["cohort-closer"] = closer.progress.health
    return [("cohort-closer", closer.run)]
