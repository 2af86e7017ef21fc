"""Scheduling's own metrics (see together_servicekit.metrics): the backlog of its clock-driven jobs."""

from collections.abc import Iterable
from datetime import timedelta

from scheduling.domain.sessions import SessionStatus
from scheduling.settings import SchedulingSettings
from scheduling.tables import outcome_asks, sessions
from together_events.metrics import Reading
from together_servicekit.metrics import timer_backlog
from together_servicekit.runtime import Runtime


async def sessions_to_complete(runtime: Runtime) -> Iterable[Reading]:
    """A scheduled session is due for completion once it ended plus the grace (the completion worker's rule)."""
    minutes = runtime.settings.complete_after_minutes if isinstance(runtime.settings, SchedulingSettings) else 0
    due_at = sessions.c.ends_at + timedelta(minutes=minutes)
    pending = (sessions.c.status == SessionStatus.scheduled.value, sessions.c.completion_failed_at.is_(None))
    return await timer_backlog("completion-worker", due_at, *pending)(runtime)


scraped = [
    sessions_to_complete,
    # Reminders of an outcome ask; a withdrawn participant's ask is skipped by the worker and not counted apart.
    timer_backlog(
        "outcome-reminders",
        outcome_asks.c.remind_at,
        outcome_asks.c.answered_at.is_(None),
        outcome_asks.c.reminded_at.is_(None),
        outcome_asks.c.reminder_failed_at.is_(None),
    ),
]
