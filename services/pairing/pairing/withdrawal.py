"""A participant left the cohort (registration's ParticipantWithdrawn): what it does to pairing.

As a mentee: their open selection is closed, their waiting and pending requests are cancelled
(a mentor they had reached gets their next waiting request), and their pairings end (the
mentor has a place again: the next waiting request reaches them and followers are told).
As a mentor: the requests waiting for or pending with them are cancelled and each of those
mentees' next choice is tried; their pairings end and the mentees are back in selection;
their followers are forgotten, not told (the mentor left, no place opened).

All in the consumer's transaction, with the inbox row: once per event. The withdrawn row's
`withdrawn_at` makes a second withdrawal event (a new id) change nothing.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from pairing import lifecycle
from pairing.tables import followers, pairings, participants, requests, selections
from together_events.contracts.pairing import EndedBy, PairingEnded
from together_servicekit.runtime import Runtime


async def participant_withdrew(runtime: Runtime, conn: AsyncConnection, participant_id: UUID, withdrawn_at: datetime) -> None:
    """`withdrawn_at` is the event's (the read model must rebuild equal); what pairing does is at its own clock's now."""
    cohort_id = (await conn.execute(sa.select(participants.c.cohort_id).where(participants.c.id == participant_id))).scalar()
    if cohort_id is None:
        return
    await lifecycle.lock_cohort(conn, cohort_id)  # so the requests and pairings read below stay as read
    person = await lifecycle.lock_participant(conn, participant_id)
    if person is None or person.withdrawn_at is not None:
        return
    await conn.execute(participants.update().where(participants.c.id == participant_id).values(withdrawn_at=withdrawn_at))
    await conn.execute(
        followers.delete().where(sa.or_(followers.c.mentee_id == participant_id, followers.c.mentor_id == participant_id))
    )
    await _leave_as_mentee(runtime, conn, participant_id)
    await _leave_as_mentor(runtime, conn, participant_id)


async def _leave_as_mentee(runtime: Runtime, conn: AsyncConnection, mentee_id: UUID) -> None:
    for request in await _open_requests(conn, requests.c.mentee_id == mentee_id):
        await lifecycle.lock_participant(conn, request.mentor_id)
        if await lifecycle.cancel(runtime, conn, request.id, withdrawn_participant_id=mentee_id) == "pending":
            await lifecycle.deliver_next_waiting(runtime, conn, request.mentor_id)
    await conn.execute(
        selections.update().where(selections.c.mentee_id == mentee_id, selections.c.status == "open").values(status="closed")
    )
    for pairing in await _active_pairings(conn, pairings.c.mentee_id == mentee_id):
        await lifecycle.lock_participant(conn, pairing.mentor_id)
        await _end(runtime, conn, pairing, EndedBy.mentee, selection_status="closed")
        await lifecycle.place_opened(runtime, conn, pairing.mentor_id)


async def _leave_as_mentor(runtime: Runtime, conn: AsyncConnection, mentor_id: UUID) -> None:
    for request in await _open_requests(conn, requests.c.mentor_id == mentor_id):
        if await lifecycle.cancel(runtime, conn, request.id, withdrawn_participant_id=mentor_id):
            await lifecycle.request_next_choice(runtime, conn, request.selection_id)
    for pairing in await _active_pairings(conn, pairings.c.mentor_id == mentor_id):
        await _end(runtime, conn, pairing, EndedBy.mentor, selection_status="ended")  # the mentee is back in selection


async def _open_requests(conn: AsyncConnection, where: sa.ColumnElement[bool]) -> list[sa.Row]:
    rows = await conn.execute(
        sa.select(requests)
        .where(where, requests.c.status.in_(["waiting", "pending"]))
        .order_by(requests.c.created_at, requests.c.id)
    )
    return list(rows)


async def _active_pairings(conn: AsyncConnection, where: sa.ColumnElement[bool]) -> list[sa.Row]:
    rows = await conn.execute(sa.select(pairings).where(where, pairings.c.status == "active").order_by(pairings.c.formed_at))
    return list(rows)


async def _end(runtime: Runtime, conn: AsyncConnection, pairing: sa.Row, ended_by: EndedBy, *, selection_status: str) -> None:
    """End a pairing because `ended_by`'s side left; its mentor is locked. No message: nobody wrote one."""
    now = runtime.now()
    await conn.execute(
        pairings.update()
        .where(pairings.c.id == pairing.id)
        .values(status="ended", ended_at=now, ended_by=ended_by.value, participant_withdrew=True)
    )
    await conn.execute(
        participants.update()
        .where(participants.c.id == pairing.mentor_id)
        .values(active_pairings=participants.c.active_pairings - 1)
    )
    selection_of_pairing = sa.select(requests.c.selection_id).where(requests.c.id == pairing.request_id).scalar_subquery()
    await conn.execute(selections.update().where(selections.c.id == selection_of_pairing).values(status=selection_status))
    await runtime.record(
        conn,
        PairingEnded(
            pairing_id=pairing.id,
            mentee_id=pairing.mentee_id,
            mentor_id=pairing.mentor_id,
            cohort_id=pairing.cohort_id,
            ended_by=ended_by,
            ended_at=now,
            participant_withdrew=True,
        ),
    )
