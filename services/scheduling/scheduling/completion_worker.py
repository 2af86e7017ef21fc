"""Completes sessions whose end time has passed (a durable, clock-driven job on the shared poller).

The sessions table is the timer: a scheduled session is due once `ends_at` plus the grace
period (`SCHEDULING_COMPLETE_AFTER_MINUTES`, default 0: feedback is asked for as soon as the
session ends) is behind the runtime's clock. Each due session is claimed in its own transaction
with FOR UPDATE SKIP LOCKED and completed in that same transaction, with its events: several
workers (or replicas) never complete a session twice, and a worker that dies mid-way leaves the
session for the next one. `SessionCompleted` is therefore published once per session. A
completion that raises is rolled back and recorded on the session (attempts, reason, when to try
again: 1, 2, 4 ... minutes, at most an hour), so one bad row never stalls the rest; after the last
attempt the session is set aside (`completion_failed_at`; it stays scheduled) and claimed no more.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from scheduling import repository
from scheduling.repository import DueSession
from scheduling.settings import SchedulingSettings
from scheduling.use_cases.sessions import complete_ended_session
from together_servicekit.jobs import Backoff, Failure, JobPoller
from together_servicekit.runtime import Runtime

log = structlog.get_logger(__name__)


class SessionCompletion:
    name: ClassVar[str] = "completion-worker"
    act_in_claim: ClassVar[bool] = True
    backoff = Backoff(first=timedelta(minutes=1), longest=timedelta(hours=1), attempts=8)

    def __init__(self, runtime: Runtime, grace: timedelta) -> None:
        self._runtime = runtime
        self._grace = grace

    async def claim(self, conn: AsyncConnection, now: datetime) -> DueSession | None:
        return await repository.claim_due_session(conn, ended_by=now - self._grace, now=now)

    async def act(self, conn: AsyncConnection | None, item: DueSession, now: datetime) -> str:
        assert conn is not None  # act_in_claim
        session_id, _ = item
        await complete_ended_session(self._runtime, conn, session_id, now)
        log.info("session.completed_by_clock", session_id=str(session_id))
        return "completed"

    def attempts_before(self, item: DueSession) -> int:
        return item[1]

    async def record_failure(self, conn: AsyncConnection, item: DueSession, failure: Failure) -> None:
        await repository.record_completion_failure(conn, item[0], failure, self._runtime.now())

    def describe(self, item: DueSession) -> dict[str, Any]:
        return {"session_id": str(item[0])}


def completion_worker(runtime: Runtime, *, grace: timedelta, poll_interval: float = 1.0) -> JobPoller[DueSession]:
    return JobPoller.for_runtime(runtime, SessionCompletion(runtime, grace), poll_interval=poll_interval)


def workers(runtime: Runtime[SchedulingSettings]) -> list[tuple[str, Callable[[], Awaitable[None]]]]:
    grace = timedelta(minutes=runtime.settings.complete_after_minutes)
    return [completion_worker(runtime, grace=grace).worker(runtime)]
