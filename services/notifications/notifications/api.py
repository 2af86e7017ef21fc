"""Notifications' HTTP API (entrypoints room): each participant's feed and preferences, and the
programme team's view of failed e-mail deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from notifications.delivery import retry_failed
from notifications.messages import KINDS
from notifications.rendering import LANGUAGES
from notifications.tables import deliveries, notifications, participants, preferences
from together_servicekit.auth import Forbidden, Principal, authenticated
from together_servicekit.errors import Conflict, DomainError, NotFound, Violation
from together_servicekit.runtime import Runtime, get_runtime

router = APIRouter(tags=["notifications"])

EmailState = Literal["pending", "sending", "sent", "failed", "skipped"]


# The worker's internal `claimed` (preparing, not yet handed to SMTP) reads as `sending` to the participant.
_email_state = sa.case((deliveries.c.state == "claimed", "sending"), else_=deliveries.c.state)


class NotificationOut(BaseModel):
    id: UUID
    recipient_id: UUID
    kind: str
    subject: str
    body: str
    language: str
    source_event_id: str
    source_event_type: str
    recorded_at: datetime
    read_at: datetime | None = Field(description="When the participant marked it read; null while unread.")
    email: EmailState | None = Field(description="Where its e-mail is: pending, sending, sent, failed or skipped.")


class PreferencesIn(BaseModel):
    language: str | None = Field(
        default=None, description=f"One of {', '.join(LANGUAGES)}; null: registration's preferred language."
    )
    email_off: list[str] = Field(default_factory=list, description="Kinds of message not to e-mail (they stay in the feed).")


class PreferencesOut(PreferencesIn):
    participant_id: UUID
    kinds: list[str] = Field(description="Every kind of message, for choosing.")
    languages: list[str] = Field(description="The languages messages are written in.")


class FailedDeliveryOut(BaseModel):
    notification_id: UUID
    recipient_id: UUID
    display_name: str | None
    kind: str
    attempts: int
    reason: str | None
    address: str | None
    recorded_at: datetime
    failed_at: datetime | None


async def _own_participant(conn: AsyncConnection, participant_id: UUID, caller: Principal) -> None:
    person = (await conn.execute(sa.select(participants.c.person_id).where(participants.c.id == participant_id))).scalar()
    if person is None:
        raise NotFound("participant", participant_id)
    if not caller.is_person(person):
        raise Forbidden("a participant's messages are theirs alone")


@router.get("/participants/{participant_id}/notifications")
async def notifications_of(
    participant_id: UUID,
    unread: bool = Query(False, description="Only the messages not yet marked read."),
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=1_000_000),
    runtime: Runtime = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
) -> list[NotificationOut]:
    """The participant's messages, oldest first (a page: `offset`, `limit`). Rule: that participant only."""
    async with runtime.engine.connect() as conn:
        await _own_participant(conn, participant_id, caller)
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
        return [NotificationOut.model_validate(dict(row)) for row in (await conn.execute(query)).mappings()]


async def _mark(runtime: Runtime, participant_id: UUID, notification_id: UUID, caller: Principal, read: bool) -> Response:
    async with runtime.engine.begin() as conn:
        await _own_participant(conn, participant_id, caller)
        mine = notifications.c.id == notification_id, notifications.c.recipient_id == participant_id
        found = (await conn.execute(sa.select(notifications.c.read_at).where(*mine))).first()
        if found is None:
            raise NotFound("notification", notification_id)
        if read and found.read_at is None:
            await conn.execute(notifications.update().where(*mine).values(read_at=runtime.now()))
        elif not read:
            await conn.execute(notifications.update().where(*mine).values(read_at=None))
    return Response(status_code=204)


@router.post("/participants/{participant_id}/notifications/{notification_id}/read", status_code=204)
async def mark_read(
    participant_id: UUID,
    notification_id: UUID,
    runtime: Runtime = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
) -> Response:
    """Mark one message read (again: no change). Rule: that participant only."""
    return await _mark(runtime, participant_id, notification_id, caller, read=True)


