"""What each message asks for, which later fact makes it moot, and what the programme team hears
of a pairing that ended early, in words, in each language."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from notifications.domain import actions
from notifications.domain.actions import DROPPED_WHEN_SETTLED, SETTLING_EVENTS, mailed_when_settled, settlements
from notifications.domain.languages import LANGUAGES
from notifications.domain.messages import ADDRESS_VERIFICATION, KINDS, messages_for, waits_to_settle
from notifications.domain.team import EARLY_ENDING_REASONS, PAIRING_ENDED_EARLY, early_ending_reason
from notifications.rendering import render
from together_contracts.pairing import (
    EndedBy,
    MentorAvailable,
    PairingEnded,
    PairingFormed,
    PreferencesExhausted,
    PreferencesSubmitted,
    RequestAccepted,
    RequestCancelled,
    RequestDeclined,
    RequestExpired,
    RequestReminderDue,
    RequestSent,
    RequestWithdrawn,
    WithdrawalReason,
)
from together_contracts.registration import CoachCredentialRejected, CoachCredentialSubmitted, CredentialKind, ParticipantAdmitted
from together_contracts.scheduling import CompletedBy, FeedbackGiven, NextSessionReminderDue, SessionCompleted, SessionScheduled

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
MENTEE, MENTOR = uuid.uuid4(), uuid.uuid4()
REQUEST, PAIRING, SESSION, COHORT, PROGRAMME = (uuid.uuid4() for _ in range(5))


def sent() -> RequestSent:
    return RequestSent(
        request_id=REQUEST, selection_id=uuid.uuid4(), mentee_id=MENTEE, mentor_id=MENTOR, cohort_id=COHORT, rank=1,
        reached_mentor_at=NOW, remind_at=NOW, expires_at=NOW,
    )  # fmt: skip


def formed() -> PairingFormed:
    return PairingFormed(
        pairing_id=PAIRING, request_id=REQUEST, mentee_id=MENTEE, mentor_id=MENTOR, cohort_id=COHORT, programme_id=PROGRAMME,
        mentee_person_id="ravi", mentor_person_id="amina", formed_at=NOW,
    )  # fmt: skip


def ended(by: EndedBy, *, withdrew: bool = False) -> PairingEnded:
    return PairingEnded(
        pairing_id=PAIRING, mentee_id=MENTEE, mentor_id=MENTOR, cohort_id=COHORT, ended_by=by, ended_at=NOW,
        participant_withdrew=withdrew,
    )  # fmt: skip


def asks(event) -> dict[str, str | None]:
    """Each message's kind and what it asks for."""
    return {m.kind: m.action for m in messages_for(event)}


def settled_keys(event) -> set[str]:
    return {s.key for s in settlements(event)}


def test_the_request_mails_ask_for_an_answer_which_every_end_of_the_request_settles():
    reminder = RequestReminderDue(request_id=REQUEST, mentee_id=MENTEE, mentor_id=MENTOR, expires_at=NOW, reminded_at=NOW)
    assert asks(sent()) == {"request_received": actions.answer(REQUEST)}
    assert asks(reminder) == {"request_reminder": actions.answer(REQUEST)}
    ids = {"request_id": REQUEST, "mentee_id": MENTEE, "mentor_id": MENTOR}
    cancelled = {"selection_id": uuid.uuid4(), "cohort_id": COHORT, "was_pending": True, "cancelled_at": NOW}
    endings = [
        RequestAccepted(**ids, pairing_id=PAIRING, accepted_at=NOW),
        RequestDeclined(**ids, declined_at=NOW),
        RequestExpired(**ids, expired_at=NOW),
        RequestWithdrawn(**ids, reason=WithdrawalReason.mentor_full, withdrawn_at=NOW),
        RequestCancelled(**ids, **cancelled, withdrawn_participant_id=MENTEE),
    ]
    for ending, word in zip(endings, ("accepted", "declined", "expired", "withdrawn", "cancelled"), strict=True):
        [settlement] = settlements(ending)
        assert settlement == actions.Settlement(actions.answer(REQUEST), f"the request was {word}")
    assert settled_keys(sent()) == set() and settled_keys(reminder) == set()  # asking again settles nothing


