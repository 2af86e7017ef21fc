"""Notifications' own metrics (see together_servicekit.metrics): mails by state, and the mails due."""

from collections.abc import Iterable

import sqlalchemy as sa

from notifications.tables import deliveries
from together_events.metrics import Reading
from together_servicekit.metrics import timer_backlog
from together_servicekit.runtime import Runtime

STATES = ("pending", "claimed", "sending", "sent", "failed", "skipped")  # deliveries_state's check


async def mails_by_state(runtime: Runtime) -> Iterable[Reading]:
    async with runtime.engine.connect() as conn:
        counts: dict[str, int] = dict(
            (await conn.execute(sa.select(deliveries.c.state, sa.func.count()).group_by(deliveries.c.state))).all()
        )
    return [("together_mails", {"state": state}, counts.get(state, 0)) for state in STATES]  # every state, 0 too


scraped = [
    mails_by_state,
    timer_backlog("delivery-worker", deliveries.c.next_attempt_at, deliveries.c.state == "pending"),
]
