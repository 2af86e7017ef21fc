"""Reminds a participant of what they were asked and have not answered (a durable, clock-driven job on
the shared poller).

The `outcome_asks` table is the timer: an ask is due once its `remind_at` (a set number of working days
after it was asked, `SCHEDULING_OUTCOME_REMINDER_WORKING_DAYS`) is behind the runtime's clock, while it
is neither answered nor reminded and the participant has not withdrawn. Each due ask is claimed in its
own transaction with FOR UPDATE SKIP LOCKED and reminded in that same transaction, with its event:
`OutcomeReminderDue` is published once per ask, however many workers run, and never once it is answered.
A reminder that raises is rolled back and recorded on the ask (attempts, reason, when to try again),
then set aside after its last attempt (`reminder_failed_at`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from scheduling import outcome_store
from scheduling.outcome_store import DueAsk
from scheduling.settings import SchedulingSettings
from scheduling.use_cases.outcomes import remind
from together_servicekit.jobs import Backoff, Failure, JobPoller
from together_servicekit.runtime import Runtime

log = structlog.get_logger(__name__)


class OutcomeReminders:
    name: ClassVar[str] = "outcome-reminders"
    act_in_claim: ClassVar[bool] = True
    backoff = Backoff(first=timedelta(minutes=1), longest=timedelta(hours=1), attempts=8)

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    async def claim(self, conn: AsyncConnection, now: datetime) -> DueAsk | None:
        return await outcome_store.claim_due_ask(conn, now)

    async def act(self, conn: AsyncConnection | None, item: DueAsk, now: datetime) -> str:
        assert conn is not None  # act_in_claim
        if not await remind(self._runtime, conn, item[0], now):
            return "moot"
        log.info("outcome.reminded", ask_id=str(item[0]))
        return "reminded"

    def attempts_before(self, item: DueAsk) -> int:
        return item[1]

    async def record_failure(self, conn: AsyncConnection, item: DueAsk, failure: Failure) -> None:
        await outcome_store.record_reminder_failure(conn, item[0], failure, self._runtime.now())

    def describe(self, item: DueAsk) -> dict[str, Any]:
        return {"ask_id": str(item[0])}


def reminder_worker(runtime: Runtime, *, poll_interval: float = 1.0) -> JobPoller[DueAsk]:
    return JobPoller.for_runtime(runtime, OutcomeReminders(runtime), poll_interval=poll_interval)


def workers(runtime: Runtime[SchedulingSettings]) -> list[tuple[str, Callable[[], Awaitable[None]]]]:
    return [reminder_worker(runtime).worker(runtime)]