@router.post("/participants/{participant_id}/notifications/{notification_id}/unread", status_code=204)
async def mark_unread(
    participant_id: UUID,
    notification_id: UUID,
    runtime: Runtime = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
) -> Response:
    """Mark one message unread. Rule: that participant only."""
    return await _mark(runtime, participant_id, notification_id, caller, read=False)


def _preferences_out(participant_id: UUID, language: str | None, email_off: list[str]) -> PreferencesOut:
    return PreferencesOut(
        participant_id=participant_id, language=language, email_off=email_off, kinds=list(KINDS), languages=list(LANGUAGES)
    )


@router.get("/participants/{participant_id}/preferences")
async def preferences_of(
    participant_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> PreferencesOut:
    """The participant's language and which kinds of message are not e-mailed. Rule: that participant only."""
    async with runtime.engine.connect() as conn:
        await _own_participant(conn, participant_id, caller)
        row = (await conn.execute(sa.select(preferences).where(preferences.c.participant_id == participant_id))).first()
    return _preferences_out(participant_id, row.language if row else None, list(row.email_off) if row else [])


@router.put("/participants/{participant_id}/preferences")
async def set_preferences(
    participant_id: UUID,
    body: PreferencesIn,
    runtime: Runtime = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
) -> PreferencesOut:
    """Replace the participant's preferences; every invalid value is named at once. Rule: that participant only."""
    violations = []
    if body.language is not None and body.language not in LANGUAGES:
        violations.append(Violation("body.language", "supported_language", f"language must be one of {', '.join(LANGUAGES)}"))
    for index, kind in enumerate(body.email_off):
        if kind not in KINDS:
            violations.append(Violation(f"body.email_off.{index}", "known_kind", f"'{kind[:60]}' is not a kind of message"))
    async with runtime.engine.begin() as conn:
        await _own_participant(conn, participant_id, caller)
        if violations:
            raise DomainError("invalid preferences", violations, status=422, code="invalid_input")
        email_off = sorted(set(body.email_off))
        values = {"language": body.language, "email_off": email_off, "updated_at": runtime.now()}
        await conn.execute(
            insert(preferences)
            .values(participant_id=participant_id, **values)
            .on_conflict_do_update(index_elements=["participant_id"], set_=values)
        )
    return _preferences_out(participant_id, body.language, email_off)


@router.get("/programmes/{programme_id}/failed-deliveries")
async def failed_deliveries(
    programme_id: UUID,
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0, le=1_000_000),
    runtime: Runtime = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
) -> list[FailedDeliveryOut]:
    """E-mails to the programme's participants that could not be delivered, newest first, with the
    reason (never the message's words). Rule: the programme's team."""
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
                deliveries.join(notifications, notifications.c.id == deliveries.c.notification_id).join(
                    participants, participants.c.id == deliveries.c.recipient_id
                )
            )
            .where(participants.c.programme_id == programme_id, deliveries.c.state == "failed")
            .order_by(deliveries.c.finished_at.desc(), deliveries.c.notification_id)
            .limit(limit)
            .offset(offset)
        )
        return [FailedDeliveryOut.model_validate(dict(row)) for row in rows.mappings()]


@router.post("/deliveries/{notification_id}/retry", status_code=202)
async def retry_delivery(
    notification_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> dict[str, str]:
    """Try a failed e-mail again from the first attempt (e.g. once the address is fixed). Rule: the
    team of the recipient's programme; 409 unless the delivery failed."""
    async with runtime.engine.begin() as conn:
        programme = (
            await conn.execute(
                sa.select(participants.c.programme_id)
                .select_from(deliveries.join(participants, participants.c.id == deliveries.c.recipient_id))
                .where(deliveries.c.notification_id == notification_id)
            )
        ).first()
        if programme is None:
            raise NotFound("delivery", notification_id)
        if not caller.runs(programme.programme_id):
            raise Forbidden("only the recipient's programme team retries a delivery")
        if not await retry_failed(conn, notification_id, runtime.now()):
            raise Conflict("only a failed delivery can be retried", [Violation("notification_id", "failed", "not failed")])
    return {"notification_id": str(notification_id), "state": "pending"}
