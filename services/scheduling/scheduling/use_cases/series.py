"""Series: booked, moved and cancelled as a whole (an occurrence changed alone: `sessions`)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from scheduling import repository
from scheduling.access import require_partner, visible_pairing, visible_series
from scheduling.domain import times
from scheduling.domain.series import Series
from scheduling.domain.sessions import SessionStatus, taken_steps
from scheduling.use_cases.kinds import check_reverse_mentoring_sessions
from scheduling.use_cases.sessions import BOOKERS
from together_servicekit.auth import Principal
from together_servicekit.runtime import Runtime


async def book_series(
    runtime: Runtime,
    caller: Principal,
    *,
    pairing_id: UUID,
    local_start: datetime,
    time_zone: str,
    duration_minutes: int,
    frequency: times.Frequency,
    interval: int,
    count: int | None,
    until: date | None,
) -> UUID:
    """Book a series repeating the local wall-clock time; each occurrence takes the plan's next open item."""
    recurrence = times.Recurrence(frequency, interval, count, until)
    starts = times.series_starts(local_start, time_zone, recurrence, runtime.now())
    async with runtime.engine.begin() as conn:
        pairing = await visible_pairing(conn, caller, pairing_id, lock=True)  # one booking at a time takes plan steps
        organiser = require_partner(caller, pairing, BOOKERS)
        booked_before = await repository.sessions_of_pairing(conn, pairing_id)
        await check_reverse_mentoring_sessions(conn, pairing, starts, booked_before)
        plan = await repository.load_plan(conn, pairing)
        agenda = plan.open_items(taken_steps(booked_before), len(starts))
        owner, booked = Series.book(
            pairing,
            local_start=local_start,
            time_zone=time_zone,
            duration_minutes=duration_minutes,
            recurrence=recurrence,
            starts=starts,
            organiser_id=organiser,
            agenda=agenda,
            now=runtime.now(),
        )
        await repository.add_series(conn, owner)
        await runtime.record(conn, booked)
    return owner.id


async def reschedule_series(
    runtime: Runtime,
    caller: Principal,
    *,
    series_id: UUID,
    local_start: datetime,
    time_zone: str,
    duration_minutes: int | None,
) -> None:
    """Move a whole series (same rhythm and number of occurrences) before its first occurrence starts."""
    now = runtime.now()
    async with runtime.engine.begin() as conn:
        owner, pairing = await visible_series(conn, caller, series_id, lock=True)
        require_partner(caller, pairing, BOOKERS)
        moved = owner.reschedule(
            pairing, local_start=local_start, time_zone=time_zone, duration_minutes=duration_minutes, now=now
        )
        moved_starts = [o.starts_at for o in owner.occurrences if o.status is SessionStatus.scheduled]
        await check_reverse_mentoring_sessions(conn, pairing, moved_starts)  # refused: the transaction undoes the move
        await repository.save_series(conn, owner)
        await runtime.record(conn, moved)


async def cancel_series(runtime: Runtime, caller: Principal, *, series_id: UUID) -> None:
    """Cancel every occurrence that has not started: the series is cancelled, or ends if one had started."""
    now = runtime.now()
    async with runtime.engine.begin() as conn:
        owner, pairing = await visible_series(conn, caller, series_id, lock=True)
        require_partner(caller, pairing, BOOKERS)
        cancelled = owner.cancel(pairing, now=now)
        await repository.save_series(conn, owner)
        await runtime.record(conn, cancelled)
