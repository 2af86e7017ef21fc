"""Matching's AssignmentAccepted: the programme team accepted a cohort-wide assignment.

Each pair becomes a one-mentor selection sent through the ordinary lifecycle (PreferencesSubmitted
with the assignment's id, RequestQueued, RequestSent and its timers): the mentor may still decline,
and deadlines apply. A pair that cannot be sent is skipped with AssignedPairSkipped and its reason.
Idempotent: the inbox absorbs a redelivery, and a selection already made from this assignment for
the mentee is never made twice (`already_sent`), whatever the event's id.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from pairing import domain, lifecycle
from pairing.tables import pairings, participants, selections
from together_events.contracts.matching import AssignedPair, AssignmentAccepted
from together_events.contracts.pairing import AssignedPairSkipped, PreferencesSubmitted, SkipReason
from together_servicekit.runtime import Runtime


async def assignment_accepted(runtime: Runtime, conn: AsyncConnection, event: AssignmentAccepted) -> None:
    await lifecycle.lock_cohort(conn, event.cohort_id)
    for pair in event.pairs:
        reason = await _send(runtime, conn, event, pair)
        if reason is not None:
            await runtime.record(
                conn,
                AssignedPairSkipped(
                    assignment_id=event.assignment_id,
                    cohort_id=event.cohort_id,
                    mentee_id=pair.mentee_id,
                    mentor_id=pair.mentor_id,
                    reason=reason,
                    skipped_at=runtime.now(),
                ),
            )


async def _send(runtime: Runtime, conn: AsyncConnection, event: AssignmentAccepted, pair: AssignedPair) -> SkipReason | None:
    """Send one pair's request, or say why not."""
    mentee = await lifecycle.lock_participant(conn, pair.mentee_id)  # as a submission does: one decision at a time
    if (
        mentee is None
        or mentee.cohort_id != event.cohort_id
        or mentee.withdrawn_at is not None
        or mentee.waitlisted
        or not domain.seeks_partner(mentee.roles)
    ):
        return SkipReason.mentee_unknown
    mentor = (await conn.execute(sa.select(participants).where(participants.c.id == pair.mentor_id))).first()
    if (
        mentor is None
        or mentor.cohort_id != event.cohort_id
        or not domain.offers_places(mentor.roles, coach_approved=mentor.coach_approved, withdrawn=mentor.withdrawn_at is not None)
    ):
        return SkipReason.mentor_unknown
    mine = selections.c.mentee_id == pair.mentee_id
    if await _exists(conn, mine, selections.c.assignment_id == event.assignment_id):
        return SkipReason.already_sent
    if await _exists(conn, pairings.c.mentee_id == pair.mentee_id, pairings.c.status == "active"):
        return SkipReason.mentee_paired
    if await _exists(conn, mine, selections.c.status == "open"):
        return SkipReason.open_selection
    selection_id = uuid.uuid4()
    await conn.execute(
        selections.insert().values(
            id=selection_id,
            mentee_id=pair.mentee_id,
            cohort_id=event.cohort_id,
            ranked_mentor_ids=[pair.mentor_id],
            status="open",
            submitted_at=runtime.now(),
            assignment_id=event.assignment_id,
        )
    )
    await runtime.record(
        conn,
        PreferencesSubmitted(
            selection_id=selection_id,
            mentee_id=pair.mentee_id,
            cohort_id=event.cohort_id,
            ranked_mentor_ids=[pair.mentor_id],
            assignment_id=event.assignment_id,
        ),
    )
    # A full mentor is the ordinary case too: the request is queued, withdrawn (mentor_full) and the selection exhausted.
    await lifecycle.request_next_choice(runtime, conn, selection_id)
    return None


async def _exists(conn: AsyncConnection, *where: sa.ColumnElement[bool]) -> bool:
    return (await conn.execute(sa.select(sa.exists().where(*where)))).scalar_one()
