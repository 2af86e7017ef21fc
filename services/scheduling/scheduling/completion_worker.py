"""Completes sessions whose end time has passed (a durable, clock-driven sweep).

The sessions table is the timer: a scheduled session is due once `ends_at` plus the grace
period (`SCHEDULING_COMPLETE_AFTER_MINUTES`, default 0: feedback is asked for as soon as the
session ends) is behind the runtime's clock. Each due session is claimed in its own transaction
with FOR UPDATE SKIP LOCKED and completed in that same transaction, with its events: several
workers (or replicas) never complete a session twice, and a worker that dies mid-way leaves the
session for the next one. `SessionCompleted` is therefore published once per session. A
completion that raises is rolled back and its session retried later with backoff
(`completion_attempts`, `completion_retry_at`, `completion_error`), so one bad row never stalls the rest.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from uuid import UUID

import sqlalchemy as sa
import structlog

from scheduling.domain.sessions import SessionStatus
from scheduling.tables import sessions
from scheduling.use_cases.sessions import complete_ended_session
from together_servicekit.runtime import Progress, Runtime

log = structlog.get_logger(__name__)


class CompletionWorker:
    def __init__(self, runtime: Runtime, *, grace: timedelta, poll_interval: float = 1.0) -> None:
        self._runtime = runtime
        self._grace = grace
        self._poll_interval = poll_interval
        self.progress = Progress(poll_interval)

    async def complete_due(self, limit: int = 500) -> list[str]:
        """Complete up to `limit` sessions that are due now; return their ids."""
        completed: list[str] = []
        while len(completed) < limit:
            now = self._runtime.now()
            claimed: UUID | None = None
            attempts = 0
            try:
                async with self._runtime.engine.begin() as conn:
                    row = (
                        await conn.execute(
                            sa.select(sessions.c.id, sessions.c.completion_attempts)
                            .where(
                                sessions.c.status == SessionStatus.scheduled.value,
                                sessions.c.ends_at <= now - self._grace,
                                sa.or_(sessions.c.completion_retry_at.is_(None), sessions.c.completion_retry_at <= now),
                            )
                            .order_by(sessions.c.ends_at, sessions.c.id)
                            .limit(1)
                            .with_for_update(skip_locked=True)
                        )
                    ).first()
                    if row is None:
                        break
                    claimed, attempts = row.id, row.completion_attempts
                    await complete_ended_session(self._runtime, conn, row.id, now)
            except Exception as exc:
                if claimed is None:
                    raise
                await self._failed(claimed, attempts + 1, now, exc)
                continue
            completed.append(str(claimed))
            log.info("session.completed_by_clock", session_id=str(claimed))
        self.progress.passed()
        return completed

    async def _failed(self, session_id: UUID, attempts: int, now: datetime, exc: Exception) -> None:
        """Nothing of the failed completion was committed; try it again later (1, 2, 4 ... minutes, at most an hour)."""
        retry_at = now + min(timedelta(minutes=2 ** (attempts - 1)), timedelta(hours=1))
        log.exception("session.completion_failed", session_id=str(session_id), attempts=attempts, retry_at=retry_at.isoformat())
        async with self._runtime.engine.begin() as conn:
            await conn.execute(
                sessions.update()
                .where(sessions.c.id == session_id)
                .values(completion_attempts=attempts, completion_retry_at=retry_at, completion_error=repr(exc)[:2000])
            )

    async def run(self) -> None:
        while True:
            await self.complete_due()
            await asyncio.sleep(self._poll_interval)


def workers(runtime: Runtime) -> list[tuple[str, Callable[[], Awaitable[None]]]]:
    minutes = getattr(runtime.settings, "complete_after_minutes", 0)
    worker = CompletionWorker(runtime, grace=timedelta(minutes=minutes))
    runtime.checks["completion-worker"] = worker.progress.health
    return [("completion-worker", worker.run)]
