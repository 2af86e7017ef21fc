"""What each event tells whom (pure): the rule book's notifications as data.

A message is a recipient, a kind and the values its templates need (`params`, JSON values;
times as ISO 8601 strings, shown in the reader's time zone when rendered). `names` asks the
consumer to add a participant's display name to the params (e.g. `partner` -> `partner_name`).
The words are in the templates (`templates/<language>/<kind>.*`), not here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from together_contracts.pairing import (
    EndedBy,
    MentorAvailable,
    PairingEnded,
    PairingFormed,
    PreferencesExhausted,
    RequestCancelled,
    RequestDeclined,
    RequestExpired,
    RequestReminderDue,
    RequestSent,
    RequestWithdrawn,
)
from together_contracts.registration import (
    AddressVerificationRequested,
    CoachCredentialApproved,
    CoachCredentialRejected,
    ParticipantAdmitted,
    ParticipantRegistered,
)
from together_contracts.scheduling import (
    NextSessionReminderDue,
    SeriesCancelled,
    SeriesEnded,
    SeriesRescheduled,
    SeriesScheduled,
    SessionCancelled,
    SessionCompleted,
    SessionRescheduled,
    SessionScheduled,
)
from together_contracts.working_days import RequestDeadlinesMoved
from together_events.registry import Event

# The events someone must hear about; `messages_for` says who and what. (ParticipantRegistered too,
# when the person waits for a place: its handler in `consumers.py` fills `participants` first.)
NOTIFYING_EVENTS: tuple[type[Event], ...] = (
    RequestSent,
    RequestReminderDue,
    RequestDeadlinesMoved,
    PairingFormed,
    RequestCancelled,
    RequestDeclined,
    RequestExpired,
    RequestWithdrawn,
    PreferencesExhausted,
    PairingEnded,
    MentorAvailable,
    SessionScheduled,
    SeriesScheduled,
    SessionRescheduled,
    SeriesRescheduled,
    SessionCancelled,
    SeriesCancelled,
    SeriesEnded,
    SessionCompleted,
    NextSessionReminderDue,
    CoachCredentialApproved,
    CoachCredentialRejected,
    ParticipantAdmitted,
    AddressVerificationRequested,
)

# The mail that verifies an address: its link is made by registration as the mail is sent (`delivery`),
# it is never kept (the feed shows words without it), and e-mail cannot be turned off for it.
ADDRESS_VERIFICATION = "address_verification"

# Every kind of message a participant may turn e-mail off for (the message stays in the feed).
KINDS: tuple[str, ...] = (
    "request_received",
    "request_reminder",
    "request_deadline_moved",
    "pairing_formed",
    "request_not_accepted",
    "request_cancelled",
    "preferences_exhausted",
    "pairing_ended",
    "mentor_available",
    "session_scheduled",
    "session_rescheduled",
    "session_cancelled",
    "feedback_requested",
    "next_session_reminder",
    "coach_credential_approved",
    "coach_credential_rejected",
    "waitlisted",
    "admitted_from_waitlist",
)


@dataclass(frozen=True)
class Message:
    recipient_id: UUID
    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    names: dict[str, UUID] = field(default_factory=dict)
    # The consumer fills `programme_kind` and `session_rhythm` from its `programmes` read model.
    programme_id: UUID | None = None


def _other(people: list[UUID], one: UUID) -> UUID:
    return next(p for p in people if p != one)


def messages_for(event: Event) -> list[Message]:
    match event:
        case RequestSent():
            return [Message(event.mentor_id, "request_received", {"expires_at": event.expires_at.isoformat()})]
        case RequestReminderDue():
            return [Message(event.mentor_id, "request_reminder", {"expires_at": event.expires_at.isoformat()})]
        case RequestDeadlinesMoved():  # the mentor was told a date to answer by: a new one (a moved reminder alone says nothing)
            if event.expires_at == event.previous_expires_at:
                return []
            return [Message(event.mentor_id, "request_deadline_moved", {"expires_at": event.expires_at.isoformat()})]
        case RequestDeclined() | RequestExpired() | RequestWithdrawn():
            reason = {RequestDeclined: "declined", RequestExpired: "expired", RequestWithdrawn: "mentor_full"}[type(event)]
            return [Message(event.mentee_id, "request_not_accepted", {"reason": reason})]
        case RequestCancelled():
            if event.withdrawn_participant_id == event.mentor_id:  # the mentee moves on to the next choice
                return [Message(event.mentee_id, "request_not_accepted", {"reason": "mentor_left"})]
            if event.was_pending:  # the mentor had it before them; a waiting one they never saw
                return [Message(event.mentor_id, "request_cancelled")]
            return []
        case PreferencesExhausted():
            return [Message(event.mentee_id, "preferences_exhausted")]
        case PairingEnded():
            partner = event.mentor_id if event.ended_by == EndedBy.mentee else event.mentee_id
            params: dict[str, Any] = {"participant_withdrew": event.participant_withdrew, "is_mentee": partner == event.mentee_id}
            return [Message(partner, "pairing_ended", params)]
        case MentorAvailable():
            return [Message(event.mentee_id, "mentor_available", names={"mentor": event.mentor_id})]
        case PairingFormed():  # both partners hear it once; RequestAccepted (the same moment) tells nobody
            return [
                Message(
                    person,
                    "pairing_formed",
                    {
                        "pairing_id": str(event.pairing_id),
                        "is_mentee": person == event.mentee_id,
                        "programme_kind": None,
                        "session_rhythm": None,
                    },
                    {"partner": partner},
                    programme_id=event.programme_id,
                )
                for person, partner in ((event.mentee_id, event.mentor_id), (event.mentor_id, event.mentee_id))
            ]
        case SessionScheduled() | SeriesScheduled() | SessionRescheduled() | SeriesRescheduled():
            kind = "session_scheduled" if isinstance(event, SessionScheduled | SeriesScheduled) else "session_rescheduled"
            return _for_both(event, kind, _session_params(event), _calendar(event, "REQUEST"))
        case SessionCancelled() | SeriesCancelled():
            params = {**_session_params(event), "reason": event.reason.value}
            return _for_both(event, "session_cancelled", params, _calendar(event, "CANCEL"))
        case SeriesEnded():  # cancelled part-way: the updated invitation keeps the held occurrences
            params = {**_session_params(event), "reason": event.reason.value, "ends_from": event.ends_before.isoformat()}
            calendar = {**_calendar(event, "REQUEST"), "exdates": [d.isoformat() for d in event.exdates]}
            return _for_both(event, "session_cancelled", params, calendar)
        case SessionCompleted():
            return [
                Message(
                    person,
                    "feedback_requested",
                    {"session_id": str(event.session_id), "agenda_title": event.agenda_title},
                    {"partner": _other(event.participant_ids, person)},
                )
                for person in event.participant_ids
            ]
        case NextSessionReminderDue():
            params = {"sessions_completed": event.sessions_completed, "sessions_planned": event.sessions_planned}
            return [
                Message(
                    person,
                    "next_session_reminder",
                    {**params, "next_agenda_title": event.next_agenda_title},
                    {"partner": _other(event.participant_ids, person)},
                )
                for person in event.participant_ids
            ]
        case CoachCredentialApproved():
            return [Message(event.participant_id, "coach_credential_approved")]
        case CoachCredentialRejected():
            return [Message(event.participant_id, "coach_credential_rejected", {"reason": event.reason})]
        case ParticipantRegistered():
            return [Message(event.participant_id, "waitlisted")] if event.waitlisted else []
        case ParticipantAdmitted():
            return [Message(event.participant_id, "admitted_from_waitlist")]
        case AddressVerificationRequested():  # the rest comes with the link, when the mail is sent
            params = {"verification_id": str(event.verification_id), "outcome": None, "link": None, "cohort_name": None}
            return [Message(event.participant_id, ADDRESS_VERIFICATION, {**params, "expires_at": None})]
    return []


Booking = (
    SessionScheduled | SeriesScheduled | SessionRescheduled | SeriesRescheduled | SessionCancelled | SeriesCancelled | SeriesEnded
)


def _session_params(event: Booking) -> dict[str, Any]:
    series = getattr(event, "occurrence_starts", None)
    previous = getattr(event, "previous_starts_at", None)
    return {
        "starts_at": event.starts_at.isoformat(),
        "duration_minutes": event.duration_minutes,
        "agenda_title": event.agenda_title,
        "occurrences": len(series) if series is not None else None,
        "previous_starts_at": previous.isoformat() if previous is not None else None,
        "session_id": str(getattr(event, "session_id", "") or "") or None,
        "series_id": str(getattr(event, "series_id", "") or "") or None,
    }


def _calendar(event: Booking, method: str) -> dict[str, Any]:
    """What `together_servicekit.invitations.invitation` needs, but the people's names and addresses,
    which the delivery adds (the recipient's address comes from registration)."""
    series = getattr(event, "occurrence_starts", None)
    recurrence_id = getattr(event, "recurrence_id", None)
    uid = event.calendar_uid or f"session-{getattr(event, 'session_id', '')}@together"
    return {
        "uid": uid,
        "sequence": event.calendar_sequence,
        "method": method,
        "starts_at": event.starts_at.isoformat(),
        "time_zone": event.time_zone,
        "duration_minutes": event.duration_minutes,
        "organiser_id": str(event.organiser_id) if event.organiser_id else None,
        "attendee_ids": [str(p) for p in event.participant_ids],
        "rrule": getattr(event, "rrule", None),
        "recurrence_id": recurrence_id.isoformat() if recurrence_id is not None else None,
        "until": max(series).isoformat() if series else _last_held(event),
        "summary": event.agenda_title,
    }


def _last_held(event: Booking) -> str | None:
    last = getattr(event, "last_held_at", None)
    return last.isoformat() if last is not None else None


def _for_both(event: Booking, kind: str, params: dict[str, Any], calendar: dict[str, Any]) -> list[Message]:
    return [
        Message(person, kind, {**params, "calendar": calendar}, {"partner": _other(event.participant_ids, person)})
        for person in event.participant_ids
    ]


def message_id_for(notification_id: UUID, domain: str) -> str:
    """The mail's Message-ID, derived from the notification: every attempt of one message carries the same."""
    return f"<notification-{notification_id}@{domain}>"
