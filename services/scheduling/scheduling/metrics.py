"""Scheduling's own metrics (see together_servicekit.metrics): the backlog of its clock-driven jobs."""

from scheduling.tables import outcome_asks
from together_servicekit.metrics import timer_backlog

scraped = [
    # Reminders of an outcome ask; a withdrawn participant's ask is skipped by the worker and not counted apart.
    timer_backlog(
        "outcome-reminders",
        outcome_asks.c.remind_at,
        outcome_asks.c.answered_at.is_(None),
        outcome_asks.c.reminded_at.is_(None),
        outcome_asks.c.reminder_failed_at.is_(None),
    ),
]
