"""Pairing's HTTP API (entrypoints room)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncConnection

from pairing import lifecycle, use_cases
from pairing.tables import cohorts, holidays, pairings, participants, requests, selections, timers
from together_events.contracts.pairing import Engagement
from together_servicekit.auth import Forbidden, Principal, authenticated
from together_servicekit.errors import NotFound, invalid
from together_servicekit.runtime import Runtime, get_runtime
from together_servicekit.text import multiline_text

router = APIRouter()


class PreferencesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mentor_ids: list[UUID] = Field(
        min_length=1,
        max_length=5,
        description="Mentors in order of preference, best first (networking and coaching: the one person requested).",
    )
    engagement: Engagement | None = Field(
        default=None, description="Networking programmes only: networking_meetings (1-2) or mentoring_relationship (3-6)."
    )


class SelectionOut(BaseModel):
    selection_id: UUID


class RequestOut(BaseModel):
    id: UUID
    mentee_id: UUID
    mentor_id: UUID
    rank: int
    status: str
    reached_mentor_at: datetime | None
    remind_at: datetime | None
    expires_at: datetime | None


class PairingOut(BaseModel):
    pairing_id: UUID


@router.post(
    "/cohorts/{cohort_id}/mentees/{mentee_id}/preferences",
    status_code=status.HTTP_201_CREATED,
    tags=["preferences"],
)
async def submit_preferences(
    cohort_id: UUID,
    mentee_id: UUID,
    body: PreferencesIn,
    runtime: Runtime = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
) -> SelectionOut:
    """Submit a ranked top 5; the first request goes out at once."""
    selection_id = await use_cases.submit_preferences(
        runtime, caller, cohort_id=cohort_id, mentee_id=mentee_id, mentor_ids=body.mentor_ids, engagement=body.engagement
    )
    return SelectionOut(selection_id=selection_id)


@router.get("/mentees/{mentee_id}/requests", tags=["requests"])
async def requests_of_mentee(
    mentee_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> list[RequestOut]:
    """The mentee's own requests, in the order they were made. Rule: the mentee, or their programme team."""
    async with runtime.engine.connect() as conn:
        await _may_look_on(conn, caller, mentee_id)
        rows = (
            await conn.execute(
                sa.select(requests).where(requests.c.mentee_id == mentee_id).order_by(requests.c.created_at, requests.c.rank)
            )
        ).mappings()
        return [RequestOut.model_validate(dict(row)) for row in rows]


