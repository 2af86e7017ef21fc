"""What each event tells whom (pure): the rule book's notifications as data."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from together_events import Event
from together_events.contracts.pairing import (
    EndedBy,
    MentorAvailable,
    PairingEnded,
    PreferencesExhausted,
    RequestAccepted,
    RequestDeclined,
    RequestExpired,
    RequestReminderDue,
    RequestSent,
    RequestWithdrawn,
)
from together_events.contracts.scheduling import SessionCompleted, SessionScheduled

# The events someone must hear about; `messages_for` says who and what.
NOTIFYING_EVENTS: tuple[type[Event], ...] = (
    RequestSent,
    RequestReminderDue,
    RequestAccepted,
    RequestDeclined,
    RequestExpired,
    RequestWithdrawn,
    PreferencesExhausted,
    PairingEnded,
    MentorAvailable,
    SessionScheduled,
    SessionCompleted,
)


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
        case RequestReminderDue():
            return [
                Message(
                    event.mentor_id,
                    "request_reminder",
                    "A mentee is waiting for your answer",
                    f"Please accept or decline by {event.expires_at:%Y-%m-%d %H:%M} UTC; after that the request expires.",
                )
            ]
        case RequestDeclined() | RequestExpired() | RequestWithdrawn():
            why = {
                RequestDeclined: "The mentor declined your request.",
                RequestExpired: "The mentor did not answer in time.",
                RequestWithdrawn: "The mentor became full before your request reached them.",
            }[type(event)]
            return [
                Message(
                    event.mentee_id,
                    "request_not_accepted",
                    "Your request was not accepted",
                    f"{why} Your next choice has been asked, if you ranked one.",
                )
            ]
        case PreferencesExhausted():
            return [
                Message(
                    event.mentee_id,
                    "preferences_exhausted",
                    "Please choose new mentors",
                    "None of the mentors you asked could take you. Please submit new preferences.",
                )
            ]
        case PairingEnded():
            partner = event.mentor_id if event.ended_by == EndedBy.mentee else event.mentee_id
            return [
                Message(
                    partner,
                    "pairing_ended",
                    "Your pairing has ended",
                    "Your partner ended the pairing and left you a message: read it in the app.",
                )
            ]
        case MentorAvailable():
            return [
                Message(
                    event.mentee_id,
                    "mentor_available",
                    "A mentor you follow has a free place",
                    "You can now request them as your mentor.",
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
