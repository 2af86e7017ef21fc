"""A cohort's outcomes report, for its programme's team: as JSON, or as CSV (one row per measure, dimension
and group) for a spreadsheet. No group under five people is shown (ADR 0011)."""

from __future__ import annotations

import csv
import io
from uuid import UUID

from fastapi import APIRouter, Depends, Response

from registration import queries
from registration.api.models import OutcomeRowOut, OutcomesOut
from registration.domain.outcomes import DIMENSIONS, MINIMUM_GROUP, Row
from together_servicekit.auth import Principal, authenticated
from together_servicekit.runtime import Runtime, get_runtime

router = APIRouter(tags=["outcomes"])

CSV_COLUMNS = ("measure", "dimension", "group", "people", "value")


@router.get("/cohorts/{cohort_id}/outcomes")
async def cohort_outcomes(
    cohort_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> OutcomesOut:
    """Rule: the programme's own team (403 to anyone else signed in)."""
    cohort, rows = await queries.cohort_outcomes(runtime, cohort_id, caller)
    return OutcomesOut(
        cohort_id=cohort_id,
        programme_id=cohort["programme_id"],
        minimum_group_size=MINIMUM_GROUP,
        dimensions=list(DIMENSIONS),
        rows=[OutcomeRowOut.model_validate(row, from_attributes=True) for row in rows],
    )


@router.get(
    "/cohorts/{cohort_id}/outcomes.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "measure, dimension, group, people, value"}},
)
async def cohort_outcomes_csv(
    cohort_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> Response:
    """Rule: the programme's own team. The same rows as the JSON report; an empty value: nothing to measure."""
    _, rows = await queries.cohort_outcomes(runtime, cohort_id, caller)
    return Response(
        content=as_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="outcomes-{cohort_id}.csv"'},
    )


def as_csv(rows: list[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        # A group is a participant's own answer (an entity, a duty station): never let a spreadsheet run it as a formula.
        group = f"'{row.group}" if row.group[:1] in ("=", "+", "-", "@") else row.group
        writer.writerow((row.measure, row.dimension, group, row.people, "" if row.value is None else row.value))
    return out.getvalue()
