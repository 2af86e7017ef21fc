"""Scheduling's HTTP API (entrypoints room)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, ConfigDict, Field

from scheduling import use_cases
from scheduling.tables import pairings, sessions
from together_servicekit.auth import Forbidden, Principal, authenticated
from together_servicekit.errors import NotFound
from together_servicekit.runtime import Runtime, get_runtime

router = APIRouter(tags=["sessions"])


class BookingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    starts_at: datetime = Field(description="Local wall-clock start, without offset, e.g. 2026-12-01T13:00:00")
    time_zone: str = Field(
        min_length=1,
        max_length=64,
        description="IANA time zone of starts_at, e.g. America/New_York",
    )
    duration_minutes: int = Field(default=60, ge=15, le=480)


class SessionOut(BaseModel):
    id: UUID
    pairing_id: UUID
    starts_at: datetime
    time_zone: str
    duration_minutes: int
    status: str
    completed_at: datetime | None


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


@router.get("/pairings/{pairing_id}/sessions")
async def sessions_of_pairing(
    pairing_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> list[SessionOut]:
    """The pairing's sessions by start (times and status; never notes).
    Rule: a partner, or the programme's team (it sees session counts and dates)."""
    async with runtime.engine.connect() as conn:
        pairing = (await conn.execute(sa.select(pairings).where(pairings.c.id == pairing_id))).first()
        if pairing is None:
            raise NotFound("pairing", pairing_id)
        if not use_cases.is_partner(caller, pairing) and not caller.runs(pairing.programme_id):
            raise Forbidden("only the partners and their programme team see a pairing's sessions")
        rows = (
            await conn.execute(sa.select(sessions).where(sessions.c.pairing_id == pairing_id).order_by(sessions.c.starts_at))
        ).mappings()
        return [SessionOut.model_validate(dict(row)) for row in rows]


@router.post("/sessions/{session_id}/done", status_code=status.HTTP_204_NO_CONTENT)
async def mark_done(
    session_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> None:
    """Mark a session as held (also one held elsewhere); partners are then asked for feedback. Rule: a partner."""
    await use_cases.mark_done(runtime, caller, session_id=session_id)
