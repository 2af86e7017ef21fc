"""The request lifecycle's transitions, shared by the use cases and the deadline worker.

Every function runs inside the caller's transaction and records an event for each
state change, so a request's whole history can be rebuilt from the topic:

    queued ─▶ pending (RequestSent) ─▶ accepted | declined | expired
       └──▶ withdrawn (the mentor became full)      (either) ──▶ cancelled (its mentee or mentor left)

Locking: every transaction that changes pairing's state first takes its cohort's lock
(`lock_cohort`: the one lock order, and why); then a mentor's participant row before any
of that mentor's requests change, a selection row before the mentee's next request is made.
"""

from __future__ import annotations

import uuid
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from pairing.deadlines import request_deadlines
from pairing.tables import followers, holidays, participants, requests, selections, timers
from together_events.contracts.pairing import (
    MentorAvailable,
    PreferencesExhausted,
    RequestCancelled,
    RequestExpired,
    RequestQueued,
    RequestReminderDue,
    RequestSent,
    RequestWithdrawn,
    WithdrawalReason,
)
from together_servicekit.runtime import Runtime


async def lock_cohort(conn: AsyncConnection, cohort_id: UUID) -> None:
    """Pairing's one lock order: every writing transaction takes its cohort's lock first, before any
    row lock; then rows as the work meets them.

    Why: a cascade locks mentors in the order the data leads it (an accept's mentor, then the next
    choice of each mentee it releases), so no fixed row order can hold, and two cascades crossing two
    mentors in opposite orders deadlock. Queued here first, a cohort's writers never hold rows while
    waiting for each other. A cascade stays in its cohort, so cohorts still run side by side. Only the
    deadline worker's claim of its timer comes before this: SKIP LOCKED, it never waits.
    """
    # Advisory and transaction-scoped: released at commit or rollback, and needs no row (pairing may
    # not know the cohort yet). Keyed by the cohort id's first 64 bits.
    await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(int.from_bytes(cohort_id.bytes[:8], "big", signed=True))))


async def lock_participant(conn: AsyncConnection, participant_id: UUID) -> sa.Row | None:
    return (await conn.execute(sa.select(participants).where(participants.c.id == participant_id).with_for_update())).first()


def is_full(mentor: sa.Row) -> bool:
    return mentor.active_pairings >= mentor.capacity


async def request_next_choice(runtime: Runtime, conn: AsyncConnection, selection_id: UUID) -> None:
    """Make the mentee's next request, skipping mentors who are full; ask for new preferences when none is left."""
    selection = (await conn.execute(sa.select(selections).where(selections.c.id == selection_id).with_for_update())).one()
    if selection.status != "open":
        return
    tried = (await conn.execute(sa.select(sa.func.count()).where(requests.c.selection_id == selection_id))).scalar_one()
    for rank, mentor_id in enumerate(selection.ranked_mentor_ids[tried:], start=tried + 1):
        mentor = await lock_participant(conn, mentor_id)
        request_id = await _queue(runtime, conn, selection, mentor_id, rank)
        if mentor is not None and mentor.withdrawn_at is not None:  # the mentor left the cohort since
            await cancel(runtime, conn, request_id, withdrawn_participant_id=mentor_id)
            continue
        if mentor is not None and not is_full(mentor):
            await deliver_next_waiting(runtime, conn, mentor_id)
            return
        await _withdraw(runtime, conn, request_id, WithdrawalReason.mentor_full)
    now = runtime.now()
    await conn.execute(selections.update().where(selections.c.id == selection_id).values(status="exhausted"))
    await runtime.record(
        conn,
        PreferencesExhausted(
            selection_id=selection_id, mentee_id=selection.mentee_id, cohort_id=selection.cohort_id, exhausted_at=now
        ),
    )


