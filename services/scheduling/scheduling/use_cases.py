"""Scheduling's use cases: booking sessions and series, moving and cancelling them, completing them.

Every change writes its state and its event in one transaction (outbox). Each calendar object (a
single session, or a series with its occurrences) has a stable UID and a SEQUENCE that grows by
one on each change or cancellation; an occurrence changed alone shares its series' counter.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from scheduling import domain
from scheduling.plans import Plan, plan_for
from scheduling.tables import cohorts, pairings, programmes, request_engagements, series, sessions
from together_events.contracts.registration import SessionPlan
from together_events.contracts.scheduling import (
    CancelledBecause,
    CompletedBy,
    NextSessionReminderDue,
    SeriesCancelled,
    SeriesEnded,
    SeriesRescheduled,
    SeriesScheduled,
    SessionCancelled,
    SessionCompleted,
    SessionRescheduled,
    SessionScheduled,
)
from together_servicekit.auth import Forbidden, Principal
from together_servicekit.errors import Conflict, NotFound, invalid
from together_servicekit.runtime import Runtime


def is_partner(caller: Principal, pairing: sa.Row) -> bool:
    return caller.is_person(pairing.mentee_person_id) or caller.is_person(pairing.mentor_person_id)


def participant_of(caller: Principal, pairing: sa.Row) -> UUID:
    """The caller's participant id in the pairing (the caller is a partner)."""
    return pairing.mentee_id if caller.is_person(pairing.mentee_person_id) else pairing.mentor_id


def session_uid(session_id: UUID) -> str:
    return f"session-{session_id}@together"


def series_uid(series_id: UUID) -> str:
    return f"series-{series_id}@together"


async def load_pairing(conn: AsyncConnection, pairing_id: UUID, *, lock: bool = False) -> sa.Row:
    query = sa.select(pairings).where(pairings.c.id == pairing_id)
    pairing = (await conn.execute(query.with_for_update() if lock else query)).first()
    if pairing is None:
        raise NotFound("pairing", pairing_id)
    return pairing


async def plan_of(conn: AsyncConnection, pairing: sa.Row) -> Plan:
    """The pairing's session plan: its programme's (from registration's rules) or its kind's default."""
    programme = (await conn.execute(sa.select(programmes).where(programmes.c.id == pairing.programme_id))).first()
    kind = programme.kind if programme is not None else None
    if kind is None:
        cohort = (await conn.execute(sa.select(cohorts.c.kind).where(cohorts.c.id == pairing.cohort_id))).first()
        kind = cohort.kind if cohort is not None else "mentoring"
    engagement = None
    if pairing.request_id is not None:
        engagement = (
            await conn.execute(
                sa.select(request_engagements.c.engagement).where(request_engagements.c.request_id == pairing.request_id)
            )
        ).scalar()
    rules = SessionPlan.model_validate(programme.session_plan) if programme is not None and programme.session_plan else None
    return plan_for(kind, rules, engagement)


async def free_steps(conn: AsyncConnection, pairing_id: UUID, plan: Plan, n: int) -> list[int | None]:
    """The next `n` plan steps no live session holds (None beyond the plan)."""
    taken = set(
        (
            await conn.execute(
                sa.select(sessions.c.plan_step).where(
                    sessions.c.pairing_id == pairing_id, sessions.c.status != "cancelled", sessions.c.plan_step.is_not(None)
                )
            )
        ).scalars()
    )
    free: list[int | None] = [s.step for s in plan.sessions if s.step not in taken][:n]
    return free + [None] * (n - len(free))


def _partners(pairing: sa.Row) -> list[UUID]:
    return [pairing.mentee_id, pairing.mentor_id]


def _bookable(pairing: sa.Row, caller: Principal) -> None:
    if not is_partner(caller, pairing):
        raise Forbidden("only the partners of a pairing book, move or cancel its sessions")
    if pairing.ended_at is not None:
        raise Conflict("the pairing has ended: its sessions are no longer booked or changed")


