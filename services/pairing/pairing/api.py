"""Pairing's HTTP API (entrypoints room): each endpoint parses, calls one use case or one query (which
authorises the caller) and shapes the answer."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, ConfigDict, Field

from pairing import queries, use_cases
from together_contracts.pairing import Engagement
from together_contracts.words import Language
from together_servicekit.auth import Principal, authenticated
from together_servicekit.languages import caller_language
from together_servicekit.runtime import Runtime, get_runtime
from together_servicekit.text import multiline, single_line

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
    language: Language = Depends(caller_language),
) -> SelectionOut:
    """Submit a ranked top 5 (networking and coaching: one direct request); the first request goes out at once.
    Refused (422) with every reason, each naming its field and rule, in the `Accept-Language` (en, fr, es):
    among them the hard rules of each pair (grade, a shared meeting language, both sides eligible)."""
    selection_id = await use_cases.submit_preferences(
        runtime,
        caller,
        cohort_id=cohort_id,
        mentee_id=mentee_id,
        mentor_ids=body.mentor_ids,
        engagement=body.engagement,
        language=language,
    )
    return SelectionOut(selection_id=selection_id)


@router.get("/mentees/{mentee_id}/requests", tags=["requests"])
async def requests_of_mentee(
    mentee_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> list[RequestOut]:
    """The mentee's own requests, in the order they were made. Rule: the mentee, or their programme team."""
    return [RequestOut.model_validate(row) for row in await queries.requests_of_mentee(runtime, caller, mentee_id)]


@router.get("/mentors/{mentor_id}/current-request", tags=["requests"])
async def current_request(
    mentor_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> RequestOut:
    """The one request awaiting this mentor's answer; a mentor never sees who else asked.
    Rule: the mentor, or their programme team."""
    return RequestOut.model_validate(await queries.current_request(runtime, caller, mentor_id))


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
    return CohortStatistics.model_validate(await queries.cohort_statistics(runtime, caller, cohort_id))


class EndPairingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message_to_partner: Annotated[str, multiline(2000)] = Field(
        description="Required: why the pairing ends, for the partner. Never published in an event."
    )
    note_to_programme_team: Annotated[str, multiline(2000)] | None = Field(
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
    completed_because: str | None = Field(
        default=None, description="the pairing ran to its end, not ended early: `programme_ended` (the cohort ended)"
    )
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
    return PairingOutcome.model_validate(await queries.pairing_outcome(runtime, caller, pairing_id))


@router.put("/mentors/{mentor_id}/followers/{mentee_id}", tags=["availability"])
async def follow_mentor(
    mentor_id: UUID, mentee_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> FollowOut:
    """Be told (MentorAvailable) when this mentor has a free place again. Rule: the mentee themself."""
    newly = await use_cases.follow_mentor(runtime, caller, mentor_id=mentor_id, mentee_id=mentee_id)
    return FollowOut(following=True, newly=newly)


class HolidaysIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    duty_station: Annotated[str, single_line(max_length=100)] = Field(
        description="The duty station, as registration lists it (GET /duty-stations there), or another's name as "
        "participants gave it."
    )
    added: list[date] = Field(
        default_factory=list, max_length=366, description="Local dates that count like weekends at the station."
    )
    removed: list[date] = Field(
        default_factory=list,
        max_length=366,
        description="Official holidays that count as working days at the station (where the programme counts them).",
    )


class HolidaysOut(BaseModel):
    duty_station: str = Field(description="As the list spells it, for a listed station.")
    added: list[date]
    removed: list[date]
    deadlines_moved: int = Field(
        description="Requests awaiting an answer whose reminder or expiry moved (RequestDeadlinesMoved)."
    )


class DayOff(BaseModel):
    day: date
    name: str = Field(description="The official holiday's name, or 'added by the programme team'.")


class StationCalendar(BaseModel):
    duty_station: str
    country: str | None = Field(description="ISO 3166-1 code of the official calendar; null for a station not listed.")
    official_holidays: bool = Field(description="The programme counts official holidays (its rules' `official_holidays`).")
    added: list[date]
    removed: list[date]
    days_off: list[DayOff] = Field(description="The year's days that count like weekends for its mentors' deadlines.")


@router.put("/cohorts/{cohort_id}/holidays", tags=["deadlines"])
async def set_holidays(
    cohort_id: UUID, body: HolidaysIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> HolidaysOut:
    """Replace the cohort's holiday changes at one duty station: days added count like weekends for its mentors'
    reminders and expiries, official holidays removed count as working days. Requests awaiting an answer get their
    deadlines again (a reminder already sent stays). Rule: the cohort's programme team."""
    changed, moved = await use_cases.set_holidays(
        runtime, caller, cohort_id=cohort_id, duty_station=body.duty_station, added=body.added, removed=body.removed
    )
    return HolidaysOut(
        duty_station=changed.duty_station, added=changed.days_added, removed=changed.days_removed, deadlines_moved=moved
    )


@router.get("/cohorts/{cohort_id}/holidays", tags=["deadlines"])
async def get_holidays(
    cohort_id: UUID,
    year: int | None = Query(default=None, ge=2000, le=2100, description="The days off of this year; default: this one."),
    runtime: Runtime = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
) -> list[StationCalendar]:
    """Each duty station of the cohort (its participants' and the team's changes'): its days off besides weekends.
    Rule: the cohort's programme team."""
    calendars = await queries.holidays_of_cohort(runtime, caller, cohort_id, year or runtime.now().year)
    return [StationCalendar.model_validate(calendar) for calendar in calendars]