@router.get("/mentors/{mentor_id}/current-request", tags=["requests"])
async def current_request(
    mentor_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> RequestOut:
    """The one request awaiting this mentor's answer; a mentor never sees who else asked.
    Rule: the mentor, or their programme team."""
    async with runtime.engine.connect() as conn:
        await _may_look_on(conn, caller, mentor_id)
        row = (
            (
                await conn.execute(
                    sa.select(requests).where(
                        requests.c.mentor_id == mentor_id,
                        requests.c.status == "pending",
                    )
                )
            )
            .mappings()
            .first()
        )
    if row is None:
        raise NotFound("pending request for mentor", mentor_id)
    return RequestOut.model_validate(dict(row))


@router.post("/requests/{request_id}/accept", tags=["requests"])
async def accept(
    request_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> PairingOut:
    """Rule: the mentor the request is addressed to (to anyone else: 404)."""
    return PairingOut(pairing_id=await use_cases.accept(runtime, caller, request_id=request_id))


@router.post(
    "/requests/{request_id}/decline",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["requests"],
)
async def decline(request_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)) -> None:
    """Rule: the mentor the request is addressed to (to anyone else: 404)."""
    await use_cases.decline(runtime, caller, request_id=request_id)


async def _may_look_on(conn: AsyncConnection, caller: Principal, participant_id: UUID) -> None:
    """The participant themself or their programme team; 404 if pairing does not know them."""
    row = (await conn.execute(sa.select(participants).where(participants.c.id == participant_id))).first()
    if row is None:
        raise NotFound("participant", participant_id)
    if not caller.is_person(row.person_id) and not caller.runs(row.programme_id):
        raise Forbidden("only the participant and their programme team see this")


class MenteeCounts(BaseModel):
    paired: int
    waiting: int = Field(description="preferences being tried")
    exhausted: int = Field(description="every ranked mentor tried; asked for new preferences")
    without_preferences: int
    withdrawn: int = Field(description="left the cohort; not counted in the four above")


class CohortStatistics(BaseModel):
    cohort_id: UUID
    mentees: MenteeCounts
    requests: dict[str, int] = Field(
        description="requests by status: waiting, pending, accepted, declined, expired, withdrawn, cancelled"
    )
    median_hours_to_answer: float | None = Field(description="from reaching the mentor to an accept or decline")
    failed_timers: int = Field(description="reminders or expiries that kept failing and are no longer tried (see the runbook)")


@router.get("/cohorts/{cohort_id}/statistics", tags=["statistics"])
async def cohort_statistics(
    cohort_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> CohortStatistics:
    """How the cohort's pairing goes. Rule: the team running the cohort's programme."""
    async with runtime.engine.connect() as conn:
        programme_id = (
            await conn.execute(sa.select(participants.c.programme_id).where(participants.c.cohort_id == cohort_id).limit(1))
        ).scalar()
        if programme_id is None:
            raise NotFound("cohort", cohort_id)
        if not caller.runs(programme_id):
            raise Forbidden("a cohort's statistics are for its programme team")
        by_status = dict(
            (
                await conn.execute(
                    sa.select(requests.c.status, sa.func.count())
                    .where(requests.c.cohort_id == cohort_id)
                    .group_by(requests.c.status)
                )
            ).all()
        )
        mentee_side = sa.and_(
            participants.c.cohort_id == cohort_id,
            participants.c.roles.overlap(sa.cast(["mentee", "client"], participants.c.roles.type)),
        )
        staying = sa.select(participants.c.id).where(mentee_side, participants.c.withdrawn_at.is_(None))
        latest = (
            sa.select(selections.c.mentee_id, selections.c.status)
            .where(selections.c.cohort_id == cohort_id, selections.c.mentee_id.in_(staying))
            .ext(distinct_on(selections.c.mentee_id))  # each mentee's latest selection
            .order_by(selections.c.mentee_id, selections.c.submitted_at.desc())
            .subquery()
        )
        by_selection = dict((await conn.execute(sa.select(latest.c.status, sa.func.count()).group_by(latest.c.status))).all())
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
                    requests.c.cohort_id == cohort_id, requests.c.status.in_(["accepted", "declined"])
                )
            )
        ).scalar()
    statuses = ("waiting", "pending", "accepted", "declined", "expired", "withdrawn", "cancelled")
    return CohortStatistics(
        cohort_id=cohort_id,
        mentees=MenteeCounts(
            paired=by_selection.get("paired", 0),
            waiting=by_selection.get("open", 0),
            exhausted=by_selection.get("exhausted", 0),
            without_preferences=mentees - sum(by_selection.values()),
            withdrawn=withdrawn,
        ),
        requests={status: by_status.get(status, 0) for status in statuses},
        median_hours_to_answer=None if median is None else round(float(median), 2),
        failed_timers=failed_timers,
    )


class EndPairingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message_to_partner: multiline_text(max_length=2000) = Field(  # type: ignore[valid-type]
        description="Required: why the pairing ends, for the partner. Never published in an event."
    )
    note_to_programme_team: multiline_text(max_length=2000) | None = Field(  # type: ignore[valid-type]
        default=None, description="Optional, read by the programme team only."
    )


class PairingOutcome(BaseModel):
    id: UUID
    mentee_id: UUID
    mentor_id: UUID
    status: str
    formed_at: datetime
    ended_at: datetime | None
    ended_by: str | None
    participant_withdrew: bool = Field(description="the pairing ended because ended_by's side left the cohort")
    message_to_partner: str | None = Field(description="shown to the partners only")
    note_to_programme_team: str | None = Field(description="shown to the one who ended it and the programme team only")


class FollowOut(BaseModel):
    following: bool
    newly: bool


