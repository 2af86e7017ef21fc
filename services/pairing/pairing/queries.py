"""Pairing's reads for the HTTP API: each authorises its caller (ADR 0005) and returns plain data.
Nothing here changes state or takes a lock."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncConnection

from pairing import records
from pairing.access import visible_cohort, visible_participant
from pairing.domain.model import RequestStatus, SelectionStatus
from pairing.domain.preferences import Readers
from pairing.tables import holiday_changes, pairings, participants, requests, selections, timers
from together_contracts.pairing import EndedBy
from together_contracts.roles import SEEKING_ROLES
from together_servicekit.auth import Principal
from together_servicekit.errors import NotFound
from together_servicekit.runtime import Runtime


async def requests_of_mentee(runtime: Runtime, caller: Principal, mentee_id: UUID) -> list[dict[str, Any]]:
    """The mentee's requests, in the order they were made. Rule: the mentee, or their programme team."""
    async with runtime.engine.connect() as conn:
        await _may_look_on(conn, caller, mentee_id)
        query = sa.select(requests).where(requests.c.mentee_id == mentee_id).order_by(requests.c.created_at, requests.c.rank)
        return [dict(row) for row in (await conn.execute(query)).mappings()]


async def current_request(runtime: Runtime, caller: Principal, mentor_id: UUID) -> dict[str, Any]:
    """The one request awaiting this mentor's answer. Rule: the mentor, or their programme team."""
    async with runtime.engine.connect() as conn:
        await _may_look_on(conn, caller, mentor_id)
        query = sa.select(requests).where(requests.c.mentor_id == mentor_id, requests.c.status == RequestStatus.pending)
        row = (await conn.execute(query)).mappings().first()
    if row is None:
        raise NotFound("pending request for mentor", mentor_id)
    return dict(row)


async def _may_look_on(conn: AsyncConnection, caller: Principal, participant_id: UUID) -> None:
    """The participant themself or their programme team; to anyone else, 404 as if pairing did not know them."""
    row = (await conn.execute(sa.select(participants).where(participants.c.id == participant_id))).first()
    visible_participant(caller, row, "participant", participant_id)


async def cohort_statistics(runtime: Runtime, caller: Principal, cohort_id: UUID) -> dict[str, Any]:
    """How the cohort's pairing goes. Rule: the team running the cohort's programme."""
    async with runtime.engine.connect() as conn:
        await visible_cohort(conn, caller, cohort_id)
        counted = (
            sa.select(requests.c.status, sa.func.count()).where(requests.c.cohort_id == cohort_id).group_by(requests.c.status)
        )
        by_status: dict[str, int] = {status: count for status, count in await conn.execute(counted)}
        mentee_side = sa.and_(
            participants.c.cohort_id == cohort_id,
            participants.c.roles.overlap(sa.cast([role.value for role in SEEKING_ROLES], participants.c.roles.type)),
        )
        staying = sa.select(participants.c.id).where(mentee_side, participants.c.withdrawn_at.is_(None))
        latest = (
            sa.select(selections.c.mentee_id, selections.c.status)
            .where(selections.c.cohort_id == cohort_id, selections.c.mentee_id.in_(staying))
            .ext(distinct_on(selections.c.mentee_id))  # each mentee's latest selection
            .order_by(selections.c.mentee_id, selections.c.submitted_at.desc())
            .subquery()
        )
        latest_counted = sa.select(latest.c.status, sa.func.count()).group_by(latest.c.status)
        by_selection: dict[str, int] = {status: count for status, count in await conn.execute(latest_counted)}
        mentees, withdrawn = (
            await conn.execute(
                sa.select(
                    sa.func.count().filter(participants.c.withdrawn_at.is_(None)),
                    sa.func.count().filter(participants.c.withdrawn_at.is_not(None)),
                ).where(mentee_side)
            )
        ).one()
        failed_timers = (
            await conn.execute(
                sa.select(sa.func.count())
                .select_from(timers.join(requests, requests.c.id == timers.c.request_id))
                .where(requests.c.cohort_id == cohort_id, timers.c.failed_at.is_not(None))
            )
        ).scalar_one()
        answered = sa.func.extract("epoch", requests.c.answered_at - requests.c.reached_mentor_at) / 3600
        median = (
            await conn.execute(
                sa.select(sa.func.percentile_cont(0.5).within_group(answered)).where(
                    requests.c.cohort_id == cohort_id,
                    requests.c.status.in_([RequestStatus.accepted, RequestStatus.declined]),
                )
            )
        ).scalar()
    return {
        "cohort_id": cohort_id,
        "mentees": {
            "paired": by_selection.get(SelectionStatus.paired.value, 0),
            "waiting": by_selection.get(SelectionStatus.open.value, 0),
            "exhausted": by_selection.get(SelectionStatus.exhausted.value, 0),
            "without_preferences": mentees - sum(by_selection.values()),
            "withdrawn": withdrawn,
        },
        "requests": {status.value: by_status.get(status.value, 0) for status in RequestStatus},
        "median_hours_to_answer": None if median is None else round(float(median), 2),
        "failed_timers": failed_timers,
    }


