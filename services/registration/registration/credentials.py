"""Coach credentials: submitted with the confidentiality commitment, reviewed by the programme team.

A credential is an uploaded file (PDF, PNG or JPEG, recognised by its first bytes whatever
type the upload declares; stored in this service's database) or a reference such as an ICF
credential number or URL. Approval makes the coach visible to clients and matching.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

import sqlalchemy as sa

from registration.tables import coach_credentials, cohorts, participants
from together_events.contracts.registration import (
    CoachCredentialApproved,
    CoachCredentialRejected,
    CoachCredentialSubmitted,
    CredentialKind,
    Role,
)
from together_servicekit.auth import Forbidden, Principal
from together_servicekit.errors import Conflict, DomainError, NotFound, Violation
from together_servicekit.runtime import Runtime

# Content signatures ("magic numbers") of the accepted file types.
SIGNATURES: dict[str, bytes] = {
    "application/pdf": b"%PDF-",
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff",
}
_GENERIC_TYPES = {"", "application/octet-stream"}


class CredentialStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


def content_type_of(content: bytes) -> str | None:
    """The file's real type from its first bytes, or None if it is none of the accepted ones."""
    return next((kind for kind, magic in SIGNATURES.items() if content.startswith(magic)), None)


@dataclass(frozen=True)
class Upload:
    file_name: str
    declared_type: str
    content: bytes


def submission_violations(
    *, upload: Upload | None, reference: str | None, confidentiality_accepted: bool, max_bytes: int
) -> list[Violation]:
    """Every reason a submission is refused, all at once."""
    violations = []
    if not confidentiality_accepted:
        violations.append(
            Violation(
                "confidentiality_accepted",
                "must_accept",
                "a coach accepts the confidentiality commitment: what clients share stays with the coach",
            )
        )
    if upload is None and not reference:
        violations.append(Violation("file", "file_or_reference", "send the credential as a file or give a reference"))
    if upload is not None:
        detected = content_type_of(upload.content)
        if len(upload.content) > max_bytes:
            violations.append(Violation("file", "max_size", f"the file is larger than {max_bytes} bytes"))
        if len(upload.content) == 0:
            violations.append(Violation("file", "not_empty", "the file is empty"))
        elif detected is None:
            violations.append(Violation("file", "pdf_png_or_jpeg", "the file is not a PDF, PNG or JPEG (by its content)"))
        elif upload.declared_type.split(";")[0].strip().lower() not in _GENERIC_TYPES | {detected}:
            violations.append(
                Violation(
                    "file",
                    "declared_type_matches_content",
                    f"the file is declared {upload.declared_type} but its content is {detected}",
                )
            )
    return violations


async def submit(
    runtime: Runtime,
    *,
    participant_id: UUID,
    caller: Principal,
    kind: CredentialKind,
    upload: Upload | None,
    reference: str | None,
    confidentiality_accepted: bool,
    max_bytes: int,
) -> UUID:
    credential_id = uuid.uuid4()
    async with runtime.engine.begin() as conn:
        row = (
            await conn.execute(
                sa.select(participants, cohorts.c.programme_id)
                .join(cohorts, cohorts.c.id == participants.c.cohort_id)
                .where(participants.c.id == participant_id)
                .with_for_update(of=participants)
            )
        ).first()
        if row is None:
            raise NotFound("participant", participant_id)
        if not caller.is_person(row.person_id):
            raise Forbidden("only the coach submits their credential")
        violations = submission_violations(
            upload=upload, reference=reference, confidentiality_accepted=confidentiality_accepted, max_bytes=max_bytes
        )
        if Role.coach.value not in row.roles:
            violations.insert(0, Violation("participant", "coaches_only", "only a coach submits a credential"))
        if violations:
            raise DomainError("credential refused: " + "; ".join(v.message for v in violations), violations)
        if row.withdrawn_at is not None:
            raise Conflict("this participant has withdrawn")
        standing = (
            await conn.execute(
                sa.select(coach_credentials.c.status).where(
                    coach_credentials.c.participant_id == participant_id,
                    coach_credentials.c.status.in_([CredentialStatus.pending, CredentialStatus.approved]),
                )
            )
        ).scalar()
        if standing is not None:
            raise Conflict(f"this coach already has a {standing} credential")
        now = runtime.now()
        await conn.execute(
            coach_credentials.insert().values(
                id=credential_id,
                participant_id=participant_id,
                kind=kind.value,
                reference=reference or None,
                file_name=upload.file_name if upload else None,
                content_type=content_type_of(upload.content) if upload else None,
                content=upload.content if upload else None,
                size_bytes=len(upload.content) if upload else None,
                confidentiality_accepted_at=now,
                status=CredentialStatus.pending,
                submitted_at=now,
            )
        )
        await runtime.record(
            conn,
            CoachCredentialSubmitted(
                participant_id=participant_id,
                cohort_id=row.cohort_id,
                programme_id=row.programme_id,
                credential_id=credential_id,
                kind=kind,
                submitted_at=now,
            ),
        )
    return credential_id


async def decide(runtime: Runtime, *, credential_id: UUID, caller: Principal, approve: bool, reason: str | None) -> None:
    """The programme team approves, or rejects with the reason the coach is given."""
    async with runtime.engine.begin() as conn:
        # Lock the participant before the credential, in the order withdrawal (which erases files) takes them.
        participant_id = (
            await conn.execute(sa.select(coach_credentials.c.participant_id).where(coach_credentials.c.id == credential_id))
        ).scalar()
        if participant_id is None:
            raise NotFound("credential", credential_id)
        await conn.execute(sa.select(participants.c.id).where(participants.c.id == participant_id).with_for_update())
        row = (
            await conn.execute(
                sa.select(coach_credentials, participants.c.person_id, participants.c.cohort_id, cohorts.c.programme_id)
                .join(participants, participants.c.id == coach_credentials.c.participant_id)
                .join(cohorts, cohorts.c.id == participants.c.cohort_id)
                .where(coach_credentials.c.id == credential_id)
                .with_for_update(of=coach_credentials)
            )
        ).one()
        if not caller.runs(row.programme_id):
            raise Forbidden("only the team running this programme reviews its coaches' credentials")
        if row.status != CredentialStatus.pending:
            raise Conflict(f"this credential was already {row.status}")
        now = runtime.now()
        status = CredentialStatus.approved if approve else CredentialStatus.rejected
        await conn.execute(
            coach_credentials.update()
            .where(coach_credentials.c.id == credential_id)
            .values(status=status, decided_at=now, decided_by=caller.subject, reason=reason)
        )
        common = dict(
            participant_id=row.participant_id,
            person_id=row.person_id,
            cohort_id=row.cohort_id,
            programme_id=row.programme_id,
            credential_id=credential_id,
        )
        if approve:
            await conn.execute(participants.update().where(participants.c.id == row.participant_id).values(coach_approved=True))
            await runtime.record(conn, CoachCredentialApproved(**common, approved_at=now))
        else:
            assert reason is not None
            await runtime.record(conn, CoachCredentialRejected(**common, reason=reason, rejected_at=now))
