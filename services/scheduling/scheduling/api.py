"""Scheduling's HTTP API for plans, sessions and series (entrypoints room)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Response, status
from pydantic import BaseModel, ConfigDict, Field

from scheduling import calendar, domain, use_cases
from scheduling.tables import pairings, participants, series, sessions
from together_servicekit.auth import Forbidden, Principal, authenticated
from together_servicekit.errors import NotFound
from together_servicekit.runtime import Runtime, get_runtime

router = APIRouter(tags=["sessions"])

ICS = "text/calendar; charset=utf-8; method="


class BookingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    starts_at: datetime = Field(description="Local wall-clock start, without offset, e.g. 2026-12-01T13:00:00")
    time_zone: str = Field(
        min_length=1,
        max_length=64,
        description="IANA time zone of starts_at, e.g. America/New_York",
    )
    duration_minutes: int = Field(default=60, ge=15, le=480)


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    starts_at: datetime = Field(description="The new local wall-clock start, without offset")
    time_zone: str = Field(min_length=1, max_length=64, description="IANA time zone of starts_at")
    duration_minutes: int | None = Field(default=None, ge=15, le=480, description="None keeps the duration")


class SeriesIn(BookingIn):
    frequency: domain.Frequency = Field(description="weekly (every `interval` weeks) or monthly (same day of the month)")
    interval: int = Field(default=1, ge=1, le=12, description="every N weeks or months")
    count: int | None = Field(default=None, ge=1, le=domain.MAX_OCCURRENCES, description="how many occurrences")
    until: date | None = Field(default=None, description="the last local date an occurrence may fall on (give count or until)")


class LocalTimeOut(BaseModel):
    participant_id: UUID
    role: Literal["mentee", "mentor"]
    time_zone: str
    starts_at: datetime = Field(description="the start in this participant's zone (with its offset)")
    ends_at: datetime


class SessionOut(BaseModel):
    id: UUID
    pairing_id: UUID
    starts_at: datetime
    ends_at: datetime
    time_zone: str = Field(description="the organiser's zone, the one the session was booked in")
    duration_minutes: int
    status: str = Field(description="scheduled, completed or cancelled")
    completed_at: datetime | None
    cancelled_at: datetime | None
    series_id: UUID | None
    plan_step: int | None
    agenda_title: str | None
    calendar_sequence: int
    local_times: list[LocalTimeOut] = Field(description="the start and end as each partner sees them, in their own zone")


class PlannedOut(BaseModel):
    step: int
    title: str
    minutes: int
    state: Literal["open", "booked", "done"]
    session_id: UUID | None


class PlanOut(BaseModel):
    programme_kind: str
    period_months: int
    meeting_interval: str
    minimum_sessions: int
    sessions: list[PlannedOut]


class Created(BaseModel):
    id: UUID


@router.post("/pairings/{pairing_id}/sessions", status_code=status.HTTP_201_CREATED)
async def book(
    pairing_id: UUID, body: BookingIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> Created:
    """Book a session. Rule: a partner of the pairing."""
    session_id = await use_cases.book_session(
        runtime,
        caller,
        pairing_id=pairing_id,
        local_start=body.starts_at,
        time_zone=body.time_zone,
        duration_minutes=body.duration_minutes,
    )
    return Created(id=session_id)


@router.post("/pairings/{pairing_id}/series", status_code=status.HTTP_201_CREATED)
async def book_series(
    pairing_id: UUID, body: SeriesIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> Created:
    """Book a recurring series (every N weeks or monthly; a count or an end date). Rule: a partner."""
    series_id = await use_cases.book_series(
        runtime,
        caller,
        pairing_id=pairing_id,
        local_start=body.starts_at,
        time_zone=body.time_zone,
        duration_minutes=body.duration_minutes,
        frequency=body.frequency,
        interval=body.interval,
        count=body.count,
        until=body.until,
    )
    return Created(id=series_id)


async def _readable_pairing(conn: sa.ext.asyncio.AsyncConnection, pairing_id: UUID, caller: Principal) -> sa.Row:
    pairing = await use_cases.load_pairing(conn, pairing_id)
    if not use_cases.is_partner(caller, pairing) and not caller.runs(pairing.programme_id):
        raise Forbidden("only the partners and their programme team see a pairing's sessions and plan")
    return pairing


@router.get("/pairings/{pairing_id}/sessions")
async def sessions_of_pairing(
    pairing_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> list[SessionOut]:
    """The pairing's sessions by start (times, status and agenda; never notes), each with its times
    in both partners' own zones. Rule: a partner, or the programme's team (it sees session counts and dates)."""
    async with runtime.engine.connect() as conn:
        pairing = await _readable_pairing(conn, pairing_id, caller)
        zones = {
            row.id: row.time_zone
            for row in await conn.execute(
                sa.select(participants.c.id, participants.c.time_zone).where(
                    participants.c.id.in_([pairing.mentee_id, pairing.mentor_id])
                )
            )
        }
        rows = (
            await conn.execute(sa.select(sessions).where(sessions.c.pairing_id == pairing_id).order_by(sessions.c.starts_at))
        ).mappings()
        out = []
        for row in rows:
            local_times = []
            for pid, role in ((pairing.mentee_id, "mentee"), (pairing.mentor_id, "mentor")):
                seen = domain.as_seen_in(row["starts_at"], row["duration_minutes"], zones.get(pid, row["time_zone"]))
                local_times.append(
                    LocalTimeOut(
                        participant_id=pid, role=role, time_zone=seen.time_zone, starts_at=seen.starts_at, ends_at=seen.ends_at
                    )
                )
            out.append(SessionOut.model_validate({**dict(row), "local_times": local_times}))
        return out


@router.get("/pairings/{pairing_id}/plan")
async def plan_of_pairing(
    pairing_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> PlanOut:
    """The programme's session plan with its agendas, and which planned sessions are booked or done.
    Rule: a partner, or the programme's team."""
    async with runtime.engine.connect() as conn:
        pairing = await _readable_pairing(conn, pairing_id, caller)
        plan = await use_cases.plan_of(conn, pairing)
        held = {
            row.plan_step: row
            for row in await conn.execute(
                sa.select(sessions.c.id, sessions.c.plan_step, sessions.c.status).where(
                    sessions.c.pairing_id == pairing_id, sessions.c.status != "cancelled", sessions.c.plan_step.is_not(None)
                )
            )
        }
        items = []
        for planned in plan.sessions:
            row = held.get(planned.step)
            state = "open" if row is None else ("done" if row.status == "completed" else "booked")
            items.append(PlannedOut(**planned.__dict__, state=state, session_id=row.id if row is not None else None))
        return PlanOut(
            programme_kind=plan.kind,
            period_months=plan.period_months,
            meeting_interval=plan.meeting_interval,
            minimum_sessions=plan.minimum,
            sessions=items,
        )


