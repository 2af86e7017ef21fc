"""Participants in a cohort: registering, changing answers, role grants and withdrawal; the cohort
decides who holds a place and who waits, and admits the first waiting when a place is freed.
A registration and a new address wait for their verification (`use_cases.verification`)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from registration import records, repository
from registration.domain.duty_stations import placed
from registration.domain.eligibility import removal_violations
from registration.domain.errors import Refused, refuse_if
from registration.domain.participant import WithdrawnBy
from registration.queries import visible_participant
from registration.use_cases import publishing
from registration.use_cases.refusals import answering_refusals
from together_contracts.registration import Role
from together_contracts.sealing import new_data_key
from together_contracts.words import DEFAULT_LANGUAGE
from together_servicekit.auth import Forbidden, Principal, require
from together_servicekit.auth import Role as AuthRole
from together_servicekit.runtime import Runtime


@answering_refusals
async def register(
    runtime: Runtime, *, caller: Principal, cohort_id: UUID, answers: Mapping[str, Any], language: str = DEFAULT_LANGUAGE
) -> UUID:
    """A person registers themself (the token's subject); returns the participant id. They wait, unseen
    and without a place, until they follow the link mailed to the address. The answer is the same
    whether or not someone registered the address already (that mail tells its owner instead)."""
    require(caller, AuthRole.participant)
    now = runtime.now()
    async with runtime.engine.begin() as conn:
        cohort = await repository.load_cohort(conn, cohort_id, shared=True, seats=False)  # no place is taken yet
        already = await repository.person_registered(conn, cohort_id, caller.subject)
        try:
            participant, verification, requested = cohort.register(
                participant_id=uuid.uuid4(),
                verification_id=uuid.uuid4(),
                person_id=caller.subject,
                answers=answers,
                already_registered=already,
                now=now,
                language=language,
            )
        except Refused as refused:
            counted = cohort.refusal(refused, now)
            if counted is None:
                raise
            # Counted in the cohort's outcomes: stored and published together, then refused as before.
            await records.add_refusal(conn, uuid.uuid4(), counted, placed(answers)[0])  # a listed station as listed
            await publishing.record(runtime, conn, counted)
            refusal = refused
        else:
            await repository.add_participant(conn, participant)
            await repository.add_data_key(conn, participant.id, new_data_key(), now)
            await repository.add_verification(conn, verification)
            await publishing.record(runtime, conn, requested)
            return participant.id
    raise refusal


@answering_refusals
async def change_answers(
    runtime: Runtime, *, caller: Principal, participant_id: UUID, changes: Mapping[str, Any], language: str = DEFAULT_LANGUAGE
) -> list[str]:
    """The participant edits answers; returns the names of the answers that changed."""
    refuse_if("the change is refused", removal_violations(changes))
    async with runtime.engine.begin() as conn:
        cohort, participant = await repository.load_participant_in_cohort(conn, participant_id)
        visible_participant(caller, participant)
        if not caller.is_person(participant.person_id):
            raise Forbidden("only the participant edits their answers")
        now = runtime.now()
        changed, events = cohort.change_answers(participant, changes, now=now, language=language)
        if changed:
            await repository.save_participant(conn, participant)
            await repository.save_admissions(conn, events)
        if "email" in changed:  # the new address waits for its link; whose it is, nobody is told here
            pending = await repository.pending_verification(conn, participant.id)
            if pending is None or pending.email != changes["email"].lower():  # the same again: `resend` is for that
                await _cancel_pending_verification(conn, participant.id)
                verification, requested = cohort.request_verification(participant, uuid.uuid4(), changes["email"], now)
                await repository.add_verification(conn, verification)
                events.append(requested)
        for event in events:
            await publishing.record(runtime, conn, event)
    return changed


async def _cancel_pending_verification(conn: AsyncConnection, participant_id: UUID) -> None:
    """A new address, or a withdrawal: the link sent for the earlier one stops working."""
    pending = await repository.pending_verification(conn, participant_id)
    if pending is not None:
        pending.cancel()
        await repository.save_verification(conn, pending)


@answering_refusals
async def grant_role(
    runtime: Runtime,
    *,
    caller: Principal,
    participant_id: UUID,
    role: Role,
    capacity: int | None,
    language: str = DEFAULT_LANGUAGE,
) -> None:
    """After registration closed, the programme team grants a participant another role."""
    async with runtime.engine.begin() as conn:
        cohort, participant = await repository.load_participant_in_cohort(conn, participant_id)
        visible_participant(caller, participant)
        if not caller.runs(cohort.programme_id):
            raise Forbidden("only the team running this programme grants roles")
        granted = cohort.grant_role(participant, role, capacity, runtime.now(), language)
        await repository.save_participant(conn, participant)
        await publishing.record(runtime, conn, granted)


@answering_refusals
async def withdraw(runtime: Runtime, *, caller: Principal, participant_id: UUID, erase_answers: bool) -> bool:
    """The participant (or their programme team) withdraws them; returns whether answers were erased."""
    async with runtime.engine.begin() as conn:
        cohort, participant = await repository.load_participant_in_cohort(conn, participant_id)
        visible_participant(caller, participant)
        themself = caller.is_person(participant.person_id)
        if not (themself or caller.runs(cohort.programme_id)):
            raise Forbidden("only the participant or their programme team withdraws a participant")
        by = WithdrawnBy.participant if themself else WithdrawnBy.programme_team
        events = cohort.withdraw(participant, by=by, erase_answers=erase_answers, now=runtime.now())
        await repository.save_participant(conn, participant)
        await _cancel_pending_verification(conn, participant.id)
        if erase_answers:
            await repository.forget_credential_files(conn, participant.id)
            await repository.forget_verifications(conn, participant.id)
            await repository.forget_data_key(conn, participant.id)
        await repository.save_admissions(conn, events)
        for event in events:
            await publishing.record(runtime, conn, event)
    return erase_answers
