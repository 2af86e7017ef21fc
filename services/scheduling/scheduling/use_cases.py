"""Scheduling's use cases."""

from __future__ import annotations

import uuid
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa

from scheduling import domain
from scheduling.tables import pairings, sessions
from together_events.contracts.scheduling import (
    CompletedBy,
    SessionCompleted,
    SessionScheduled,
)
from together_servicekit.auth import Forbidden, Principal
from together_servicekit.errors import Conflict, NotFound, invalid
from together_servicekit.runtime import Runtime


def is_partner(caller: Principal, pairing: sa.Row) -> bool:
    return caller.is_person(pairing.mentee_person_id) or caller.is_person(pairing.mentor_person_id)


async def book_session(
    runtime: Runtime,
    caller: Principal,
    *,
    pairing_id: UUID,
    local_start: datetime,
    time_zone: str,
    duration_minutes: int,
) -> UUID:
    starts_at = domain.local_start_to_utc(local_start, time_zone)
    if starts_at <= runtime.now():
        raise invalid("starts_at", "in_the_future", f"{local_start.isoformat()} in {time_zone} has already passed")
    session_id = uuid.uuid4()
    async with runtime.engine.begin() as conn:
        pairing = (await conn.execute(sa.select(pairings).where(pairings.c.id == pairing_id))).first()
        if pairing is None:
            raise NotFound("pairing", pairing_id)
        if not is_partner(caller, pairing):
            raise Forbidden("only the partners of a pairing book its sessions")
        if pairing.ended_at is not None:
            raise Conflict("the pairing has ended: no more sessions are booked for it")
        await conn.execute(
            sessions.insert().values(
                id=session_id,
                pairing_id=pairing_id,
                starts_at=starts_at,
                time_zone=time_zone,
                duration_minutes=duration_minutes,
                status="scheduled",
            )
        )
        await runtime.record(
            conn,
            SessionScheduled(
                session_id=session_id,
                pairing_id=pairing_id,
                participant_ids=[pairing.mentee_id, pairing.mentor_id],
                starts_at=starts_at,
                time_zone=time_zone,
                duration_minutes=duration_minutes,
            ),
        )
    return session_id


async def mark_done(runtime: Runtime, caller: Principal, *, session_id: UUID) -> None:
    """A partner says the session took place (also for sessions held elsewhere). Rule: a partner."""
    now = runtime.now()
    async with runtime.engine.begin() as conn:
        row = (
            await conn.execute(
                sa.select(
                    sessions, pairings.c.mentee_id, pairings.c.mentor_id, pairings.c.mentee_person_id, pairings.c.mentor_person_id
                )
                .join(pairings, pairings.c.id == sessions.c.pairing_id)
                .where(sessions.c.id == session_id)
                .with_for_update(of=sessions)
            )
        ).first()
        if row is None:
            raise NotFound("session", session_id)
        if not is_partner(caller, row):
            raise Forbidden("only the partners of a pairing mark its sessions done")
        if row.status != "scheduled":
            raise Conflict(f"the session is already {row.status}")
        if now < row.starts_at:
            raise Conflict(f"the session starts at {row.starts_at.isoformat()}; it can be marked done once it has started")
        await conn.execute(sessions.update().where(sessions.c.id == session_id).values(status="completed", completed_at=now))
        await runtime.record(
            conn,
            SessionCompleted(
                session_id=session_id,
                pairing_id=row.pairing_id,
                participant_ids=[row.mentee_id, row.mentor_id],
                completed_at=now,
                completed_by=CompletedBy.marked_done,
            ),
        )
