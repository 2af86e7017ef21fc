"""Version 2 of pairing's `AssignedPairSkipped`: a pair of an accepted assignment may also be skipped because
it breaks a hard rule of pairing (grade, shared meeting language) or a side is no longer eligible.

v1's `reason` allows only its five values, so the new reasons need a new major version. Pairing
publishes v2 for every skipped pair, and v1 beside it, for the six months of the overlap, when the
reason is one v1 knows; v1 stays registered so that history can be read. The class keeps its v1
name (the type is `together.pairing.AssignedPairSkipped.v2`); import the module under a name that
says so, e.g. `from together_contracts import pairing_v2`.
"""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from pydantic import AwareDatetime, Field

from together_contracts import pairing as v1
from together_events.registry import register


class SkipReason(StrEnum):
    mentee_paired = "mentee_paired"  # the mentee already has an active pairing
    open_selection = "open_selection"  # the mentee's own preferences are being tried
    already_sent = "already_sent"  # this assignment's pair was sent before
    mentee_unknown = "mentee_unknown"  # not a mentee or client pairing knows in the cohort, withdrawn or waitlisted
    mentor_unknown = "mentor_unknown"  # not a mentor or approved coach pairing knows in the cohort, or withdrawn
    mentee_not_eligible = "mentee_not_eligible"  # the programme's rules no longer admit the mentee (entity, job network)
    mentor_not_eligible = "mentor_not_eligible"  # the programme's rules no longer admit the mentor (entity, job network)
    grade = "grade"  # the grade rule of the programme's kind (a more experienced mentor; reverse mentoring: one below)
    language = "language"  # no language both speak among the programme's meeting languages


@register
class AssignedPairSkipped(v1._PairingEvent):
    """A pair of an accepted assignment (matching's AssignmentAccepted) was not sent, and why: v1's reasons, or a
    hard rule the pair breaks now (rules and answers may have changed since matching proposed it)."""

    version = 2
    aggregate = "assignment"
    assignment_id: UUID
    cohort_id: UUID
    mentee_id: UUID
    mentor_id: UUID
    reason: SkipReason = Field(
        description="v1's reasons; `mentee_not_eligible` / `mentor_not_eligible`: the programme's rules no longer admit "
        "that side (entity, job network); `grade`: the grade rule of the programme's kind (a more experienced mentor; "
        "reverse mentoring: a mentor of a lower grade); `language`: no language both speak among the programme's "
        "meeting languages."
    )
    skipped_at: AwareDatetime


def as_v1(event: AssignedPairSkipped) -> v1.AssignedPairSkipped | None:
    """The same skip as v1 states it, for the overlap; None for a reason v1 does not know."""
    if event.reason.value not in {reason.value for reason in v1.SkipReason}:
        return None
    return v1.AssignedPairSkipped(
        assignment_id=event.assignment_id,
        cohort_id=event.cohort_id,
        mentee_id=event.mentee_id,
        mentor_id=event.mentor_id,
        reason=v1.SkipReason(event.reason.value),
        skipped_at=event.skipped_at,
    )
