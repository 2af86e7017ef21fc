"""Loading and saving scheduling's aggregates and records (adapter: its tables).

Loading with `lock=True` takes the rows FOR UPDATE: a series before its occurrences, so two changes
of one series never interleave.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from scheduling.domain.kinds import LearningRecord, PlanStep, ReverseMentoring, Side, StepAssessment, StepOutcome
from scheduling.domain.pairing import Pairing
from scheduling.domain.plans import Plan, plan_for
from scheduling.domain.series import Series, SeriesStatus
from scheduling.domain.sessions import Session, SessionStatus
from scheduling.domain.times import Frequency, Recurrence
from scheduling.domain.timetable import Cohort, EntryDetails, EntryStatus, TimetableEntry
from scheduling.tables import (
    agreements,
    assessments,
    cohorts,
    feedback,
    learning_records,
    notes,
    pairings,
    participants,
    programmes,
    request_engagements,
    reverse_mentoring_records,
    series,
    sessions,
    timetable_entries,
)
from together_contracts.registration import SessionPlan
from together_contracts.scheduling import TimetableEntryKind, TimetableLanguage
from together_servicekit.errors import NotFound
from together_servicekit.jobs import Failure

# Pairings --------------------------------------------------------------------------------------


def _pairing(row: sa.Row[Any]) -> Pairing:
    return Pairing(
        id=row.id,
        mentee_id=row.mentee_id,
        mentor_id=row.mentor_id,
        cohort_id=row.cohort_id,
        programme_id=row.programme_id,
        mentee_person_id=row.mentee_person_id,
        mentor_person_id=row.mentor_person_id,
        request_id=row.request_id,
        ended_at=row.ended_at,
        formed_at=row.formed_at,
    )


async def find_pairing(conn: AsyncConnection, pairing_id: UUID, *, lock: bool = False) -> Pairing | None:
    """None until scheduling has learnt of the pairing."""
    query = sa.select(pairings).where(pairings.c.id == pairing_id)
    row = (await conn.execute(query.with_for_update() if lock else query)).first()
    return _pairing(row) if row is not None else None


async def load_pairing(conn: AsyncConnection, pairing_id: UUID, *, lock: bool = False) -> Pairing:
    pairing = await find_pairing(conn, pairing_id, lock=lock)
    if pairing is None:
        raise NotFound("pairing", pairing_id)
    return pairing


async def pairings_of_participant(conn: AsyncConnection, participant_id: UUID) -> list[Pairing]:
    """Locked: their end is about to be recorded."""
    query = sa.select(pairings).where(sa.or_(pairings.c.mentee_id == participant_id, pairings.c.mentor_id == participant_id))
    return [_pairing(row) for row in await conn.execute(query.with_for_update())]


async def save_pairing_end(conn: AsyncConnection, pairing: Pairing) -> None:
    await conn.execute(pairings.update().where(pairings.c.id == pairing.id).values(ended_at=pairing.ended_at))


async def programme_kind(conn: AsyncConnection, pairing: Pairing) -> str:
    """The pairing's programme kind: its programme's, else its cohort's, else mentoring."""
    kind: str | None = (await conn.execute(sa.select(programmes.c.kind).where(programmes.c.id == pairing.programme_id))).scalar()
    if kind is None:
        kind = (await conn.execute(sa.select(cohorts.c.kind).where(cohorts.c.id == pairing.cohort_id))).scalar()
    return kind or "mentoring"


async def load_plan(conn: AsyncConnection, pairing: Pairing) -> Plan:
    """The pairing's session plan: its programme's (from registration's rules) or its kind's default."""
    programme = (await conn.execute(sa.select(programmes).where(programmes.c.id == pairing.programme_id))).first()
    kind = await programme_kind(conn, pairing)
    engagement = None
    if pairing.request_id is not None:
        engagement = (
            await conn.execute(
                sa.select(request_engagements.c.engagement).where(request_engagements.c.request_id == pairing.request_id)
            )
        ).scalar()
    rules = SessionPlan.model_validate(programme.session_plan) if programme is not None and programme.session_plan else None
    return plan_for(kind, rules, engagement)


# Sessions and series ---------------------------------------------------------------------------


