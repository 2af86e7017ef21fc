"""Version 2 of matching's `SuggestionsServed`: which mentors a mentee was shown and their scores,
without the reasons (ADR 0008).

A suggestion's reasons quote the answers of two people (the mentee's goals, the mentor's skills,
both grades, ...), and the records of `together.matching` are kept forever. So from v2 on they do not
travel: matching's API shows them to the mentee, and the event keeps what an audit of the advice
needs: who was shown, in which order, with which score. Matching publishes only v2; v1 stays
registered so that history can be read.

The classes keep their v1 names (the event type is `together.matching.SuggestionsServed.v2`); import
this module under a name that says so, e.g. `from together_contracts import matching_v2`.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime, BaseModel

from together_events.registry import CONTRACT_CONFIG, Event, register


class ServedSuggestion(BaseModel):
    """One mentor shown, with the score that ranked them; the reasons stay in matching."""

    model_config = CONTRACT_CONFIG

    mentor_id: UUID
    score: float


@register
class SuggestionsServed(Event):
    """What a mentee was shown: the mentors in the order shown, each with their score, for audit.
    The reasons, which quote both people's answers, stay in matching's API."""

    service = "matching"
    aggregate = "mentee"
    version = 2
    mentee_id: UUID
    cohort_id: UUID
    suggestions: list[ServedSuggestion]
    served_at: AwareDatetime