# Programmes run for months: a booking further ahead is a typo (and calendars need no zone rules for it).
BOOKING_HORIZON = timedelta(days=5 * 366)


def _future(instant: datetime, now: datetime, local: datetime, time_zone: str, last: datetime | None = None) -> None:
    if instant <= now:
        raise invalid("starts_at", "in_the_future", f"{local.isoformat()} in {time_zone} has already passed")
    if (last or instant) > now + BOOKING_HORIZON:
        field = "starts_at" if last is None else "count"
        raise invalid(field, "within_5_years", "sessions are booked at most 5 years ahead")


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
    _future(starts_at, runtime.now(), local_start, time_zone)
    session_id = uuid.uuid4()
    async with runtime.engine.begin() as conn:
        pairing = await load_pairing(conn, pairing_id, lock=True)  # one booking at a time takes plan steps
        _bookable(pairing, caller)
        plan = await plan_of(conn, pairing)
        (step,) = await free_steps(conn, pairing_id, plan, 1)
        title = plan.title_of(step)
        organiser = participant_of(caller, pairing)
        await conn.execute(
            sessions.insert().values(
                id=session_id,
                pairing_id=pairing_id,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=duration_minutes),
                time_zone=time_zone,
                duration_minutes=duration_minutes,
                status="scheduled",
                organiser_id=organiser,
                plan_step=step,
                agenda_title=title,
                calendar_sequence=0,
            )
        )
        await runtime.record(
            conn,
            SessionScheduled(
                session_id=session_id,
                pairing_id=pairing_id,
                participant_ids=_partners(pairing),
                starts_at=starts_at,
                time_zone=time_zone,
                duration_minutes=duration_minutes,
                organiser_id=organiser,
                agenda_title=title,
                calendar_uid=session_uid(session_id),
                calendar_sequence=0,
            ),
        )
    return session_id


async def book_series(
    runtime: Runtime,
    caller: Principal,
    *,
    pairing_id: UUID,
    local_start: datetime,
    time_zone: str,
    duration_minutes: int,
    frequency: domain.Frequency,
    interval: int,
    count: int | None,
    until: date | None,
) -> UUID:
    rule = domain.Recurrence(frequency, interval, count, until)
    starts = domain.expand(local_start, time_zone, rule)
    _future(starts[0], runtime.now(), local_start, time_zone)
    _future(starts[0], runtime.now(), local_start, time_zone, last=starts[-1])
    series_id = uuid.uuid4()
    async with runtime.engine.begin() as conn:
        pairing = await load_pairing(conn, pairing_id, lock=True)
        _bookable(pairing, caller)
        plan = await plan_of(conn, pairing)
        steps = await free_steps(conn, pairing_id, plan, len(starts))
        titles = [plan.title_of(step) for step in steps]
        title = titles[0] if len(starts) == 1 else f"{titles[0]} (and {len(starts) - 1} more)"
        organiser = participant_of(caller, pairing)
        rrule = domain.rrule_text(rule, len(starts))
        await conn.execute(
            series.insert().values(
                id=series_id,
                pairing_id=pairing_id,
                organiser_id=organiser,
                local_start=local_start,
                time_zone=time_zone,
                duration_minutes=duration_minutes,
                frequency=frequency.value,
                interval=interval,
                count=count,
                until=until,
                rrule=rrule,
                agenda_title=title,
                calendar_sequence=0,
                status="scheduled",
                created_at=runtime.now(),
            )
        )
        session_ids = [uuid.uuid4() for _ in starts]
        await conn.execute(
            sessions.insert(),
            [
                {
                    "id": sid,
                    "pairing_id": pairing_id,
                    "starts_at": start,
                    "ends_at": start + timedelta(minutes=duration_minutes),
                    "time_zone": time_zone,
                    "duration_minutes": duration_minutes,
                    "status": "scheduled",
                    "organiser_id": organiser,
                    "series_id": series_id,
                    "recurrence_id": start,
                    "plan_step": step,
                    "agenda_title": step_title,
                    "calendar_sequence": 0,
                }
                for sid, start, step, step_title in zip(session_ids, starts, steps, titles, strict=True)
            ],
        )
        await runtime.record(
            conn,
            SeriesScheduled(
                series_id=series_id,
                pairing_id=pairing_id,
                participant_ids=_partners(pairing),
                organiser_id=organiser,
                starts_at=starts[0],
                time_zone=time_zone,
                duration_minutes=duration_minutes,
                rrule=rrule,
                occurrence_starts=starts,
                session_ids=session_ids,
                agenda_title=title,
                calendar_uid=series_uid(series_id),
                calendar_sequence=0,
            ),
        )
    return series_id


