"""Coach credentials: the coach submits one, the programme team approves or rejects it."""

from __future__ import annotations

import uuid
from uuid import UUID

from registration import repository
from registration.domain.credentials import Credential, Upload
from registration.queries import sees_credential, visible_participant
from registration.use_cases.refusals import answering_refusals
from together_contracts.registration import CredentialKind
from together_servicekit.auth import Forbidden, Principal, visible_or_missing
from together_servicekit.runtime import Runtime


@answering_refusals
async def submit(
    runtime: Runtime,
    *,
    caller: Principal,
    participant_id: UUID,
    kind: CredentialKind,
    upload: Upload | None,
    reference: str | None,
    confidentiality_accepted: bool,
    max_bytes: int,
) -> UUID:
    """The coach themself submits a file or a reference, with the confidentiality commitment."""
    async with runtime.engine.begin() as conn:
        coach = visible_participant(caller, await repository.load_participant(conn, participant_id))
        if not caller.is_person(coach.person_id):
            raise Forbidden("only the coach submits their credential")
        credential, submitted = Credential.submit(
            credential_id=uuid.uuid4(),
            coach=coach,
            kind=kind,
            upload=upload,
            reference=reference,
            confidentiality_accepted=confidentiality_accepted,
            max_bytes=max_bytes,
            standing=await repository.standing_credential(conn, participant_id),
            now=runtime.now(),
        )
        await repository.add_credential(conn, credential, upload)
        await runtime.record(conn, submitted)
    return credential.id


@answering_refusals
async def decide(runtime: Runtime, *, caller: Principal, credential_id: UUID, approve: bool, reason: str | None) -> None:
    """The programme team approves, or rejects with the reason the coach is given."""
    async with runtime.engine.begin() as conn:
        coach, credential = await repository.load_credential(conn, credential_id)
        visible_or_missing(coach, lambda c: sees_credential(caller, c.person_id, c.programme_id), "credential", credential_id)
        if not caller.runs(coach.programme_id):
            raise Forbidden("only the team running this programme reviews its coaches' credentials")
        decided = credential.decide(coach, approve=approve, reason=reason, by=caller.subject, now=runtime.now())
        await repository.save_credential(conn, credential)
        await repository.save_participant(conn, coach)
        await runtime.record(conn, decided)
