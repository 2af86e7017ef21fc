"""Pairing's rows beside the lifecycle's objects: the facts the preference rules read, its read model of
registration's participants, cohorts and programmes, the mentors' days off and the timers' outcomes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from pairing.domain.calendar import DaysOff, HolidayChange
from pairing.domain.model import PairingStatus, RequestStatus, SelectionStatus, TimerOutcome
from pairing.domain.pair_rules import Programme, Side
from pairing.tables import (
    cohorts,
    followers,
    holiday_changes,
    pairings,
    participants,
    programmes,
    requests,
    selections,
    timers,
)
from together_contracts.registration import ProgrammeKind, ProgrammeRules
from together_servicekit.jobs import Failure

# Reads the rules need beside the objects.


async def participants_in(conn: AsyncConnection, cohort_id: UUID, ids: Iterable[UUID]) -> list[sa.Row]:
    query = sa.select(participants).where(participants.c.id.in_(list(ids)), participants.c.cohort_id == cohort_id)
    return list(await conn.execute(query))


async def has_active_pairing(conn: AsyncConnection, mentee_id: UUID) -> bool:
    return await _exists(conn, pairings.c.mentee_id == mentee_id, pairings.c.status == PairingStatus.active)


async def has_open_selection(conn: AsyncConnection, mentee_id: UUID) -> bool:
    return await _exists(conn, selections.c.mentee_id == mentee_id, selections.c.status == SelectionStatus.open)


async def has_selection_from(conn: AsyncConnection, mentee_id: UUID, assignment_id: UUID) -> bool:
    return await _exists(conn, selections.c.mentee_id == mentee_id, selections.c.assignment_id == assignment_id)


async def _exists(conn: AsyncConnection, *where: sa.ColumnElement[bool]) -> bool:
    return bool((await conn.execute(sa.select(sa.exists().where(*where)))).scalar_one())


async def programme_terms(conn: AsyncConnection, cohort_id: UUID) -> Programme:
    """The cohort's programme as the hard rules read it: its kind (from CohortOpened) and its rules (from
    ProgrammeCreated / ProgrammeRulesChanged); what pairing has not heard of yet is None."""
    kind = (await conn.execute(sa.select(cohorts.c.programme_kind).where(cohorts.c.id == cohort_id))).scalar()
    programme_id = await programme_of_cohort(conn, cohort_id)
    stored = (await conn.execute(sa.select(programmes.c.rules).where(programmes.c.id == programme_id))).scalar()
    return Programme(kind=kind, rules=ProgrammeRules.model_validate(stored) if stored is not None else None)


def side_of(row: sa.Row) -> Side:
    """A participant row's roles and the answers the hard rules read."""
    return Side(
        roles=list(row.roles),
        grade=row.grade,
        years_of_service=row.years_of_service,
        languages=list(row.languages) if row.languages is not None else None,
        entity=row.entity,
        job_network=row.job_network,
    )


async def programme_of_cohort(conn: AsyncConnection, cohort_id: UUID) -> UUID | None:
    """From CohortOpened, else from any participant of the cohort (a cohort opened before migration 0004)."""
    programme_id = (await conn.execute(sa.select(cohorts.c.programme_id).where(cohorts.c.id == cohort_id))).scalar()
    if programme_id is None:
        query = sa.select(participants.c.programme_id).where(participants.c.cohort_id == cohort_id).limit(1)
        programme_id = (await conn.execute(query)).scalar()
    return programme_id


# Pairing's read model of registration's participants, cohorts and programmes; the mentors' days off.


async def upsert_participant(conn: AsyncConnection, participant_id: UUID, values: dict[str, object]) -> None:
    statement = insert(participants).values(id=participant_id, **values)
    await conn.execute(statement.on_conflict_do_update(index_elements=["id"], set_=values))


async def update_participant(conn: AsyncConnection, participant_id: UUID, **values: object) -> None:
    await conn.execute(sa.update(participants).where(participants.c.id == participant_id).values(**values))


async def upsert_programme_rules(conn: AsyncConnection, programme_id: UUID, rules: ProgrammeRules | None) -> None:
    values = {"rules": rules.model_dump(mode="json") if rules is not None else None}
    statement = insert(programmes).values(id=programme_id, **values)
    await conn.execute(statement.on_conflict_do_update(index_elements=["id"], set_=values))


async def upsert_cohort(conn: AsyncConnection, cohort_id: UUID, **values: object) -> None:
    await conn.execute(insert(cohorts).values(id=cohort_id, **values).on_conflict_do_update(index_elements=["id"], set_=values))


async def cohort_ended_at(conn: AsyncConnection, cohort_id: UUID) -> datetime | None:
    """When the cohort ended (registration's CohortEnded), or None while it runs (or pairing does not know it)."""
    return (await conn.execute(sa.select(cohorts.c.ended_at).where(cohorts.c.id == cohort_id))).scalar()


async def mark_cohort_ended(conn: AsyncConnection, cohort_id: UUID, *, programme_id: UUID, ended_at: datetime) -> None:
    """A cohort pairing never heard open (before migration 0004) is kept as the unknown ones are read: mentoring."""
    statement = insert(cohorts).values(
        id=cohort_id, programme_id=programme_id, programme_kind=ProgrammeKind.mentoring.value, ended_at=ended_at
    )
    await conn.execute(statement.on_conflict_do_update(index_elements=["id"], set_={"ended_at": ended_at}))


async def forget_followers_in(conn: AsyncConnection, cohort_id: UUID) -> None:
    """Nobody will be told of a place at the cohort's mentors: the cohort is over."""
    mentors = sa.select(participants.c.id).where(participants.c.cohort_id == cohort_id)
    await conn.execute(followers.delete().where(followers.c.mentor_id.in_(mentors)))


