"""Pairing's use cases: preferences, answers. The transitions they share with the
deadline worker are in `lifecycle.py`.

Concurrency: every use case first takes its cohort's lock (`lifecycle.lock_cohort`, the one
lock order), then the rows it decides on: the mentor's participant row before that mentor's
requests or capacity change, the mentee's row while their preferences are decided.
"""

from __future__ import annotations

import uuid
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from pairing import domain, lifecycle
from pairing.tables import cohorts, followers, pairings, participants, requests, selections
from together_events.contracts.pairing import (
    EndedBy,
    Engagement,
    MentorFollowed,
    PairingEnded,
    PairingFormed,
    PreferencesSubmitted,
    RequestAccepted,
    RequestDeclined,
)
from together_events.contracts.registration import ProgrammeKind
from together_servicekit.auth import Forbidden, Principal
from together_servicekit.errors import Conflict, DomainError, NotFound, invalid
from together_servicekit.runtime import Runtime


async def submit_preferences(
    runtime: Runtime,
    caller: Principal,
    *,
    cohort_id: UUID,
    mentee_id: UUID,
    mentor_ids: list[UUID],
    engagement: Engagement | None = None,
) -> UUID:
    """Rule: the mentee themself."""
    async with runtime.engine.begin() as conn:
        await lifecycle.lock_cohort(conn, cohort_id)
        mentee = await lifecycle.lock_participant(conn, mentee_id)
        if mentee is None or mentee.cohort_id != cohort_id:
            raise NotFound("mentee in this cohort", mentee_id)
        if not caller.is_person(mentee.person_id):
            raise Forbidden("only the mentee submits their preferences")
        if not domain.seeks_partner(mentee.roles):
            raise invalid(
                "mentee_id",
                "has_mentee_role",
                "this participant did not register as a mentee or client",
            )
        if mentee.withdrawn_at is not None:
            raise invalid("mentee_id", "still_in_cohort", "this participant withdrew from the cohort")
        if mentee.waitlisted:
            raise invalid("mentee_id", "admitted", "this participant is on the cohort's waitlist until a place is theirs")
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
                is_mentor=domain.offers_places(
                    row.roles, coach_approved=row.coach_approved, withdrawn=row.withdrawn_at is not None
                ),
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
        kind = (await conn.execute(sa.select(cohorts.c.programme_kind).where(cohorts.c.id == cohort_id))).scalar()
        violations = domain.preference_violations(
            mentee_id,
            mentor_ids,
            mentors,
            already_paired=already_paired,
            has_open_selection=open_selection,
        ) + domain.engagement_violations(kind, mentor_ids, engagement)
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
                engagement=engagement.value if engagement else None,
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
                engagement=engagement,
            ),
        )
        await lifecycle.request_next_choice(runtime, conn, selection_id)
    return selection_id


async def accept(runtime: Runtime, caller: Principal, *, request_id: UUID) -> UUID:
    """Rule: the mentor the request is addressed to."""
    async with runtime.engine.begin() as conn:
        request = await _pending_request_of_locked_mentor(conn, caller, request_id)
        mentor = await lifecycle.lock_participant(conn, request.mentor_id)
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
        if mentor.active_pairings + 1 >= mentor.capacity:
            await lifecycle.release_requests_of_full_mentor(runtime, conn, request.mentor_id)
        else:
            await lifecycle.deliver_next_waiting(runtime, conn, request.mentor_id)
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
        await lifecycle.deliver_next_waiting(runtime, conn, request.mentor_id)
        await lifecycle.request_next_choice(runtime, conn, request.selection_id)


async def _pending_request_of_locked_mentor(conn: AsyncConnection, caller: Principal, request_id: UUID) -> sa.Row:
    request = (await conn.execute(sa.select(requests).where(requests.c.id == request_id))).first()
    if request is None:
        raise NotFound("request", request_id)
    await lifecycle.lock_cohort(conn, request.cohort_id)
    mentor = await lifecycle.lock_participant(conn, request.mentor_id)
    if mentor is None or not caller.is_person(mentor.person_id):
        raise NotFound("request", request_id)  # to anyone but its mentor, a request does not exist
    # Re-read under the mentor's lock: a concurrent answer may have just landed.
    request = (await conn.execute(sa.select(requests).where(requests.c.id == request_id))).one()
    if request.status != "pending":
        raise Conflict(f"the request is {request.status}, not awaiting an answer")
    return request


async def _exists(conn: AsyncConnection, table: sa.Table, *where: sa.ColumnElement[bool]) -> bool:
    return (await conn.execute(sa.select(sa.exists().where(*where)))).scalar_one()


