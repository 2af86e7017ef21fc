"""Matching's HTTP API (entrypoints room)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from matching import use_cases
from together_servicekit.auth import Principal, authenticated
from together_servicekit.runtime import Runtime, get_runtime

router = APIRouter(tags=["suggestions"])


class SuggestionOut(BaseModel):
    mentor_id: UUID
    score: float
    reasons: list[str]


class SuggestionsOut(BaseModel):
    mentee_id: UUID
    suggestions: list[SuggestionOut]


@router.get("/cohorts/{cohort_id}/mentees/{mentee_id}/suggestions")
async def suggestions(
    cohort_id: UUID,
    mentee_id: UUID,
    limit: int = Query(default=use_cases.DEFAULT_LIMIT, ge=1, le=50),
    runtime: Runtime = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
) -> SuggestionsOut:
    """The best mentors for this mentee, best first, each with its score and reasons."""
    found = await use_cases.suggest_mentors(runtime, caller, cohort_id=cohort_id, mentee_id=mentee_id, limit=limit)
    return SuggestionsOut(
        mentee_id=mentee_id,
        suggestions=[SuggestionOut(mentor_id=s.mentor_id, score=s.score, reasons=s.reasons) for s in found],
    )