async def _queue(runtime: Runtime, conn: AsyncConnection, selection: sa.Row, mentor_id: UUID, rank: int) -> UUID:
    request_id, now = uuid.uuid4(), runtime.now()
    await conn.execute(
        requests.insert().values(
            id=request_id,
            selection_id=selection.id,
            mentee_id=selection.mentee_id,
            mentor_id=mentor_id,
            cohort_id=selection.cohort_id,
            rank=rank,
            status="waiting",
            created_at=now,
        )
    )
    await runtime.record(
        conn,
        RequestQueued(
            request_id=request_id,
            selection_id=selection.id,
            mentee_id=selection.mentee_id,
            mentor_id=mentor_id,
            cohort_id=selection.cohort_id,
            rank=rank,
            queued_at=now,
        ),
    )
    return request_id


async def deliver_next_waiting(runtime: Runtime, conn: AsyncConnection, mentor_id: UUID) -> None:
    """If the (locked) mentor has room and holds no pending request, the oldest waiting one reaches them."""
    mentor = (await conn.execute(sa.select(participants).where(participants.c.id == mentor_id))).one()
    pending = sa.select(sa.exists().where(requests.c.mentor_id == mentor_id, requests.c.status == "pending"))
    if is_full(mentor) or (await conn.execute(pending)).scalar_one():
        return
    waiting = (
        await conn.execute(
            sa.select(requests)
            .where(requests.c.mentor_id == mentor_id, requests.c.status == "waiting")
            .order_by(requests.c.created_at, requests.c.id)
            .limit(1)
        )
    ).first()
    if waiting is None:
        return
    now = runtime.now()
    days_off = (
        await conn.execute(
            sa.select(holidays.c.day).where(holidays.c.cohort_id == mentor.cohort_id, holidays.c.time_zone == mentor.time_zone)
        )
    ).scalars()
    deadlines = request_deadlines(now, mentor.time_zone, set(days_off))
    selection_engagement = (
        await conn.execute(sa.select(selections.c.engagement).where(selections.c.id == waiting.selection_id))
    ).scalar()
    await conn.execute(
        requests.update()
        .where(requests.c.id == waiting.id)
        .values(status="pending", reached_mentor_at=now, remind_at=deadlines.remind_at, expires_at=deadlines.expires_at)
    )
    await conn.execute(
        timers.insert(),
        [
            {"request_id": waiting.id, "kind": "reminder", "due_at": deadlines.remind_at},
            {"request_id": waiting.id, "kind": "expiry", "due_at": deadlines.expires_at},
        ],
    )
    await runtime.record(
        conn,
        RequestSent(
            request_id=waiting.id,
            selection_id=waiting.selection_id,
            mentee_id=waiting.mentee_id,
            mentor_id=mentor_id,
            cohort_id=waiting.cohort_id,
            rank=waiting.rank,
            reached_mentor_at=now,
            remind_at=deadlines.remind_at,
            expires_at=deadlines.expires_at,
            engagement=selection_engagement,
        ),
    )


async def place_opened(runtime: Runtime, conn: AsyncConnection, mentor_id: UUID) -> None:
    """The (locked) mentor has a free place again: the next waiting request reaches them, and
    every mentee following them is told, once."""
    await deliver_next_waiting(runtime, conn, mentor_id)
    told = (
        await conn.execute(followers.delete().where(followers.c.mentor_id == mentor_id).returning(followers.c.mentee_id))
    ).all()
    for follower in sorted(told, key=lambda row: str(row.mentee_id)):
        await runtime.record(conn, MentorAvailable(mentor_id=mentor_id, mentee_id=follower.mentee_id, available_at=runtime.now()))


async def release_requests_of_full_mentor(runtime: Runtime, conn: AsyncConnection, mentor_id: UUID) -> None:
    """The (locked) mentor just became full: requests still waiting for them never will reach them.
    After an accept none is pending; after a capacity lowered to full, the pending one goes too
    (its accept could only be refused)."""
    waiting = (
        await conn.execute(
            sa.select(requests.c.id, requests.c.selection_id)
            .where(requests.c.mentor_id == mentor_id, requests.c.status.in_(["waiting", "pending"]))
            .order_by(requests.c.created_at, requests.c.id)
        )
    ).all()
    for request in waiting:
        await _withdraw(runtime, conn, request.id, WithdrawalReason.mentor_full)
        await request_next_choice(runtime, conn, request.selection_id)


