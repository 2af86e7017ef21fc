"""The mail outbox's rows (`deliveries`, adapter): claims, leases and outcomes.

Every change after the claim is fenced on (state, attempts): it applies only while the row is still
that attempt's, so a worker whose claim moved on (a later claim raised `attempts`) records nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from notifications.rendering import Rendered
from notifications.tables import contact_languages, deliveries, notifications, participants, preferences, programmes
from together_servicekit.jobs import Failure

AMBIGUOUS = "ambiguous: the previous attempt ended without an outcome; it may have been delivered"
# A mail not finished: waiting (or retrying), prepared by a worker, or handed to SMTP.
UNFINISHED = ("pending", "claimed", "sending")


@dataclass(frozen=True)
class ClaimedMail:
    """One attempt at one delivery, as its claim found it: what the mail needs, and the fence."""

    notification_id: UUID
    attempts: int  # this attempt's number (the claim counted it)
    taken_over: Literal["claimed", "sending"] | None  # a lapsed lease this claim took over: whose state it was
    message_id: str
    recipient_id: UUID
    kind: str
    params: dict[str, Any]
    recorded_at: datetime
    time_zone: str | None
    display_name: str | None
    chosen_language: str | None
    email_off: list[str] | None
    team_mailbox: str | None  # a message to a programme team: the programme's mailbox


async def claim_due_mail(conn: AsyncConnection, now: datetime, lease_until: datetime) -> ClaimedMail | None:
    """One due delivery, locked (SKIP LOCKED) and marked `claimed` until `lease_until` (attempts + 1):
    pending mail due now; a claim whose worker stopped renewing it before DATA (nothing was sent); and
    a `sending` row past its long lease, whose worker died between DATA and recording the outcome
    (ambiguous: counted, and sent again with the same Message-ID).

    A person's mails go one at a time, in the order of the facts they tell: a mail waits while a mail
    to the same recipient about an earlier fact is not finished (waiting, retrying or being sent)."""
    earlier, earlier_message = deliveries.alias("earlier"), notifications.alias("earlier_message")
    waits_for_earlier = sa.exists().where(
        earlier.c.recipient_id == deliveries.c.recipient_id,
        earlier.c.state.in_(UNFINISHED),
        earlier_message.c.id == earlier.c.notification_id,
        sa.tuple_(earlier_message.c.occurred_at, earlier_message.c.id)
        < sa.tuple_(notifications.c.occurred_at, notifications.c.id),
    )
    found = (
        await conn.execute(
            sa.select(deliveries.c.notification_id, deliveries.c.state)
            .select_from(deliveries.join(notifications, notifications.c.id == deliveries.c.notification_id))
            .where(
                sa.or_(
                    sa.and_(deliveries.c.state == "pending", deliveries.c.next_attempt_at <= now),
                    sa.and_(deliveries.c.state.in_(("claimed", "sending")), deliveries.c.claimed_until < now),
                ),
                ~waits_for_earlier,
            )
            .order_by(deliveries.c.next_attempt_at, deliveries.c.notification_id)
            .limit(1)
            .with_for_update(of=deliveries, skip_locked=True)
        )
    ).first()
    if found is None:
        return None
    claim: dict[str, Any] = {"state": "claimed", "attempts": deliveries.c.attempts + 1, "claimed_until": lease_until}
    if found.state == "sending":
        claim.update(ambiguous_attempts=deliveries.c.ambiguous_attempts + 1, last_error=AMBIGUOUS)
    await conn.execute(deliveries.update().where(deliveries.c.notification_id == found.notification_id).values(**claim))
    row = (
        await conn.execute(
            sa.select(
                deliveries.c.notification_id,
                deliveries.c.attempts,
                deliveries.c.message_id,
                notifications.c.recipient_id,
                notifications.c.kind,
                notifications.c.params,
                notifications.c.recorded_at,
                participants.c.time_zone,
                participants.c.display_name,
                preferences.c.language.label("chosen_language"),
                preferences.c.email_off,
                programmes.c.team_mailbox,
            )
            .select_from(
                deliveries.join(notifications, notifications.c.id == deliveries.c.notification_id)
                .outerjoin(participants, participants.c.id == notifications.c.recipient_id)
                .outerjoin(preferences, preferences.c.participant_id == notifications.c.recipient_id)
                .outerjoin(programmes, programmes.c.id == notifications.c.recipient_id)
            )
            .where(deliveries.c.notification_id == found.notification_id)
        )
    ).one()
    taken_over = None if found.state == "pending" else found.state
    return ClaimedMail(taken_over=taken_over, **row._mapping)


def _ours(mail: ClaimedMail, *states: str) -> tuple[sa.ColumnElement[bool], ...]:
    """The fence: the row is still this attempt's, in one of `states`."""
    return (
        deliveries.c.notification_id == mail.notification_id,
        deliveries.c.attempts == mail.attempts,
        deliveries.c.state.in_(states),
    )