async def end_pairing(
    runtime: Runtime, caller: Principal, *, pairing_id: UUID, message_to_partner: str, note_to_programme_team: str | None
) -> None:
    """Rule: the mentee ("request a new mentor"); in coaching, the mentor too. To anyone else the pairing does not exist."""
    async with runtime.engine.begin() as conn:
        pairing = (await conn.execute(sa.select(pairings).where(pairings.c.id == pairing_id))).first()
        if pairing is None:
            raise NotFound("pairing", pairing_id)
        await lifecycle.lock_cohort(conn, pairing.cohort_id)
        mentor = await lifecycle.lock_participant(conn, pairing.mentor_id)
        pairing = (await conn.execute(sa.select(pairings).where(pairings.c.id == pairing_id).with_for_update())).one()
        mentee_person = (
            await conn.execute(sa.select(participants.c.person_id).where(participants.c.id == pairing.mentee_id))
        ).scalar()
        kind = (await conn.execute(sa.select(cohorts.c.programme_kind).where(cohorts.c.id == pairing.cohort_id))).scalar()
        if mentee_person is not None and caller.is_person(mentee_person):
            ended_by = EndedBy.mentee
        elif mentor is not None and caller.is_person(mentor.person_id):
            if kind != ProgrammeKind.coaching.value:
                raise Forbidden("in this programme the mentee ends a pairing (in coaching, either side may)")
            ended_by = EndedBy.mentor
        else:
            raise NotFound("pairing", pairing_id)
        if pairing.status != "active":
            raise Conflict(f"the pairing is already {pairing.status}")
        now = runtime.now()
        await conn.execute(
            pairings.update()
            .where(pairings.c.id == pairing_id)
            .values(
                status="ended",
                ended_at=now,
                ended_by=ended_by.value,
                message_to_partner=message_to_partner,
                note_to_programme_team=note_to_programme_team,
            )
        )
        await conn.execute(
            participants.update()
            .where(participants.c.id == pairing.mentor_id)
            .values(active_pairings=participants.c.active_pairings - 1)
        )
        # The mentee is back in selection: the selection that led to this pairing is over.
        await conn.execute(
            selections.update()
            .where(
                selections.c.id == sa.select(requests.c.selection_id).where(requests.c.id == pairing.request_id).scalar_subquery()
            )
            .values(status="ended")
        )
        await runtime.record(
            conn,
            PairingEnded(
                pairing_id=pairing_id,
                mentee_id=pairing.mentee_id,
                mentor_id=pairing.mentor_id,
                cohort_id=pairing.cohort_id,
                ended_by=ended_by,
                ended_at=now,
            ),
        )
        await lifecycle.place_opened(runtime, conn, pairing.mentor_id)


async def follow_mentor(runtime: Runtime, caller: Principal, *, mentor_id: UUID, mentee_id: UUID) -> bool:
    """The mentee will be told when the mentor has a place again. Rule: the mentee themself. True if new."""
    async with runtime.engine.begin() as conn:
        mentee = (await conn.execute(sa.select(participants).where(participants.c.id == mentee_id))).first()
        if mentee is None:
            raise NotFound("mentee", mentee_id)
        if not caller.is_person(mentee.person_id):
            raise Forbidden("only the mentee follows mentors for themself")
        await lifecycle.lock_cohort(conn, mentee.cohort_id)  # the mentor's fullness holds until the commit
        mentor = (await conn.execute(sa.select(participants).where(participants.c.id == mentor_id))).first()
        if (
            mentor is None
            or mentor.cohort_id != mentee.cohort_id
            or not domain.offers_places(
                mentor.roles, coach_approved=mentor.coach_approved, withdrawn=mentor.withdrawn_at is not None
            )
        ):
            raise invalid(
                "mentor_id", "mentor_in_cohort", f"{mentor_id} is not a mentor (or approved coach) in the mentee's cohort"
            )
        if not lifecycle.is_full(mentor):
            # Following is for a mentor one cannot request now; one with a free place is requested instead.
            raise invalid("mentor_id", "mentor_full", f"mentor {mentor_id} has a free place: request them instead of following")
        followed = (
            await conn.execute(
                insert(followers)
                .values(mentor_id=mentor_id, mentee_id=mentee_id, followed_at=runtime.now())
                .on_conflict_do_nothing()
                .returning(followers.c.mentee_id)
            )
        ).first()
        if followed is not None:
            await runtime.record(conn, MentorFollowed(mentor_id=mentor_id, mentee_id=mentee_id, followed_at=runtime.now()))
        return followed is not None
