"""Cohorts: opened by their programme's team, closed by it or by the cohort closer."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends, status

from registration import queries
from registration.api.models import CohortIn, CohortOut, Created
from registration.use_cases import programmes
from together_servicekit.auth import Principal, authenticated
from together_servicekit.runtime import Runtime, get_runtime

router = APIRouter(tags=["cohorts"])


@router.post("/programmes/{programme_id}/cohorts", status_code=status.HTTP_201_CREATED)
async def open_cohort(
    programme_id: UUID, body: CohortIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> Created:
    """Rule: the programme's own team."""
    cohort_id = await programmes.open_cohort(
        runtime,
        caller=caller,
        programme_id=programme_id,
        name=body.name,
        opens=body.registration_opens_on,
        closes=body.registration_closes_on,
        starts=body.starts_on,
        ends=body.ends_on,
        places=body.places,
    )
    return Created(id=cohort_id)


@router.get("/cohorts/{cohort_id}")
async def get_cohort(
    cohort_id: UUID, runtime: Runtime = Depends(get_runtime), _: Principal = Depends(authenticated)
) -> CohortOut:
    """Rule: anyone signed in (dates and windows are public)."""
    return CohortOut.model_validate(await queries.cohort(runtime, cohort_id))


@router.post("/cohorts/{cohort_id}/closure")
async def close_cohort(
    cohort_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> CohortOut:
    """Rule: the programme's own team. Closes registration now (409 if already closed); the
    cohort closer does the same on its own once the window has passed."""
    await programmes.close_cohort(runtime, caller=caller, cohort_id=cohort_id)
    return CohortOut.model_validate(await queries.cohort(runtime, cohort_id))