async def _session_for_change(conn: AsyncConnection, caller: Principal, session_id: UUID, now: datetime) -> tuple[sa.Row, sa.Row]:
    row = (await conn.execute(sa.select(sessions).where(sessions.c.id == session_id).with_for_update())).first()
    if row is None:
        raise NotFound("session", session_id)
    pairing = await load_pairing(conn, row.pairing_id)
    _bookable(pairing, caller)
    if row.status != "scheduled":
        raise Conflict(f"the session is {row.status}")
    if row.starts_at <= now:
        raise Conflict("the session has already started: it can be marked done, not moved or cancelled")
    return row, pairing


async def _next_sequence(conn: AsyncConnection, row: sa.Row) -> tuple[int, str, sa.Row | None]:
    """Bump the calendar object's SEQUENCE: the series' for an occurrence, else the session's."""
    if row.series_id is None:
        return row.calendar_sequence + 1, session_uid(row.id), None
    owner = (await conn.execute(sa.select(series).where(series.c.id == row.series_id).with_for_update())).one()
    sequence = owner.calendar_sequence + 1
    await conn.execute(series.update().where(series.c.id == owner.id).values(calendar_sequence=sequence))
    return sequence, series_uid(owner.id), owner


async def reschedule_session(
    runtime: Runtime,
    caller: Principal,
    *,
    session_id: UUID,
    local_start: datetime,
    time_zone: str,
    duration_minutes: int | None,
) -> None:
    starts_at = domain.local_start_to_utc(local_start, time_zone)
    now = runtime.now()
    _future(starts_at, now, local_start, time_zone)
    async with runtime.engine.begin() as conn:
        row, pairing = await _session_for_change(conn, caller, session_id, now)
        minutes = duration_minutes or row.duration_minutes
        sequence, uid, _ = await _next_sequence(conn, row)
        await conn.execute(
            sessions.update()
            .where(sessions.c.id == session_id)
            .values(
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=minutes),
                time_zone=time_zone,
                duration_minutes=minutes,
                calendar_sequence=sequence,
            )
        )
        await runtime.record(
            conn,
            SessionRescheduled(
                session_id=session_id,
                pairing_id=row.pairing_id,
                participant_ids=_partners(pairing),
                organiser_id=row.organiser_id or pairing.mentee_id,
                previous_starts_at=row.starts_at,
                starts_at=starts_at,
                time_zone=time_zone,
                duration_minutes=minutes,
                agenda_title=row.agenda_title or "Together session",
                calendar_uid=uid,
                calendar_sequence=sequence,
                series_id=row.series_id,
                recurrence_id=row.recurrence_id if row.series_id else None,
                rescheduled_at=now,
            ),
        )


async def cancel_session(runtime: Runtime, caller: Principal, *, session_id: UUID) -> None:
    now = runtime.now()
    async with runtime.engine.begin() as conn:
        row, pairing = await _session_for_change(conn, caller, session_id, now)
        await _cancel_one(runtime, conn, row, pairing, CancelledBecause.partner_cancelled, now)


