"""Scheduling's reads, each checking who may read it (ADR 0005): sessions and plans, invitations,
the partners' records, and the cohorts' timetables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from scheduling import outcome_store, repository
from scheduling.access import (
    is_partner,
    own_surveys,
    require_partner,
    visible_cohort,
    visible_pairing,
    visible_series,
    visible_session,
    visible_timetable_entry,
)
from scheduling.domain import times
from scheduling.domain.invitations import series_invitation, session_invitation
from scheduling.domain.kinds import LearningRecord, ReverseMentoring, check_kind
from scheduling.domain.pairing import Pairing
from scheduling.domain.plans import Plan
from scheduling.domain.sessions import PlannedItemState, Session, plan_progress
from scheduling.domain.times import LocalTime, as_seen_in
from scheduling.domain.timetable import Cohort, EntryStatus, TimetableEntry, entry_calendar, timetable_calendar
from scheduling.domain.world_clock import Slot, slot
from scheduling.tables import agreements, assessments, feedback, notes, participant_surveys, participants
from together_contracts.registration import ProgrammeKind
from together_servicekit.auth import Forbidden, Principal
from together_servicekit.errors import Conflict, NotFound
from together_servicekit.runtime import Runtime

NOTE_READERS = "the author and, once shared, the partner read session notes; the programme team never does"


@dataclass(frozen=True)
class PartnerTime:
    participant_id: UUID
    role: Literal["mentee", "mentor"]
    seen: LocalTime


@dataclass(frozen=True)
class SessionView:
    session: Session
    local_times: list[PartnerTime]  # the start and end as each partner sees them, in their own zone


async def sessions_of_pairing(runtime: Runtime, caller: Principal, pairing_id: UUID) -> list[SessionView]:
    """The pairing's sessions by start, each with its times in both partners' own zones (the session's
    zone for a partner scheduling does not know). Never notes. Rule: whoever sees the pairing."""
    async with runtime.engine.connect() as conn:
        pairing = await visible_pairing(conn, caller, pairing_id)
        zones = {
            row.id: row.time_zone
            for row in await conn.execute(
                sa.select(participants.c.id, participants.c.time_zone).where(participants.c.id.in_(pairing.partners))
            )
        }
        found = await repository.sessions_of_pairing(conn, pairing_id)
    roles: tuple[tuple[UUID, Literal["mentee", "mentor"]], ...] = ((pairing.mentee_id, "mentee"), (pairing.mentor_id, "mentor"))
    return [
        SessionView(
            session,
            [
                PartnerTime(pid, role, as_seen_in(session.starts_at, session.duration_minutes, zones.get(pid, session.time_zone)))
                for pid, role in roles
            ],
        )
        for session in found
    ]


async def plan_of_pairing(runtime: Runtime, caller: Principal, pairing_id: UUID) -> tuple[Plan, list[PlannedItemState]]:
    """The pairing's session plan, and which agenda items are booked or done. Rule: whoever sees the pairing."""
    async with runtime.engine.connect() as conn:
        pairing = await visible_pairing(conn, caller, pairing_id)
        plan = await repository.load_plan(conn, pairing)
        return plan, plan_progress(plan, await repository.sessions_of_pairing(conn, pairing_id))


async def invitation_of_session(runtime: Runtime, caller: Principal, session_id: UUID) -> str:
    """The session's current invitation; an occurrence's is its series'."""
    async with runtime.engine.connect() as conn:
        session, pairing = await visible_session(conn, caller, session_id)
        _invited(caller, pairing)
        if session.held_elsewhere:
            raise Conflict("the session was held outside the platform and recorded afterwards: it has no invitation")
        names = await _names(conn, pairing)
        if session.series_id is not None:
            return series_invitation(await repository.load_series(conn, session.series_id), pairing, names, runtime.now())
        return session_invitation(session, pairing, names, runtime.now())


async def invitation_of_series(runtime: Runtime, caller: Principal, series_id: UUID) -> str:
    async with runtime.engine.connect() as conn:
        owner, pairing = await visible_series(conn, caller, series_id)
        _invited(caller, pairing)
        return series_invitation(owner, pairing, await _names(conn, pairing), runtime.now())


