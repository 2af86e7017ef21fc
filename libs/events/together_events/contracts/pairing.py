"""Events published by the pairing service on topic `together.pairing`.

Other systems subscribe here above all: who asked whom, who answered, when.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime, Field

from together_events.registry import Event, register


class _PairingEvent(Event):
    service = "pairing"


@register
class PreferencesSubmitted(_PairingEvent):
    """A mentee ranked up to five mentors; requests go out in this order."""

    aggregate = "selection"
    selection_id: UUID
    mentee_id: UUID
    cohort_id: UUID
    ranked_mentor_ids: list[UUID] = Field(min_length=1, max_length=5)


@register
class RequestSent(_PairingEvent):
    """A request reached its mentor; the deadlines are instants in UTC."""

    aggregate = "request"
    request_id: UUID
    selection_id: UUID
    mentee_id: UUID
    mentor_id: UUID
    cohort_id: UUID
    rank: int = Field(ge=1, le=5)
    reached_mentor_at: AwareDatetime
    remind_at: AwareDatetime
    expires_at: AwareDatetime


@register
class RequestAccepted(_PairingEvent):
    """The mentor accepted the request; a pairing was formed."""

    aggregate = "request"
    request_id: UUID
    mentee_id: UUID
    mentor_id: UUID
    pairing_id: UUID
    accepted_at: AwareDatetime


@register
class RequestDeclined(_PairingEvent):
    """The mentor declined the request; the mentee's next choice is tried."""

    aggregate = "request"
    request_id: UUID
    mentee_id: UUID
    mentor_id: UUID
    declined_at: AwareDatetime


@register
class PairingFormed(_PairingEvent):
    """A mentee and a mentor are paired."""

    aggregate = "pairing"
    pairing_id: UUID
    request_id: UUID
    mentee_id: UUID
    mentor_id: UUID
    cohort_id: UUID
    programme_id: UUID
    # The partners' identities at the identity provider, so services that act for them
    # (booking sessions) need no other topic to know who may.
    mentee_person_id: str
    mentor_person_id: str
    formed_at: AwareDatetime