def session_from(row: sa.Row[Any]) -> Session:
    return Session(
        id=row.id,
        pairing_id=row.pairing_id,
        starts_at=row.starts_at,
        time_zone=row.time_zone,
        duration_minutes=row.duration_minutes,
        status=SessionStatus(row.status),
        organiser_id=row.organiser_id,
        calendar_sequence=row.calendar_sequence,
        plan_step=row.plan_step,
        agenda_title=row.agenda_title,
        agenda_themes=tuple(row.agenda_themes),
        series_id=row.series_id,
        recurrence_id=row.recurrence_id,
        completed_at=row.completed_at,
        cancelled_at=row.cancelled_at,
        held_elsewhere=row.held_elsewhere,
    )


def _session_values(session: Session) -> dict[str, Any]:
    return {
        "starts_at": session.starts_at,
        "ends_at": session.ends_at,
        "time_zone": session.time_zone,
        "duration_minutes": session.duration_minutes,
        "status": session.status.value,
        "completed_at": session.completed_at,
        "cancelled_at": session.cancelled_at,
        "recurrence_id": session.recurrence_id,
        "plan_step": session.plan_step,
        "agenda_title": session.agenda_title,
        "agenda_themes": list(session.agenda_themes),
        "calendar_sequence": session.calendar_sequence,
    }


def _new_session(session: Session) -> dict[str, Any]:
    return {
        "id": session.id,
        "pairing_id": session.pairing_id,
        "organiser_id": session.organiser_id,
        "series_id": session.series_id,
        "held_elsewhere": session.held_elsewhere,
        **_session_values(session),
    }


async def load_session(conn: AsyncConnection, session_id: UUID, *, lock: bool = False) -> Session:
    query = sa.select(sessions).where(sessions.c.id == session_id)
    row = (await conn.execute(query.with_for_update() if lock else query)).first()
    if row is None:
        raise NotFound("session", session_id)
    return session_from(row)


async def sessions_of_pairing(conn: AsyncConnection, pairing_id: UUID) -> list[Session]:
    """By start."""
    query = sa.select(sessions).where(sessions.c.pairing_id == pairing_id).order_by(sessions.c.starts_at, sessions.c.id)
    return [session_from(row) for row in await conn.execute(query)]


async def upcoming_single_sessions(conn: AsyncConnection, pairing_id: UUID, after: datetime) -> list[Session]:
    """The pairing's scheduled sessions outside series starting after `after`, locked, by start."""
    query = (
        sa.select(sessions)
        .where(
            sessions.c.pairing_id == pairing_id,
            sessions.c.series_id.is_(None),
            sessions.c.status == SessionStatus.scheduled.value,
            sessions.c.starts_at > after,
        )
        .order_by(sessions.c.starts_at)
        .with_for_update()
    )
    return [session_from(row) for row in await conn.execute(query)]


async def add_session(conn: AsyncConnection, session: Session) -> None:
    await conn.execute(sessions.insert().values(**_new_session(session)))


async def save_session(conn: AsyncConnection, session: Session) -> None:
    await conn.execute(sessions.update().where(sessions.c.id == session.id).values(**_session_values(session)))


# The session and its failed completion attempts so far.
DueSession = tuple[UUID, int]


