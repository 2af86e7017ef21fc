"""Events published by the pairing service on topic `together.pairing`.

Other systems subscribe here above all: who asked whom, who answered, when.
"""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from pydantic import AwareDatetime, Field

from together_events.registry import Event, register


class _PairingEvent(Event):
    service = "pairing"


class Engagement(StrEnum):
    """What a networking request asks for (networking + mentoring programmes only)."""

    networking_meetings = "networking_meetings"  # 1-2 networking meetings
    mentoring_relationship = "mentoring_relationship"  # a mentoring relationship of 3-6 meetings


@register
class PreferencesSubmitted(_PairingEvent):
    """A mentee ranked up to five mentors; requests go out in this order."""

    aggregate = "selection"
    selection_id: UUID
    mentee_id: UUID
    cohort_id: UUID
    ranked_mentor_ids: list[UUID] = Field(min_length=1, max_length=5)
    engagement: Engagement | None = Field(default=None, description="networking programmes: what the mentee asks for")
    assignment_id: UUID | None = Field(
        default=None, description="set when the selection came from a cohort-wide assignment the programme team accepted"
    )


@register
class RequestQueued(_PairingEvent):
    """A request was made to the mentee's next choice. It reaches the mentor (RequestSent) at once
    if the mentor holds no other pending request, else when the one before it is answered."""

    aggregate = "request"
    request_id: UUID
    selection_id: UUID
    mentee_id: UUID
    mentor_id: UUID
    cohort_id: UUID
    rank: int = Field(ge=1, le=5)
    queued_at: AwareDatetime


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
    engagement: Engagement | None = Field(default=None, description="networking programmes: what the mentee asks for")


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


@register
class RequestReminderDue(_PairingEvent):
    """The mentor has not answered: the reminder is due (48 hours, moved off the weekend)."""

    aggregate = "request"
    request_id: UUID
    mentee_id: UUID
    mentor_id: UUID
    expires_at: AwareDatetime
    reminded_at: AwareDatetime


@register
class RequestExpired(_PairingEvent):
    """The mentor did not answer in time; the mentee's next choice is tried."""

    aggregate = "request"
    request_id: UUID
    mentee_id: UUID
    mentor_id: UUID
    expired_at: AwareDatetime


class WithdrawalReason(StrEnum):
    mentor_full = "mentor_full"  # the mentor reached capacity before this request reached them


@register
class RequestWithdrawn(_PairingEvent):
    """A request that was waiting for its mentor will never reach them; the mentee moves on."""

    aggregate = "request"
    request_id: UUID
    mentee_id: UUID
    mentor_id: UUID
    reason: WithdrawalReason
    withdrawn_at: AwareDatetime


@register
class RequestCancelled(_PairingEvent):
    """A waiting or pending request ended because its mentee or its mentor left the cohort
    (registration's ParticipantWithdrawn). If the mentor left, the mentee's next choice is tried."""

    aggregate = "request"
    request_id: UUID
    selection_id: UUID
    mentee_id: UUID
    mentor_id: UUID
    cohort_id: UUID
    withdrawn_participant_id: UUID = Field(description="who left: the mentee_id or the mentor_id")
    was_pending: bool = Field(description="true if the request had reached the mentor, false if it was waiting")
    cancelled_at: AwareDatetime


@register
class PreferencesExhausted(_PairingEvent):
    """Every mentor the mentee ranked was tried without a pairing: the mentee is asked for new preferences."""

    aggregate = "selection"
    selection_id: UUID
    mentee_id: UUID
    cohort_id: UUID
    exhausted_at: AwareDatetime


class EndedBy(StrEnum):
    mentee = "mentee"  # "request a new mentor"
    mentor = "mentor"  # coaching: either side may end


@register
class PairingEnded(_PairingEvent):
    """A pairing ended; the mentee is back in selection and the mentor has a place again.
    The message to the partner and the note to the programme team stay in pairing's database."""

    aggregate = "pairing"
    pairing_id: UUID
    mentee_id: UUID
    mentor_id: UUID
    cohort_id: UUID
    ended_by: EndedBy
    ended_at: AwareDatetime
    participant_withdrew: bool = Field(
        default=False, description="true when the pairing ended because `ended_by`'s side left the cohort"
    )


@register
class MentorFollowed(_PairingEvent):
    """A mentee asked to be told when a (full) mentor has a place again."""

    aggregate = "mentor"
    mentor_id: UUID
    mentee_id: UUID
    followed_at: AwareDatetime


@register
class MentorAvailable(_PairingEvent):
    """A mentor the mentee follows has a free place again (one event per follower)."""

    aggregate = "mentor"
    mentor_id: UUID
    mentee_id: UUID
    available_at: AwareDatetime


class SkipReason(StrEnum):
    mentee_paired = "mentee_paired"  # the mentee already has an active pairing
    open_selection = "open_selection"  # the mentee's own preferences are being tried
    already_sent = "already_sent"  # this assignment's pair was sent before
    mentee_unknown = "mentee_unknown"  # not a mentee or client pairing knows in the cohort, withdrawn or waitlisted
    mentor_unknown = "mentor_unknown"  # not a mentor or approved coach pairing knows in the cohort, or withdrawn


@register
class AssignedPairSkipped(_PairingEvent):
    """A pair of an accepted assignment (matching's AssignmentAccepted) was not sent, and why.

    Superseded by v2 (`pairing_v2`), which adds the hard rules of pairing and eligibility as reasons:
    published beside v2 for six months, only for the reasons it knows; kept so history can be read."""

    aggregate = "assignment"
    assignment_id: UUID
    cohort_id: UUID
    mentee_id: UUID
    mentor_id: UUID
    reason: SkipReason
    skipped_at: AwareDatetime


class CompletedBecause(StrEnum):
    programme_ended = "programme_ended"  # the cohort reached its end date (CohortEnded)


@register
class PairingCompleted(_PairingEvent):
    """A pairing ran to its end: not ended early (that is `PairingEnded`). The mentor's place is not
    given back: the cohort is over. Scheduling asks both partners for the final assessment and the
    post-programme survey."""

    aggregate = "pairing"
    pairing_id: UUID
    mentee_id: UUID
    mentor_id: UUID
    cohort_id: UUID
    reason: CompletedBecause
    completed_at: AwareDatetime


@register
class RequestLapsed(_PairingEvent):
    """A request still waiting for its mentor, or still unanswered, when the cohort ended: it will never
    be answered, and no next choice is tried."""

    aggregate = "request"
    request_id: UUID
    selection_id: UUID
    mentee_id: UUID
    mentor_id: UUID
    cohort_id: UUID
    was_pending: bool = Field(description="true if the request had reached the mentor, false if it was waiting")
    lapsed_at: AwareDatetime