def test_choosing_mentors_is_settled_by_new_preferences_or_a_pairing():
    exhausted = PreferencesExhausted(selection_id=uuid.uuid4(), mentee_id=MENTEE, cohort_id=COHORT, exhausted_at=NOW)
    available = MentorAvailable(mentor_id=MENTOR, mentee_id=MENTEE, available_at=NOW)
    admitted = ParticipantAdmitted(participant_id=MENTEE, cohort_id=COHORT, programme_id=PROGRAMME, admitted_at=NOW)
    submitted = PreferencesSubmitted(selection_id=uuid.uuid4(), mentee_id=MENTEE, cohort_id=COHORT, ranked_mentor_ids=[MENTOR])
    assert asks(exhausted) == {"preferences_exhausted": actions.choose(MENTEE)}
    assert asks(admitted) == {"admitted_from_waitlist": actions.choose(MENTEE)}
    assert asks(available) == {"mentor_available": actions.ask_mentor(MENTEE)}
    assert settled_keys(submitted) == {actions.choose(MENTEE)}
    assert settled_keys(formed()) == {actions.choose(MENTEE), actions.ask_mentor(MENTEE)}
    # The mentee of an ended pairing may choose a new mentor; the mentor is asked nothing.
    to_mentee, _team = messages_for(ended(EndedBy.mentor))
    assert (to_mentee.recipient_id, to_mentee.action) == (MENTEE, actions.choose(MENTEE))
    to_mentor, _team = messages_for(ended(EndedBy.mentee))
    assert (to_mentor.recipient_id, to_mentor.action) == (MENTOR, None)


def test_booking_is_settled_by_a_session_booked_or_the_pairing_ended_and_rating_by_the_rating():
    reminder = NextSessionReminderDue(
        pairing_id=PAIRING, participant_ids=[MENTEE, MENTOR], after_session_id=SESSION, sessions_completed=1,
        sessions_planned=6, reminded_at=NOW,
    )  # fmt: skip
    completed = SessionCompleted(
        session_id=SESSION, pairing_id=PAIRING, participant_ids=[MENTEE, MENTOR], completed_at=NOW, completed_by=CompletedBy.marked_done
    )  # fmt: skip
    assert {m.action for m in messages_for(formed())} == {actions.book(PAIRING)}
    assert {m.action for m in messages_for(reminder)} == {actions.book(PAIRING)}
    assert {(m.recipient_id, m.action) for m in messages_for(completed)} == {
        (MENTEE, actions.rate(SESSION, MENTEE)),
        (MENTOR, actions.rate(SESSION, MENTOR)),
    }
    booked = SessionScheduled(
        session_id=uuid.uuid4(), pairing_id=PAIRING, participant_ids=[MENTEE, MENTOR], starts_at=NOW, time_zone="UTC", duration_minutes=60
    )  # fmt: skip
    assert settled_keys(booked) == {actions.book(PAIRING)}
    assert settled_keys(ended(EndedBy.mentee)) == {actions.book(PAIRING)}
    rated = FeedbackGiven(session_id=SESSION, pairing_id=PAIRING, participant_id=MENTOR, rating=4, given_at=NOW)
    assert settled_keys(rated) == {actions.rate(SESSION, MENTOR)}  # the partner's request to rate stands


def test_another_credential_settles_the_rejections_invitation_to_submit_one():
    ids = {"participant_id": MENTOR, "cohort_id": COHORT, "programme_id": PROGRAMME, "credential_id": uuid.uuid4()}
    rejected = CoachCredentialRejected(**ids, person_id="grace", reason="Expired.", rejected_at=NOW)
    submitted = CoachCredentialSubmitted(**ids, kind=CredentialKind.icf_certificate, submitted_at=NOW)
    assert asks(rejected) == {"coach_credential_rejected": actions.resubmit(MENTOR)}
    assert settled_keys(submitted) == {actions.resubmit(MENTOR)}


def test_only_a_message_that_is_nothing_but_its_action_is_dropped_the_others_keep_their_news():
    assert DROPPED_WHEN_SETTLED <= set(KINDS)
    for kind in ("request_received", "request_reminder", "preferences_exhausted", "feedback_requested", "next_session_reminder"):
        assert not mailed_when_settled(kind), kind
    for kind in ("pairing_formed", "pairing_ended", "coach_credential_rejected", "admitted_from_waitlist"):
        assert mailed_when_settled(kind), kind
    assert {RequestAccepted, PreferencesSubmitted, FeedbackGiven, CoachCredentialSubmitted} <= set(SETTLING_EVENTS)


def test_only_the_address_verification_goes_without_the_settling_window():
    assert not waits_to_settle(ADDRESS_VERIFICATION)
    assert all(waits_to_settle(kind) for kind in (*KINDS, PAIRING_ENDED_EARLY))