async def _cancel_one(
    runtime: Runtime, conn: AsyncConnection, row: sa.Row, pairing: sa.Row, reason: CancelledBecause, now: datetime
) -> None:
    sequence, uid, _ = await _next_sequence(conn, row)
    await conn.execute(
        sessions.update()
        .where(sessions.c.id == row.id)
        .values(status="cancelled", cancelled_at=now, calendar_sequence=sequence, plan_step=None)
    )
    await runtime.record(
        conn,
        SessionCancelled(
            session_id=row.id,
            pairing_id=row.pairing_id,
            participant_ids=_partners(pairing),
            organiser_id=row.organiser_id or pairing.mentee_id,
            starts_at=row.starts_at,
            time_zone=row.time_zone,
            duration_minutes=row.duration_minutes,
            agenda_title=row.agenda_title or "Together session",
            calendar_uid=uid,
            calendar_sequence=sequence,
            series_id=row.series_id,
            recurrence_id=row.recurrence_id if row.series_id else None,
            reason=reason,
            cancelled_at=now,
        ),
    )


async def _series_for_change(conn: AsyncConnection, caller: Principal, series_id: UUID) -> tuple[sa.Row, sa.Row, list[sa.Row]]:
    owner = (await conn.execute(sa.select(series).where(series.c.id == series_id).with_for_update())).first()
    if owner is None:
        raise NotFound("series", series_id)
    pairing = await load_pairing(conn, owner.pairing_id)
    _bookable(pairing, caller)
    if owner.status != "scheduled":
        raise Conflict(f"the series is {owner.status}")
    rows = list(
        await conn.execute(
            sa.select(sessions).where(sessions.c.series_id == series_id).order_by(sessions.c.recurrence_id).with_for_update()
        )
    )
    return owner, pairing, rows


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
        owner, pairing, rows = await _series_for_change(conn, caller, series_id)
        if any(r.status != "scheduled" or r.starts_at <= now or r.starts_at != r.recurrence_id for r in rows):
            raise Conflict(
                "a series moves as a whole only before its first occurrence and while none was moved or cancelled alone; "
                "move or cancel occurrences one by one"
            )
        rule = domain.Recurrence(domain.Frequency(owner.frequency), owner.interval, count=len(rows))
        starts = domain.expand(local_start, time_zone, rule)
        _future(starts[0], now, local_start, time_zone)
        _future(starts[0], now, local_start, time_zone, last=starts[-1])
        minutes = duration_minutes or owner.duration_minutes
        sequence = owner.calendar_sequence + 1
        rrule = domain.rrule_text(rule, len(starts))
        await conn.execute(
            series.update()
            .where(series.c.id == series_id)
            .values(
                local_start=local_start,
                time_zone=time_zone,
                duration_minutes=minutes,
                rrule=rrule,
                calendar_sequence=sequence,
                count=len(rows),
                until=None,
            )
        )
        for row, start in zip(rows, starts, strict=True):
            await conn.execute(
                sessions.update()
                .where(sessions.c.id == row.id)
                .values(
                    starts_at=start,
                    ends_at=start + timedelta(minutes=minutes),
                    time_zone=time_zone,
                    duration_minutes=minutes,
                    recurrence_id=start,
                    calendar_sequence=sequence,
                )
            )
        await runtime.record(
            conn,
            SeriesRescheduled(
                series_id=series_id,
                pairing_id=owner.pairing_id,
                participant_ids=_partners(pairing),
                organiser_id=owner.organiser_id,
                previous_starts_at=rows[0].recurrence_id,
                starts_at=starts[0],
                time_zone=time_zone,
                duration_minutes=minutes,
                rrule=rrule,
                occurrence_starts=starts,
                session_ids=[r.id for r in rows],
                agenda_title=owner.agenda_title,
                calendar_uid=series_uid(series_id),
                calendar_sequence=sequence,
                rescheduled_at=now,
            ),
        )


async def cancel_series(runtime: Runtime, caller: Principal, *, series_id: UUID) -> None:
    now = runtime.now()
    async with runtime.engine.begin() as conn:
        owner, pairing, rows = await _series_for_change(conn, caller, series_id)
        await _cancel_series(runtime, conn, owner, pairing, rows, CancelledBecause.partner_cancelled, now)


