"""Notifications' use cases: recording the messages an event asks for, a participant marking them
read and choosing their preferences, the programme team retrying a failed e-mail. Each loads, asks
the rules (`domain/`), saves and records its events in one transaction, and checks who may act
(ADR 0005). Reads are in `queries.py`."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa
import structlog
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from notifications.domain.actions import mailed_when_settled
from notifications.domain.languages import language_of
from notifications.domain.messages import Message, message_id_for, messages_for, waits_to_settle
from notifications.domain.outcomes import outcome_messages
from notifications.domain.preferences import InvalidPreferences, Preferences
from notifications.queries import load_feed_entry, recipients_programme, visible_participant
from notifications.rendering import render
from notifications.repository import retry_failed
from notifications.settings import NotificationsSettings
from notifications.settling import settled_before
from notifications.tables import contact_languages, deliveries, notifications, participants, preferences, programmes
from together_contracts.notifications import NotificationRecorded, TeamNotificationRecorded
from together_contracts.registration import ERASED_TIME_ZONE
from together_events import Envelope, Event
from together_servicekit.auth import Forbidden, Principal
from together_servicekit.errors import Conflict, DomainError, Violation
from together_servicekit.runtime import Runtime

log = structlog.get_logger(__name__)

# --- messages from events (in the consumer's transaction) ----------------------------------------


async def compose(conn: AsyncConnection, message: Message) -> tuple[dict[str, Any], str, str | None]:
    """The message's params with the names it asks for, the language known so far (the person's
    preference, else registration's as last learned when mailing them, else English; delivery
    renders again with registration's current one), and their time zone."""
    ids = [message.recipient_id, *message.names.values()]
    known = {row.id: row for row in await conn.execute(sa.select(participants).where(participants.c.id.in_(ids)))}
    params = dict(message.params)
    for role, participant_id in message.names.items():
        person = known.get(participant_id)
        params[f"{role}_name"] = person.display_name if person is not None else None
    chosen = (
        await conn.execute(sa.select(preferences.c.language).where(preferences.c.participant_id == message.recipient_id))
    ).scalar()
    learned = (
        await conn.execute(
            sa.select(contact_languages.c.language).where(contact_languages.c.participant_id == message.recipient_id)
        )
    ).scalar()
    if message.programme_id is not None:
        programme = (await conn.execute(sa.select(programmes).where(programmes.c.id == message.programme_id))).first()
        if programme is not None:
            params["programme_kind"], params["session_rhythm"] = programme.kind, programme.meeting_interval
    recipient = known.get(message.recipient_id)
    return params, language_of(chosen, learned), recipient.time_zone if recipient is not None else None


async def record_messages(
    runtime: Runtime[NotificationsSettings], conn: AsyncConnection, event: Event, envelope: Envelope, *, message_id_domain: str
) -> None:
    """Each message the event asks for, once per person, with its e-mail waiting in `deliveries`: due
    after the settling window, in the order of the facts (`occurred_at`, the event's time), and not
    at all when what it asks for was settled already (`settling.py`)."""
    now = runtime.now()
    settle = timedelta(seconds=runtime.settings.delivery_settle_seconds)
    for message in (*messages_for(event), *outcome_messages(event)):
        if message.for_programme_team:
            addressed = await to_programme_team(conn, message)
            if addressed is None:
                log.warning("team_message.no_programme", kind=message.kind, participant_id=str(message.recipient_id))
                continue
            message = addressed
        notification_id = uuid.uuid4()
        params, language, time_zone = await compose(conn, message)
        if message.for_programme_team:
            language = runtime.settings.team_language
        moot = await settled_before(conn, message.action, envelope.time)
        if message.action is not None:
            params["settled"] = moot is not None
        words = render(message.kind, language, params, time_zone)
        inserted = await conn.execute(
            insert(notifications)
            .values(
                id=notification_id,
                recipient_id=message.recipient_id,
                kind=message.kind,
                subject=words.subject,
                body=words.text,
                params=params,
                language=words.language,
                source_event_id=envelope.id,
                source_event_type=envelope.type,
                recorded_at=now,
                occurred_at=envelope.time,
                action_key=message.action,
            )
            .on_conflict_do_nothing()
            .returning(notifications.c.id)
        )
        if inserted.first() is None:
            continue  # this person already has this message for this event
        # The mail waits in the same transaction as the message: recorded means it will be tried (or, moot, never).
        mail = {"state": "pending", "next_attempt_at": now + settle if waits_to_settle(message.kind) else now}
        if moot is not None and not mailed_when_settled(message.kind):
            mail = {"state": "skipped", "next_attempt_at": now, "last_error": f"moot: {moot}", "finished_at": now}
        await conn.execute(
            deliveries.insert().values(
                notification_id=notification_id,
                recipient_id=message.recipient_id,
                message_id=message_id_for(notification_id, message_id_domain),
                created_at=now,
                **mail,
            )
        )
        told = {"notification_id": notification_id, "kind": message.kind, "source_event_id": envelope.id, "recorded_at": now}
        recorded = (
            TeamNotificationRecorded(**told, programme_id=message.recipient_id)
            if message.for_programme_team
            else NotificationRecorded(**told, recipient_id=message.recipient_id)
        )
        await runtime.record(conn, recorded)


