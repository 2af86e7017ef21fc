"""Notifications turns events into recorded messages, once per event and person."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from notifications.messages import NOTIFYING_EVENTS, messages_for
from notifications.tables import notifications, participants
from together_events import Envelope, Event, Handler
from together_events.contracts.notifications import NotificationRecorded
from together_events.contracts.registration import ParticipantRegistered
from together_servicekit.runtime import Runtime


async def on_participant_registered(conn: AsyncConnection, event: ParticipantRegistered, _: Envelope) -> None:
    await conn.execute(
        insert(participants)
        .values(id=event.participant_id, person_id=event.person_id)
        .on_conflict_do_update(index_elements=["id"], set_={"person_id": event.person_id})
    )


def handlers(runtime: Runtime) -> Mapping[type[Event], Handler]:
    async def record_messages(conn: AsyncConnection, event: Event, envelope: Envelope) -> None:
        now = runtime.now()
        for message in messages_for(event):
            notification_id = uuid.uuid4()
            inserted = await conn.execute(
                insert(notifications)
                .values(
                    id=notification_id,
                    recipient_id=message.recipient_id,
                    kind=message.kind,
                    subject=message.subject,
                    body=message.body,
                    source_event_id=envelope.id,
                    source_event_type=envelope.type,
                    recorded_at=now,
                )
                .on_conflict_do_nothing()
                .returning(notifications.c.id)
            )
            if inserted.first() is not None:
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

    messages: dict[type[Event], Handler] = {model: record_messages for model in NOTIFYING_EVENTS}
    return {ParticipantRegistered: on_participant_registered, **messages}  # type: ignore[dict-item]