async def _cancel_series(
    runtime: Runtime,
    conn: AsyncConnection,
    owner: sa.Row,
    pairing: sa.Row,
    rows: list[sa.Row],
    reason: CancelledBecause,
    now: datetime,
) -> None:
    """Cancel the occurrences that have not started. When none has started yet, the whole series'
    invitation is cancelled; otherwise the series ENDS (`_end_series`): a CANCEL of its UID would also
    remove the occurrences already held from the partners' calendars."""
    future = [r for r in rows if r.status == "scheduled" and r.starts_at > now]
    held = [r for r in rows if r.status == "completed" or (r.status == "scheduled" and r.starts_at <= now)]
    if held:
        await _end_series(runtime, conn, owner, pairing, rows, held, future, reason, now)
        return
    sequence = owner.calendar_sequence + 1
    await conn.execute(series.update().where(series.c.id == owner.id).values(status="cancelled", calendar_sequence=sequence))
    if future:
        await conn.execute(
            sessions.update()
            .where(sessions.c.id.in_([r.id for r in future]))
            .values(status="cancelled", cancelled_at=now, calendar_sequence=sequence, plan_step=None)
        )
    first = rows[0]
    await runtime.record(
        conn,
        SeriesCancelled(
            series_id=owner.id,
            pairing_id=owner.pairing_id,
            participant_ids=_partners(pairing),
            organiser_id=owner.organiser_id,
            starts_at=first.recurrence_id,
            time_zone=owner.time_zone,
            duration_minutes=owner.duration_minutes,
            rrule=owner.rrule,
            cancelled_session_ids=[r.id for r in future],
            agenda_title=owner.agenda_title,
            calendar_uid=series_uid(owner.id),
            calendar_sequence=sequence,
            reason=reason,
            cancelled_at=now,
        ),
    )


async def _end_series(
    runtime: Runtime,
    conn: AsyncConnection,
    owner: sa.Row,
    pairing: sa.Row,
    rows: list[sa.Row],
    held: list[sa.Row],
    future: list[sa.Row],
    reason: CancelledBecause,
    now: datetime,
) -> None:
    """End a series after its last held occurrence: its RRULE gets an UNTIL just before the first
    occurrence after it (RFC 5545: in UTC, since DTSTART has a TZID), SEQUENCE + 1, sent as REQUEST."""
    last_held = max(r.recurrence_id for r in held)
    after = [r.recurrence_id for r in rows if r.recurrence_id > last_held]
    ends_before = min(after) if after else last_held + timedelta(seconds=1)
    until = ends_before - timedelta(seconds=1)
    rrule = domain.rrule_until_text(domain.Frequency(owner.frequency), owner.interval, until)
    sequence = owner.calendar_sequence + 1
    await conn.execute(
        series.update().where(series.c.id == owner.id).values(status="ended", calendar_sequence=sequence, rrule=rrule)
    )
    if future:
        await conn.execute(
            sessions.update()
            .where(sessions.c.id.in_([r.id for r in future]))
            .values(status="cancelled", cancelled_at=now, calendar_sequence=sequence, plan_step=None)
        )
    cancelled_ids = {r.id for r in future}
    # Occurrences before the end that are cancelled (alone earlier, or now: moved past a held one) stay out as EXDATE.
    exdates = [
        r.recurrence_id for r in rows if r.recurrence_id < ends_before and (r.status == "cancelled" or r.id in cancelled_ids)
    ]
    await runtime.record(
        conn,
        SeriesEnded(
            series_id=owner.id,
            pairing_id=owner.pairing_id,
            participant_ids=_partners(pairing),
            organiser_id=owner.organiser_id,
            starts_at=rows[0].recurrence_id,
            time_zone=owner.time_zone,
            duration_minutes=owner.duration_minutes,
            rrule=rrule,
            previous_rrule=owner.rrule,
            ends_before=ends_before,
            last_held_at=last_held,
            exdates=exdates,
            held_session_ids=[r.id for r in held],
            cancelled_session_ids=[r.id for r in future],
            agenda_title=owner.agenda_title,
            calendar_uid=series_uid(owner.id),
            calendar_sequence=sequence,
            reason=reason,
            ended_at=now,
        ),
    )


