"""Events published by the matching service on topic `together.matching`."""

from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict

from together_events.registry import Event, register


class ServedSuggestion(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    mentor_id: UUID
    score: float
    reasons: list[str]


@register
class SuggestionsServed(Event):
    """What a mentee was shown, and why: lets an auditor reconstruct the advice given."""

    service = "matching"
    aggregate = "mentee"
    mentee_id: UUID
    cohort_id: UUID
    suggestions: list[ServedSuggestion]
    served_at: AwareDatetime
