"""Notifications' HTTP API (entrypoints room)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from fastapi import APIRouter, Depends
from pydantic import BaseModel

from notifications.tables import notifications, participants
from together_servicekit.auth import Forbidden, Principal, authenticated
from together_servicekit.errors import NotFound
from together_servicekit.runtime import Runtime, get_runtime

router = APIRouter(tags=["notifications"])


class NotificationOut(BaseModel):
    id: UUID
    recipient_id: UUID
    kind: str
    subject: str
    body: str
    source_event_id: str
    source_event_type: str
    recorded_at: datetime


@router.get("/participants/{participant_id}/notifications")
async def notifications_of(
    participant_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> list[NotificationOut]:
    """The messages recorded for one participant, oldest first. Rule: that participant only."""
    async with runtime.engine.connect() as conn:
        person = (await conn.execute(sa.select(participants.c.person_id).where(participants.c.id == participant_id))).scalar()
        if person is None:
            raise NotFound("participant", participant_id)
        if not caller.is_person(person):
            raise Forbidden("a participant's messages are theirs alone")
        rows = (
            await conn.execute(
                sa.select(notifications)
                .where(notifications.c.recipient_id == participant_id)
                .order_by(notifications.c.recorded_at, notifications.c.id)
            )
        ).mappings()
        return [NotificationOut.model_validate(dict(row)) for row in rows]
