"""Pairing's events for the programme kinds where the pair is not asked for by the mentee alone, published on
`together.pairing`: in reverse mentoring the mentor may propose to a mentee (a proposal), in on-the-job learning
the supervisor nominates the mentor for a mentee (a nomination). Both are offers: the receiver (the mentee for a
proposal, the mentor for a nomination) accepts or declines before the same deadlines as a request.

An accepted offer forms a pairing as an accepted request does: `PairingFormed` follows `OfferAccepted` in the same
transaction, its `request_id` being the offer's id.
"""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from pydantic import AwareDatetime, Field

from together_contracts.pairing import _PairingEvent
from together_events.registry import register


class OfferKind(StrEnum):
    proposal = "proposal"  # reverse mentoring: the mentor proposes to the mentee, who answers
    nomination = "nomination"  # on-the-job learning: the supervisor nominates the mentor, who answers


class OfferWithdrawalReason(StrEnum):
    mentor_full = "mentor_full"  # another pairing filled the mentor's places first
    mentee_paired = "mentee_paired"  # the mentee was paired first (their own request was accepted)
    participant_withdrew = "participant_withdrew"  # the mentee or the mentor left the cohort
    cohort_ended = "cohort_ended"  # the cohort reached its end date first (registration's CohortEnded)


class _OfferEvent(_PairingEvent):
    aggregate = "offer"
    offer_id: UUID
    kind: OfferKind
    mentee_id: UUID
    mentor_id: UUID


@register
class OfferMade(_OfferEvent):
    """An offer reached its receiver; the deadlines are instants in UTC, set as a request's are, in the
    receiver's time zone and off their days off."""

    cohort_id: UUID
    receiver_id: UUID = Field(description="Who answers: the mentee for a proposal, the mentor for a nomination.")
    made_at: AwareDatetime
    remind_at: AwareDatetime
    expires_at: AwareDatetime


@register
class OfferReminderDue(_OfferEvent):
    """The receiver has not answered: the reminder is due (48 hours, moved off weekends and days off)."""

    receiver_id: UUID
    expires_at: AwareDatetime
    reminded_at: AwareDatetime


@register
class OfferAccepted(_OfferEvent):
    """The receiver accepted; a pairing was formed (`PairingFormed` with the offer's id as its request_id)."""

    pairing_id: UUID
    accepted_at: AwareDatetime


@register
class OfferDeclined(_OfferEvent):
    """The receiver declined; the offer is over."""

    declined_at: AwareDatetime


@register
class OfferExpired(_OfferEvent):
    """The receiver did not answer before the expiry; the offer is over."""

    expired_at: AwareDatetime


@register
class OfferWithdrawn(_OfferEvent):
    """The offer can no longer be accepted and will not be answered: the mentor became full, the mentee was paired
    first, or a side left."""

    reason: OfferWithdrawalReason
    withdrawn_at: AwareDatetime