async def _withdraw(runtime: Runtime, conn: AsyncConnection, request_id: UUID, reason: WithdrawalReason) -> None:
    now = runtime.now()
    request = (
        await conn.execute(
            requests.update()
            .where(requests.c.id == request_id)
            .values(status="withdrawn", answered_at=now)
            .returning(requests.c.mentee_id, requests.c.mentor_id)
        )
    ).one()
    await runtime.record(
        conn,
        RequestWithdrawn(
            request_id=request_id, mentee_id=request.mentee_id, mentor_id=request.mentor_id, reason=reason, withdrawn_at=now
        ),
    )


async def cancel(runtime: Runtime, conn: AsyncConnection, request_id: UUID, *, withdrawn_participant_id: UUID) -> str | None:
    """End a waiting or pending request because its mentee or its (locked) mentor left. Returns the status it had,
    None if it was already settled. Its timers stay and fire as `moot`."""
    now = runtime.now()
    request = (
        await conn.execute(sa.select(requests).where(requests.c.id == request_id, requests.c.status.in_(["waiting", "pending"])))
    ).first()
    if request is None:
        return None
    await conn.execute(requests.update().where(requests.c.id == request_id).values(status="cancelled", answered_at=now))
    await runtime.record(
        conn,
        RequestCancelled(
            request_id=request_id,
            selection_id=request.selection_id,
            mentee_id=request.mentee_id,
            mentor_id=request.mentor_id,
            cohort_id=request.cohort_id,
            withdrawn_participant_id=withdrawn_participant_id,
            was_pending=request.status == "pending",
            cancelled_at=now,
        ),
    )
    return str(request.status)


async def capacity_changed(runtime: Runtime, conn: AsyncConnection, before: sa.Row, mentor_id: UUID) -> None:
    """The (locked) mentor's capacity changed. Raised with a place now free: the next waiting request
    reaches them and followers are told. Lowered to full: requests not yet accepted are released;
    pairings beyond the new capacity stay, and no new one forms until they drop below it."""
    after = (await conn.execute(sa.select(participants).where(participants.c.id == mentor_id))).one()
    if after.withdrawn_at is not None or after.capacity == before.capacity:
        return
    if after.capacity > before.capacity and not is_full(after):
        await place_opened(runtime, conn, mentor_id)
    elif after.capacity < before.capacity and is_full(after):
        await release_requests_of_full_mentor(runtime, conn, mentor_id)


async def fire_timer(runtime: Runtime, conn: AsyncConnection, timer: sa.Row) -> str:
    """Fire one claimed timer; return its outcome. The request's cohort, then its mentor, are locked first."""
    request = (await conn.execute(sa.select(requests).where(requests.c.id == timer.request_id))).one()
    await lock_cohort(conn, request.cohort_id)
    await lock_participant(conn, request.mentor_id)
    request = (await conn.execute(sa.select(requests).where(requests.c.id == timer.request_id))).one()
    now = runtime.now()
    if request.status != "pending":
        outcome = "moot"  # answered (or otherwise settled) before the deadline: nothing to do
    elif timer.kind == "reminder":
        outcome = "reminded"
        await runtime.record(
            conn,
            RequestReminderDue(
                request_id=request.id,
                mentee_id=request.mentee_id,
                mentor_id=request.mentor_id,
                expires_at=request.expires_at,
                reminded_at=now,
            ),
        )
    else:
        outcome = "expired"
        await conn.execute(requests.update().where(requests.c.id == request.id).values(status="expired", answered_at=now))
        await runtime.record(
            conn, RequestExpired(request_id=request.id, mentee_id=request.mentee_id, mentor_id=request.mentor_id, expired_at=now)
        )
        await deliver_next_waiting(runtime, conn, request.mentor_id)
        await request_next_choice(runtime, conn, request.selection_id)
    await conn.execute(timers.update().where(timers.c.id == timer.id).values(fired_at=now, outcome=outcome))
    return outcome
