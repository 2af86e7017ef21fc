"""Single sessions, and one occurrence of a series changed alone: booked, moved, cancelled, completed;
and a session held elsewhere, recorded afterwards."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from scheduling import repository
from scheduling.access import require_partner, visible_pairing, visible_session
from scheduling.domain import times
from scheduling.domain.held_elsewhere import record_held_elsewhere
from scheduling.domain.pairing import Pairing
from scheduling.domain.plans import Plan
from scheduling.domain.series import Series
from scheduling.domain.sessions import Session, next_session_reminder, taken_steps
from scheduling.use_cases.kinds import check_reverse_mentoring_sessions
from together_contracts.scheduling import CompletedBy
from together_servicekit.auth import Principal
from together_servicekit.runtime import Runtime

BOOKERS = "only the partners of a pairing book, move or cancel its sessions"


async def book_session(
    runtime: Runtime,
    caller: Principal,
    *,
    pairing_id: UUID,
    local_start: datetime,
    time_zone: str,
    duration_minutes: int,
) -> UUID:
    """Book a session at a local time in the organiser's zone; it takes the plan's next open agenda item."""
    starts_at = times.session_start(local_start, time_zone, runtime.now())
    async with runtime.engine.begin() as conn:
        pairing = await visible_pairing(conn, caller, pairing_id, lock=True)  # one booking at a time takes plan steps
        organiser = require_partner(caller, pairing, BOOKERS)
        booked_before = await repository.sessions_of_pairing(conn, pairing_id)
        await check_reverse_mentoring_sessions(conn, pairing, [starts_at], booked_before)
        plan = await repository.load_plan(conn, pairing)
        (agenda,) = plan.open_items(taken_steps(booked_before), 1)
        session, booked = Session.book(
            pairing,
            starts_at=starts_at,
            time_zone=time_zone,
            duration_minutes=duration_minutes,
            organiser_id=organiser,
            agenda=agenda,
        )
        await repository.add_session(conn, session)
        await runtime.record(conn, booked)
    return session.id


async def reschedule_session(
    runtime: Runtime,
    caller: Principal,
    *,
    session_id: UUID,
    local_start: datetime,
    time_zone: str,
    duration_minutes: int | None,
) -> None:
    """Move a session (alone, or one occurrence of a series) before it starts."""
    now = runtime.now()
    starts_at = times.session_start(local_start, time_zone, now)
    async with runtime.engine.begin() as conn:
        session, owner, pairing = await _for_change(conn, caller, session_id)
        await check_reverse_mentoring_sessions(conn, pairing, [starts_at])
        if owner is None:
            moved = session.reschedule(
                pairing, starts_at=starts_at, time_zone=time_zone, duration_minutes=duration_minutes, now=now
            )
            await repository.save_session(conn, session)
        else:
            moved = owner.reschedule_occurrence(
                session_id, pairing, starts_at=starts_at, time_zone=time_zone, duration_minutes=duration_minutes, now=now
            )
            await repository.save_series(conn, owner)
        await runtime.record(conn, moved)


async def cancel_session(runtime: Runtime, caller: Principal, *, session_id: UUID) -> None:
    """Cancel a session (alone, or one occurrence of a series) before it starts."""
    now = runtime.now()
    async with runtime.engine.begin() as conn:
        session, owner, pairing = await _for_change(conn, caller, session_id)
        if owner is None:
            cancelled = session.cancel(pairing, now=now)
            await repository.save_session(conn, session)
        else:
            cancelled = owner.cancel_occurrence(session_id, pairing, now=now)
            await repository.save_series(conn, owner)
        await runtime.record(conn, cancelled)


async def _for_change(conn: AsyncConnection, caller: Principal, session_id: UUID) -> tuple[Session, Series | None, Pairing]:
    """The session locked, and its series when it is an occurrence (the series' row first, as every
    change of a series locks it, so two changes never wait for each other)."""
    session, _ = await visible_session(conn, caller, session_id)  # the series it belongs to never changes
    owner = None
    if session.series_id is not None:
        owner = await repository.load_series(conn, session.series_id, lock=True)
        session = owner.occurrence(session_id)
    else:
        session = await repository.load_session(conn, session_id, lock=True)
    pairing = await repository.load_pairing(conn, session.pairing_id)  # as it is once the session is locked
    require_partner(caller, pairing, BOOKERS)
    return session, owner, pairing


async def mark_done(runtime: Runtime, caller: Principal, *, session_id: UUID) -> None:
    """A partner says the session took place (also one held elsewhere), once it has started."""
    now = runtime.now()
    async with runtime.engine.begin() as conn:
        session, pairing = await visible_session(conn, caller, session_id, lock=True)
        require_partner(caller, pairing, "only the partners of a pairing mark its sessions done")
        await _complete(runtime, conn, session, pairing, CompletedBy.marked_done, now)


async def complete_ended_session(runtime: Runtime, conn: AsyncConnection, session_id: UUID, now: datetime) -> None:
    """The clock completes a session whose end has passed, in the completion worker's transaction
    (which claimed the session's row)."""
    session = await repository.load_session(conn, session_id, lock=True)
    pairing = await repository.load_pairing(conn, session.pairing_id)
    await _complete(runtime, conn, session, pairing, CompletedBy.end_time_passed, now)


async def record_held_session(
    runtime: Runtime,
    caller: Principal,
    *,
    pairing_id: UUID,
    local_start: datetime,
    time_zone: str,
    duration_minutes: int,
    plan_step: int | None,
) -> UUID:
    """A partner records a session the pair held elsewhere: completed at once, it takes an agenda item
    of the plan (the next open one unless `plan_step` names one) and asks both for feedback."""
    now = runtime.now()
    starts_at = times.local_start_to_utc(local_start, time_zone)
    async with runtime.engine.begin() as conn:
        pairing = await visible_pairing(conn, caller, pairing_id, lock=True)  # one at a time takes plan steps and times
        recorder = require_partner(caller, pairing, "only the partners of a pairing record its sessions")
        held_before = await repository.sessions_of_pairing(conn, pairing_id)
        await check_reverse_mentoring_sessions(conn, pairing, [], held_before)  # held: the plan's end is no matter
        plan = await repository.load_plan(conn, pairing)
        session, recorded, completed = record_held_elsewhere(
            pairing,
            held_before,
            plan,
            starts_at=starts_at,
            time_zone=time_zone,
            duration_minutes=duration_minutes,
            recorded_by=recorder,
            plan_step=plan_step,
            now=now,
        )
        await repository.add_session(conn, session)
        await runtime.record(conn, recorded)
        await runtime.record(conn, completed)
        await _remind_next(runtime, conn, pairing, session, now, plan)
    return session.id


async def _complete(
    runtime: Runtime, conn: AsyncConnection, session: Session, pairing: Pairing, by: CompletedBy, now: datetime
) -> None:
    """SessionCompleted (the partners are asked for feedback), and a reminder to book the next
    session when none is booked."""
    completed = session.complete(pairing, by=by, now=now)
    await repository.save_session(conn, session)
    await runtime.record(conn, completed)
    await _remind_next(runtime, conn, pairing, session, now, await repository.load_plan(conn, pairing))


async def _remind_next(
    runtime: Runtime, conn: AsyncConnection, pairing: Pairing, session: Session, now: datetime, plan: Plan
) -> None:
    """After a session took place: remind both partners to book the next one, when none is booked."""
    reminder = next_session_reminder(pairing, session, await repository.sessions_of_pairing(conn, pairing.id), plan, now)
    if reminder is not None:
        await runtime.record(conn, reminder)
