"""Notifications' HTTP API (entrypoints room): each participant's feed and preferences, and the
programme team's view of failed e-mail deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from notifications import queries, use_cases
from notifications.domain.languages import LANGUAGES
from notifications.domain.messages import KINDS
from notifications.domain.preferences import Preferences
from together_servicekit.auth import Principal, authenticated
from together_servicekit.paging import Page, paged
from together_servicekit.runtime import Runtime, get_runtime

router = APIRouter(tags=["notifications"])

EmailState = Literal["pending", "sending", "sent", "failed", "skipped"]


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


@router.get("/participants/{participant_id}/notifications")
async def notifications_of(
    participant_id: UUID,
    unread: bool = Query(False, description="Only the messages not yet marked read."),
    page: Page = Depends(paged(default=50, maximum=200)),
    runtime: Runtime = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
) -> list[NotificationOut]:
    """The participant's messages, oldest first (a page: `offset`, `limit`). Rule: that participant only."""
    found = await queries.feed(
        runtime, caller, participant_id=participant_id, unread=unread, limit=page.limit, offset=page.offset
    )
    return [NotificationOut.model_validate(row) for row in found]


@router.post("/participants/{participant_id}/notifications/{notification_id}/read", status_code=204)
async def mark_read(
    participant_id: UUID,
    notification_id: UUID,
    runtime: Runtime = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
) -> Response:
    """Mark one message read (again: no change). Rule: that participant only."""
    await use_cases.mark(runtime, caller, participant_id=participant_id, notification_id=notification_id, read=True)
    return Response(status_code=204)


@router.post("/participants/{participant_id}/notifications/{notification_id}/unread", status_code=204)
async def mark_unread(
    participant_id: UUID,
    notification_id: UUID,
    runtime: Runtime = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
) -> Response:
    """Mark one message unread. Rule: that participant only."""
    await use_cases.mark(runtime, caller, participant_id=participant_id, notification_id=notification_id, read=False)
    return Response(status_code=204)


def _preferences_out(participant_id: UUID, chosen: Preferences) -> PreferencesOut:
    return PreferencesOut(
        participant_id=participant_id,
        language=chosen.language,
        email_off=chosen.email_off,
        kinds=list(KINDS),
        languages=list(LANGUAGES),
    )


@router.get("/participants/{participant_id}/preferences")
async def preferences_of(
    participant_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> PreferencesOut:
    """The participant's language and which kinds of message are not e-mailed. Rule: that participant only."""
    return _preferences_out(participant_id, await queries.preferences_of(runtime, caller, participant_id=participant_id))


@router.put("/participants/{participant_id}/preferences")
async def set_preferences(
    participant_id: UUID,
    body: PreferencesIn,
    runtime: Runtime = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
) -> PreferencesOut:
    """Replace the participant's preferences; every invalid value is named at once. Rule: that participant only."""
    chosen = await use_cases.set_preferences(
        runtime, caller, participant_id=participant_id, language=body.language, email_off=body.email_off
    )
    return _preferences_out(participant_id, chosen)


@router.get("/programmes/{programme_id}/failed-deliveries")
async def failed_deliveries(
    programme_id: UUID,
    page: Page = Depends(paged(default=100, maximum=500)),
    runtime: Runtime = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
) -> list[FailedDeliveryOut]:
    """E-mails to the programme's participants that could not be delivered, newest first, with the
    reason (never the message's words). Rule: the programme's team."""
    found = await queries.failed_deliveries(runtime, caller, programme_id=programme_id, limit=page.limit, offset=page.offset)
    return [FailedDeliveryOut.model_validate(failed, from_attributes=True) for failed in found]


@router.post("/deliveries/{notification_id}/retry", status_code=202)
async def retry_delivery(
    notification_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> dict[str, str]:
    """Try a failed e-mail again from the first attempt (e.g. once the address is fixed). Rule: the
    team of the recipient's programme; 409 unless the delivery failed."""
    await use_cases.retry_delivery(runtime, caller, notification_id=notification_id)
    return {"notification_id": str(notification_id), "state": "pending"}
