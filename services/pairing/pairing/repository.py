"""The request lifecycle's objects in pairing's tables: loaded in pairing's one lock order, saved with their events.

A `Unit` is one use case's transaction. It loads (and locks) what a change may reach before the change
runs on the objects (`domain.lifecycle`), then writes what changed and records the events, all in the
caller's transaction.

Lock order (why: `lock_cohort`): the cohort's lock first; then a mentor's participant row before that
mentor's requests are read, the mentee's row while their preferences are decided, a selection row before
its mentee's next request is made. Each object is read under its lock, so the loser of a race sees the
winner's result.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from pairing import records
from pairing.domain.lifecycle import Lifecycle
from pairing.domain.model import (
    OPEN,
    MentorDesk,
    Pairing,
    PairingStatus,
    Request,
    RequestStatus,
    Selection,
    SelectionStatus,
    TimerKind,
    TimerOutcome,
)
from pairing.domain.preferences import Participant
from pairing.tables import cohorts, followers, pairings, participants, requests, selections, timers
from together_contracts.pairing import CompletedBecause, EndedBy, Engagement
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


# Whether a request's reminder fired: the timer's record says it (`Request.reminder_sent`).
_REMINDER_SENT = (
    sa.exists()
    .where(timers.c.request_id == requests.c.id, timers.c.kind == TimerKind.reminder, timers.c.outcome == TimerOutcome.reminded)
    .label("reminder_sent")
)


def participant_of(row: sa.Row) -> Participant:
    return Participant(
        id=row.id,
        cohort_id=row.cohort_id,
        roles=list(row.roles),
        coach_approved=row.coach_approved,
        withdrawn=row.withdrawn_at is not None,
        waitlisted=row.waitlisted,
    )


class Unit:
    def __init__(self, runtime: Runtime, conn: AsyncConnection) -> None:
        self.runtime, self.conn = runtime, conn
        self.desks: dict[UUID, MentorDesk | None] = {}
        self.selections: dict[UUID, Selection] = {}
        self.requests: dict[UUID, Request] = {}
        self.pairings: dict[UUID, Pairing] = {}
        # A copy of each object as loaded: what changed is saved, what is not there is new.
        self._loaded_desks: dict[UUID, tuple[int, datetime | None, list[UUID]]] = {}
        self._loaded_selections: dict[UUID, Selection] = {}
        self._loaded_requests: dict[UUID, Request] = {}
        self._loaded_pairings: dict[UUID, Pairing] = {}
        self.lifecycle = Lifecycle(
            runtime.now, desks=self.desks, selections=self.selections, requests=self.requests, pairings=self.pairings
        )

    async def lock_cohort(self, cohort_id: UUID) -> None:
        await lock_cohort(self.conn, cohort_id)

    # Reads before the cohort's lock, to learn which cohort: never trusted for a decision.

    async def cohort_of_participant(self, participant_id: UUID) -> UUID | None:
        return (await self.conn.execute(sa.select(participants.c.cohort_id).where(participants.c.id == participant_id))).scalar()

    async def locate_request(self, request_id: UUID) -> sa.Row | None:
        query = sa.select(requests.c.cohort_id, requests.c.mentor_id).where(requests.c.id == request_id)
        return (await self.conn.execute(query)).first()

    async def locate_pairing(self, pairing_id: UUID) -> sa.Row | None:
        query = sa.select(pairings.c.cohort_id, pairings.c.mentor_id).where(pairings.c.id == pairing_id)
        return (await self.conn.execute(query)).first()

    # Loading, under the cohort's lock.

    async def participant(self, participant_id: UUID, *, lock: bool = False) -> sa.Row | None:
        query = sa.select(participants).where(participants.c.id == participant_id)
        return (await self.conn.execute(query.with_for_update() if lock else query)).first()

    async def programme_kind(self, cohort_id: UUID) -> str | None:
        return (await self.conn.execute(sa.select(cohorts.c.programme_kind).where(cohorts.c.id == cohort_id))).scalar()

    async def desk(self, participant_id: UUID, *, lock: bool = True) -> MentorDesk | None:
        """The participant's desk, their row locked: their open requests, followers and days off."""
        if participant_id in self.desks:
            return self.desks[participant_id]
        row = await self.participant(participant_id, lock=lock)
        if row is None:
            self.desks[participant_id] = None
            return None
        open_requests = await self.conn.execute(
            sa.select(requests, selections.c.engagement, _REMINDER_SENT)
            .join(selections, selections.c.id == requests.c.selection_id)
            .where(requests.c.mentor_id == participant_id, requests.c.status.in_(OPEN))
        )
        followed_by = await self.conn.execute(sa.select(followers.c.mentee_id).where(followers.c.mentor_id == participant_id))
        days_off = await records.days_off_of(
            self.conn, cohort_id=row.cohort_id, programme_id=row.programme_id, duty_station=row.duty_station
        )
        desk = MentorDesk(
            mentor_id=row.id,
            cohort_id=row.cohort_id,
            person_id=row.person_id,
            programme_id=row.programme_id,
            capacity=row.capacity,
            active_pairings=row.active_pairings,
            time_zone=row.time_zone,
            days_off=days_off,
            withdrawn_at=row.withdrawn_at,
            requests=[self._loaded_request(request) for request in open_requests],
            followers=list(followed_by.scalars()),
        )
        self.desks[participant_id] = desk
        self._loaded_desks[participant_id] = (desk.active_pairings, desk.withdrawn_at, list(desk.followers))
        return desk

    async def request(self, request_id: UUID) -> Request | None:
        """The request as it is now, its mentor's desk loaded (and locked) first."""
        row = (await self.conn.execute(sa.select(requests.c.mentor_id).where(requests.c.id == request_id))).first()
        if row is None:
            return None
        await self.desk(row.mentor_id)
        if request_id not in self.requests:  # settled: it is on no desk
            settled = await self.conn.execute(
                sa.select(requests, selections.c.engagement, _REMINDER_SENT)
                .join(selections, selections.c.id == requests.c.selection_id)
                .where(requests.c.id == request_id)
            )
            self._loaded_request(settled.one())
        return self.requests[request_id]

    async def selection(self, selection_id: UUID) -> Selection:
        if selection_id in self.selections:
            return self.selections[selection_id]
        row = (await self.conn.execute(sa.select(selections).where(selections.c.id == selection_id).with_for_update())).one()
        tried = (await self.conn.execute(sa.select(sa.func.count()).where(requests.c.selection_id == selection_id))).scalar_one()
        selection = Selection(
            id=row.id,
            mentee_id=row.mentee_id,
            cohort_id=row.cohort_id,
            ranked_mentor_ids=list(row.ranked_mentor_ids),
            status=SelectionStatus(row.status),
            submitted_at=row.submitted_at,
            tried=tried,
            engagement=Engagement(row.engagement) if row.engagement else None,
            assignment_id=row.assignment_id,
        )
        self.selections[selection_id] = selection
        self._loaded_selections[selection_id] = copy.copy(selection)
        return selection

    async def choices_of(self, selection_id: UUID) -> None:
        """The selection and the desks of the mentors its next choice may ask, in rank order."""
        selection = await self.selection(selection_id)
        for mentor_id in selection.untried:
            await self.desk(mentor_id)

    async def next_choices_after(self, settled: Iterable[Request]) -> None:
        """What the mentees of these requests reach when the requests settle: their next choices."""
        for request in settled:
            await self.choices_of(request.selection_id)

    async def pairing(self, pairing_id: UUID) -> Pairing | None:
        if pairing_id in self.pairings:
            return self.pairings[pairing_id]
        row = (
            await self.conn.execute(
                sa.select(pairings, requests.c.selection_id)
                .join(requests, requests.c.id == pairings.c.request_id)
                .where(pairings.c.id == pairing_id)
                .with_for_update(of=pairings)
            )
        ).first()
        if row is None:
            return None
        pairing = Pairing(
            id=row.id,
            request_id=row.request_id,
            selection_id=row.selection_id,
            mentee_id=row.mentee_id,
            mentor_id=row.mentor_id,
            cohort_id=row.cohort_id,
            status=PairingStatus(row.status),
            formed_at=row.formed_at,
            ended_at=row.ended_at,
            ended_by=EndedBy(row.ended_by) if row.ended_by else None,
            participant_withdrew=row.participant_withdrew,
            message_to_partner=row.message_to_partner,
            note_to_programme_team=row.note_to_programme_team,
            completed_because=CompletedBecause(row.completed_because) if row.completed_because else None,
        )
        self.pairings[pairing_id] = pairing
        self._loaded_pairings[pairing_id] = copy.copy(pairing)
        return pairing

    async def active_pairings(self, where: sa.ColumnElement[bool]) -> list[Pairing]:
        ids = await self.conn.execute(
            sa.select(pairings.c.id).where(where, pairings.c.status == PairingStatus.active).order_by(pairings.c.formed_at)
        )
        return [pairing for pairing_id in ids.scalars() if (pairing := await self.pairing(pairing_id)) is not None]

    async def withdrawal_of(self, participant_id: UUID) -> None:
        """What a participant's withdrawal reaches, in the order it meets it: as a mentee, the desks their
        open requests wait at, their open selections, their pairings (each mentor's desk, then the pairing and
        its selection); as a mentor, the next choices of the mentees asking them and their pairings."""
        desk = await self.desk(participant_id)
        made = await self.conn.execute(
            sa.select(requests.c.mentor_id)
            .where(requests.c.mentee_id == participant_id, requests.c.status.in_(OPEN))
            .order_by(requests.c.created_at, requests.c.id)
        )
        for mentor_id in made.scalars().all():
            await self.desk(mentor_id)
        still_open = sa.select(selections.c.id).where(
            selections.c.mentee_id == participant_id, selections.c.status == SelectionStatus.open
        )
        for selection_id in (await self.conn.execute(still_open)).scalars().all():
            await self.selection(selection_id)
        mentors_of_pairings = sa.select(pairings.c.mentor_id).where(
            pairings.c.mentee_id == participant_id, pairings.c.status == PairingStatus.active
        )
        for mentor_id in (await self.conn.execute(mentors_of_pairings.order_by(pairings.c.formed_at))).scalars().all():
            await self.desk(mentor_id)
        for pairing in await self.active_pairings(pairings.c.mentee_id == participant_id):
            await self.selection(pairing.selection_id)
        if desk is not None:
            await self.next_choices_after(desk.open_requests)
        for pairing in await self.active_pairings(pairings.c.mentor_id == participant_id):
            await self.selection(pairing.selection_id)

    async def cohort_end_of(self, cohort_id: UUID) -> None:
        """What the cohort's end reaches: the desks of its mentors with open requests, active pairings or followers
        (in id order), its open selections and its active pairings."""
        open_requests = sa.select(requests.c.mentor_id).where(requests.c.cohort_id == cohort_id, requests.c.status.in_(OPEN))
        paired = sa.select(pairings.c.mentor_id).where(
            pairings.c.cohort_id == cohort_id, pairings.c.status == PairingStatus.active
        )
        followed = sa.select(followers.c.mentor_id)
        mentors = sa.select(participants.c.id).where(
            participants.c.cohort_id == cohort_id,
            sa.or_(participants.c.id.in_(open_requests), participants.c.id.in_(paired), participants.c.id.in_(followed)),
        )
        for mentor_id in (await self.conn.execute(mentors.order_by(participants.c.id))).scalars().all():
            await self.desk(mentor_id)
        still_open = sa.select(selections.c.id).where(
            selections.c.cohort_id == cohort_id, selections.c.status == SelectionStatus.open
        )
        for selection_id in (await self.conn.execute(still_open.order_by(selections.c.id))).scalars().all():
            await self.selection(selection_id)
        await self.active_pairings(pairings.c.cohort_id == cohort_id)

    def _loaded_request(self, row: sa.Row) -> Request:
        if row.id in self.requests:
            return self.requests[row.id]
        request = Request(
            id=row.id,
            selection_id=row.selection_id,
            mentee_id=row.mentee_id,
            mentor_id=row.mentor_id,
            cohort_id=row.cohort_id,
            rank=row.rank,
            status=RequestStatus(row.status),
            created_at=row.created_at,
            engagement=Engagement(row.engagement) if row.engagement else None,
            reached_mentor_at=row.reached_mentor_at,
            remind_at=row.remind_at,
            expires_at=row.expires_at,
            answered_at=row.answered_at,
            reminder_sent=row.reminder_sent,
        )
        self.requests[row.id] = request
        self._loaded_requests[row.id] = copy.copy(request)
        return request

    # Saving.

    async def save(self) -> None:
        """Write what changed and record the events, in the caller's transaction."""
        for selection in self.selections.values():
            await self._save_selection(selection)
        # One pending request per mentor is a unique index, checked row by row: requests leave `pending`
        # before others take their place.
        changed = [r for r in self.requests.values() if r != self._loaded_requests.get(r.id)]
        for request in sorted(changed, key=lambda r: r.status is RequestStatus.pending):
            await self._save_request(request)
        for pairing in self.pairings.values():
            await self._save_pairing(pairing)
        for desk in self.desks.values():
            if desk is not None:
                await self._save_desk(desk)
        for event in self.lifecycle.events:
            await self.runtime.record(self.conn, event)
        # Saved: a later save in this transaction writes only what changes after this one.
        self.lifecycle.events.clear()
        self._loaded_selections = {key: copy.copy(selection) for key, selection in self.selections.items()}
        self._loaded_requests = {key: copy.copy(request) for key, request in self.requests.items()}
        self._loaded_pairings = {key: copy.copy(pairing) for key, pairing in self.pairings.items()}
        self._loaded_desks = {
            key: (desk.active_pairings, desk.withdrawn_at, list(desk.followers)) for key, desk in self.desks.items() if desk
        }

    async def _save_selection(self, selection: Selection) -> None:
        loaded = self._loaded_selections.get(selection.id)
        if loaded is None:
            await self.conn.execute(
                selections.insert().values(
                    id=selection.id,
                    mentee_id=selection.mentee_id,
                    cohort_id=selection.cohort_id,
                    ranked_mentor_ids=selection.ranked_mentor_ids,
                    engagement=selection.engagement,
                    status=selection.status,
                    submitted_at=selection.submitted_at,
                    assignment_id=selection.assignment_id,
                )
            )
        elif selection != loaded:
            await self.conn.execute(selections.update().where(selections.c.id == selection.id).values(status=selection.status))

    async def _save_request(self, request: Request) -> None:
        loaded = self._loaded_requests.get(request.id)
        values = {
            "status": request.status,
            "reached_mentor_at": request.reached_mentor_at,
            "remind_at": request.remind_at,
            "expires_at": request.expires_at,
            "answered_at": request.answered_at,
        }
        if loaded is None:
            await self.conn.execute(
                requests.insert().values(
                    id=request.id,
                    selection_id=request.selection_id,
                    mentee_id=request.mentee_id,
                    mentor_id=request.mentor_id,
                    cohort_id=request.cohort_id,
                    rank=request.rank,
                    created_at=request.created_at,
                    **values,
                )
            )
        else:
            await self.conn.execute(requests.update().where(requests.c.id == request.id).values(**values))
        if request.reached_mentor_at is not None and (loaded is None or loaded.reached_mentor_at is None):
            # It reached the mentor: its two durable timers (deadline_worker.py).
            await self.conn.execute(
                timers.insert(),
                [
                    {"request_id": request.id, "kind": TimerKind.reminder, "due_at": request.remind_at},
                    {"request_id": request.id, "kind": TimerKind.expiry, "due_at": request.expires_at},
                ],
            )
        elif loaded is not None and loaded.reached_mentor_at is not None:
            await self._move_timers(request, loaded)

    async def _move_timers(self, request: Request, loaded: Request) -> None:
        """Its deadlines moved (the mentor's days off changed): the timers not fired yet follow them. A timer a
        worker holds is skipped, not waited for (the worker claims its timer before the cohort's lock: waiting
        here would invert pairing's lock order); that worker finds the request's new deadline and reschedules it
        (`use_cases.fire_timer`)."""
        for kind, due_at, was in (
            (TimerKind.reminder, request.remind_at, loaded.remind_at),
            (TimerKind.expiry, request.expires_at, loaded.expires_at),
        ):
            if due_at is None or due_at == was:
                continue
            free = await self.conn.execute(
                sa.select(timers.c.id)
                .where(timers.c.request_id == request.id, timers.c.kind == kind, timers.c.fired_at.is_(None))
                .with_for_update(skip_locked=True)
            )
            if ids := list(free.scalars()):
                await self.conn.execute(timers.update().where(timers.c.id.in_(ids)).values(due_at=due_at))

    async def _save_pairing(self, pairing: Pairing) -> None:
        loaded = self._loaded_pairings.get(pairing.id)
        values = {
            "status": pairing.status,
            "ended_at": pairing.ended_at,
            "ended_by": pairing.ended_by,
            "participant_withdrew": pairing.participant_withdrew,
            "message_to_partner": pairing.message_to_partner,
            "note_to_programme_team": pairing.note_to_programme_team,
            "completed_because": pairing.completed_because,
        }
        if loaded is None:
            await self.conn.execute(
                pairings.insert().values(
                    id=pairing.id,
                    request_id=pairing.request_id,
                    mentee_id=pairing.mentee_id,
                    mentor_id=pairing.mentor_id,
                    cohort_id=pairing.cohort_id,
                    formed_at=pairing.formed_at,
                    **values,
                )
            )
        elif pairing != loaded:
            await self.conn.execute(pairings.update().where(pairings.c.id == pairing.id).values(**values))

    async def _save_desk(self, desk: MentorDesk) -> None:
        active_pairings, withdrawn_at, followed_by = self._loaded_desks[desk.mentor_id]
        if (desk.active_pairings, desk.withdrawn_at) != (active_pairings, withdrawn_at):
            await self.conn.execute(
                participants.update()
                .where(participants.c.id == desk.mentor_id)
                .values(active_pairings=desk.active_pairings, withdrawn_at=desk.withdrawn_at)
            )
        if withdrawn_at is None and desk.withdrawn_at is not None:  # a participant who left follows nobody either
            await self.conn.execute(followers.delete().where(followers.c.mentee_id == desk.mentor_id))
        if told := [mentee_id for mentee_id in followed_by if mentee_id not in desk.followers]:
            await self.conn.execute(
                followers.delete().where(followers.c.mentor_id == desk.mentor_id, followers.c.mentee_id.in_(told))
            )
        if added := [mentee_id for mentee_id in desk.followers if mentee_id not in followed_by]:
            await self.conn.execute(
                insert(followers).on_conflict_do_nothing(),
                [{"mentor_id": desk.mentor_id, "mentee_id": mentee_id, "followed_at": self.runtime.now()} for mentee_id in added],
            )
