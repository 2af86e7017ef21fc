"""A coach credential is a PDF, PNG or JPEG by its content, or a reference, with the commitment."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from registration.domain.credentials import Credential, CredentialStatus, Upload, content_type_of, submission_violations
from registration.domain.errors import Refused, StateConflict
from registration.domain.participant import Participant, ParticipantStatus
from together_contracts.registration import CoachCredentialApproved, CredentialKind, Role
from together_contracts.registration_v2 import CoachCredentialRejected

NOW = datetime(2026, 11, 10, 9, tzinfo=UTC)

PDF = b"%PDF-1.7\n1 0 obj\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF"


def rules(v: list) -> set[tuple[str, str]]:
    return {(x.field, x.rule) for x in v}


def test_types_are_recognised_by_their_first_bytes():
    assert content_type_of(PDF) == "application/pdf"
    assert content_type_of(PNG) == "image/png"
    assert content_type_of(JPEG) == "image/jpeg"
    assert content_type_of(b"MZ\x90\x00 an executable") is None
    assert content_type_of(b"<html>%PDF-") is None


def test_a_file_or_a_reference_with_the_commitment_passes():
    pdf = Upload("cert.pdf", "application/pdf", PDF)
    assert submission_violations(upload=pdf, reference=None, confidentiality_accepted=True, max_bytes=100) == []
    generic = Upload("scan", "application/octet-stream", JPEG)
    assert submission_violations(upload=generic, reference=None, confidentiality_accepted=True, max_bytes=100) == []
    assert submission_violations(upload=None, reference="ICF-ACC-12345", confidentiality_accepted=True, max_bytes=100) == []


def test_every_reason_at_once():
    disguised = Upload("cert.pdf", "application/pdf", b"MZ\x90\x00" + b"x" * 200)
    violations = submission_violations(upload=disguised, reference=None, confidentiality_accepted=False, max_bytes=100)
    assert rules(violations) == {
        ("confidentiality_accepted", "must_accept"),
        ("file", "max_size"),
        ("file", "pdf_png_or_jpeg"),
    }
    nothing = submission_violations(upload=None, reference=None, confidentiality_accepted=True, max_bytes=100)
    assert rules(nothing) == {("file", "file_or_reference")}


def test_a_declared_type_must_match_the_content():
    png_as_pdf = Upload("cert.pdf", "application/pdf", PNG)
    violations = submission_violations(upload=png_as_pdf, reference=None, confidentiality_accepted=True, max_bytes=100)
    assert rules(violations) == {("file", "declared_type_matches_content")}
    empty = Upload("cert.pdf", "application/pdf", b"")
    assert rules(submission_violations(upload=empty, reference=None, confidentiality_accepted=True, max_bytes=100)) == {
        ("file", "not_empty")
    }


def coach(*roles: Role, **state: Any) -> Participant:
    return Participant(
        id=uuid.uuid4(),
        person_id="coach",
        cohort_id=uuid.uuid4(),
        programme_id=uuid.uuid4(),
        email="coach@un.org",
        index_number=None,
        appointment_type=None,
        preferred_language="en",
        roles=list(roles or [Role.coach]),
        mentor_capacity=None,
        coach_capacity=2,
        profile={"display_name": "Coach"},
        registered_at=NOW,
        **{"verified_at": NOW, **state},
    )


def submit(participant: Participant, standing: CredentialStatus | None = None, **changes: Any) -> Credential:
    arguments: dict[str, Any] = {
        "credential_id": uuid.uuid4(),
        "coach": participant,
        "kind": CredentialKind.icf_certificate,
        "upload": Upload("cert.pdf", "application/pdf", PDF),
        "reference": None,
        "confidentiality_accepted": True,
        "max_bytes": 100,
        "standing": standing,
        "now": NOW,
    }
    credential, submitted = Credential.submit(**{**arguments, **changes})
    assert submitted.credential_id == credential.id and submitted.participant_id == participant.id
    return credential


def test_only_a_coach_submits_and_every_reason_comes_at_once():
    with pytest.raises(Refused) as refused:
        submit(coach(Role.client), confidentiality_accepted=False)
    assert rules(refused.value.violations) == {
        ("participant", "coaches_only"),
        ("confidentiality_accepted", "must_accept"),
    }


def test_one_pending_or_approved_credential_at_a_time_and_none_once_withdrawn():
    with pytest.raises(StateConflict, match="already has a pending"):
        submit(coach(), standing=CredentialStatus.pending)
    with pytest.raises(StateConflict, match="withdrawn"):
        submit(coach(status=ParticipantStatus.withdrawn, withdrawn_at=NOW))
    with pytest.raises(StateConflict, match="verify your e-mail address first"):
        submit(coach(status=ParticipantStatus.unverified, verified_at=None))
    assert submit(coach()).status is CredentialStatus.pending


def test_approval_makes_the_coach_visible_and_a_decision_is_made_once():
    participant = coach()
    credential = submit(participant)
    approved = credential.decide(participant, approve=True, reason=None, by="lead", now=NOW)
    assert isinstance(approved, CoachCredentialApproved) and participant.coach_approved
    assert (credential.status, credential.decided_by, credential.decided_at) == (CredentialStatus.approved, "lead", NOW)
    with pytest.raises(StateConflict, match="already approved"):
        credential.decide(participant, approve=False, reason="late", by="lead", now=NOW)


def test_a_rejection_keeps_the_reason_for_the_coach_and_publishes_it_nowhere():
    participant = coach()
    credential = submit(participant, upload=None, reference="ICF-1")
    rejected = credential.decide(participant, approve=False, reason="The certificate expired", by="lead", now=NOW)
    assert credential.reason == "The certificate expired"  # what the coach reads from registration
    assert isinstance(rejected, CoachCredentialRejected) and rejected.event_type().endswith(".v2")
    assert "expired" not in rejected.model_dump_json()  # the team's words are not in the event
    assert credential.status is CredentialStatus.rejected and not participant.coach_approved
