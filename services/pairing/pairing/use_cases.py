"""Pairing's use cases: preferences, sending requests in rank order, answers.

Concurrency: every change that touches a mentor's requests or capacity first
locks that mentor's participant row, so accepts, declines and deliveries for
one mentor happen one after another; a mentee's row is locked while their
preferences are decided.
"""

from __future__ import annotations

import uuid
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from pairing import domain
from pairing.deadlines import request_deadlines
from pairing.tables import pairings, participants, requests, selections
from together_events.contracts.pairing import (
    PairingFormed,
    PreferencesSubmitted,
    RequestAccepted,
    RequestDeclined,
    RequestSent,
)
from together_events.contracts.registration import Role
from together_servicekit.auth import Forbidden, Principal
from together_servicekit.errors import Conflict, DomainError, NotFound, invalid
from together_servicekit.runtime import Runtime


async def submit_preferences(
    runtime: Runtime, caller: Principal, *, cohort_id: UUID, mentee_id: UUID, mentor_ids: list[UUID]
) -> UUID:
    """Rule: the mentee themself."""
    async with runtime.engine.begin() as conn:
        mentee = await _lock_participant(conn, mentee_id)
        if mentee is None or mentee.cohort_id != cohort_id:
            raise NotFound("mentee in this cohort", mentee_id)
        if not caller.is_person(mentee.person_id):
            raise Forbidden("only the mentee submits their preferences")
        if Role.mentee.value not in mentee.roles:
            raise invalid(
                "mentee_id",
                "has_mentee_role",
                "this participant did not register as a mentee",
            )
        rows = (
            await conn.execute(
                sa.select(participants).where(
                    participants.c.id.in_(mentor_ids),
                    participants.c.cohort_id == cohort_id,
                )
            )
        ).all()
        mentors = {
            row.id: domain.MentorView(
                id=row.id,
                is_mentor=Role.mentor.value in row.roles,
                has_free_capacity=row.active_pairings < row.capacity,
            )
            for row in rows
        }
        already_paired = await _exists(
            conn,
            pairings,
            pairings.c.mentee_id == mentee_id,
            pairings.c.status == "active",
        )
        open_selection = await _exists(
            conn,
            selections,
            selections.c.mentee_id == mentee_id,
            selections.c.status == "open",
        )
        violations = domain.preference_violations(
            mentee_id,
            mentor_ids,
            mentors,
            already_paired=already_paired,
            has_open_selection=open_selection,
        )
        if violations:
            raise DomainError(
                "preferences refused: " + "; ".join(v.message for v in violations),
                violations,
            )
        selection_id = uuid.uuid4()
        await conn.execute(
            selections.insert().values(
                id=selection_id,
                mentee_id=mentee_id,
                cohort_id=cohort_id,
                ranked_mentor_ids=mentor_ids,
                status="open",
                submitted_at=runtime.now(),
            )
        )
        await runtime.record(
            conn,
            PreferencesSubmitted(
                selection_id=selection_id,
                mentee_id=mentee_id,
                cohort_id=cohort_id,
                ranked_mentor_ids=mentor_ids,
            ),
        )
        await _request_next_choice(runtime, conn, selection_id)
    return selection_id


async def accept(runtime: Runtime, caller: Principal, *, request_id: UUID) -> UUID:
    """Rule: the mentor the request is addressed to."""
    async with runtime.engine.begin() as conn:
        request = await _pending_request_of_locked_mentor(conn, caller, request_id)
        mentor = await _lock_participant(conn, request.mentor_id)
        mentee_person_id = (
            await conn.execute(sa.select(participants.c.person_id).where(participants.c.id == request.mentee_id))
        ).scalar_one()
        if mentor.active_pairings >= mentor.capacity:
            raise Conflict("the mentor has no free place")
        now = runtime.now()
        pairing_id = uuid.uuid4()
        await conn.execute(requests.update().where(requests.c.id == request_id).values(status="accepted", answered_at=now))
        await conn.execute(selections.update().where(selections.c.id == request.selection_id).values(status="paired"))
        await conn.execute(
            participants.update().where(participants.c.id == mentor.id).values(active_pairings=participants.c.active_pairings + 1)
        )
        await conn.execute(
            pairings.insert().values(
                id=pairing_id,
                request_id=request_id,
                mentee_id=request.mentee_id,
                mentor_id=request.mentor_id,
                cohort_id=request.cohort_id,
                status="active",
                formed_at=now,
            )
        )
        await runtime.record(
            conn,
            RequestAccepted(
                request_id=request_id,
                mentee_id=request.mentee_id,
                mentor_id=request.mentor_id,
                pairing_id=pairing_id,
                accepted_at=now,
            ),
        )
        await runtime.record(
            conn,
            PairingFormed(
                pairing_id=pairing_id,
                request_id=request_id,
                mentee_id=request.mentee_id,
                mentor_id=request.mentor_id,
                cohort_id=request.cohort_id,
                programme_id=mentor.programme_id,
                mentee_person_id=mentee_person_id,
                mentor_person_id=mentor.person_id,
                formed_at=now,
            ),
        )
        if mentor.active_pairings + 1 < mentor.capacity:
            await _deliver_next_waiting(runtime, conn, request.mentor_id)
    return pairing_id