async def cancel_future_sessions(
    runtime: Runtime, conn: AsyncConnection, pairing: sa.Row, reason: CancelledBecause, after: datetime
) -> None:
    """A pairing ended or a partner left: every session after `after` is cancelled, with its invitation."""
    owners = list(
        await conn.execute(
            sa.select(series).where(series.c.pairing_id == pairing.id, series.c.status == "scheduled").with_for_update()
        )
    )
    for owner in owners:
        rows = list(
            await conn.execute(
                sa.select(sessions).where(sessions.c.series_id == owner.id).order_by(sessions.c.recurrence_id).with_for_update()
            )
        )
        if any(r.status == "scheduled" and r.starts_at > after for r in rows):
            await _cancel_series(runtime, conn, owner, pairing, rows, reason, after)
    singles = await conn.execute(
        sa.select(sessions)
        .where(
            sessions.c.pairing_id == pairing.id,
            sessions.c.series_id.is_(None),
            sessions.c.status == "scheduled",
            sessions.c.starts_at > after,
        )
        .order_by(sessions.c.starts_at)
        .with_for_update()
    )
    for row in list(singles):
        await _cancel_one(runtime, conn, row, pairing, reason, after)


async def mark_done(runtime: Runtime, caller: Principal, *, session_id: UUID) -> None:
    """A partner says the session took place (also for sessions held elsewhere). Rule: a partner."""
    now = runtime.now()
    async with runtime.engine.begin() as conn:
        row = (await conn.execute(sa.select(sessions).where(sessions.c.id == session_id).with_for_update())).first()
        if row is None:
            raise NotFound("session", session_id)
        pairing = await load_pairing(conn, row.pairing_id)
        if not is_partner(caller, pairing):
            raise Forbidden("only the partners of a pairing mark its sessions done")
        if row.status != "scheduled":
            raise Conflict(f"the session is already {row.status}")
        if now < row.starts_at:
            raise Conflict(f"the session starts at {row.starts_at.isoformat()}; it can be marked done once it has started")
        await complete(runtime, conn, row, pairing, CompletedBy.marked_done, now)


async def complete(runtime: Runtime, conn: AsyncConnection, row: sa.Row, pairing: sa.Row, by: CompletedBy, now: datetime) -> None:
    """Completes a scheduled session the caller has locked: SessionCompleted (the partners are asked
    for feedback), and a reminder to book the next session when none is booked."""
    await conn.execute(sessions.update().where(sessions.c.id == row.id).values(status="completed", completed_at=now))
    await runtime.record(
        conn,
        SessionCompleted(
            session_id=row.id,
            pairing_id=row.pairing_id,
            participant_ids=_partners(pairing),
            completed_at=now,
            completed_by=by,
            series_id=row.series_id,
            agenda_title=row.agenda_title,
        ),
    )
    upcoming = (
        await conn.execute(
            sa.select(sa.func.count())
            .select_from(sessions)
            .where(sessions.c.pairing_id == row.pairing_id, sessions.c.status == "scheduled", sessions.c.starts_at > now)
        )
    ).scalar_one()
    if upcoming or pairing.ended_at is not None:
        return
    held = (
        await conn.execute(
            sa.select(sa.func.count())
            .select_from(sessions)
            .where(sessions.c.pairing_id == row.pairing_id, sessions.c.status == "completed")
        )
    ).scalar_one()
    plan = await plan_of(conn, pairing)
    (step,) = await free_steps(conn, row.pairing_id, plan, 1)
    await runtime.record(
        conn,
        NextSessionReminderDue(
            pairing_id=row.pairing_id,
            participant_ids=_partners(pairing),
            after_session_id=row.id,
            sessions_completed=held,
            sessions_planned=len(plan.sessions),
            next_agenda_title=plan.sessions[step - 1].title if step is not None else None,
            reminded_at=now,
        ),
    )
