"""What each event tells whom (pure): the rule book's notifications as data."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from together_events import Event
from together_events.contracts.pairing import RequestAccepted, RequestSent
from together_events.contracts.scheduling import SessionCompleted, SessionScheduled


@dataclass(frozen=True)
class Message:
    recipient_id: UUID
    kind: str
    subject: str
    body: str


def messages_for(event: Event) -> list[Message]:
    match event:
        case RequestSent():
            return [
                Message(
                    event.mentor_id,
                    "request_received",
                    "A mentee asks you to be their mentor",
                    f"Please accept or decline by {event.expires_at:%Y-%m-%d %H:%M} UTC.",
                )
            ]
        case RequestAccepted():
            return [
                Message(
                    event.mentee_id,
                    "request_accepted",
                    "Your mentor accepted",
                    "You can now book your first session.",
                )
            ]
        case SessionScheduled():
            return [
                Message(
                    person,
                    "session_scheduled",
                    "A session was booked",
                    f"{event.starts_at:%Y-%m-%d %H:%M} UTC ({event.time_zone}), {event.duration_minutes} minutes.",
                )
                for person in event.participant_ids
            ]
        case SessionCompleted():
            return [
                Message(
                    person,
                    "feedback_requested",
                    "How was your session?",
                    "Please rate the session and leave a short comment.",
                )
                for person in event.participant_ids
            ]
    return []
