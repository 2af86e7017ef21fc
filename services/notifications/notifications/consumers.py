"""Notifications turns events into recorded messages, once per event and person, each with
its e-mail delivery waiting in `deliveries` (sent by `delivery.DeliveryWorker`)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from notifications.messages import NOTIFYING_EVENTS, Message, messages_for
from notifications.rendering import language_of, render
from notifications.tables import contact_languages, deliveries, notifications, participants, preferences, programmes
from together_events import Envelope, Event, Handler
from together_events.contracts.notifications import NotificationRecorded
from together_events.contracts.registration import (
    CohortOpened,
    ParticipantAnswersErased,
    ParticipantProfileUpdated,
    ParticipantRegistered,
    ParticipantRoleGranted,
    ParticipantWithdrawn,
    ProgrammeCreated,
    ProgrammeRulesChanged,
)
from together_servicekit.runtime import Runtime


async def on_participant_state(
    conn: AsyncConnection, event: ParticipantRegistered | ParticipantProfileUpdated | ParticipantRoleGranted, _: Envelope
) -> None:
    """Who the participant is, in which programme, their name and time zone (for the messages)."""
    values = {
        "person_id": event.person_id,
        "programme_id": event.programme_id,
        "display_name": event.profile.display_name,
        "time_zone": event.profile.time_zone,
    }
    await conn.execute(
        insert(participants).values(id=event.participant_id, **values).on_conflict_do_update(index_elements=["id"], set_=values)
    )


async def on_programme(conn: AsyncConnection, event: ProgrammeCreated | ProgrammeRulesChanged, _: Envelope) -> None:
    """The programme's kind and session rhythm (the pairing-formed message names them)."""
    rules = event.rules
    rhythm = rules.session_plan.meeting_interval if rules is not None and rules.session_plan is not None else None
    if isinstance(event, ProgrammeCreated):
        values = {"kind": event.kind.value, "meeting_interval": rhythm}
        statement = insert(programmes).values(id=event.programme_id, **values)
        await conn.execute(statement.on_conflict_do_update(index_elements=["id"], set_=values))
    else:
        await conn.execute(programmes.update().where(programmes.c.id == event.programme_id).values(meeting_interval=rhythm))


async def on_cohort_opened(conn: AsyncConnection, event: CohortOpened, _: Envelope) -> None:
    """The kind, in case the programme's own event was not seen (e.g. published before this table)."""
    statement = insert(programmes).values(id=event.programme_id, kind=event.programme_kind.value, meeting_interval=None)
    await conn.execute(statement.on_conflict_do_nothing())


def on_participant_withdrawn(runtime: Runtime) -> Handler:
    async def handle(conn: AsyncConnection, event: ParticipantWithdrawn, _: Envelope) -> None:
        """They left: mail not yet sent is skipped (the messages stay in their feed). Erased answers:
        their name and address are dropped here too."""
        await conn.execute(
            deliveries.update()
            .where(deliveries.c.recipient_id == event.participant_id, deliveries.c.state == "pending")
            .values(state="skipped", last_error="participant withdrawn", finished_at=runtime.now())
        )
        if event.answers_erased:
            await erase_copies(conn, event.participant_id)

    return handle  # type: ignore[return-value]


async def erase_copies(conn: AsyncConnection, participant_id: uuid.UUID) -> None:
    """Our copies of a person's answers: the display name, and the addresses kept on their deliveries."""
    await conn.execute(participants.update().where(participants.c.id == participant_id).values(display_name=None))
    await conn.execute(deliveries.update().where(deliveries.c.recipient_id == participant_id).values(address=None))


async def on_answers_erased(conn: AsyncConnection, event: ParticipantAnswersErased, _: Envelope) -> None:
    await erase_copies(conn, event.participant_id)


def message_id_for(notification_id: uuid.UUID, domain: str) -> str:
    """The mail's Message-ID, derived from the notification: every attempt of one message carries the same."""
    return f"<notification-{notification_id}@{domain}>"


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


def handlers(runtime: Runtime) -> Mapping[type[Event], Handler]:
    # (`together-events rebuild` passes a runtime without settings: its deliveries are never sent.)
    domain = getattr(getattr(runtime, "settings", None), "message_id_domain", "together.localhost")

    async def record_messages(conn: AsyncConnection, event: Event, envelope: Envelope) -> None:
        now = runtime.now()
        for message in messages_for(event):
            notification_id = uuid.uuid4()
            params, language, time_zone = await compose(conn, message)
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
                )
                .on_conflict_do_nothing()
                .returning(notifications.c.id)
            )
            if inserted.first() is None:
                continue  # this person already has this message for this event
            # The mail waits in the same transaction as the message: recorded means it will be tried.
            await conn.execute(
                deliveries.insert().values(
                    notification_id=notification_id,
                    recipient_id=message.recipient_id,
                    state="pending",
                    next_attempt_at=now,
                    message_id=message_id_for(notification_id, domain),
                    created_at=now,
                )
            )
            await runtime.record(
                conn,
                NotificationRecorded(
                    notification_id=notification_id,
                    recipient_id=message.recipient_id,
                    kind=message.kind,
                    source_event_id=envelope.id,
                    recorded_at=now,
                ),
            )

    async def on_registered(conn: AsyncConnection, event: ParticipantRegistered, envelope: Envelope) -> None:
        await on_participant_state(conn, event, envelope)
        await record_messages(conn, event, envelope)  # a waitlisted person is told so

    messages: dict[type[Event], Handler] = {model: record_messages for model in NOTIFYING_EVENTS}
    return {
        ParticipantRegistered: on_registered,  # type: ignore[dict-item]
        ParticipantProfileUpdated: on_participant_state,  # type: ignore[dict-item]
        ParticipantRoleGranted: on_participant_state,  # type: ignore[dict-item]
        ParticipantWithdrawn: on_participant_withdrawn(runtime),
        ParticipantAnswersErased: on_answers_erased,  # type: ignore[dict-item]
        ProgrammeCreated: on_programme,  # type: ignore[dict-item]
        ProgrammeRulesChanged: on_programme,  # type: ignore[dict-item]
        CohortOpened: on_cohort_opened,  # type: ignore[dict-item]
        **messages,
    }
