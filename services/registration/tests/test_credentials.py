"""A coach credential is a PDF, PNG or JPEG by its content, or a reference, with the commitment."""

from __future__ import annotations

from registration.credentials import Upload, content_type_of, submission_violations

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
