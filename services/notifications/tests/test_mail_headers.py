"""No value can become a header of its own: the mail is written as aiosmtplib sends it, parsed back,
and holds exactly the headers and parts it was built with, whatever names it carries."""

from __future__ import annotations

import email
import email.errors
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage

import pytest
from aiosmtplib.email import flatten_message

from notifications.mail import Calendar, build_mail
from notifications.mail_headers import HEADER_POLICY, UnsafeHeaderValue
from notifications.rendering import render
from together_servicekit.invitations import Person, invitation

ENCODED_WORD_PAYLOAD = "=?utf-8?q?x=0D=0AReply-To:_attacker@evil.example=0D=0A=0D=0AClick_https://evil.example/login?="
BAD_NAMES = {
    "encoded word": ENCODED_WORD_PAYLOAD,
    "U+2028": "Amina\u2028Reply-To: attacker@evil.example\u2028\u2028Click https://evil.example/login",
    "U+0085": "Amina\x85Reply-To: attacker@evil.example\x85\x85Click https://evil.example/login",
    "CR LF": "Amina\r\nReply-To: attacker@evil.example",
}
HEADERS = ["From", "To", "Subject", "Message-ID", "Date", "Auto-Submitted", "MIME-Version", "Content-Type", "Content-Language"]
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def mail_naming(name: str, **overrides: object) -> EmailMessage:
    params = {"partner_name": name, "is_mentee": True, "programme_kind": "mentoring", "session_rhythm": None}
    words = render("pairing_formed", "en", params, "UTC")
    fields: dict = dict(
        sender="Together <no-reply@t.example>", to="ravi@example.org", subject=words.subject, text=words.text,
        html=words.html, message_id="<notification-1@t.example>", date=NOW, language="en", to_name=name,
    )  # fmt: skip
    return build_mail(**(fields | overrides))


def as_sent(mail: EmailMessage, *, utf8: bool = False) -> EmailMessage:
    parsed = email.message_from_bytes(flatten_message(mail, utf8=utf8), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_a_plain_name_goes_into_the_subject_and_the_to_header():
    for utf8 in (False, True):
        parsed = as_sent(mail_naming("Amina Diallo-Nguyễn"), utf8=utf8)
        assert parsed.keys() == HEADERS
        assert parsed["Subject"] == "You are paired with Amina Diallo-Nguyễn"
        assert parsed["To"] == "Amina Diallo-Nguyễn <ravi@example.org>"


@pytest.mark.parametrize("name", BAD_NAMES.values(), ids=BAD_NAMES.keys())
def test_a_stored_bad_name_is_rendered_harmless_and_the_mail_keeps_its_shape(name: str):
    for utf8 in (False, True):
        parsed = as_sent(mail_naming(name), utf8=utf8)
        assert parsed.keys() == HEADERS  # no Reply-To, no Bcc, nothing else
        assert parsed["Reply-To"] is None
        assert parsed["To"] == "ravi@example.org"  # the address alone: the name could not be a display name
        subject = parsed["Subject"]
        assert subject.startswith("You are paired with") and "=?" not in subject
        assert not any(len(str(value).splitlines()) > 1 for value in parsed.values())
        assert [part.get_content_type() for part in parsed.walk()] == ["multipart/alternative", "text/plain", "text/html"]
        assert "paired" in parsed.get_body(("plain",)).get_content()
        assert "<html" in parsed.get_body(("html",)).get_content().lower()


def test_a_calendar_invitation_keeps_its_parts_whatever_the_names():
    ics = invitation(
        uid="session-1@together", sequence=0, method="REQUEST", summary="Introduction", starts_at=NOW,
        time_zone="UTC", duration_minutes=45, organizer=Person(ENCODED_WORD_PAYLOAD, "amina@example.org"),
        attendees=[Person(BAD_NAMES["U+2028"], "ravi@example.org")], stamp=NOW,
    )  # fmt: skip
    parsed = as_sent(mail_naming(ENCODED_WORD_PAYLOAD, calendar=Calendar(ics, "REQUEST")))
    assert parsed.keys() == HEADERS
    types = [part.get_content_type() for part in parsed.walk()]
    assert types == ["multipart/mixed", "multipart/alternative", "text/plain", "text/html", "text/calendar", "application/ics"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("to", "=?utf-8?q?x=0D=0ABcc:_a=40evil.example?=@example.org"),
        ("to", "ravi@example.org\u2028Bcc: a@evil.example"),
        ("to", "ravi@example.org, a@evil.example"),
        ("to", "Ravi <ravi@example.org>"),
        ("sender", "Together <no-reply@t.example>\r\nBcc: a@evil.example"),
        ("sender", "=?utf-8?q?Together=0D=0ABcc:_a@evil.example?= <no-reply@t.example>"),
        ("sender", "a@t.example, b@t.example"),
        ("message_id", "<n-1@t.example>\x85Bcc: a@evil.example"),
        ("message_id", "not an id"),
        ("language", "en\u2029Bcc: a@evil.example"),
        ("calendar", Calendar("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "REQUEST\r\nBcc: a@evil.example")),
    ],
)
def test_a_value_the_mail_cannot_do_without_is_refused_with_the_header_named(field: str, value: object):
    with pytest.raises(UnsafeHeaderValue) as refused:
        mail_naming("Amina", **{field: value})
    header = {"to": "To", "sender": "From", "message_id": "Message-ID", "language": "Content-Language"}.get(field, "calendar")
    assert header in str(refused.value)


def test_the_policy_refuses_a_header_that_would_start_a_new_line_on_any_python():
    """The original flaw, without build_mail's checks: the policy (or a patched Python) stops it."""
    mail = EmailMessage(policy=HEADER_POLICY)
    mail["Subject"] = f"You are paired with {ENCODED_WORD_PAYLOAD}"
    mail.set_content("hello")
    refusals = (UnsafeHeaderValue, *[getattr(email.errors, "HeaderWriteError", UnsafeHeaderValue)])
    for linesep in ("\n", "\r\n"):
        try:
            written = mail.as_bytes(policy=HEADER_POLICY.clone(linesep=linesep))
        except refusals:
            continue
        # A Python that re-encodes the value instead of refusing it: still no header of the attacker's.
        assert email.message_from_bytes(written, policy=policy.default)["Reply-To"] is None
