"""Programmes and their rules."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, status

from registration import queries
from registration.api.models import Created, ProgrammeIn, ProgrammeOut
from registration.use_cases import programmes
from together_contracts.registration import ProgrammeRules
from together_servicekit.auth import Principal, authenticated
from together_servicekit.runtime import Runtime, get_runtime

router = APIRouter(tags=["programmes"])


@router.post("/programmes", status_code=status.HTTP_201_CREATED)
async def create_programme(
    body: ProgrammeIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> Created:
    """Rule: a programme team member whose scope is every programme ('*')."""
    programme_id = await programmes.create_programme(
        runtime,
        caller=caller,
        name=body.name,
        kind=body.kind,
        suggestions_per_mentee=body.suggestions_per_mentee,
        rules_override=body.rules,
    )
    return Created(id=programme_id)


@router.get("/programmes/{programme_id}")
async def get_programme(
    programme_id: UUID, runtime: Runtime = Depends(get_runtime), _: Principal = Depends(authenticated)
) -> ProgrammeOut:
    """Rule: anyone signed in (a programme's name, kind and rules are public)."""
    return ProgrammeOut.model_validate(await queries.programme(runtime, programme_id))


@router.patch("/programmes/{programme_id}/rules")
async def change_rules(
    programme_id: UUID,
    body: dict[str, Any],
    runtime: Runtime = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
) -> ProgrammeRules:
    """Rule: the programme's own team. The body is merged over the current rules (as at creation)."""
    return await programmes.change_rules(runtime, caller=caller, programme_id=programme_id, override=body)
