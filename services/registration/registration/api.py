"""Registration's HTTP API (entrypoints room)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import sqlalchemy as sa
from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from registration import use_cases
from registration.tables import cohorts, participants, programmes
from together_events.contracts.registration import ProgrammeKind, PublicProfile, Role
from together_servicekit.auth import Forbidden, Principal, authenticated, require
from together_servicekit.auth import Role as AuthRole
from together_servicekit.errors import NotFound
from together_servicekit.runtime import Runtime, get_runtime
from together_servicekit.text import plain_text

router = APIRouter()

Name = plain_text(max_length=200)
Word = plain_text(max_length=100)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProgrammeIn(_Strict):
    name: Name
    kind: ProgrammeKind
    suggestions_per_mentee: int = Field(default=10, ge=1, le=50)


class CohortIn(_Strict):
    name: Name
    registration_opens_on: date
    registration_closes_on: date
    starts_on: date
    ends_on: date


class RegistrationIn(_Strict):
    """The questionnaire. `email` is programme-team only; everything else here is public."""

    name: Name
    email: Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, max_length=254, pattern=r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$"
        ),
    ]
    entity: Word
    duty_station: Word
    time_zone: Word = Field(description="IANA time zone of the duty station, e.g. America/New_York")
    grade: Word = Field(description="G-1..G-7, NO-A..NO-D, FS-1..FS-7, P-1..P-5, D-1, D-2, ASG, USG")
    years_of_service: int = Field(ge=0, le=60)
    job_network: Word
    languages: list[Word] = Field(min_length=1, max_length=10)
    skills: list[Word] = Field(default_factory=list, max_length=30)
    goals: list[Word] = Field(default_factory=list, max_length=30)
    roles: list[Role] = Field(min_length=1, max_length=2)
    mentor_capacity: int | None = None


class Created(BaseModel):
    id: UUID


class ProgrammeOut(BaseModel):
    id: UUID
    name: str
    kind: ProgrammeKind
    suggestions_per_mentee: int
    created_at: datetime


class CohortOut(BaseModel):
    id: UUID
    programme_id: UUID
    name: str
    registration_opens_on: date
    registration_closes_on: date
    starts_on: date
    ends_on: date


class ParticipantOut(BaseModel):
    """What anyone signed in may see: the public profile, roles and capacity."""

    id: UUID
    cohort_id: UUID
    roles: list[Role]
    mentor_capacity: int | None
    public_profile: PublicProfile
    registered_at: datetime


class ParticipantPrivateOut(ParticipantOut):
    """The participant themself and their programme team also see the team-only answers."""

    email: str
    person_id: str


@router.post("/programmes", status_code=status.HTTP_201_CREATED, tags=["programmes"])
async def create_programme(
    body: ProgrammeIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> Created:
    """Rule: a programme team member whose scope is every programme ('*')."""
    if not caller.runs("*") or "*" not in caller.programmes:
        raise Forbidden("creating a programme needs the role programme_team with scope '*'")
    programme_id = await use_cases.create_programme(
        runtime, name=body.name, kind=body.kind, suggestions_per_mentee=body.suggestions_per_mentee
    )
    return Created(id=programme_id)


@router.get("/programmes/{programme_id}", tags=["programmes"])
async def get_programme(
    programme_id: UUID, runtime: Runtime = Depends(get_runtime), _: Principal = Depends(authenticated)
) -> ProgrammeOut:
    """Rule: anyone signed in (a programme's name and kind are public)."""
    return ProgrammeOut.model_validate(await _one(runtime, programmes, programme_id, "programme"))


@router.post("/programmes/{programme_id}/cohorts", status_code=status.HTTP_201_CREATED, tags=["cohorts"])
async def open_cohort(
    programme_id: UUID, body: CohortIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> Created:
    """Rule: the programme's own team."""
    if not caller.runs(programme_id):
        raise Forbidden("only the team running this programme opens its cohorts")
    cohort_id = await use_cases.open_cohort(
        runtime,
        programme_id=programme_id,
        name=body.name,
        opens=body.registration_opens_on,
        closes=body.registration_closes_on,
        starts=body.starts_on,
        ends=body.ends_on,
    )
    return Created(id=cohort_id)


@router.get("/cohorts/{cohort_id}", tags=["cohorts"])
async def get_cohort(
    cohort_id: UUID, runtime: Runtime = Depends(get_runtime), _: Principal = Depends(authenticated)
) -> CohortOut:
    """Rule: anyone signed in (dates and windows are public)."""
    return CohortOut.model_validate(await _one(runtime, cohorts, cohort_id, "cohort"))


@router.post("/cohorts/{cohort_id}/participants", status_code=status.HTTP_201_CREATED, tags=["participants"])
async def register(
    cohort_id: UUID, body: RegistrationIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> Created:
    """Rule: a participant registers themself; the registration belongs to the token's subject."""
    require(caller, AuthRole.participant)
    profile = PublicProfile(
        display_name=body.name,
        entity=body.entity,
        duty_station=body.duty_station,
        time_zone=body.time_zone,
        grade=body.grade,
        years_of_service=body.years_of_service,
        job_network=body.job_network,
        languages=body.languages,
        skills=body.skills,
        goals=body.goals,
    )
    participant_id = await use_cases.register_participant(
        runtime,
        cohort_id=cohort_id,
        person_id=caller.subject,
        email=body.email,
        roles=body.roles,
        mentor_capacity=body.mentor_capacity,
        profile=profile,
    )
    return Created(id=participant_id)


@router.get("/participants/{participant_id}", tags=["participants"])
async def get_participant(
    participant_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> ParticipantPrivateOut | ParticipantOut:
    """Rule: the participant and their programme team see every answer; anyone else signed in, the public profile."""
    async with runtime.engine.connect() as conn:
        row = (
            (
                await conn.execute(
                    sa.select(participants, cohorts.c.programme_id)
                    .join(cohorts, cohorts.c.id == participants.c.cohort_id)
                    .where(participants.c.id == participant_id)
                )
            )
            .mappings()
            .first()
        )
    if row is None:
        raise NotFound("participant", participant_id)
    if caller.is_person(row["person_id"]) or caller.runs(row["programme_id"]):
        return ParticipantPrivateOut.model_validate(dict(row))
    return ParticipantOut.model_validate(dict(row))


async def _one(runtime: Runtime, table: sa.Table, key: UUID, what: str) -> dict:
    async with runtime.engine.connect() as conn:
        row = (await conn.execute(sa.select(table).where(table.c.id == key))).mappings().first()
    if row is None:
        raise NotFound(what, key)
    return dict(row)
