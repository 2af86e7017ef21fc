"""Coach credentials: submitted with the confidentiality commitment, reviewed by the programme team.

A credential is an uploaded file (PDF, PNG or JPEG, recognised by its first bytes whatever
type the upload declares; stored in this service's database) or a reference such as an ICF
credential number or URL. Approval makes the coach visible to clients and matching.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from registration.domain.errors import StateConflict, refuse_if
from registration.domain.participant import Participant
from together_contracts.registration import CoachCredentialApproved, CoachCredentialSubmitted, CredentialKind, Role
from together_contracts.registration_v2 import CoachCredentialRejected
from together_servicekit.errors import Violation

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


@dataclass
class Credential:
    """Where a coach's credential stands; the file itself is stored beside it, never looked at again."""

    id: UUID
    participant_id: UUID
    kind: CredentialKind
    reference: str | None
    confidentiality_accepted_at: datetime
    submitted_at: datetime
    status: CredentialStatus = CredentialStatus.pending
    decided_at: datetime | None = None
    decided_by: str | None = None
    reason: str | None = None

    @classmethod
    def submit(
        cls,
        *,
        credential_id: UUID,
        coach: Participant,
        kind: CredentialKind,
        upload: Upload | None,
        reference: str | None,
        confidentiality_accepted: bool,
        max_bytes: int,
        standing: CredentialStatus | None,
        now: datetime,
    ) -> tuple[Credential, CoachCredentialSubmitted]:
        """A coach submits a credential. `standing`: the status of their pending or approved one, if any
        (one at a time; a rejected coach may submit again)."""
        violations = submission_violations(
            upload=upload, reference=reference, confidentiality_accepted=confidentiality_accepted, max_bytes=max_bytes
        )
        if Role.coach not in coach.roles:
            violations.insert(0, Violation("participant", "coaches_only", "only a coach submits a credential"))
        refuse_if("credential refused", violations)
        if coach.withdrawn_at is not None:
            raise StateConflict("this participant has withdrawn")
        if not coach.verified:
            raise StateConflict("verify your e-mail address first: the link is in the mail we sent")
        if standing is not None:
            raise StateConflict(f"this coach already has a {standing} credential")
        credential = cls(credential_id, coach.id, kind, reference or None, now, now)
        submitted = CoachCredentialSubmitted(
            participant_id=coach.id,
            cohort_id=coach.cohort_id,
            programme_id=coach.programme_id,
            credential_id=credential_id,
            kind=kind,
            submitted_at=now,
        )
        return credential, submitted

    def decide(
        self, coach: Participant, *, approve: bool, reason: str | None, by: str, now: datetime
    ) -> CoachCredentialApproved | CoachCredentialRejected:
        """The programme team approves (the coach becomes visible), or rejects with the reason the coach is given.
        The reason is the team's own words: it stays here, where the coach reads it; the event says only that
        the credential was rejected (ADR 0008)."""
        if self.status is not CredentialStatus.pending:
            raise StateConflict(f"this credential was already {self.status}")
        self.status = CredentialStatus.approved if approve else CredentialStatus.rejected
        self.decided_at, self.decided_by, self.reason = now, by, reason
        common = {
            "participant_id": coach.id,
            "person_id": coach.person_id,
            "cohort_id": coach.cohort_id,
            "programme_id": coach.programme_id,
            "credential_id": self.id,
        }
        if approve:
            coach.coach_approved = True
            return CoachCredentialApproved(**common, approved_at=now)
        assert reason is not None
        return CoachCredentialRejected(**common, rejected_at=now)
