"""Pairing's own metrics (see together_servicekit.metrics): the backlog of its two timer tables."""

from pairing.tables import offer_timers, timers
from together_servicekit.metrics import timer_backlog

scraped = [
    timer_backlog("deadline-worker", timers.c.due_at, timers.c.fired_at.is_(None), timers.c.failed_at.is_(None)),
    timer_backlog(
        "offer-deadline-worker", offer_timers.c.due_at, offer_timers.c.fired_at.is_(None), offer_timers.c.failed_at.is_(None)
    ),
]
