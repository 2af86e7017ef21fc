"""What pairing's offers tell whom (pure): reverse mentoring's proposals and on-the-job learning's nominations
(`together_contracts.pairing_kinds`, pairing's ADR 0012).

- `OfferMade`: the receiver (the mentee of a proposal, the mentor of a nomination) is asked to accept or
  decline before the deadline; `OfferReminderDue`: asked again. Both ask for the answer, so an answer (or the
  offer's end) that comes first makes their mail moot, and it is not sent (`actions.DROPPED_WHEN_SETTLED`).
- `OfferDeclined`, `OfferExpired`: the one who made the offer hears it was not accepted: the mentor who
  proposed, or, for a nomination, the programme team, which made it for the supervisor.
- `OfferAccepted`: the programme team hears its nomination was accepted. An accepted proposal tells its
  mentor nothing more: `PairingFormed`, published with it, tells both partners (as `RequestAccepted` does).
- `OfferWithdrawn` tells nobody (the mentor filled up, or a side left: each hears of that already); it settles
  the receiver's waiting mail.

Kept apart from `messages.py` and `actions.py`, which read it: they build their `Message` and `Settlement`
from the plain notices here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from together_contracts.pairing_kinds import (
    OfferAccepted,
    OfferDeclined,
    OfferExpired,
    OfferKind,
    OfferMade,
    OfferReminderDue,
    OfferWithdrawn,
)
from together_events.registry import Event

OFFER_RECEIVED = "offer_received"
OFFER_REMINDER = "offer_reminder"
OFFER_NOT_ACCEPTED = "offer_not_accepted"
NOMINATION_ANSWERED = "nomination_answered"  # for the programme team

OFFER_EVENTS: tuple[type[Event], ...] = (OfferMade, OfferReminderDue, OfferAccepted, OfferDeclined, OfferExpired)
OFFER_KINDS: tuple[str, ...] = (OFFER_RECEIVED, OFFER_REMINDER, OFFER_NOT_ACCEPTED)
OFFER_TEAM_KINDS: tuple[str, ...] = (NOMINATION_ANSWERED,)
OFFER_SETTLING_EVENTS: tuple[type[Event], ...] = (OfferAccepted, OfferDeclined, OfferExpired, OfferWithdrawn)
OFFER_DROPPED_WHEN_SETTLED: frozenset[str] = frozenset({OFFER_RECEIVED, OFFER_REMINDER})


def answer_offer(offer_id: UUID) -> str:
    """The action key: the receiver accepts or declines the offer."""
    return f"answer-offer:{offer_id}"


@dataclass(frozen=True)
class Notice:
    """One message, as `messages.Message` takes it."""

    recipient_id: UUID
    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    names: dict[str, UUID] = field(default_factory=dict)
    action: str | None = None
    for_programme_team: bool = False


def offer_notices(event: Event) -> list[Notice]:
    match event:
        case OfferMade() | OfferReminderDue():
            kind = OFFER_RECEIVED if isinstance(event, OfferMade) else OFFER_REMINDER
            partner = event.mentor_id if event.receiver_id == event.mentee_id else event.mentee_id
            params = {"offer_kind": event.kind.value, "expires_at": event.expires_at.isoformat()}
            return [Notice(event.receiver_id, kind, params, {"partner": partner}, action=answer_offer(event.offer_id))]
        case OfferAccepted() | OfferDeclined() | OfferExpired():
            outcome = {OfferAccepted: "accepted", OfferDeclined: "declined", OfferExpired: "expired"}[type(event)]
            if event.kind is OfferKind.nomination:
                params = {
                    "outcome": outcome,
                    "offer_id": str(event.offer_id),
                    "mentee_id": str(event.mentee_id),
                    "mentor_id": str(event.mentor_id),
                }
                names = {"mentee": event.mentee_id, "mentor": event.mentor_id}
                # The team's message goes to the programme of its participant, the mentee (`use_cases.to_programme_team`).
                return [Notice(event.mentee_id, NOMINATION_ANSWERED, params, names, for_programme_team=True)]
            if outcome == "accepted":
                return []  # PairingFormed tells both partners
            return [Notice(event.mentor_id, OFFER_NOT_ACCEPTED, {"reason": outcome}, {"partner": event.mentee_id})]
    return []


def offer_settled(event: Event) -> list[tuple[str, str]]:
    """The action keys the event settles, each with why (`actions.Settlement`)."""
    match event:
        case OfferAccepted() | OfferDeclined() | OfferExpired() | OfferWithdrawn():
            ended = {OfferAccepted: "accepted", OfferDeclined: "declined", OfferExpired: "expired", OfferWithdrawn: "withdrawn"}
            return [(answer_offer(event.offer_id), f"the offer was {ended[type(event)]}")]
    return []
