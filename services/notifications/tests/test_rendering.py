"""Every event's message in words, in each language, with times in the reader's zone; the mail's
MIME shape with its invitation, parsed back with the `icalendar` package."""

from __future__ import annotations

import email
import re
import uuid
from datetime import UTC, datetime
from email import policy

import icalendar
import pytest

from notifications.domain.languages import LANGUAGES, language_of
from notifications.domain.messages import ADDRESS_VERIFICATION, KINDS, NOTIFYING_EVENTS, messages_for
from notifications.domain.outcomes import OUTCOME_KINDS
from notifications.domain.team import OUTCOMES_REPORT_READY, TEAM_KINDS
from notifications.mail import Calendar, build_mail
from notifications.rendering import render
from together_contracts import registration_v2
from together_contracts.pairing import (
    EndedBy,
    MentorAvailable,
    PairingEnded,
    PairingFormed,
    PreferencesExhausted,
    RequestCancelled,
    RequestDeclined,
    RequestExpired,
    RequestReminderDue,
    RequestSent,
    RequestWithdrawn,
    WithdrawalReason,
)
from together_contracts.registration import (
    AddressVerificationRequested,
    CoachCredentialApproved,
    CoachCredentialRejected,
    ParticipantAdmitted,
    ParticipantRegistered,
    PublicProfile,
    Role,
)
from together_contracts.scheduling import (
    CancelledBecause,
    CompletedBy,
    NextSessionReminderDue,
    SeriesCancelled,
    SeriesEnded,
    SeriesRescheduled,
    SeriesScheduled,
    SessionCancelled,
    SessionCompleted,
    SessionRescheduled,
    SessionScheduled,
)
from together_contracts.working_days import DeadlinesMovedBecause, RequestDeadlinesMoved
from together_servicekit.invitations import Person, invitation

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
STARTS = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
MENTEE, MENTOR = uuid.uuid4(), uuid.uuid4()
PAIR = [MENTEE, MENTOR]
IDS = {"request_id": uuid.uuid4(), "pairing_id": uuid.uuid4(), "mentee_id": MENTEE, "mentor_id": MENTOR}
SESSION = {"pairing_id": uuid.uuid4(), "participant_ids": PAIR, "organiser_id": MENTEE, "time_zone": "Europe/Zurich"}
BOOKING = {**SESSION, "starts_at": STARTS, "duration_minutes": 45, "agenda_title": "Introduction", "calendar_uid": "u@t"}
SERIES = {**BOOKING, "series_id": uuid.uuid4(), "rrule": "FREQ=WEEKLY;COUNT=3", "calendar_sequence": 0}
OCCURRENCES = {"occurrence_starts": [STARTS], "session_ids": [uuid.uuid4()]}
CANCELLED = {
    "request_id": uuid.uuid4(),
    "selection_id": uuid.uuid4(),
    "mentee_id": MENTEE,
    "mentor_id": MENTOR,
    "cohort_id": uuid.uuid4(),
}
REGISTRATION = {"participant_id": MENTOR, "person_id": "coach", "cohort_id": uuid.uuid4(), "programme_id": uuid.uuid4()}