async def settle_moot_timers(conn: AsyncConnection, request_ids: Iterable[UUID], now: datetime) -> None:
    """The timers of requests settled otherwise are moot now, not at their due time. One a worker holds is skipped,
    not waited for (pairing's lock order): that worker finds its request settled and fires it as moot."""
    free = await conn.execute(
        sa.select(timers.c.id)
        .where(timers.c.request_id.in_(list(request_ids)), timers.c.fired_at.is_(None))
        .with_for_update(skip_locked=True)
    )
    if ids := list(free.scalars()):
        await conn.execute(timers.update().where(timers.c.id.in_(ids)).values(fired_at=now, outcome=TimerOutcome.moot))


async def upsert_programme(conn: AsyncConnection, programme_id: UUID, *, official_holidays: bool) -> bool | None:
    """Whether the programme counted official holidays before (None: pairing did not know it)."""
    before = (
        await conn.execute(sa.select(programmes.c.official_holidays).where(programmes.c.id == programme_id).with_for_update())
    ).scalar()
    statement = insert(programmes).values(id=programme_id, official_holidays=official_holidays)
    await conn.execute(statement.on_conflict_do_update(index_elements=["id"], set_={"official_holidays": official_holidays}))
    return before


async def days_off_of(conn: AsyncConnection, *, cohort_id: UUID, programme_id: UUID, duty_station: str | None) -> DaysOff:
    """A mentor's days off besides weekends: their station's official holidays where the programme counts them,
    and the cohort's changes there."""
    official = (await conn.execute(sa.select(programmes.c.official_holidays).where(programmes.c.id == programme_id))).scalar()
    changes = await conn.execute(
        sa.select(holiday_changes.c.day, holiday_changes.c.change).where(
            holiday_changes.c.cohort_id == cohort_id, holiday_changes.c.duty_station == duty_station
        )
    )
    by_change: dict[str, list[date]] = {HolidayChange.added: [], HolidayChange.removed: []}
    for day, change in changes:
        by_change[change].append(day)
    return DaysOff.at(
        duty_station,
        official=bool(official),
        added=by_change[HolidayChange.added],
        removed=by_change[HolidayChange.removed],
    )


async def replace_holiday_changes(
    conn: AsyncConnection, cohort_id: UUID, duty_station: str, *, added: list[date], removed: list[date]
) -> None:
    where = (holiday_changes.c.cohort_id == cohort_id, holiday_changes.c.duty_station == duty_station)
    await conn.execute(holiday_changes.delete().where(*where))
    rows = [(day, HolidayChange.added) for day in added] + [(day, HolidayChange.removed) for day in removed]
    if rows:
        await conn.execute(
            holiday_changes.insert(),
            [{"cohort_id": cohort_id, "duty_station": duty_station, "day": day, "change": change} for day, change in rows],
        )


async def mentors_awaiting_an_answer(conn: AsyncConnection, cohort_id: UUID, *, duty_station: str | None = None) -> list[UUID]:
    """The cohort's mentors (at `duty_station` only, if given) with a request awaiting their answer, in id order."""
    query = sa.select(participants.c.id).where(
        participants.c.cohort_id == cohort_id,
        sa.exists().where(requests.c.mentor_id == participants.c.id, requests.c.status == RequestStatus.pending),
    )
    if duty_station is not None:
        query = query.where(participants.c.duty_station == duty_station)
    return list((await conn.execute(query.order_by(participants.c.id))).scalars())


async def cohorts_of_programme(conn: AsyncConnection, programme_id: UUID) -> list[UUID]:
    """Its cohorts pairing knows (from CohortOpened, or a participant's registration), in id order."""
    known = sa.union(
        sa.select(cohorts.c.id.label("id")).where(cohorts.c.programme_id == programme_id),
        sa.select(participants.c.cohort_id.label("id")).where(participants.c.programme_id == programme_id),
    ).subquery()
    return list((await conn.execute(sa.select(known.c.id).order_by(known.c.id))).scalars())


async def claim_due_timer(conn: AsyncConnection, now: datetime) -> sa.Row | None:
    """A timer due by `now`, locked (one another worker holds is skipped), neither fired, failed nor waiting to be retried."""
    query = (
        sa.select(timers)
        .where(
            timers.c.fired_at.is_(None),
            timers.c.failed_at.is_(None),
            timers.c.due_at <= now,
            sa.or_(timers.c.next_attempt_at.is_(None), timers.c.next_attempt_at <= now),
        )
        .order_by(timers.c.due_at, timers.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return (await conn.execute(query)).first()


async def reschedule_timer(conn: AsyncConnection, timer_id: int, due_at: datetime) -> None:
    await conn.execute(timers.update().where(timers.c.id == timer_id).values(due_at=due_at))


async def mark_timer_fired(conn: AsyncConnection, timer_id: int, fired_at: datetime, outcome: TimerOutcome) -> None:
    await conn.execute(timers.update().where(timers.c.id == timer_id).values(fired_at=fired_at, outcome=outcome))


async def record_timer_failure(conn: AsyncConnection, timer_id: int, failure: Failure, now: datetime) -> None:
    await conn.execute(
        timers.update()
        .where(timers.c.id == timer_id, timers.c.fired_at.is_(None))
        .values(
            attempts=failure.attempts,
            last_error=failure.reason,
            next_attempt_at=failure.retry_at,
            failed_at=now if failure.retry_at is None else None,
        )
    )
