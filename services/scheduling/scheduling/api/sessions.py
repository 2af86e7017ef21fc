"""Plans, sessions and series, and their invitations (tag `sessions`)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Response, status

from scheduling import queries
from scheduling.api.models import (
    BookingIn,
    Created,
    HeldSessionIn,
    LocalTimeOut,
    MoveIn,
    PlannedOut,
    PlanOut,
    SeriesIn,
    SessionOut,
)
from scheduling.use_cases import series as series_cases
from scheduling.use_cases import sessions as session_cases
from together_servicekit.auth import Principal, authenticated
from together_servicekit.runtime import Runtime, get_runtime

router = APIRouter(tags=["sessions"])

ICS = "text/calendar; charset=utf-8; method="


@router.post("/pairings/{pairing_id}/sessions", status_code=status.HTTP_201_CREATED)
async def book(
    pairing_id: UUID, body: BookingIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> Created:
    """Book a session. Rule: a partner of the pairing."""
    session_id = await session_cases.book_session(
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
    series_id = await series_cases.book_series(
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


@router.post("/pairings/{pairing_id}/recorded-sessions", status_code=status.HTTP_201_CREATED)
async def record_held_session(
    pairing_id: UUID, body: HeldSessionIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> Created:
    """Record a session held outside the platform, afterwards: it counts as held and both partners are
    asked for feedback. Rule: a partner of the pairing."""
    session_id = await session_cases.record_held_session(
        runtime,
        caller,
        pairing_id=pairing_id,
        local_start=body.starts_at,
        time_zone=body.time_zone,
        duration_minutes=body.duration_minutes,
        plan_step=body.plan_step,
    )
    return Created(id=session_id)


@router.get("/pairings/{pairing_id}/sessions")
async def sessions_of_pairing(
    pairing_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> list[SessionOut]:
    """The pairing's sessions by start (times, status and agenda; never notes), each with its times
    in both partners' own zones. Rule: a partner, or the programme's team (it sees session counts and dates)."""
    return [
        SessionOut(
            id=view.session.id,
            pairing_id=view.session.pairing_id,
            starts_at=view.session.starts_at,
            ends_at=view.session.ends_at,
            time_zone=view.session.time_zone,
            duration_minutes=view.session.duration_minutes,
            status=view.session.status.value,
            completed_at=view.session.completed_at,
            cancelled_at=view.session.cancelled_at,
            series_id=view.session.series_id,
            plan_step=view.session.plan_step,
            agenda_title=view.session.agenda_title,
            agenda_themes=list(view.session.agenda_themes),
            held_elsewhere=view.session.held_elsewhere,
            calendar_sequence=view.session.calendar_sequence,
            local_times=[
                LocalTimeOut(
                    participant_id=partner.participant_id,
                    role=partner.role,
                    time_zone=partner.seen.time_zone,
                    starts_at=partner.seen.starts_at,
                    ends_at=partner.seen.ends_at,
                )
                for partner in view.local_times
            ],
        )
        for view in await queries.sessions_of_pairing(runtime, caller, pairing_id)
    ]


@router.get("/pairings/{pairing_id}/plan")
async def plan_of_pairing(
    pairing_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> PlanOut:
    """The programme's session plan with its agendas, and which planned sessions are booked or done.
    Rule: a partner, or the programme's team."""
    plan, items = await queries.plan_of_pairing(runtime, caller, pairing_id)
    return PlanOut(
        programme_kind=plan.kind,
        period_months=plan.period_months,
        meeting_interval=plan.meeting_interval,
        minimum_sessions=plan.minimum,
        sessions=[PlannedOut.model_validate(item, from_attributes=True) for item in items],
    )


@router.post("/sessions/{session_id}/reschedule", status_code=status.HTTP_204_NO_CONTENT)
async def reschedule(
    session_id: UUID, body: MoveIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> None:
    """Move one session (alone, or one occurrence of a series) before it starts. Rule: a partner."""
    await session_cases.reschedule_session(
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
    await session_cases.cancel_session(runtime, caller, session_id=session_id)


@router.post("/series/{series_id}/reschedule", status_code=status.HTTP_204_NO_CONTENT)
async def reschedule_series(
    series_id: UUID, body: MoveIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> None:
    """Move a whole series (same rhythm and count) before its first occurrence. Rule: a partner."""
    await series_cases.reschedule_series(
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
    await series_cases.cancel_series(runtime, caller, series_id=series_id)


@router.post("/sessions/{session_id}/done", status_code=status.HTTP_204_NO_CONTENT)
async def mark_done(
    session_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> None:
    """Mark a session as held (also one held elsewhere); partners are then asked for feedback. Rule: a partner."""
    await session_cases.mark_done(runtime, caller, session_id=session_id)


_ICS_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/calendar": {}}, "description": "the invitation, RFC 5545"}
}


@router.get("/sessions/{session_id}/invitation.ics", response_class=Response, responses=_ICS_RESPONSE)
async def session_invitation(
    session_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> Response:
    """The session's current invitation (an occurrence of a series: the series'). Rule: a partner."""
    return _ics(await queries.invitation_of_session(runtime, caller, session_id))


@router.get("/series/{series_id}/invitation.ics", response_class=Response, responses=_ICS_RESPONSE)
async def series_invitation(
    series_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> Response:
    """The series' current invitation: RRULE, moved occurrences, cancelled ones. Rule: a partner."""
    return _ics(await queries.invitation_of_series(runtime, caller, series_id))


def _ics(text: str) -> Response:
    method = "CANCEL" if "\r\nMETHOD:CANCEL\r\n" in text else "REQUEST"
    return Response(
        content=text.encode(), media_type=ICS + method, headers={"Content-Disposition": 'inline; filename="invitation.ics"'}
    )
