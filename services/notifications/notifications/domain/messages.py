"""What each event tells whom (pure): the rule book's notifications as data.

A message is a recipient, a kind and the values its templates need (`params`, JSON values;
times as ISO 8601 strings, shown in the reader's time zone when rendered). `names` asks the
consumer to add a participant's display name to the params (e.g. `partner` -> `partner_name`).
The words are in the templates (`templates/<language>/<kind>.*`), not here. `action` names what the
message asks its reader to do (`actions.py`), so a later fact can make its mail moot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from notifications.domain import actions
from notifications.domain.team import PAIRING_ENDED_EARLY, early_ending_reason
from together_contracts import registration_v2
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
    CoachCredentialRejected,  # v1: history, e.g. a rebuild
    registration_v2.CoachCredentialRejected,
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
    # A cohort's end and its outcomes (`outcomes.py`).
    "pairing_completed",
    "request_lapsed",
    "outcome_requested",
    "outcome_reminder",
)


@dataclass(frozen=True)
class Message:
    recipient_id: UUID
    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    names: dict[str, UUID] = field(default_factory=dict)
    # The consumer fills `programme_kind` and `session_rhythm` from its `programmes` read model.
    programme_id: UUID | None = None
    # What the message asks its reader to do (a key of `actions.py`); None: it only tells.
    action: str | None = None
    # True: the message is for the programme team of `recipient_id`'s programme, not for the participant.
    for_programme_team: bool = False


def waits_to_settle(kind: str) -> bool:
    """A mail waits a few seconds before it goes (`delivery_settle_seconds`), so that a fact that happened
    just before it, on another partition or topic, is mailed first, and one just after it can make it moot.
    Not the address verification: the reply to the reader's own request, which they are waiting for."""
    return kind != ADDRESS_VERIFICATION


def _other(people: list[UUID], one: UUID) -> UUID:
    return next(p for p in people if p != one)


def messages_for(event: Event) -> list[Message]:
    match event:
        case RequestSent() | RequestReminderDue():
            kind = "request_received" if isinstance(event, RequestSent) else "request_reminder"
            deadline = {"expires_at": event.expires_at.isoformat()}
            return [Message(event.mentor_id, kind, deadline, action=actions.answer(event.request_id))]
        case RequestDeadlinesMoved():  # the mentor was told a date to answer by: a new one (a moved reminder alone says nothing)
            if event.expires_at == event.previous_expires_at:
                return []
            deadline = {"expires_at": event.expires_at.isoformat()}
            return [Message(event.mentor_id, "request_deadline_moved", deadline, action=actions.answer(event.request_id))]
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
            return [Message(event.mentee_id, "preferences_exhausted", action=actions.choose(event.mentee_id))]
        case PairingEnded():
            partner = event.mentor_id if event.ended_by == EndedBy.mentee else event.mentee_id
            is_mentee = partner == event.mentee_id
            params: dict[str, Any] = {"participant_withdrew": event.participant_withdrew, "is_mentee": is_mentee}
            told = Message(partner, "pairing_ended", params, action=actions.choose(partner) if is_mentee else None)
            return [told, _ended_early(event)]
        case MentorAvailable():
            return [
                Message(
                    event.mentee_id,
                    "mentor_available",
                    names={"mentor": event.mentor_id},
                    action=actions.ask_mentor(event.mentee_id),
                )
            ]
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
                    action=actions.book(event.pairing_id),
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
                    action=actions.rate(event.session_id, person),
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
                    action=actions.book(event.pairing_id),
                )
                for person in event.participant_ids
            ]
        case CoachCredentialApproved():
            return [Message(event.participant_id, "coach_credential_approved")]
        case CoachCredentialRejected() | registration_v2.CoachCredentialRejected():
            # The team's reason is the coach's to read in registration, never in a mail or in this service
            # (ADR 0008): not even v1's, which carried it. The id lets the feed link to the credential's page.
            params = {"credential_id": str(event.credential_id)}
            return [
                Message(event.participant_id, "coach_credential_rejected", params, action=actions.resubmit(event.participant_id))
            ]
        case ParticipantRegistered():
            return [Message(event.participant_id, "waitlisted")] if event.waitlisted else []
        case ParticipantAdmitted():
            return [Message(event.participant_id, "admitted_from_waitlist", action=actions.choose(event.participant_id))]
        case AddressVerificationRequested():  # the rest comes with the link, when the mail is sent
            params = {"verification_id": str(event.verification_id), "outcome": None, "link": None, "cohort_name": None}
            return [Message(event.participant_id, ADDRESS_VERIFICATION, {**params, "expires_at": None})]
    return []


def _ended_early(event: PairingEnded) -> Message:
    """For the programme team: which pairing, who, when and why; the note stays in pairing (`team.py`)."""
    params = {
        "pairing_id": str(event.pairing_id),
        "mentee_id": str(event.mentee_id),
        "mentor_id": str(event.mentor_id),
        "reason": early_ending_reason(event),
        "ended_at": event.ended_at.isoformat(),
        "programme_kind": None,
        "session_rhythm": None,
    }
    names = {"mentee": event.mentee_id, "mentor": event.mentor_id}
    return Message(event.mentee_id, PAIRING_ENDED_EARLY, params, names, for_programme_team=True)


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
        "agenda_themes": list(getattr(event, "agenda_themes", [])),  # a booking's: what the session covers
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