async def claim_due_session(conn: AsyncConnection, ended_by: datetime, now: datetime) -> DueSession | None:
    """A scheduled session that ended by `ended_by`, locked; one another transaction holds, one waiting
    to be tried again and one set aside as failed are skipped."""
    query = (
        sa.select(sessions.c.id, sessions.c.completion_attempts)
        .where(
            sessions.c.status == SessionStatus.scheduled.value,
            sessions.c.ends_at <= ended_by,
            sessions.c.completion_failed_at.is_(None),
            sa.or_(sessions.c.completion_retry_at.is_(None), sessions.c.completion_retry_at <= now),
        )
        .order_by(sessions.c.ends_at, sessions.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    row = (await conn.execute(query)).first()
    return (row.id, row.completion_attempts) if row is not None else None


async def record_completion_failure(conn: AsyncConnection, session_id: UUID, failure: Failure, now: datetime) -> None:
    await conn.execute(
        sessions.update()
        .where(sessions.c.id == session_id)
        .values(
            completion_attempts=failure.attempts,
            completion_error=failure.reason,
            completion_retry_at=failure.retry_at,
            completion_failed_at=now if failure.gave_up else None,
        )
    )


def _series_from(row: sa.Row[Any], occurrences: list[Session]) -> Series:
    return Series(
        id=row.id,
        pairing_id=row.pairing_id,
        organiser_id=row.organiser_id,
        local_start=row.local_start,
        time_zone=row.time_zone,
        duration_minutes=row.duration_minutes,
        recurrence=Recurrence(Frequency(row.frequency), row.interval, row._mapping["count"], row.until),  # Row.count is a method
        rrule=row.rrule,
        agenda_title=row.agenda_title,
        calendar_sequence=row.calendar_sequence,
        status=SeriesStatus(row.status),
        created_at=row.created_at,
        occurrences=occurrences,
    )


def _series_values(owner: Series) -> dict[str, Any]:
    return {
        "local_start": owner.local_start,
        "time_zone": owner.time_zone,
        "duration_minutes": owner.duration_minutes,
        "frequency": owner.recurrence.frequency.value,
        "interval": owner.recurrence.interval,
        "count": owner.recurrence.count,
        "until": owner.recurrence.until,
        "rrule": owner.rrule,
        "agenda_title": owner.agenda_title,
        "calendar_sequence": owner.calendar_sequence,
        "status": owner.status.value,
    }


async def _with_occurrences(conn: AsyncConnection, row: sa.Row[Any], *, lock: bool) -> Series:
    query = sa.select(sessions).where(sessions.c.series_id == row.id).order_by(sessions.c.recurrence_id)
    occurrences = [session_from(r) for r in await conn.execute(query.with_for_update() if lock else query)]
    return _series_from(row, occurrences)


async def load_series(conn: AsyncConnection, series_id: UUID, *, lock: bool = False) -> Series:
    query = sa.select(series).where(series.c.id == series_id)
    row = (await conn.execute(query.with_for_update() if lock else query)).first()
    if row is None:
        raise NotFound("series", series_id)
    return await _with_occurrences(conn, row, lock=lock)


async def live_series_of_pairing(conn: AsyncConnection, pairing_id: UUID) -> list[Series]:
    """The pairing's scheduled series with their occurrences, locked."""
    query = sa.select(series).where(series.c.pairing_id == pairing_id, series.c.status == SeriesStatus.scheduled.value)
    return [await _with_occurrences(conn, row, lock=True) for row in list(await conn.execute(query.with_for_update()))]


async def add_series(conn: AsyncConnection, owner: Series) -> None:
    await conn.execute(
        series.insert().values(
            id=owner.id,
            pairing_id=owner.pairing_id,
            organiser_id=owner.organiser_id,
            created_at=owner.created_at,
            **_series_values(owner),
        )
    )
    await conn.execute(sessions.insert(), [_new_session(o) for o in owner.occurrences])


async def save_series(conn: AsyncConnection, owner: Series) -> None:
    await conn.execute(series.update().where(series.c.id == owner.id).values(**_series_values(owner)))
    await conn.execute(
        sessions.update().where(sessions.c.id == sa.bindparam("occurrence_id")),
        [{"occurrence_id": o.id, **_session_values(o)} for o in owner.occurrences],
    )


# Records ---------------------------------------------------------------------------------------


async def add_feedback(
    conn: AsyncConnection, session_id: UUID, participant_id: UUID, rating: int, comment: str, now: datetime
) -> bool:
    """False when this participant has already given feedback on the session."""
    inserted = await conn.execute(
        insert(feedback)
        .values(session_id=session_id, participant_id=participant_id, rating=rating, comment=comment, given_at=now)
        .on_conflict_do_nothing()
    )
    return inserted.rowcount > 0


async def add_note(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(notes.insert().values(**values))


async def load_note(conn: AsyncConnection, note_id: UUID, *, lock: bool = False) -> sa.Row[Any]:
    query = sa.select(notes).where(notes.c.id == note_id)
    row = (await conn.execute(query.with_for_update() if lock else query)).first()
    if row is None:
        raise NotFound("note", note_id)
    return row


async def change_note(conn: AsyncConnection, note_id: UUID, changes: dict[str, Any]) -> dict[str, Any]:
    """The note as changed."""
    changed = (await conn.execute(notes.update().where(notes.c.id == note_id).values(**changes).returning(*notes.c))).one()
    return dict(changed._mapping)


async def save_agreement(conn: AsyncConnection, pairing_id: UUID, values: dict[str, Any]) -> None:
    await conn.execute(
        insert(agreements)
        .values(pairing_id=pairing_id, **values)
        .on_conflict_do_update(index_elements=["pairing_id"], set_=values)
    )


async def agreed_items(conn: AsyncConnection, pairing_id: UUID) -> Sequence[str] | None:
    """The agreement's skills and goals; None without an agreement."""
    query = sa.select(agreements.c.skills_and_goals).where(agreements.c.pairing_id == pairing_id)
    items: Sequence[str] | None = (await conn.execute(query)).scalar()
    return items


async def save_assessment(conn: AsyncConnection, pairing_id: UUID, values: dict[str, Any]) -> None:
    await conn.execute(
        insert(assessments)
        .values(pairing_id=pairing_id, **values)
        .on_conflict_do_update(index_elements=["pairing_id"], set_=values)
    )


# The records of reverse mentoring and on-the-job learning -------------------------------------


async def load_reverse_mentoring(conn: AsyncConnection, pairing_id: UUID) -> ReverseMentoring:
    """The pairing's ground rules and REAL goals; empty when nothing was written yet."""
    row = (
        await conn.execute(sa.select(reverse_mentoring_records).where(reverse_mentoring_records.c.pairing_id == pairing_id))
    ).first()
    if row is None:
        return ReverseMentoring(pairing_id=pairing_id)
    sides = (Side.mentee, Side.mentor)
    agreed = (row.mentee_agreed_version, row.mentor_agreed_version)
    goals = (row.mentee_goals, row.mentor_goals)
    goals_set_at = (row.mentee_goals_set_at, row.mentor_goals_set_at)
    return ReverseMentoring(
        pairing_id=pairing_id,
        ground_rules=row.ground_rules,
        version=row.ground_rules_version,
        proposed_by=row.proposed_by,
        proposed_at=row.proposed_at,
        agreed_versions={side: v for side, v in zip(sides, agreed, strict=True) if v is not None},
        agreed_at=row.agreed_at,
        goals={side: g for side, g in zip(sides, goals, strict=True) if g is not None},
        goals_set_at={side: at for side, at in zip(sides, goals_set_at, strict=True) if at is not None},
    )


async def save_reverse_mentoring(conn: AsyncConnection, record: ReverseMentoring) -> None:
    values = {
        "ground_rules": record.ground_rules,
        "ground_rules_version": record.version,
        "proposed_by": record.proposed_by,
        "proposed_at": record.proposed_at,
        "agreed_at": record.agreed_at,
        **{f"{side}_agreed_version": record.agreed_versions.get(side) for side in Side},
        **{f"{side}_goals": record.goals.get(side) for side in Side},
        **{f"{side}_goals_set_at": record.goals_set_at.get(side) for side in Side},
    }
    await conn.execute(
        insert(reverse_mentoring_records)
        .values(pairing_id=record.pairing_id, **values)
        .on_conflict_do_update(index_elements=["pairing_id"], set_=values)
    )


async def load_learning_record(conn: AsyncConnection, pairing_id: UUID) -> LearningRecord:
    """The pairing's micro-needs, SMART goals, plan and assessment; empty when nothing was written yet."""
    row = (await conn.execute(sa.select(learning_records).where(learning_records.c.pairing_id == pairing_id))).first()
    if row is None:
        return LearningRecord(pairing_id=pairing_id)
    plan = [PlanStep(step["step"], date.fromisoformat(step["due_on"])) for step in row.plan] if row.plan else None
    assessment = None
    if row.assessment is not None:
        steps = [StepAssessment(s["step"], StepOutcome(s["outcome"]), s["comment"]) for s in row.assessment["steps"]]
        assessment = {**row.assessment, "steps": steps}
    return LearningRecord(
        pairing_id=pairing_id,
        micro_needs=row.micro_needs,
        smart_goals=row.smart_goals,
        plan=plan,
        assessment=assessment,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


async def save_learning_record(conn: AsyncConnection, record: LearningRecord) -> None:
    assessment = None
    if record.assessment is not None:
        steps = [{"step": s.step, "outcome": s.outcome.value, "comment": s.comment} for s in record.assessment["steps"]]
        assessment = {**record.assessment, "steps": steps}
    values = {
        "micro_needs": record.micro_needs,
        "smart_goals": record.smart_goals,
        "plan": [{"step": s.step, "due_on": s.due_on.isoformat()} for s in record.plan] if record.plan else None,
        "assessment": assessment,
        "updated_by": record.updated_by,
        "updated_at": record.updated_at,
    }
    await conn.execute(
        insert(learning_records)
        .values(pairing_id=record.pairing_id, **values)
        .on_conflict_do_update(index_elements=["pairing_id"], set_=values)
    )


# Timetables ------------------------------------------------------------------------------------


async def find_cohort(conn: AsyncConnection, cohort_id: UUID) -> Cohort | None:
    """None until scheduling has learnt of the cohort (`CohortOpened`)."""
    row = (await conn.execute(sa.select(cohorts.c.id, cohorts.c.programme_id).where(cohorts.c.id == cohort_id))).first()
    return Cohort(row.id, row.programme_id) if row is not None else None


async def registered_zone(conn: AsyncConnection, person_id: str, cohort: Cohort) -> str | None:
    """The person's time zone from their registration in the cohort's programme (this cohort's first);
    None when they are not registered there, or withdrew."""
    query = (
        sa.select(participants.c.time_zone)
        .where(
            participants.c.person_id == person_id,
            participants.c.programme_id == cohort.programme_id,
            participants.c.withdrawn_at.is_(None),
        )
        .order_by((participants.c.cohort_id == cohort.id).desc(), participants.c.id)
        .limit(1)
    )
    zone: str | None = (await conn.execute(query)).scalar()
    return zone


def _entry_from(row: sa.Row[Any]) -> TimetableEntry:
    details = EntryDetails(
        title=row.title,
        kind=TimetableEntryKind(row.kind),
        language=TimetableLanguage(row.language),
        starts_at=row.starts_at,
        time_zone=row.time_zone,
        duration_minutes=row.duration_minutes,
    )
    return TimetableEntry(
        id=row.id,
        cohort_id=row.cohort_id,
        programme_id=row.programme_id,
        details=details,
        status=EntryStatus(row.status),
        calendar_sequence=row.calendar_sequence,
        published_at=row.published_at,
        cancelled_at=row.cancelled_at,
    )


def _entry_values(entry: TimetableEntry) -> dict[str, Any]:
    d = entry.details
    return {
        "title": d.title,
        "kind": d.kind.value,
        "language": d.language.value,
        "starts_at": d.starts_at,
        "time_zone": d.time_zone,
        "duration_minutes": d.duration_minutes,
        "status": entry.status.value,
        "calendar_sequence": entry.calendar_sequence,
        "cancelled_at": entry.cancelled_at,
    }


async def load_timetable_entry(conn: AsyncConnection, entry_id: UUID, *, lock: bool = False) -> TimetableEntry:
    query = sa.select(timetable_entries).where(timetable_entries.c.id == entry_id)
    row = (await conn.execute(query.with_for_update() if lock else query)).first()
    if row is None:
        raise NotFound("timetable entry", entry_id)
    return _entry_from(row)


async def timetable_of_cohort(conn: AsyncConnection, cohort_id: UUID) -> list[TimetableEntry]:
    """By start, then title."""
    query = (
        sa.select(timetable_entries)
        .where(timetable_entries.c.cohort_id == cohort_id)
        .order_by(timetable_entries.c.starts_at, timetable_entries.c.title, timetable_entries.c.id)
    )
    return [_entry_from(row) for row in await conn.execute(query)]


async def add_timetable_entry(conn: AsyncConnection, entry: TimetableEntry) -> None:
    await conn.execute(
        timetable_entries.insert().values(
            id=entry.id,
            cohort_id=entry.cohort_id,
            programme_id=entry.programme_id,
            published_at=entry.published_at,
            **_entry_values(entry),
        )
    )


async def save_timetable_entry(conn: AsyncConnection, entry: TimetableEntry) -> None:
    await conn.execute(timetable_entries.update().where(timetable_entries.c.id == entry.id).values(**_entry_values(entry)))