def _invited(caller: Principal, pairing: Pairing) -> None:
    require_partner(caller, pairing, "only the partners receive a session's invitation")


async def _names(conn: AsyncConnection, pairing: Pairing) -> dict[UUID, str]:
    """The partners' display names (registration's placeholder once their answers are erased)."""
    query = sa.select(participants.c.id, participants.c.display_name).where(participants.c.id.in_(pairing.partners))
    return {row.id: row.display_name for row in await conn.execute(query)}


# Records ---------------------------------------------------------------------------------------


async def my_feedback(runtime: Runtime, caller: Principal, session_id: UUID) -> dict[str, Any]:
    """The caller's own feedback on the session."""
    async with runtime.engine.connect() as conn:
        _, pairing = await visible_session(conn, caller, session_id)
        giver = require_partner(caller, pairing, "only the partners read their own feedback")
        query = sa.select(feedback).where(feedback.c.session_id == session_id, feedback.c.participant_id == giver)
        row = (await conn.execute(query)).first()
    if row is None:
        raise NotFound("feedback of yours on session", session_id)
    return dict(row._mapping)


async def notes_of_session(runtime: Runtime, caller: Principal, session_id: UUID) -> list[dict[str, Any]]:
    """The caller's notes on the session and those the partner shared, each saying whether it is `mine`."""
    async with runtime.engine.connect() as conn:
        _, pairing = await visible_session(conn, caller, session_id)
        if not is_partner(caller, pairing):
            raise Forbidden(NOTE_READERS)
        rows = await conn.execute(
            sa.select(notes)
            .where(notes.c.session_id == session_id, sa.or_(notes.c.author_person_id == caller.subject, notes.c.shared.is_(True)))
            .order_by(notes.c.written_at, notes.c.id)
        )
        return [{**dict(r._mapping), "mine": r.author_person_id == caller.subject} for r in rows]


async def agreement(runtime: Runtime, caller: Principal, pairing_id: UUID) -> dict[str, Any]:
    """Rule: whoever sees the pairing (the partners and the programme team)."""
    async with runtime.engine.connect() as conn:
        await visible_pairing(conn, caller, pairing_id)
        row = (await conn.execute(sa.select(agreements).where(agreements.c.pairing_id == pairing_id))).first()
    if row is None:
        raise NotFound("agreement of pairing", pairing_id)
    return dict(row._mapping)


async def assessment(runtime: Runtime, caller: Principal, pairing_id: UUID) -> dict[str, Any]:
    """Rule: whoever sees the pairing (the partners and the programme team)."""
    async with runtime.engine.connect() as conn:
        await visible_pairing(conn, caller, pairing_id)
        row = (await conn.execute(sa.select(assessments).where(assessments.c.pairing_id == pairing_id))).first()
    if row is None:
        raise NotFound("assessment of pairing", pairing_id)
    return dict(row._mapping)


async def reverse_mentoring(runtime: Runtime, caller: Principal, pairing_id: UUID) -> tuple[Pairing, ReverseMentoring]:
    """Ground rules and REAL goals. Rule: whoever sees the pairing; 409 for another kind."""
    async with runtime.engine.connect() as conn:
        pairing = await visible_pairing(conn, caller, pairing_id)
        check_kind(await repository.programme_kind(conn, pairing), ProgrammeKind.reverse_mentoring)
        return pairing, await repository.load_reverse_mentoring(conn, pairing_id)


async def learning_record(runtime: Runtime, caller: Principal, pairing_id: UUID) -> LearningRecord:
    """Micro-needs, SMART goals, plan and assessment. Rule: whoever sees the pairing; 409 for another kind."""
    async with runtime.engine.connect() as conn:
        pairing = await visible_pairing(conn, caller, pairing_id)
        check_kind(await repository.programme_kind(conn, pairing), ProgrammeKind.on_the_job_learning)
        return await repository.load_learning_record(conn, pairing_id)


async def my_survey(runtime: Runtime, caller: Principal, participant_id: UUID, kind: str) -> dict[str, Any]:
    """A participant's own answers. Rule: that participant (the programme's team: 403, it reads aggregates)."""
    async with runtime.engine.connect() as conn:
        await own_surveys(conn, caller, participant_id)
        found = await outcome_store.find_survey(conn, participant_id, kind)
    if found is None:
        raise NotFound(f"{kind}-programme survey of participant", participant_id)
    return found


