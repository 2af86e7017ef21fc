"""Mail whose action became moot before it went out (the rules: `domain/actions.py`), in the
consumer's transaction.

A settling fact is kept in `settled_actions` (the latest time per key), then every message about an
earlier fact that asks for it and whose mail has not gone out is settled: its words say so, and its
mail is dropped (`skipped`, "moot: ...") or goes reworded. A message recorded later about an earlier
fact (its topic was read after the settling one) is settled from the start (`settled_before`). An
outcome (a survey, a final assessment) is asked once: its answer settles the request and the reminder
whatever their order (`actions.settled_for_good`).

A mail whose DATA began (`sending`) goes as it is; what was mailed stays as it was mailed. A mail that
failed is settled too: retrying it must not ask for what is moot.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import structlog
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from notifications.domain.actions import mailed_when_settled, settled_for_good, settlements
from notifications.rendering import render
from notifications.tables import deliveries, notifications, participants, settled_actions
from together_events import Envelope, Event

log = structlog.get_logger(__name__)

# Mail not gone out: a worker's claim (nothing handed to SMTP yet) is taken back.
_UNSENT = ("pending", "claimed", "failed")


async def settled_before(conn: AsyncConnection, action_key: str | None, occurred_at: datetime) -> str | None:
    """Why the action of a message about a fact at `occurred_at` is moot already, or None."""
    if action_key is None:
        return None
    settled = sa.select(settled_actions.c.why).where(settled_actions.c.action_key == action_key)
    if not settled_for_good(action_key):
        settled = settled.where(settled_actions.c.settled_at > occurred_at)
    why: str | None = (await conn.execute(settled)).scalar()
    return why


async def settle(conn: AsyncConnection, event: Event, envelope: Envelope, now: datetime) -> None:
    """What the event settles, and the unsent mail that asked for it."""
    for settlement in settlements(event):
        latest = insert(settled_actions).values(action_key=settlement.key, settled_at=envelope.time, why=settlement.why)
        later = latest.excluded.settled_at > settled_actions.c.settled_at
        await conn.execute(
            latest.on_conflict_do_update(
                index_elements=["action_key"],
                set_={
                    "settled_at": sa.func.greatest(settled_actions.c.settled_at, latest.excluded.settled_at),
                    "why": sa.case((later, latest.excluded.why), else_=settled_actions.c.why),
                },
            )
        )
        # An outcome answered settles its request and reminder whenever they were asked (`settled_for_good`).
        earlier = sa.true() if settled_for_good(settlement.key) else notifications.c.occurred_at < envelope.time
        unsent = await conn.execute(
            sa.select(
                notifications.c.id,
                notifications.c.kind,
                notifications.c.params,
                notifications.c.language,
                notifications.c.recipient_id,
                deliveries.c.state,
            )
            .select_from(notifications.join(deliveries, deliveries.c.notification_id == notifications.c.id))
            .where(
                notifications.c.action_key == settlement.key,
                earlier,
                deliveries.c.state.in_(_UNSENT),
            )
            .with_for_update(of=deliveries)
        )
        for message in unsent.all():
            if message.params.get("settled"):
                continue
            await _settle_one(conn, message, f"moot: {settlement.why}", now)


async def _settle_one(conn: AsyncConnection, message: sa.Row, reason: str, now: datetime) -> None:
    params = {**message.params, "settled": True}
    time_zone = (
        await conn.execute(sa.select(participants.c.time_zone).where(participants.c.id == message.recipient_id))
    ).scalar()
    words = render(message.kind, message.language, params, time_zone)
    await conn.execute(
        notifications.update()
        .where(notifications.c.id == message.id)
        .values(params=params, subject=words.subject, body=words.text)
    )
    mail = deliveries.update().where(deliveries.c.notification_id == message.id, deliveries.c.state == message.state)
    if not mailed_when_settled(message.kind):
        await conn.execute(mail.values(state="skipped", last_error=reason, claimed_until=None, finished_at=now))
    elif message.state == "claimed":
        # The worker prepared the old words: its claim ends (its hand-over is refused) and the mail is due again.
        await conn.execute(mail.values(state="pending", claimed_until=None))
    dropped = not mailed_when_settled(message.kind)
    log.info("mail.moot", notification_id=str(message.id), kind=message.kind, reason=reason, dropped=dropped)
