"""Ends cohorts whose end date has passed: CohortEnded, exactly once per cohort.

The cohort closer's shape (`cohort_closer.py`), on the same job poller: the cohort row is the timer
(`ended_at` is empty until it ends). Each due cohort is claimed in its own transaction with FOR UPDATE
SKIP LOCKED and ended in that transaction with its event, so replicas share the work without ending a
cohort twice and a crash leaves it for the next round; a failure is recorded on the row (attempts,
reason, when to try again) and, after the last attempt, the cohort is set aside as failed. A cohort
ends at the end of its `ends_on` in UTC: once the clock's UTC date is after it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from registration import repository
from registration.domain.cohort import Cohort
from registration.use_cases.programmes import end_claimed_cohort
from together_servicekit.jobs import Backoff, Failure, JobPoller
from together_servicekit.runtime import Runtime

log = structlog.get_logger(__name__)

DueCohort = tuple[Cohort, int]  # the cohort and its failed attempts to end it so far


class CohortEnding:
    name: ClassVar[str] = "cohort-ender"
    act_in_claim: ClassVar[bool] = True
    backoff = Backoff(first=timedelta(minutes=1), longest=timedelta(hours=1), attempts=8)

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    async def claim(self, conn: AsyncConnection, now: datetime) -> DueCohort | None:
        return await repository.claim_ending_cohort(conn, now)

    async def act(self, conn: AsyncConnection | None, item: DueCohort, now: datetime) -> str:
        assert conn is not None  # act_in_claim
        cohort, _ = item
        await end_claimed_cohort(self._runtime, conn, cohort, now)
        log.info("cohort.ended", cohort_id=str(cohort.id), ends_on=cohort.dates.ends.isoformat())
        return "ended"

    def attempts_before(self, item: DueCohort) -> int:
        return item[1]

    async def record_failure(self, conn: AsyncConnection, item: DueCohort, failure: Failure) -> None:
        await repository.record_end_failure(conn, item[0].id, failure, self._runtime.now())

    def describe(self, item: DueCohort) -> dict[str, Any]:
        return {"cohort_id": str(item[0].id)}


def cohort_ender(runtime: Runtime, *, poll_interval: float = 30.0) -> JobPoller[DueCohort]:
    return JobPoller.for_runtime(runtime, CohortEnding(runtime), poll_interval=poll_interval)