@router.post("/sessions/{session_id}/reschedule", status_code=status.HTTP_204_NO_CONTENT)
async def reschedule(
    session_id: UUID, body: MoveIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> None:
    """Move one session (alone, or one occurrence of a series) before it starts. Rule: a partner."""
    await use_cases.reschedule_session(
        runtime,
        caller,
        session_id=session_id,
        local_start=body.starts_at,
        time_zone=body.time_zone,
        duration_minutes=body.duration_minutes,
    )


@router.post("/sessions/{session_id}/cancel", status_code=status.HTTP_204_NO_CONTENT)
async def cancel(session_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)) -> None:
    """Cancel one session (alone, or one occurrence of a series) before it starts. Rule: a partner."""
    await use_cases.cancel_session(runtime, caller, session_id=session_id)


@router.post("/series/{series_id}/reschedule", status_code=status.HTTP_204_NO_CONTENT)
async def reschedule_series(
    series_id: UUID, body: MoveIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> None:
    """Move a whole series (same rhythm and count) before its first occurrence. Rule: a partner."""
    await use_cases.reschedule_series(
        runtime,
        caller,
        series_id=series_id,
        local_start=body.starts_at,
        time_zone=body.time_zone,
        duration_minutes=body.duration_minutes,
    )


@router.post("/series/{series_id}/cancel", status_code=status.HTTP_204_NO_CONTENT)
async def cancel_series(
    series_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> None:
    """Cancel a whole series: every occurrence that has not started. Rule: a partner."""
    await use_cases.cancel_series(runtime, caller, series_id=series_id)


@router.post("/sessions/{session_id}/done", status_code=status.HTTP_204_NO_CONTENT)
async def mark_done(
    session_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> None:
    """Mark a session as held (also one held elsewhere); partners are then asked for feedback. Rule: a partner."""
    await use_cases.mark_done(runtime, caller, session_id=session_id)


_ICS_RESPONSE = {200: {"content": {"text/calendar": {}}, "description": "the invitation, RFC 5545"}}


@router.get("/sessions/{session_id}/invitation.ics", response_class=Response, responses=_ICS_RESPONSE)
async def session_invitation(
    session_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> Response:
    """The session's current invitation (an occurrence of a series: the series'). Rule: a partner."""
    async with runtime.engine.connect() as conn:
        row = (await conn.execute(sa.select(sessions).where(sessions.c.id == session_id))).first()
        if row is None:
            raise NotFound("session", session_id)
        pairing = await _partner_pairing(conn, row.pairing_id, caller)
        if row.series_id is not None:
            text = await calendar.series_ics(conn, row.series_id, pairing, runtime.now())
        else:
            text = await calendar.session_ics(conn, row, pairing, runtime.now())
    return _ics(text)


@router.get("/series/{series_id}/invitation.ics", response_class=Response, responses=_ICS_RESPONSE)
async def series_invitation(
    series_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> Response:
    """The series' current invitation: RRULE, moved occurrences, cancelled ones. Rule: a partner."""
    async with runtime.engine.connect() as conn:
        pairing_id = (await conn.execute(sa.select(series.c.pairing_id).where(series.c.id == series_id))).scalar()
        if pairing_id is None:
            raise NotFound("series", series_id)
        pairing = await _partner_pairing(conn, pairing_id, caller)
        text = await calendar.series_ics(conn, series_id, pairing, runtime.now())
    return _ics(text)


async def _partner_pairing(conn: sa.ext.asyncio.AsyncConnection, pairing_id: UUID, caller: Principal) -> sa.Row:
    pairing = (await conn.execute(sa.select(pairings).where(pairings.c.id == pairing_id))).one()
    if not use_cases.is_partner(caller, pairing):
        raise Forbidden("only the partners receive a session's invitation")
    return pairing


def _ics(text: str) -> Response:
    method = "CANCEL" if "\r\nMETHOD:CANCEL\r\n" in text else "REQUEST"
    return Response(
        content=text.encode(), media_type=ICS + method, headers={"Content-Disposition": 'inline; filename="invitation.ics"'}
    )
