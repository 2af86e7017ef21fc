"""A withdrawn participant's personal answers erased after the withdrawal (at it: `participants.withdraw`)."""

from __future__ import annotations

from uuid import UUID

from registration import repository
from registration.queries import visible_participant
from registration.use_cases import publishing
from registration.use_cases.refusals import answering_refusals
from together_servicekit.auth import Forbidden, Principal
from together_servicekit.runtime import Runtime


@answering_refusals
async def erase_answers(runtime: Runtime, *, caller: Principal, participant_id: UUID) -> None:
    """At the participant's (or their team's) request: placeholders for the answers, credential files deleted."""
    async with runtime.engine.begin() as conn:
        cohort, participant = await repository.load_participant_in_cohort(conn, participant_id)
        visible_participant(caller, participant)
        if not (caller.is_person(participant.person_id) or caller.runs(cohort.programme_id)):
            raise Forbidden("only the participant or their programme team asks for erasure")
        events = cohort.erase_answers(participant, runtime.now())
        await repository.save_participant(conn, participant)
        await repository.forget_credential_files(conn, participant.id)
        await repository.forget_verifications(conn, participant.id)
        await repository.forget_data_key(conn, participant.id)
        for event in events:
            await publishing.record(runtime, conn, event)