async def my_survey_in_pairing(runtime: Runtime, caller: Principal, pairing_id: UUID, kind: str) -> dict[str, Any]:
    """The older route: the caller's own answers, found through their pairing; the partner's are not theirs to read."""
    async with runtime.engine.connect() as conn:
        pairing = await visible_pairing(conn, caller, pairing_id)
        participant_id = require_partner(
            caller, pairing, "only the partners read their own survey answers; the programme team reads aggregates"
        )
        found = await outcome_store.find_survey(conn, participant_id, kind)
    if found is None:
        raise NotFound(f"{kind}-programme survey of yours in pairing", pairing_id)
    return found


@dataclass(frozen=True)
class SurveyFigures:
    answers: int
    mean_confidence: float | None
    mean_satisfaction: float | None


async def survey_summary(runtime: Runtime, caller: Principal, programme_id: UUID) -> dict[str, SurveyFigures]:
    """Per kind (`pre`, `post`): answers, mean confidence and satisfaction; no single answer."""
    if not caller.runs(programme_id):
        raise Forbidden("only the programme's team reads its survey results")
    async with runtime.engine.connect() as conn:
        rows = {
            row.kind: row
            for row in await conn.execute(
                sa.select(
                    participant_surveys.c.kind,
                    sa.func.count().label("answers"),
                    sa.func.avg(participant_surveys.c.confidence).label("confidence"),
                    sa.func.avg(participant_surveys.c.satisfaction).label("satisfaction"),
                )
                .where(participant_surveys.c.programme_id == programme_id)
                .group_by(participant_surveys.c.kind)
            )
        }

    def figures(kind: str) -> SurveyFigures:
        row = rows.get(kind)
        if row is None:
            return SurveyFigures(answers=0, mean_confidence=None, mean_satisfaction=None)
        return SurveyFigures(
            answers=row.answers,
            mean_confidence=round(float(row.confidence), 2),
            mean_satisfaction=round(float(row.satisfaction), 2) if row.satisfaction is not None else None,
        )

    return {kind: figures(kind) for kind in ("pre", "post")}


# Timetables ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListedEntry:
    entry: TimetableEntry
    slot: Slot  # its times in the four columns and the reader's zone


@dataclass(frozen=True)
class TimetableView:
    cohort: Cohort
    reader_zone: str | None  # ?tz=, else the reader's own (their registration's), else None (a team member)
    entries: list[ListedEntry]  # the entries still on, by start


async def timetable(runtime: Runtime, caller: Principal, cohort_id: UUID, tz: str | None) -> TimetableView:
    """The cohort's timetable in the four columns and the reader's zone. Rule: the programme's team, or
    anyone registered in the programme."""
    if tz is not None:
        times.zone(tz, field="tz")  # 422 naming the parameter
    async with runtime.engine.connect() as conn:
        cohort, own_zone = await visible_cohort(conn, caller, cohort_id)
        entries = await repository.timetable_of_cohort(conn, cohort_id)
    reader_zone = tz or own_zone
    listed = [
        ListedEntry(e, slot(e.details.starts_at, e.details.duration_minutes, reader_zone))
        for e in entries
        if e.status is EntryStatus.published
    ]
    return TimetableView(cohort, reader_zone, listed)


async def calendar_of_timetable(runtime: Runtime, caller: Principal, cohort_id: UUID) -> str:
    """The whole timetable as one calendar to import or subscribe to. Rule: as the timetable."""
    async with runtime.engine.connect() as conn:
        cohort, _ = await visible_cohort(conn, caller, cohort_id)
        entries = await repository.timetable_of_cohort(conn, cohort_id)
    return timetable_calendar(entries, cohort.programme_id, runtime.now())


async def calendar_of_timetable_entry(runtime: Runtime, caller: Principal, entry_id: UUID) -> str:
    """One entry's calendar entry (its CANCEL once cancelled). Rule: as the timetable."""
    async with runtime.engine.connect() as conn:
        entry = await visible_timetable_entry(conn, caller, entry_id)
    return entry_calendar(entry, runtime.now())