async def to_programme_team(conn: AsyncConnection, message: Message) -> Message | None:
    """The message addressed to the team of its participant's programme (the recipient is the programme);
    None if notifications does not know the participant. A fact that names its programme (a cohort's
    end) is addressed to it as it is."""
    if message.programme_id is not None:
        return replace(message, recipient_id=message.programme_id)
    programme_id = (
        await conn.execute(sa.select(participants.c.programme_id).where(participants.c.id == message.recipient_id))
    ).scalar()
    if programme_id is None:
        return None
    return replace(message, recipient_id=programme_id, programme_id=programme_id)


async def participant_withdrew(runtime: Runtime, conn: AsyncConnection, participant_id: UUID, *, answers_erased: bool) -> None:
    """They left: mail not yet sent is skipped (the messages stay in their feed). Erased answers:
    their name and address are dropped here too."""
    await conn.execute(
        deliveries.update()
        .where(deliveries.c.recipient_id == participant_id, deliveries.c.state == "pending")
        .values(state="skipped", last_error="participant withdrawn", finished_at=runtime.now())
    )
    if answers_erased:
        await erase_copies(conn, participant_id)


async def erase_copies(conn: AsyncConnection, participant_id: UUID) -> None:
    """Our copies of a person's answers: the display name, the time zone (the placeholder a sealed profile
    opens to once the key is gone, so a rebuild agrees), and the addresses kept on their deliveries."""
    await conn.execute(
        participants.update().where(participants.c.id == participant_id).values(display_name=None, time_zone=ERASED_TIME_ZONE)
    )
    await conn.execute(deliveries.update().where(deliveries.c.recipient_id == participant_id).values(address=None))


# --- the participant's own ---------------------------------------------------------------------


async def mark(runtime: Runtime, caller: Principal, *, participant_id: UUID, notification_id: UUID, read: bool) -> None:
    """Mark one message read (again: the first time stays) or unread. Rule: that participant only."""
    async with runtime.engine.begin() as conn:
        await visible_participant(conn, participant_id, caller)
        entry = await load_feed_entry(conn, participant_id, notification_id)
        if read:
            entry.mark_read(runtime.now())
        else:
            entry.mark_unread()
        await conn.execute(notifications.update().where(notifications.c.id == notification_id).values(read_at=entry.read_at))


async def set_preferences(
    runtime: Runtime, caller: Principal, *, participant_id: UUID, language: str | None, email_off: list[str]
) -> Preferences:
    """Replace the participant's preferences; every invalid value is named at once. Rule: that participant only."""
    async with runtime.engine.begin() as conn:
        await visible_participant(conn, participant_id, caller)
        try:
            chosen = Preferences.chosen(language, email_off)
        except InvalidPreferences as exc:
            violations = [Violation(p.field, p.rule, p.message) for p in exc.problems]
            raise DomainError("invalid preferences", violations, status=422, code="invalid_input") from exc
        values = {"language": chosen.language, "email_off": chosen.email_off, "updated_at": runtime.now()}
        await conn.execute(
            insert(preferences)
            .values(participant_id=participant_id, **values)
            .on_conflict_do_update(index_elements=["participant_id"], set_=values)
        )
    return chosen


# --- the programme team's ----------------------------------------------------------------------


async def retry_delivery(runtime: Runtime, caller: Principal, *, notification_id: UUID) -> None:
    """Try a failed e-mail again from the first attempt. Rule: the team of the recipient's programme;
    409 unless the delivery failed."""
    async with runtime.engine.begin() as conn:
        programme_id = await recipients_programme(conn, caller, notification_id)
        if not caller.runs(programme_id):
            raise Forbidden("only the recipient's programme team retries a delivery")
        if not await retry_failed(conn, notification_id, runtime.now()):
            raise Conflict("only a failed delivery can be retried", [Violation("notification_id", "failed", "not failed")])