async def pairing_outcome(runtime: Runtime, caller: Principal, pairing_id: UUID) -> dict[str, Any]:
    """A pairing and how it ended, each text only for whom it is meant. To anyone else the pairing does not exist."""
    async with runtime.engine.connect() as conn:
        row = (await conn.execute(sa.select(pairings).where(pairings.c.id == pairing_id))).mappings().first()
        if row is None:
            raise NotFound("pairing", pairing_id)
        partners = sa.select(participants.c.id, participants.c.person_id).where(
            participants.c.id.in_([row["mentee_id"], row["mentor_id"]])
        )
        people: dict[UUID, str] = {participant_id: person_id for participant_id, person_id in await conn.execute(partners)}
        programme_id = (
            await conn.execute(sa.select(participants.c.programme_id).where(participants.c.id == row["mentor_id"]))
        ).scalar()
    mentee_is_caller = caller.is_person(people.get(row["mentee_id"], ""))
    mentor_is_caller = caller.is_person(people.get(row["mentor_id"], ""))
    readers = Readers(
        partner=mentee_is_caller or mentor_is_caller,
        ended_it=(row["ended_by"] == EndedBy.mentee and mentee_is_caller)
        or (row["ended_by"] == EndedBy.mentor and mentor_is_caller),
        programme_team=programme_id is not None and caller.runs(programme_id),
    )
    if not readers.may_see_pairing:
        raise NotFound("pairing", pairing_id)
    return {
        **row,
        "message_to_partner": row["message_to_partner"] if readers.may_read_message else None,
        "note_to_programme_team": row["note_to_programme_team"] if readers.may_read_note else None,
    }


async def holidays_of_cohort(runtime: Runtime, caller: Principal, cohort_id: UUID, year: int) -> list[dict[str, Any]]:
    """Per duty station of the cohort's participants (who have not left) and of the team's changes, in name order:
    its country, whether the programme counts official holidays, the team's days added and removed, and the
    year's days off besides weekends. Rule: the cohort's programme team."""
    async with runtime.engine.connect() as conn:
        programme_id = await visible_cohort(conn, caller, cohort_id)
        stations = sa.union(
            sa.select(participants.c.duty_station.label("name")).where(
                participants.c.cohort_id == cohort_id,
                participants.c.duty_station.is_not(None),
                participants.c.withdrawn_at.is_(None),
            ),
            sa.select(holiday_changes.c.duty_station.label("name")).where(holiday_changes.c.cohort_id == cohort_id),
        ).subquery()
        calendars = []
        for station in (await conn.execute(sa.select(stations.c.name).order_by(stations.c.name))).scalars():
            days_off = await records.days_off_of(conn, cohort_id=cohort_id, programme_id=programme_id, duty_station=station)
            calendars.append(
                {
                    "duty_station": station,
                    "country": days_off.country,
                    "official_holidays": days_off.official,
                    "added": sorted(days_off.added),
                    "removed": sorted(days_off.removed),
                    "days_off": [{"day": day, "name": name} for day, name in days_off.of_year(year).items()],
                }
            )
    return calendars
