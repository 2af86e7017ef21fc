"""Loading and saving the outcome asks and the participants' surveys (adapter: their tables)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from scheduling.domain.days_off import DaysOff
from scheduling.domain.outcomes import OutcomeAsk
from scheduling.tables import outcome_asks, participant_surveys, participants, programmes, station_holidays
from together_contracts.scheduling import OutcomeKind
from together_servicekit.jobs import Failure

DueAsk = tuple[UUID, int]  # the ask's id, its failed reminder attempts


@dataclass(frozen=True)
class Respondent:
    """A participant as a survey knows them: who they are and where they registered."""

    participant_id: UUID
    person_id: str
    cohort_id: UUID | None  # None for participants from before migration 0011 never heard of since
    programme_id: UUID | None


async def find_respondent(conn: AsyncConnection, participant_id: UUID) -> Respondent | None:
    query = sa.select(participants.c.id, participants.c.person_id, participants.c.cohort_id, participants.c.programme_id)
    row = (await conn.execute(query.where(participants.c.id == participant_id))).first()
    return Respondent(row.id, row.person_id, row.cohort_id, row.programme_id) if row is not None else None


def _ask_from(row: sa.Row[Any]) -> OutcomeAsk:
    return OutcomeAsk(
        id=row.id,
        participant_id=row.participant_id,
        cohort_id=row.cohort_id,
        pairing_id=row.pairing_id,
        kind=OutcomeKind(row.kind),
        asked_at=row.asked_at,
        remind_at=row.remind_at,
        reminded_at=row.reminded_at,
        answered_at=row.answered_at,
    )


async def add_ask(conn: AsyncConnection, ask: OutcomeAsk) -> bool:
    """False when the participant was asked this already (a survey once, an assessment once per pairing)."""
    inserted = await conn.execute(
        insert(outcome_asks)
        .values(
            id=ask.id,
            participant_id=ask.participant_id,
            cohort_id=ask.cohort_id,
            pairing_id=ask.pairing_id,
            kind=ask.kind.value,
            asked_at=ask.asked_at,
            remind_at=ask.remind_at,
            answered_at=ask.answered_at,
        )
        .on_conflict_do_nothing()
    )
    return inserted.rowcount > 0


async def save_ask(conn: AsyncConnection, ask: OutcomeAsk) -> None:
    await conn.execute(
        outcome_asks.update().where(outcome_asks.c.id == ask.id).values(reminded_at=ask.reminded_at, answered_at=ask.answered_at)
    )


async def load_ask(conn: AsyncConnection, ask_id: UUID) -> OutcomeAsk:
    return _ask_from((await conn.execute(sa.select(outcome_asks).where(outcome_asks.c.id == ask_id))).one())


async def open_ask(
    conn: AsyncConnection, participant_id: UUID, kind: OutcomeKind, pairing_id: UUID | None = None
) -> OutcomeAsk | None:
    """The participant's unanswered ask of this kind (the final assessment: of this pairing), locked."""
    query = sa.select(outcome_asks).where(
        outcome_asks.c.participant_id == participant_id,
        outcome_asks.c.kind == kind.value,
        outcome_asks.c.answered_at.is_(None),
    )
    if kind is OutcomeKind.final_assessment:
        query = query.where(outcome_asks.c.pairing_id == pairing_id)
    row = (await conn.execute(query.with_for_update())).first()
    return _ask_from(row) if row is not None else None


async def claim_due_ask(conn: AsyncConnection, now: datetime) -> DueAsk | None:
    """An ask whose reminder is due, neither answered nor reminded, locked; one another transaction holds,
    one waiting to be tried again, one set aside, and one of a participant who withdrew are skipped."""
    withdrawn = sa.exists().where(participants.c.id == outcome_asks.c.participant_id, participants.c.withdrawn_at.is_not(None))
    query = (
        sa.select(outcome_asks.c.id, outcome_asks.c.reminder_attempts)
        .where(
            outcome_asks.c.remind_at <= now,
            outcome_asks.c.answered_at.is_(None),
            outcome_asks.c.reminded_at.is_(None),
            outcome_asks.c.reminder_failed_at.is_(None),
            sa.or_(outcome_asks.c.reminder_retry_at.is_(None), outcome_asks.c.reminder_retry_at <= now),
            ~withdrawn,
        )
        .order_by(outcome_asks.c.remind_at, outcome_asks.c.id)
        .limit(1)
        .with_for_update(of=outcome_asks, skip_locked=True)
    )
    row = (await conn.execute(query)).first()
    return (row.id, row.reminder_attempts) if row is not None else None


async def record_reminder_failure(conn: AsyncConnection, ask_id: UUID, failure: Failure, now: datetime) -> None:
    await conn.execute(
        outcome_asks.update()
        .where(outcome_asks.c.id == ask_id)
        .values(
            reminder_attempts=failure.attempts,
            reminder_error=failure.reason,
            reminder_retry_at=failure.retry_at,
            reminder_failed_at=now if failure.gave_up else None,
        )
    )


async def participant_calendar(conn: AsyncConnection, participant_id: UUID, cohort_id: UUID) -> tuple[str, DaysOff]:
    """Where the participant works, for their working days: their zone and days off (their duty station's
    official holidays if their programme counts them, with the team's days there in the cohort). UTC and
    weekends only for a participant scheduling does not know."""
    query = (
        sa.select(
            participants.c.time_zone,
            participants.c.duty_station,
            sa.func.coalesce(programmes.c.official_holidays, False).label("official"),
        )
        .select_from(participants.outerjoin(programmes, programmes.c.id == participants.c.programme_id))
        .where(participants.c.id == participant_id)
    )
    row = (await conn.execute(query)).first()
    if row is None:
        return "UTC", DaysOff()
    team_days = (
        await conn.execute(
            sa.select(station_holidays.c.days_added, station_holidays.c.days_removed).where(
                station_holidays.c.cohort_id == cohort_id, station_holidays.c.duty_station == row.duty_station
            )
        )
    ).first()
    added, removed = (team_days.days_added, team_days.days_removed) if team_days is not None else ([], [])
    return row.time_zone, DaysOff.at(row.duty_station, official=row.official, added=added, removed=removed)


async def is_withdrawn(conn: AsyncConnection, participant_id: UUID) -> bool:
    query = sa.select(participants.c.withdrawn_at).where(participants.c.id == participant_id)
    return (await conn.execute(query)).scalar() is not None


# Surveys ---------------------------------------------------------------------------------------


async def save_survey(conn: AsyncConnection, participant_id: UUID, kind: str, values: dict[str, Any]) -> None:
    await conn.execute(
        insert(participant_surveys)
        .values(participant_id=participant_id, kind=kind, **values)
        .on_conflict_do_update(index_elements=["participant_id", "kind"], set_=values)
    )


async def find_survey(conn: AsyncConnection, participant_id: UUID, kind: str) -> dict[str, Any] | None:
    query = sa.select(participant_surveys).where(
        participant_surveys.c.participant_id == participant_id, participant_surveys.c.kind == kind
    )
    row = (await conn.execute(query)).first()
    return dict(row._mapping) if row is not None else None