@router.post("/pairings/{pairing_id}/end", status_code=status.HTTP_204_NO_CONTENT, tags=["pairings"])
async def end_pairing(
    pairing_id: UUID, body: EndPairingIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> None:
    """End a pairing ("request a new mentor"): the mentee is back in selection, the mentor has a place again.
    Rule: the mentee; in coaching, the mentor too (to anyone else: 404)."""
    await use_cases.end_pairing(
        runtime,
        caller,
        pairing_id=pairing_id,
        message_to_partner=body.message_to_partner,
        note_to_programme_team=body.note_to_programme_team,
    )


@router.get("/pairings/{pairing_id}", tags=["pairings"])
async def get_pairing(
    pairing_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> PairingOutcome:
    """A pairing and how it ended. Rule: the partners see the message; the one who ended it and the
    programme team see the note; nobody else sees the pairing (404)."""
    async with runtime.engine.connect() as conn:
        row = (await conn.execute(sa.select(pairings).where(pairings.c.id == pairing_id))).mappings().first()
        if row is None:
            raise NotFound("pairing", pairing_id)
        people = dict(
            (
                await conn.execute(
                    sa.select(participants.c.id, participants.c.person_id).where(
                        participants.c.id.in_([row["mentee_id"], row["mentor_id"]])
                    )
                )
            ).all()
        )
        programme_id = (
            await conn.execute(sa.select(participants.c.programme_id).where(participants.c.id == row["mentor_id"]))
        ).scalar()
    mentee_is_caller = caller.is_person(people.get(row["mentee_id"], ""))
    mentor_is_caller = caller.is_person(people.get(row["mentor_id"], ""))
    partner = mentee_is_caller or mentor_is_caller
    team = programme_id is not None and caller.runs(programme_id)
    if not (partner or team):
        raise NotFound("pairing", pairing_id)
    ender = (row["ended_by"] == "mentee" and mentee_is_caller) or (row["ended_by"] == "mentor" and mentor_is_caller)
    return PairingOutcome.model_validate(
        {
            **row,
            "message_to_partner": row["message_to_partner"] if partner else None,
            "note_to_programme_team": row["note_to_programme_team"] if ender or team else None,
        }
    )


@router.put("/mentors/{mentor_id}/followers/{mentee_id}", tags=["availability"])
async def follow_mentor(
    mentor_id: UUID, mentee_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> FollowOut:
    """Be told (MentorAvailable) when this mentor has a free place again. Rule: the mentee themself."""
    newly = await use_cases.follow_mentor(runtime, caller, mentor_id=mentor_id, mentee_id=mentee_id)
    return FollowOut(following=True, newly=newly)


class HolidaysIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    time_zone: str = Field(
        min_length=1, max_length=64, description="The IANA time zone of the duty station, e.g. Africa/Nairobi."
    )
    dates: list[date] = Field(max_length=366, description="Local dates that count like weekends for deadlines; [] clears them.")


class Holidays(BaseModel):
    time_zone: str
    dates: list[date]


@router.put("/cohorts/{cohort_id}/holidays", tags=["deadlines"])
async def set_holidays(
    cohort_id: UUID, body: HolidaysIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> Holidays:
    """Replace the cohort's public holidays for one time zone: a reminder or expiry of a mentor in that zone
    that falls on one moves to the next working day. Deadlines already set stay. Rule: the cohort's programme team."""
    try:
        ZoneInfo(body.time_zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file
        raise invalid("time_zone", "known_time_zone", f"{body.time_zone!r} is not an IANA time zone") from None
    async with runtime.engine.begin() as conn:
        await _programme_team_of_cohort(conn, caller, cohort_id)
        await lifecycle.lock_cohort(conn, cohort_id)
        await conn.execute(holidays.delete().where(holidays.c.cohort_id == cohort_id, holidays.c.time_zone == body.time_zone))
        days = sorted(set(body.dates))
        if days:
            await conn.execute(holidays.insert(), [{"cohort_id": cohort_id, "time_zone": body.time_zone, "day": d} for d in days])
    return Holidays(time_zone=body.time_zone, dates=days)


@router.get("/cohorts/{cohort_id}/holidays", tags=["deadlines"])
async def get_holidays(
    cohort_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> list[Holidays]:
    """The cohort's public holidays by time zone. Rule: the cohort's programme team."""
    async with runtime.engine.connect() as conn:
        await _programme_team_of_cohort(conn, caller, cohort_id)
        rows = (
            await conn.execute(
                sa.select(holidays.c.time_zone, holidays.c.day)
                .where(holidays.c.cohort_id == cohort_id)
                .order_by(holidays.c.time_zone, holidays.c.day)
            )
        ).all()
    by_zone: dict[str, list[date]] = {}
    for zone, day in rows:
        by_zone.setdefault(zone, []).append(day)
    return [Holidays(time_zone=zone, dates=days) for zone, days in by_zone.items()]


async def _programme_team_of_cohort(conn: AsyncConnection, caller: Principal, cohort_id: UUID) -> None:
    """404 if pairing knows neither the cohort nor a participant of it; 403 unless the caller runs its programme."""
    programme_id = (await conn.execute(sa.select(cohorts.c.programme_id).where(cohorts.c.id == cohort_id))).scalar()
    if programme_id is None:
        programme_id = (
            await conn.execute(sa.select(participants.c.programme_id).where(participants.c.cohort_id == cohort_id).limit(1))
        ).scalar()
    if programme_id is None:
        raise NotFound("cohort", cohort_id)
    if not caller.runs(programme_id):
        raise Forbidden("a cohort's holidays are set by its programme team")
