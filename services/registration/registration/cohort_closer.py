"""Closes cohorts whose registration window has passed: CohortClosed, exactly once per cohort.

Durable and clock-driven, on the shared job poller: the cohort row itself is the timer (its status
is open until it is closed). Each due cohort is claimed in its own transaction with FOR UPDATE SKIP
LOCKED and closed in that transaction with its event, so several replicas share the work without
closing a cohort twice, and a crash leaves the cohort for the next round. A closure that fails is
rolled back and recorded on the row (attempts, reason, when to try again), so it never holds back
the cohorts behind it; after the last attempt it is set aside as failed with its reason. The window
includes its last day: a cohort closes once the clock's UTC date is after `registration_closes_on`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from registration import repository
from registration.cohort_ender import cohort_ender
from registration.domain.cohort import Cohort
from registration.settings import RegistrationSettings
from registration.use_cases.programmes import close_claimed_cohort
from together_servicekit.jobs import Backoff, Failure, JobPoller
from together_servicekit.runtime import Runtime

log = structlog.get_logger(__name__)

DueCohort = tuple[Cohort, int]  # the cohort and its failed closing attempts so far


class CohortClosing:
    name: ClassVar[str] = "cohort-closer"
    act_in_claim: ClassVar[bool] = True
    backoff = Backoff(first=timedelta(minutes=1), longest=timedelta(hours=1), attempts=8)

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    async def claim(self, conn: AsyncConnection, now: datetime) -> DueCohort | None:
        return await repository.claim_due_cohort(conn, now)

    async def act(self, conn: AsyncConnection | None, item: DueCohort, now: datetime) -> str:
        assert conn is not None  # act_in_claim
        cohort, _ = item
        await close_claimed_cohort(self._runtime, conn, cohort, now)
        log.info("cohort.closed", cohort_id=str(cohort.id), registration_closes_on=cohort.dates.closes.isoformat())
        return "closed"

    def attempts_before(self, item: DueCohort) -> int:
        return item[1]

    async def record_failure(self, conn: AsyncConnection, item: DueCohort, failure: Failure) -> None:
        await repository.record_close_failure(conn, item[0].id, failure, self._runtime.now())

    def describe(self, item: DueCohort) -> dict[str, Any]:
        return {"cohort_id": str(item[0].id)}


def cohort_closer(runtime: Runtime, *, poll_interval: float = 30.0) -> JobPoller[DueCohort]:
    return JobPoller.for_runtime(runtime, CohortClosing(runtime), poll_interval=poll_interval)


def workers(runtime: Runtime[RegistrationSettings]) -> list[tuple[str, Callable[[], Awaitable[None]]]]:
    """The service's background workers: the cohort closer and the cohort ender."""
    poll = runtime.settings.cohort_close_poll_seconds
    return [cohort_closer(runtime, poll_interval=poll).worker(runtime), cohort_ender(runtime, poll_interval=poll).worker(runtime)]