async def decline(runtime: Runtime, caller: Principal, *, request_id: UUID) -> None:
    """Rule: the mentor the request is addressed to."""
    async with runtime.engine.begin() as conn:
        request = await _pending_request_of_locked_mentor(conn, caller, request_id)
        now = runtime.now()
        await conn.execute(requests.update().where(requests.c.id == request_id).values(status="declined", answered_at=now))
        await runtime.record(
            conn,
            RequestDeclined(
                request_id=request_id,
                mentee_id=request.mentee_id,
                mentor_id=request.mentor_id,
                declined_at=now,
            ),
        )
        await _deliver_next_waiting(runtime, conn, request.mentor_id)
        await _request_next_choice(runtime, conn, request.selection_id)


async def _request_next_choice(runtime: Runtime, conn: AsyncConnection, selection_id: UUID) -> None:
    """Address the mentee's next untried choice; it waits if that mentor holds a pending request."""
    selection = (await conn.execute(sa.select(selections).where(selections.c.id == selection_id).with_for_update())).one()
    if selection.status != "open":
        return
    tried = (await conn.execute(sa.select(sa.func.count()).where(requests.c.selection_id == selection_id))).scalar_one()
    if tried >= len(selection.ranked_mentor_ids):
        # PreferencesExhausted and the ask for new preferences come with the full lifecycle.
        await conn.execute(selections.update().where(selections.c.id == selection_id).values(status="exhausted"))
        return
    mentor_id = selection.ranked_mentor_ids[tried]
    await _lock_participant(conn, mentor_id)
    request_id = uuid.uuid4()
    await conn.execute(
        requests.insert().values(
            id=request_id,
            selection_id=selection_id,
            mentee_id=selection.mentee_id,
            mentor_id=mentor_id,
            cohort_id=selection.cohort_id,
            rank=tried + 1,
            status="waiting",
            created_at=runtime.now(),
        )
    )
    await _deliver_next_waiting(runtime, conn, mentor_id)


async def _deliver_next_waiting(runtime: Runtime, conn: AsyncConnection, mentor_id: UUID) -> None:
    """If the (locked) mentor holds no pending request, the oldest waiting one reaches them."""
    if await _exists(
        conn,
        requests,
        requests.c.mentor_id == mentor_id,
        requests.c.status == "pending",
    ):
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
    mentor = (await conn.execute(sa.select(participants).where(participants.c.id == mentor_id))).one()
    now = runtime.now()
    deadlines = request_deadlines(now, mentor.time_zone)
    await conn.execute(
        requests.update()
        .where(requests.c.id == waiting.id)
        .values(
            status="pending",
            reached_mentor_at=now,
            remind_at=deadlines.remind_at,
            expires_at=deadlines.expires_at,
        )
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
        ),
    )


async def _pending_request_of_locked_mentor(conn: AsyncConnection, caller: Principal, request_id: UUID) -> sa.Row:
    request = (await conn.execute(sa.select(requests).where(requests.c.id == request_id))).first()
    if request is None:
        raise NotFound("request", request_id)
    mentor = await _lock_participant(conn, request.mentor_id)
    if mentor is None or not caller.is_person(mentor.person_id):
        raise NotFound("request", request_id)  # to anyone but its mentor, a request does not exist
    # Re-read under the mentor's lock: a concurrent answer may have just landed.
    request = (await conn.execute(sa.select(requests).where(requests.c.id == request_id))).one()
    if request.status != "pending":
        raise Conflict(f"the request is {request.status}, not awaiting an answer")
    return request


async def _lock_participant(conn: AsyncConnection, participant_id: UUID) -> sa.Row | None:
    return (await conn.execute(sa.select(participants).where(participants.c.id == participant_id).with_for_update())).first()


async def _exists(conn: AsyncConnection, table: sa.Table, *where: sa.ColumnElement[bool]) -> bool:
    return (await conn.execute(sa.select(sa.exists().where(*where)))).scalar_one()