async def renew_claim(conn: AsyncConnection, mail: ClaimedMail, until: datetime) -> bool:
    """False once DATA began (the long lease holds now) or the claim moved on."""
    renewed = await conn.execute(deliveries.update().where(*_ours(mail, "claimed")).values(claimed_until=until))
    return bool(renewed.rowcount)


async def mark_sending(conn: AsyncConnection, mail: ClaimedMail, until: datetime) -> bool:
    """Just before DATA: from now on the outcome may be unknown, so the long lease. False if the claim moved on."""
    updated = await conn.execute(deliveries.update().where(*_ours(mail, "claimed")).values(state="sending", claimed_until=until))
    return bool(updated.rowcount)


async def record_outcome(
    conn: AsyncConnection,
    mail: ClaimedMail,
    *,
    state: Literal["sent", "failed", "skipped", "pending"],
    reason: str | None,
    address: str | None,
    ambiguous: bool,
    next_attempt_at: datetime | None,
    words: Rendered | None,
    registration_language: str | None,
    now: datetime,
) -> bool:
    """The attempt's outcome, if the row is still this attempt's claim (or already recorded so, when an
    earlier try committed but its reply was lost); `pending` is due again at `next_attempt_at`."""
    values: dict[str, Any] = {"state": state, "claimed_until": None, "last_error": reason, "address": address}
    if ambiguous:
        values["ambiguous_attempts"] = deliveries.c.ambiguous_attempts + 1
    if state == "pending":
        values["next_attempt_at"] = next_attempt_at
    else:
        values["finished_at"] = now
    updated = await conn.execute(
        deliveries.update().where(*_ours(mail, "claimed", "sending")).values(**values).returning(deliveries.c.state)
    )
    if updated.first() is None:
        current = await conn.execute(
            sa.select(deliveries.c.state).where(
                deliveries.c.notification_id == mail.notification_id, deliveries.c.attempts == mail.attempts
            )
        )
        return current.scalar() == state
    if words is not None:
        # The feed shows the words that were mailed (the language may differ from the first rendering).
        await conn.execute(
            notifications.update()
            .where(notifications.c.id == mail.notification_id)
            .values(subject=words.subject, body=words.text, language=words.language)
        )
    if registration_language is not None:
        # Later messages to this person are written in it from the start (in the feed too).
        learned = {"language": registration_language, "learned_at": now}
        await conn.execute(
            insert(contact_languages)
            .values(participant_id=mail.recipient_id, **learned)
            .on_conflict_do_update(index_elements=["participant_id"], set_=learned)
        )
    return True


async def record_failure(conn: AsyncConnection, mail: ClaimedMail, failure: Failure, now: datetime) -> None:
    """An attempt that raised (the poller's record): due again at the failure's retry time, or failed with its reason."""
    values: dict[str, Any] = {"claimed_until": None, "last_error": failure.reason}
    if failure.gave_up:
        values.update(state="failed", finished_at=now)
    else:
        values.update(state="pending", next_attempt_at=failure.retry_at)
    await conn.execute(deliveries.update().where(*_ours(mail, "claimed", "sending")).values(**values))


async def retry_failed(conn: AsyncConnection, notification_id: UUID, now: datetime) -> bool:
    """The programme team's retry: a failed delivery starts again with a fresh count. False if not failed."""
    updated = await conn.execute(
        deliveries.update()
        .where(deliveries.c.notification_id == notification_id, deliveries.c.state == "failed")
        .values(state="pending", attempts=0, next_attempt_at=now, finished_at=None)
    )
    return bool(updated.rowcount)