@pytest.mark.parametrize(
    ("by", "withdrew", "reason"),
    [
        (EndedBy.mentee, False, "mentee_ended"),
        (EndedBy.mentor, False, "mentor_ended"),
        (EndedBy.mentee, True, "mentee_withdrew"),
        (EndedBy.mentor, True, "mentor_withdrew"),
    ],
)
def test_the_programme_team_hears_of_every_early_end_with_its_reason(by, withdrew, reason):
    event = ended(by, withdrew=withdrew)
    assert early_ending_reason(event) == reason and reason in EARLY_ENDING_REASONS
    partner, team = messages_for(event)
    assert partner.kind == "pairing_ended" and partner.recipient_id == (MENTOR if by is EndedBy.mentee else MENTEE)
    # Addressed to the team of the mentee's programme; it names both partners and asks nothing.
    assert (team.kind, team.recipient_id, team.for_programme_team, team.action) == (PAIRING_ENDED_EARLY, MENTEE, True, None)
    assert team.names == {"mentee": MENTEE, "mentor": MENTOR}
    assert team.params == {
        "pairing_id": str(PAIRING), "mentee_id": str(MENTEE), "mentor_id": str(MENTOR), "reason": reason,
        "ended_at": NOW.isoformat(), "programme_kind": None, "session_rhythm": None,
    }  # fmt: skip


WHY = {
    "en": {
        "mentee_ended": "the mentee ended it and may ask for a new mentor",
        "mentor_ended": "the mentor ended it",
        "mentee_withdrew": "the mentee left the programme",
        "mentor_withdrew": "the mentor left the programme",
    },
    "fr": {
        "mentee_ended": "le mentoré y a mis fin et peut demander un nouveau mentor",
        "mentor_ended": "le mentor y a mis fin",
        "mentee_withdrew": "le mentoré a quitté le programme",
        "mentor_withdrew": "le mentor a quitté le programme",
    },
    "es": {
        "mentee_ended": "el mentorado le puso fin y puede pedir un nuevo mentor",
        "mentor_ended": "el mentor le puso fin",
        "mentee_withdrew": "el mentorado dejó el programa",
        "mentor_withdrew": "el mentor dejó el programa",
    },
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("reason", EARLY_ENDING_REASONS)
def test_the_teams_mail_says_who_when_why_and_where_the_note_is_never_the_note(language, reason):
    [by, how] = reason.split("_")
    _, team = messages_for(ended(EndedBy(by), withdrew=how == "withdrew"))
    params = {**team.params, "mentee_name": "Ravi Kumar", "mentor_name": "Amina Diallo", "programme_kind": "mentoring"}
    words = render(team.kind, language, params, None)
    assert "Ravi Kumar" in words.subject and "Amina Diallo" in words.subject
    assert WHY[language][reason] in words.text and f": {reason})" in words.text
    assert "2026-11-23 09:00 (UTC)" in words.text  # the team has no time zone: UTC, and it says so
    assert f"GET /pairings/{PAIRING}" in words.text and "note_to_programme_team" in words.text
    assert str(MENTEE) in words.text and str(MENTOR) in words.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_in_coaching_the_teams_mail_says_client_and_coach(language):
    _, team = messages_for(ended(EndedBy.mentor))
    words = render(
        team.kind, language, {**team.params, "mentee_name": None, "mentor_name": None, "programme_kind": "coaching"}, None
    )
    assert "coach" in words.text and {"en": "client", "fr": "client", "es": "cliente"}[language] in words.text
    assert "mentor " not in words.text


WORDS = {  # (what the mail asks, what the feed says once it is moot), per language
    "en": ("Please accept or decline", "there is nothing for you to do"),
    "fr": ("Veuillez accepter ou refuser", "vous n'avez rien à faire"),
    "es": ("Acepte o rechace", "no tiene nada que hacer"),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_moot_request_no_longer_asks_for_an_answer_by_its_deadline(language):
    [message] = messages_for(sent())
    asking = render(message.kind, language, message.params, "Europe/Zurich")
    moot = render(message.kind, language, {**message.params, "settled": True}, "Europe/Zurich")
    ask, nothing = WORDS[language]
    assert ask in asking.text and "2026-11-23 10:00 (Europe/Zurich)" in asking.text
    assert ask not in moot.text and "(Europe/Zurich)" not in moot.text and nothing in moot.text
    assert moot.subject == asking.subject


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_pairing_formed_after_the_first_booking_tells_the_news_without_asking_to_book(language):
    mentee_message = messages_for(formed())[0]
    params = {**mentee_message.params, "partner_name": "Amina", "session_rhythm": "twice a month"}
    asking = render(mentee_message.kind, language, params, None)
    booked = render(mentee_message.kind, language, {**params, "settled": True}, None)
    first_session = {"en": "book your first session", "fr": "réservez votre première séance", "es": "reserven su primera sesión"}
    assert first_session[language] in asking.text and first_session[language] not in booked.text
    assert "Amina" in booked.text and "twice a month" in booked.text and booked.subject == asking.subject