ONE_OF_EACH = [
    RequestSent(**IDS, selection_id=uuid.uuid4(), cohort_id=uuid.uuid4(), rank=1, reached_mentor_at=NOW, remind_at=NOW, expires_at=STARTS),
    RequestReminderDue(**IDS, expires_at=STARTS, reminded_at=NOW),
    PairingFormed(**IDS, cohort_id=uuid.uuid4(), programme_id=uuid.uuid4(), mentee_person_id="ravi", mentor_person_id="amina", formed_at=NOW),
    RequestDeclined(**IDS, declined_at=NOW),
    RequestExpired(**IDS, expired_at=NOW),
    RequestWithdrawn(**IDS, reason=WithdrawalReason.mentor_full, withdrawn_at=NOW),
    PreferencesExhausted(selection_id=uuid.uuid4(), mentee_id=MENTEE, cohort_id=uuid.uuid4(), exhausted_at=NOW),
    PairingEnded(pairing_id=uuid.uuid4(), mentee_id=MENTEE, mentor_id=MENTOR, cohort_id=uuid.uuid4(), ended_by=EndedBy.mentee, ended_at=NOW),
    MentorAvailable(mentor_id=MENTOR, mentee_id=MENTEE, available_at=NOW),
    SessionScheduled(session_id=uuid.uuid4(), **BOOKING),
    SeriesScheduled(**SERIES, **OCCURRENCES),
    SessionRescheduled(session_id=uuid.uuid4(), **BOOKING, calendar_sequence=1, previous_starts_at=NOW, rescheduled_at=NOW),
    SeriesRescheduled(**SERIES | {"calendar_sequence": 1}, **OCCURRENCES, previous_starts_at=NOW, rescheduled_at=NOW),
    SessionCancelled(session_id=uuid.uuid4(), **BOOKING, calendar_sequence=2, reason=CancelledBecause.pairing_ended, cancelled_at=NOW),
    SeriesCancelled(**SERIES | {"calendar_sequence": 2}, cancelled_session_ids=[], reason=CancelledBecause.partner_cancelled, cancelled_at=NOW),
    SeriesEnded(**SERIES | {"calendar_sequence": 3, "rrule": "FREQ=WEEKLY;INTERVAL=1;UNTIL=20261208T085959Z"}, previous_rrule="FREQ=WEEKLY;COUNT=3",
                ends_before=STARTS, last_held_at=NOW, held_session_ids=[uuid.uuid4()], cancelled_session_ids=[uuid.uuid4()],
                reason=CancelledBecause.partner_cancelled, ended_at=NOW),
    SessionCompleted(session_id=uuid.uuid4(), pairing_id=uuid.uuid4(), participant_ids=PAIR, completed_at=NOW, completed_by=CompletedBy.marked_done),
    NextSessionReminderDue(pairing_id=uuid.uuid4(), participant_ids=PAIR, after_session_id=uuid.uuid4(), sessions_completed=1, sessions_planned=6, reminded_at=NOW),
    CoachCredentialApproved(**REGISTRATION, credential_id=uuid.uuid4(), approved_at=NOW),
    CoachCredentialRejected(**REGISTRATION, credential_id=uuid.uuid4(), reason="The certificate has expired.", rejected_at=NOW),
    registration_v2.CoachCredentialRejected(**REGISTRATION, credential_id=uuid.uuid4(), rejected_at=NOW),
    RequestDeadlinesMoved(**IDS, selection_id=uuid.uuid4(), cohort_id=uuid.uuid4(), remind_at=NOW, expires_at=STARTS,
                          previous_remind_at=NOW, previous_expires_at=NOW, reason=DeadlinesMovedBecause.holidays_changed, moved_at=NOW),
    RequestCancelled(**CANCELLED, withdrawn_participant_id=MENTOR, was_pending=True, cancelled_at=NOW),
    RequestCancelled(**CANCELLED, withdrawn_participant_id=MENTEE, was_pending=True, cancelled_at=NOW),
    ParticipantAdmitted(participant_id=MENTEE, cohort_id=uuid.uuid4(), programme_id=uuid.uuid4(), admitted_at=NOW),
    AddressVerificationRequested(participant_id=MENTEE, cohort_id=uuid.uuid4(), programme_id=uuid.uuid4(), verification_id=uuid.uuid4(), requested_at=NOW),
    ParticipantRegistered(
        participant_id=MENTEE, person_id="ravi", cohort_id=uuid.uuid4(), programme_id=uuid.uuid4(), roles=[Role.mentee],
        registered_at=NOW, waitlisted=True,
        profile=PublicProfile(display_name="Ravi", entity="ESCAP", duty_station="Bangkok", time_zone="Asia/Bangkok",
                              grade="G-6", years_of_service=5, job_network="DEVNET", languages=["English"]),
    ),
    PairingEnded(pairing_id=uuid.uuid4(), mentee_id=MENTEE, mentor_id=MENTOR, cohort_id=uuid.uuid4(), ended_by=EndedBy.mentor, ended_at=NOW, participant_withdrew=True),
]  # fmt: skip


