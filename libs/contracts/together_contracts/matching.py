"""Events published by the matching service on topic `together.matching` (v2 of `SuggestionsServed`: `matching_v2`)."""

from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime, BaseModel

from together_events.registry import CONTRACT_CONFIG, Event, register


class ServedSuggestion(BaseModel):
    model_config = CONTRACT_CONFIG

    mentor_id: UUID
    score: float
    reasons: list[str]


@register
class SuggestionsServed(Event):
    """What a mentee was shown, and why: lets an auditor reconstruct the advice given.

    Retired for privacy (ADR 0008): no longer published, v2 leaves the reasons (they quote both people's
    answers) in matching's API; kept so history can be read."""

    service = "matching"
    aggregate = "mentee"
    mentee_id: UUID
    cohort_id: UUID
    suggestions: list[ServedSuggestion]
    served_at: AwareDatetime


class AssignedPair(BaseModel):
    model_config = CONTRACT_CONFIG

    mentee_id: UUID
    mentor_id: UUID
    score: float


@register
class AssignmentAccepted(Event):
    """The programme team accepted a cohort-wide assignment proposal. Pairing sends each pair's request
    through its ordinary lifecycle (the mentor may still decline; deadlines apply)."""

    service = "matching"
    aggregate = "assignment"
    assignment_id: UUID
    cohort_id: UUID
    programme_id: UUID
    pairs: list[AssignedPair]
    accepted_at: AwareDatetime
