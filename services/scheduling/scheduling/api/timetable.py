"""A cohort's timetable (a career week): published by the programme team, read by everyone in the
programme in their own zone and in four columns at once, and taken into calendars (tag `timetable`)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response, status

from scheduling import queries
from scheduling.api.models import Created, TimetableEntryIn, TimetableEntryOut, TimetableOut, ZoneTimesOut
from scheduling.api.sessions import ICS
from scheduling.domain.world_clock import Cell
from scheduling.use_cases import timetable as cases
from together_servicekit.auth import Principal, authenticated
from together_servicekit.runtime import Runtime, get_runtime

router = APIRouter(tags=["timetable"])


def _entered(body: TimetableEntryIn) -> cases.Entered:
    return cases.Entered(body.title, body.kind, body.language, body.starts_at, body.time_zone, body.duration_minutes)


@router.post("/cohorts/{cohort_id}/timetable", status_code=status.HTTP_201_CREATED)
async def publish(
    cohort_id: UUID, body: TimetableEntryIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> Created:
    """Publish an entry of the cohort's timetable. Rule: the programme's team."""
    return Created(id=await cases.publish_entry(runtime, caller, cohort_id=cohort_id, entered=_entered(body)))


@router.put("/timetable-entries/{entry_id}", status_code=status.HTTP_204_NO_CONTENT)
async def change(
    entry_id: UUID, body: TimetableEntryIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> None:
    """Replace an entry (title, kind, language, start, duration) before it starts. Rule: the programme's team."""
    await cases.change_entry(runtime, caller, entry_id=entry_id, entered=_entered(body))


@router.post("/timetable-entries/{entry_id}/cancel", status_code=status.HTTP_204_NO_CONTENT)
async def cancel(entry_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)) -> None:
    """Cancel an entry before it starts. Rule: the programme's team."""
    await cases.cancel_entry(runtime, caller, entry_id=entry_id)


@router.get("/cohorts/{cohort_id}/timetable")
async def timetable(
    cohort_id: UUID,
    tz: str | None = Query(default=None, min_length=1, max_length=64, description="IANA zone to read it in; default: yours"),
    runtime: Runtime = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
) -> TimetableOut:
    """The timetable by start, each entry in the reader's zone and in New York, Europe (Geneva), Nairobi and
    Bangkok, marked +1 / -1 where it falls on another day than in New York. Rule: the programme's team, or
    anyone registered in the programme."""
    view = await queries.timetable(runtime, caller, cohort_id, tz)
    return TimetableOut(
        cohort_id=view.cohort.id,
        programme_id=view.cohort.programme_id,
        time_zone=view.reader_zone,
        entries=[
            TimetableEntryOut(
                id=listed.entry.id,
                title=listed.entry.details.title,
                kind=listed.entry.details.kind,
                language=listed.entry.details.language,
                label=listed.entry.details.label,
                starts_at=listed.entry.details.starts_at,
                ends_at=listed.entry.ends_at,
                time_zone=listed.entry.details.time_zone,
                duration_minutes=listed.entry.details.duration_minutes,
                calendar_sequence=listed.entry.calendar_sequence,
                day=listed.slot.day,
                yours=_times(listed.slot.yours) if listed.slot.yours else None,
                columns=[_times(cell) for cell in listed.slot.columns],
            )
            for listed in view.entries
        ],
    )


def _times(cell: Cell) -> ZoneTimesOut:
    return ZoneTimesOut(
        column=cell.column,
        time_zone=cell.time_zone,
        starts_at=cell.starts_at,
        ends_at=cell.ends_at,
        start_day=cell.start_day,
        end_day=cell.end_day,
        text=cell.text,
    )


_ICS_RESPONSE: dict[int | str, dict[str, Any]] = {200: {"content": {"text/calendar": {}}, "description": "iCalendar, RFC 5545"}}


@router.get("/cohorts/{cohort_id}/timetable.ics", response_class=Response, responses=_ICS_RESPONSE)
async def timetable_calendar(
    cohort_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> Response:
    """The whole timetable as one calendar (METHOD:PUBLISH), its entries still on. Rule: as the timetable."""
    return _ics(await queries.calendar_of_timetable(runtime, caller, cohort_id), "timetable.ics")


@router.get("/timetable-entries/{entry_id}/calendar.ics", response_class=Response, responses=_ICS_RESPONSE)
async def entry_calendar(
    entry_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> Response:
    """One entry's calendar entry (METHOD:PUBLISH; CANCEL once cancelled). Rule: as the timetable."""
    return _ics(await queries.calendar_of_timetable_entry(runtime, caller, entry_id), "timetable-entry.ics")


def _ics(text: str, filename: str) -> Response:
    method = "CANCEL" if "\r\nMETHOD:CANCEL\r\n" in text else "PUBLISH"
    return Response(
        content=text.encode(), media_type=ICS + method, headers={"Content-Disposition": f'inline; filename="{filename}"'}
    )