def test_one_of_each_covers_every_notifying_event_and_every_kind():
    assert {type(e) for e in ONE_OF_EACH} == {*NOTIFYING_EVENTS, ParticipantRegistered}
    # A cohort's end and its outcomes: test_outcome_mails.py.
    told = {*KINDS, ADDRESS_VERIFICATION, *TEAM_KINDS} - {*OUTCOME_KINDS, OUTCOMES_REPORT_READY}
    assert {m.kind for e in ONE_OF_EACH for m in messages_for(e)} == told
    assert ADDRESS_VERIFICATION not in KINDS  # e-mail cannot be turned off for it
    assert not set(TEAM_KINDS) & set(KINDS)  # nor is a team's message a participant's choice


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_verification_mail_carries_its_link_or_tells_the_owner_and_the_feed_carries_neither(language):
    [message] = messages_for(ONE_OF_EACH[-3])
    link = "https://together.example.org/verify#token=abc123"
    mailed = {"outcome": "verify", "link": link, "cohort_name": "Mentoring 2027", "expires_at": NOW.isoformat()}
    words = render(message.kind, language, {**message.params, **mailed}, "Asia/Bangkok")
    assert link in words.text and "Mentoring 2027" in words.text and "(Asia/Bangkok)" in words.text
    owner = render(message.kind, language, {**message.params, **mailed, "outcome": "already_registered", "link": None}, None)
    assert "token" not in owner.text and "Mentoring 2027" in owner.text and owner.subject != words.subject
    feed = render(message.kind, language, message.params, None)  # recorded before any link exists
    assert "token" not in feed.text and feed.subject == words.subject


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("event", ONE_OF_EACH, ids=lambda e: type(e).__name__)
def test_every_message_renders_in_every_language(event, language):
    for message in messages_for(event):
        params = {**message.params, **{f"{role}_name": "Amina Diallo" for role in message.names}}
        # A message that asks for something is also written for when that became moot before its mail went out.
        for settled in (False, True) if message.action else (False,):
            words = render(message.kind, language, {**params, "settled": settled}, "Asia/Bangkok")
            assert words.language == language
            assert words.subject and "\n" not in words.subject
            assert words.text.strip() and "{{" not in words.text
            assert "\n\n\n" not in words.text  # a paragraph left out leaves no gap
            assert not re.search(r"[ (:]None\b", words.subject + words.text), "an empty value printed as None"
            assert f'<html lang="{language}">' in words.html


def test_words_differ_by_language_and_times_are_in_the_readers_zone():
    [message] = messages_for(ONE_OF_EACH[0])  # RequestSent: expires 2026-11-25 13:00 UTC
    english = render(message.kind, "en", message.params, "Africa/Nairobi")
    french = render(message.kind, "fr", message.params, "America/New_York")
    spanish = render(message.kind, "es", message.params, None)
    assert english.subject == "A mentee asks you to be their mentor"
    assert french.subject == "Un mentoré vous demande d'être son mentor"
    assert spanish.subject == "Un mentorado le pide que sea su mentor"
    assert "2026-11-25 16:00 (Africa/Nairobi)" in english.text
    assert "2026-11-25 08:00 (America/New_York)" in french.text
    assert "2026-11-25 13:00 (UTC)" in spanish.text  # no zone known: UTC, and it says so


def test_a_registration_tells_only_a_person_who_waits_for_a_place():
    waiting = next(e for e in ONE_OF_EACH if isinstance(e, ParticipantRegistered))
    assert [(m.recipient_id, m.kind) for m in messages_for(waiting)] == [(MENTEE, "waitlisted")]
    assert messages_for(waiting.model_copy(update={"waitlisted": False})) == []


def test_who_hears_of_a_departure():
    mentor_left, mentee_left = (e for e in ONE_OF_EACH if isinstance(e, RequestCancelled))
    assert [(m.recipient_id, m.kind, m.params) for m in messages_for(mentor_left)] == [
        (MENTEE, "request_not_accepted", {"reason": "mentor_left"})
    ]
    assert [(m.recipient_id, m.kind) for m in messages_for(mentee_left)] == [(MENTOR, "request_cancelled")]
    waiting = mentee_left.model_copy(update={"was_pending": False})  # the mentor never saw it
    assert messages_for(waiting) == []
    ended, team = messages_for(ONE_OF_EACH[-1])  # the mentor left: the mentee is told, and what they can do
    words = render(ended.kind, "fr", ended.params, None)
    assert ended.recipient_id == MENTEE and "a quitté le programme" in words.text and "nouveau mentor" in words.text
    chose_since = render(ended.kind, "fr", {**ended.params, "settled": True}, None)  # new preferences came first
    assert "a quitté le programme" in chose_since.text and "nouveau mentor" not in chose_since.text
    assert (team.kind, team.for_programme_team, team.params["reason"]) == ("pairing_ended_early", True, "mentor_withdrew")


