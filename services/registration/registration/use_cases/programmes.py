"""Programmes and their rules; cohorts opened, and closed by their team or the cohort closer."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from registration import repository
from registration.domain.cohort import Cohort
from registration.domain.dates import CohortDates
from registration.domain.programme import Programme
from registration.use_cases.refusals import answering_refusals
from together_contracts.registration import ProgrammeKind, ProgrammeRules
from together_servicekit.auth import Forbidden, Principal
from together_servicekit.runtime import Runtime


@answering_refusals
async def create_programme(
    runtime: Runtime,
    *,
    caller: Principal,
    name: str,
    kind: ProgrammeKind,
    suggestions_per_mentee: int,
    rules_override: Mapping[str, Any] | None = None,
) -> UUID:
    """A programme team member whose scope is every programme ('*') creates a programme."""
    if not caller.runs("*") or "*" not in caller.programmes:
        raise Forbidden("creating a programme needs the role programme_team with scope '*'")
    programme, created = Programme.create(
        programme_id=uuid.uuid4(),
        name=name,
        kind=kind,
        suggestions_per_mentee=suggestions_per_mentee,
        rules_override=rules_override or {},
        now=runtime.now(),
    )
    async with runtime.engine.begin() as conn:
        await repository.add_programme(conn, programme)
        await runtime.record(conn, created)
    return programme.id


@answering_refusals
async def change_rules(runtime: Runtime, *, caller: Principal, programme_id: UUID, override: Mapping[str, Any]) -> ProgrammeRules:
    """The programme's team merges `override` over its current rules; ProgrammeRulesChanged when anything changed."""
    if not caller.runs(programme_id):
        raise Forbidden("only the team running this programme changes its rules")
    async with runtime.engine.begin() as conn:
        programme = await repository.load_programme(conn, programme_id, for_update=True)
        changed = programme.change_rules(override, runtime.now())
        if changed is not None:
            await repository.save_programme(conn, programme)
            await runtime.record(conn, changed)
    return programme.rules


@answering_refusals
async def open_cohort(
    runtime: Runtime,
    *,
    caller: Principal,
    programme_id: UUID,
    name: str,
    opens: date,
    closes: date,
    starts: date,
    ends: date,
    places: int | None = None,
) -> UUID:
    """The programme's team opens a cohort (dates in order, checked before the programme is looked up)."""
    if not caller.runs(programme_id):
        raise Forbidden("only the team running this programme opens its cohorts")
    dates = CohortDates.checked(opens, closes, starts, ends)
    async with runtime.engine.begin() as conn:
        programme = await repository.load_programme(conn, programme_id)
        cohort, opened = programme.open_cohort(cohort_id=uuid.uuid4(), name=name, dates=dates, places=places)
        await repository.add_cohort(conn, cohort)
        await runtime.record(conn, opened)
    return cohort.id


@answering_refusals
async def close_cohort(runtime: Runtime, *, caller: Principal, cohort_id: UUID) -> None:
    """The programme's team closes registration (early, or without waiting for the cohort closer)."""
    async with runtime.engine.begin() as conn:
        cohort = await repository.load_cohort(conn, cohort_id, seats=False)
        if not caller.runs(cohort.programme_id):
            raise Forbidden("only the team running this programme closes its cohorts")
        closed = cohort.close(runtime.now())
        await repository.save_cohort(conn, cohort)
        await runtime.record(conn, closed)


async def end_claimed_cohort(runtime: Runtime, conn: AsyncConnection, cohort: Cohort, now: datetime) -> None:
    """The cohort ender's end of a cohort it claimed (its end date has passed), in the claim's transaction."""
    events = cohort.end(now)
    await repository.save_cohort(conn, cohort)
    for event in events:
        await runtime.record(conn, event)


async def close_claimed_cohort(runtime: Runtime, conn: AsyncConnection, cohort: Cohort, now: datetime) -> None:
    """The cohort closer's closure of a cohort it claimed (its window has passed), in the claim's transaction."""
    closed = cohort.close(now)
    await repository.save_cohort(conn, cohort)
    await runtime.record(conn, closed)
