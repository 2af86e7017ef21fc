"""Notifications' reads: a participant's feed and preferences, a programme's failed deliveries; and
the loaders the use cases share. Each checks who may ask (ADR 0005).

Who sees what is stated once, in the loaders: a participant's messages and preferences are theirs
alone (never their programme team's); a delivery is seen by its recipient and their programme team.
To anyone else the object answers exactly as a missing one (404)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from notifications.domain.feed import FeedEntry
from notifications.domain.preferences import Preferences
from notifications.domain.team import TEAM_KINDS
from notifications.tables import deliveries, notifications, participants, preferences
from together_servicekit.auth import Forbidden, Principal, visible_or_missing
from together_servicekit.errors import NotFound
from together_servicekit.runtime import Runtime

# The worker's internal `claimed` (preparing, not yet handed to SMTP) reads as `sending` to the participant.
_email_state = sa.case((deliveries.c.state == "claimed", "sending"), else_=deliveries.c.state)


async def visible_participant(conn: AsyncConnection, participant_id: UUID, caller: Principal) -> None:
    """The participant themself, nobody else: to anyone else (their programme team too), 404 as for a
    participant notifications does not know."""
    person = (await conn.execute(sa.select(participants.c.person_id).where(participants.c.id == participant_id))).scalar()
    visible_or_missing(person, caller.is_person, "participant", participant_id)


async def load_feed_entry(conn: AsyncConnection, participant_id: UUID, notification_id: UUID) -> FeedEntry:
    """One of the participant's messages, locked for the change; 404 if it is not theirs."""
    found = (
        await conn.execute(
            sa.select(notifications.c.read_at)
            .where(notifications.c.id == notification_id, notifications.c.recipient_id == participant_id)
            .with_for_update()
        )
    ).first()
    if found is None:
        raise NotFound("notification", notification_id)
    return FeedEntry(notification_id, participant_id, found.read_at)


async def feed(
    runtime: Runtime, caller: Principal, *, participant_id: UUID, unread: bool, limit: int, offset: int
) -> list[dict[str, Any]]:
    """The participant's messages, oldest first, each with where its e-mail is. Rule: that participant only."""
    async with runtime.engine.connect() as conn:
        await visible_participant(conn, participant_id, caller)
        query = (
            sa.select(notifications, _email_state.label("email"))
            .select_from(notifications.outerjoin(deliveries, deliveries.c.notification_id == notifications.c.id))
            .where(notifications.c.recipient_id == participant_id)
            .order_by(notifications.c.recorded_at, notifications.c.id)
            .limit(limit)
            .offset(offset)
        )
        if unread:
            query = query.where(notifications.c.read_at.is_(None))
        return [dict(row) for row in (await conn.execute(query)).mappings()]


async def preferences_of(runtime: Runtime, caller: Principal, *, participant_id: UUID) -> Preferences:
    """The participant's language and the kinds not e-mailed (none chosen: registration's language, all
    mailed). Rule: that participant only."""
    async with runtime.engine.connect() as conn:
        await visible_participant(conn, participant_id, caller)
        row = (await conn.execute(sa.select(preferences).where(preferences.c.participant_id == participant_id))).first()
    return Preferences(row.language, list(row.email_off)) if row is not None else Preferences(None, [])


@dataclass(frozen=True)
class FailedDelivery:
    notification_id: UUID
    recipient_id: UUID
    display_name: str | None
    kind: str
    attempts: int
    reason: str | None
    address: str | None
    recorded_at: datetime
    failed_at: datetime | None


async def failed_deliveries(
    runtime: Runtime, caller: Principal, *, programme_id: UUID, limit: int, offset: int
) -> list[FailedDelivery]:
    """E-mails to the programme's participants, and to its team, that failed, newest first, with the reason
    (never the message's words). Rule: the programme's team."""
    if not caller.runs(programme_id):
        raise Forbidden("only the programme's team sees its failed deliveries")
    async with runtime.engine.connect() as conn:
        rows = await conn.execute(
            sa.select(
                deliveries.c.notification_id,
                deliveries.c.recipient_id,
                participants.c.display_name,
                notifications.c.kind,
                deliveries.c.attempts,
                deliveries.c.last_error.label("reason"),
                deliveries.c.address,
                notifications.c.recorded_at,
                deliveries.c.finished_at.label("failed_at"),
            )
            .select_from(
                deliveries.join(notifications, notifications.c.id == deliveries.c.notification_id).outerjoin(
                    participants, participants.c.id == deliveries.c.recipient_id
                )
            )
            .where(
                sa.or_(participants.c.programme_id == programme_id, _to_team_of(programme_id)),
                deliveries.c.state == "failed",
            )
            .order_by(deliveries.c.finished_at.desc(), deliveries.c.notification_id)
            .limit(limit)
            .offset(offset)
        )
        return [FailedDelivery(**row) for row in rows.mappings()]


async def recipients_programme(conn: AsyncConnection, caller: Principal, notification_id: UUID) -> UUID:
    """The programme of a delivery's recipient (a team message's recipient is the programme). The recipient
    (it is their message) and their programme's team see the delivery; to anyone else, 404 as for no such delivery."""
    found = (
        await conn.execute(
            sa.select(
                sa.case(
                    (notifications.c.kind.in_(TEAM_KINDS), deliveries.c.recipient_id), else_=participants.c.programme_id
                ).label("programme_id"),
                participants.c.person_id,
            )
            .select_from(
                deliveries.join(notifications, notifications.c.id == deliveries.c.notification_id).outerjoin(
                    participants, participants.c.id == deliveries.c.recipient_id
                )
            )
            .where(deliveries.c.notification_id == notification_id)
        )
    ).first()
    known = found if found is not None and found.programme_id is not None else None  # a recipient notifications never knew
    seen = visible_or_missing(
        known,
        lambda row: caller.runs(row.programme_id) or (row.person_id is not None and caller.is_person(row.person_id)),
        "delivery",
        notification_id,
    )
    programme_id: UUID = seen.programme_id
    return programme_id


def _to_team_of(programme_id: UUID) -> sa.ColumnElement[bool]:
    """A message to the programme's team: its recipient is the programme."""
    return sa.and_(notifications.c.kind.in_(TEAM_KINDS), deliveries.c.recipient_id == programme_id)
