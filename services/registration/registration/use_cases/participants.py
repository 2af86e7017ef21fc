"""Participants in a cohort: registering, changing answers, role grants and withdrawal; the cohort
decides who holds a place and who waits, and admits the first waiting when a place is freed."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from registration import repository
from registration.domain.eligibility import removal_violations
from registration.domain.errors import refuse_if
from registration.domain.participant import WithdrawnBy
from registration.use_cases.refusals import answering_refusals
from together_contracts.registration import Role
from together_contracts.roles import seeks_partner
from together_servicekit.auth import Forbidden, Principal, require
from together_servicekit.auth import Role as AuthRole
from together_servicekit.runtime import Runtime


@answering_refusals
async def register(runtime: Runtime, *, caller: Principal, cohort_id: UUID, answers: Mapping[str, Any]) -> tuple[UUID, bool]:
    """A person registers themself (the token's subject); returns the participant id and whether they wait for a place."""
    require(caller, AuthRole.participant)
    now = runtime.now()
    async with runtime.engine.begin() as conn:
        # Only a mentee or client in a cohort with places counts them, under the cohort's exclusive lock.
        counts_places = await repository.places_of(conn, cohort_id) is not None and seeks_partner(answers["roles"])
        cohort = await repository.load_cohort(conn, cohort_id, shared=not counts_places, seats=counts_places)
        already = await repository.registered_in_cohort(conn, cohort_id, email=answers["email"], person_id=caller.subject)
        participant, registered = cohort.register(
            participant_id=uuid.uuid4(), person_id=caller.subject, answers=answers, already_registered=already, now=now
        )
        await repository.add_participant(conn, participant)
        await runtime.record(conn, registered)
    return participant.id, participant.waitlisted


@answering_refusals
async def change_answers(runtime: Runtime, *, caller: Principal, participant_id: UUID, changes: Mapping[str, Any]) -> list[str]:
    """The participant edits answers; returns the names of the answers that changed."""
    refuse_if("the change is refused", removal_violations(changes))
    async with runtime.engine.begin() as conn:
        cohort, participant = await repository.load_participant_in_cohort(conn, participant_id)
        if not caller.is_person(participant.person_id):
            raise Forbidden("only the participant edits their answers")
        email: str | None = changes.get("email")
        email_taken = email is not None and await repository.registered_in_cohort(
            conn, cohort.id, email=email, other_than=participant.id
        )
        changed, events = cohort.change_answers(participant, changes, email_taken=email_taken, now=runtime.now())
        if changed:
            await repository.save_participant(conn, participant)
            await repository.save_admissions(conn, events)
        for event in events:
            await runtime.record(conn, event)
    return changed


@answering_refusals
async def grant_role(runtime: Runtime, *, caller: Principal, participant_id: UUID, role: Role, capacity: int | None) -> None:
    """After registration closed, the programme team grants a participant another role."""
    async with runtime.engine.begin() as conn:
        cohort, participant = await repository.load_participant_in_cohort(conn, participant_id)
        if not caller.runs(cohort.programme_id):
            raise Forbidden("only the team running this programme grants roles")
        granted = cohort.grant_role(participant, role, capacity, runtime.now())
        await repository.save_participant(conn, participant)
        await runtime.record(conn, granted)


@answering_refusals
async def withdraw(runtime: Runtime, *, caller: Principal, participant_id: UUID, erase_answers: bool) -> bool:
    """The participant (or their programme team) withdraws them; returns whether answers were erased."""
    async with runtime.engine.begin() as conn:
        cohort, participant = await repository.load_participant_in_cohort(conn, participant_id)
        themself = caller.is_person(participant.person_id)
        if not (themself or caller.runs(cohort.programme_id)):
            raise Forbidden("only the participant or their programme team withdraws a participant")
        by = WithdrawnBy.participant if themself else WithdrawnBy.programme_team
        events = cohort.withdraw(participant, by=by, erase_answers=erase_answers, now=runtime.now())
        await repository.save_participant(conn, participant)
        if erase_answers:
            await repository.forget_credential_files(conn, participant.id)
        await repository.save_admissions(conn, events)
        for event in events:
            await runtime.record(conn, event)
    return erase_answers