def test_a_decline_tells_the_mentee_what_happens_next():
    declined = render("request_not_accepted", "en", messages_for(ONE_OF_EACH[3])[0].params, None)
    assert "declined" in declined.text and "next choice" in declined.text


# Where the coach reads the team's reason, in each language: their credential's page in the app.
NOT_APPROVED = {
    "en": ("Your coaching credential was not approved", "did not approve your coaching credential",
           "read it on your credential's page in the Together app"),
    "fr": ("Votre certification de coach n'a pas été approuvée", "n'a pas approuvé votre certification de coach",
           "lisez-le sur la page de votre certification dans l'application Together"),
    "es": ("Su acreditación de coach no fue aprobada", "no aprobó su acreditación de coach",
           "léalo en la página de su acreditación en la aplicación Together"),
}  # fmt: skip


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("version", [CoachCredentialRejected, registration_v2.CoachCredentialRejected], ids=["v1", "v2"])
def test_a_rejected_coach_is_told_where_to_read_the_reason_and_no_mail_quotes_it(language, version):
    event = next(e for e in ONE_OF_EACH if type(e) is version)
    [message] = messages_for(event)
    assert (message.recipient_id, message.kind, message.params) == (
        event.participant_id, "coach_credential_rejected", {"credential_id": str(event.credential_id)}
    )  # fmt: skip
    words = render(message.kind, language, message.params, None)
    subject, refusal, where = NOT_APPROVED[language]
    assert words.subject == subject and refusal in words.text and where in words.text
    assert "expired" not in words.text and "expired" not in words.html  # v1 carried the reason: it is not quoted


def test_the_language_is_the_first_supported_choice_else_english():
    assert language_of("fr", "es") == "fr"
    assert language_of(None, "es-MX") == "es"
    assert language_of("", "de") == "en"
    assert language_of(None, None) == "en"


def test_an_invitation_mail_is_multipart_with_a_calendar_part_and_an_ics_attachment():
    ics = invitation(
        uid="session-1@together", sequence=0, method="REQUEST", summary="Introduction", starts_at=STARTS,
        time_zone="Europe/Zurich", duration_minutes=45, organizer=Person("Amina", "amina@example.org"),
        attendees=[Person("Ravi", "ravi@example.org")], stamp=NOW,
    )  # fmt: skip
    words = render("session_scheduled", "en", messages_for(ONE_OF_EACH[9])[0].params | {"partner_name": "Amina"}, "Asia/Bangkok")
    mail = build_mail(
        sender="Together <no-reply@t.example>", to="ravi@example.org", subject=words.subject, text=words.text,
        html=words.html, message_id="<notification-1@t.example>", date=NOW, language="en", calendar=Calendar(ics, "REQUEST"),
    )  # fmt: skip
    parsed = email.message_from_bytes(mail.as_bytes(), policy=policy.default)
    assert parsed["Message-ID"] == "<notification-1@t.example>"
    assert parsed["Content-Language"] == "en"
    assert parsed.get_content_type() == "multipart/mixed"
    types = [part.get_content_type() for part in parsed.walk()]
    assert types == ["multipart/mixed", "multipart/alternative", "text/plain", "text/html", "text/calendar", "application/ics"]
    calendar_part = next(p for p in parsed.walk() if p.get_content_type() == "text/calendar")
    assert calendar_part.get_param("method") == "REQUEST"
    attachment = next(p for p in parsed.walk() if p.get_content_type() == "application/ics")
    assert attachment.get_filename() == "invite.ics"
    [event] = icalendar.Calendar.from_ical(attachment.get_content()).walk("VEVENT")
    assert str(event["UID"]) == "session-1@together"
    assert event.decoded("DTSTART") == STARTS
    assert "2026-11-25 20:00 (Asia/Bangkok)" in parsed.get_body(("plain",)).get_content()
