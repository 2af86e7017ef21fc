"""Registration's use cases: each is one transaction writing state and its events."""

from __future__ import annotations

import uuid
from datetime import date
from uuid import UUID

import sqlalchemy as sa

from registration import domain
from registration.tables import cohorts, participants, programmes
from together_events.contracts.registration import (
    CohortOpened,
    ParticipantRegistered,
    ProgrammeCreated,
    ProgrammeKind,
    PublicProfile,
    Role,
)
from together_servicekit.errors import Conflict, DomainError, NotFound
from together_servicekit.runtime import Runtime


async def create_programme(runtime: Runtime, *, name: str, kind: ProgrammeKind, suggestions_per_mentee: int) -> UUID:
    programme_id = uuid.uuid4()
    async with runtime.engine.begin() as conn:
        await conn.execute(
            programmes.insert().values(
                id=programme_id,
                name=name,
                kind=kind.value,
                suggestions_per_mentee=suggestions_per_mentee,
                created_at=runtime.now(),
            )
        )
        await runtime.record(
            conn,
            ProgrammeCreated(
                programme_id=programme_id,
                name=name,
                kind=kind,
                suggestions_per_mentee=suggestions_per_mentee,
            ),
        )
    return programme_id


async def open_cohort(
    runtime: Runtime,
    *,
    programme_id: UUID,
    name: str,
    opens: date,
    closes: date,
    starts: date,
    ends: date,
) -> UUID:
    violations = domain.cohort_date_violations(opens, closes, starts, ends)
    if violations:
        raise DomainError("the cohort's dates are not in order", violations)
    cohort_id = uuid.uuid4()
    async with runtime.engine.begin() as conn:
        kind = (await conn.execute(sa.select(programmes.c.kind).where(programmes.c.id == programme_id))).scalar()
        if kind is None:
            raise NotFound("programme", programme_id)
        await conn.execute(
            cohorts.insert().values(
                id=cohort_id,
                programme_id=programme_id,
                name=name,
                registration_opens_on=opens,
                registration_closes_on=closes,
                starts_on=starts,
                ends_on=ends,
            )
        )
        await runtime.record(
            conn,
            CohortOpened(
                cohort_id=cohort_id,
                programme_id=programme_id,
                programme_kind=ProgrammeKind(kind),
                name=name,
                registration_opens_on=opens,
                registration_closes_on=closes,
                starts_on=starts,
                ends_on=ends,
            ),
        )
    return cohort_id


async def register_participant(
    runtime: Runtime,
    *,
    cohort_id: UUID,
    person_id: str,
    email: str,
    roles: list[Role],
    mentor_capacity: int | None,
    profile: PublicProfile,
) -> UUID:
    participant_id = uuid.uuid4()
    now = runtime.now()
    async with runtime.engine.begin() as conn:
        cohort = (await conn.execute(sa.select(cohorts).where(cohorts.c.id == cohort_id))).first()
        if cohort is None:
            raise NotFound("cohort", cohort_id)
        violations = domain.registration_violations(
            today=now.date(),
            opens=cohort.registration_opens_on,
            closes=cohort.registration_closes_on,
            time_zone=profile.time_zone,
            grade=profile.grade,
            roles=roles,
            mentor_capacity=mentor_capacity,
        )
        if violations:
            raise DomainError(
                "registration refused: " + "; ".join(v.message for v in violations),
                violations,
            )
        already = await conn.execute(
            sa.select(participants.c.id).where(
                participants.c.cohort_id == cohort_id,
                sa.or_(participants.c.email == email.lower(), participants.c.person_id == person_id),
            )
        )
        if already.first() is not None:
            raise Conflict("this person or this email is already registered in this cohort")
        try:
            await conn.execute(
                participants.insert().values(
                    id=participant_id,
                    person_id=person_id,
                    cohort_id=cohort_id,
                    email=email.lower(),
                    roles=[r.value for r in roles],
                    mentor_capacity=mentor_capacity,
                    public_profile=profile.model_dump(mode="json"),
                    registered_at=now,
                )
            )
        except sa.exc.IntegrityError as exc:  # a concurrent duplicate lost the race
            raise Conflict("this person or this email is already registered in this cohort") from exc
        await runtime.record(
            conn,
            ParticipantRegistered(
                participant_id=participant_id,
                person_id=person_id,
                cohort_id=cohort_id,
                programme_id=cohort.programme_id,
                roles=roles,
                mentor_capacity=mentor_capacity,
                profile=profile,
                registered_at=now,
            ),
        )
    return participant_id
