"""The end of a cohort and its outcomes: who is told what, what each message asks for and which answer
makes it moot (whichever came first), in words, in each language."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime

import pytest

from notifications.domain import actions
from notifications.domain.actions import SETTLING_EVENTS, mailed_when_settled, settled_for_good, settlements
from notifications.domain.languages import LANGUAGES
from notifications.domain.messages import KINDS, messages_for
from notifications.domain.outcomes import OUTCOME_EVENTS, OUTCOME_KINDS, outcome_messages
from notifications.domain.team import OUTCOMES_REPORT_READY, TEAM_KINDS
from notifications.rendering import render
from together_contracts.pairing import CompletedBecause, PairingCompleted, RequestLapsed
from together_contracts.registration import CohortEnded
from together_contracts.scheduling import (
    FinalAssessmentGiven,
    OutcomeKind,
    OutcomeReminderDue,
    OutcomeRequested,
    SurveyAnswered,
    SurveyKind,
)

NOW = datetime(2027, 6, 30, 23, 59, tzinfo=UTC)
MENTEE, MENTOR = uuid.uuid4(), uuid.uuid4()
REQUEST, PAIRING, COHORT, PROGRAMME = (uuid.uuid4() for _ in range(4))


def completed() -> PairingCompleted:
    return PairingCompleted(
        pairing_id=PAIRING, mentee_id=MENTEE, mentor_id=MENTOR, cohort_id=COHORT, reason=CompletedBecause.programme_ended,
        completed_at=NOW,
    )  # fmt: skip


def lapsed(*, was_pending: bool) -> RequestLapsed:
    return RequestLapsed(
        request_id=REQUEST, selection_id=uuid.uuid4(), mentee_id=MENTEE, mentor_id=MENTOR, cohort_id=COHORT,
        was_pending=was_pending, lapsed_at=NOW,
    )  # fmt: skip


def requested(kind: OutcomeKind, who: uuid.UUID = MENTEE) -> OutcomeRequested:
    pairing = None if kind == OutcomeKind.pre_survey else PAIRING
    return OutcomeRequested(participant_id=who, cohort_id=COHORT, pairing_id=pairing, kind=kind, requested_at=NOW, remind_at=NOW)


def reminder(kind: OutcomeKind, who: uuid.UUID = MENTEE) -> OutcomeReminderDue:
    pairing = None if kind == OutcomeKind.pre_survey else PAIRING
    return OutcomeReminderDue(participant_id=who, cohort_id=COHORT, pairing_id=pairing, kind=kind, reminded_at=NOW)


def cohort_ended() -> CohortEnded:
    return CohortEnded(cohort_id=COHORT, programme_id=PROGRAMME, ends_on=date(2027, 6, 30), ended_at=NOW)


ONE_OF_EACH = [
    completed(),
    lapsed(was_pending=True),
    *(requested(kind) for kind in OutcomeKind),
    *(reminder(kind) for kind in OutcomeKind),
    cohort_ended(),
]


def test_every_event_of_a_cohorts_end_tells_someone_and_its_kinds_are_a_participants_choice():
    assert {type(e) for e in ONE_OF_EACH} == set(OUTCOME_EVENTS)
    assert {m.kind for e in ONE_OF_EACH for m in outcome_messages(e)} == {*OUTCOME_KINDS, OUTCOMES_REPORT_READY}
    assert set(OUTCOME_KINDS) <= set(KINDS) and OUTCOMES_REPORT_READY in TEAM_KINDS
    assert all(messages_for(e) == [] for e in ONE_OF_EACH)  # told here alone, never twice


def test_both_partners_hear_that_their_pairing_ended_with_the_programme():
    told = [(m.recipient_id, m.kind, m.params["is_mentee"], m.names, m.action) for m in outcome_messages(completed())]
    assert told == [
        (MENTEE, "pairing_completed", True, {"partner": MENTOR}, None),
        (MENTOR, "pairing_completed", False, {"partner": MENTEE}, None),
    ]


def test_a_lapsed_request_tells_the_mentee_and_the_mentor_only_if_it_was_in_their_hands():
    assert [(m.recipient_id, m.params["is_mentee"]) for m in outcome_messages(lapsed(was_pending=True))] == [
        (MENTEE, True),
        (MENTOR, False),
    ]
    assert [m.recipient_id for m in outcome_messages(lapsed(was_pending=False))] == [MENTEE]
    assert all(m.action is None for m in outcome_messages(lapsed(was_pending=True)))  # nothing left to do


def test_a_lapsed_request_and_a_completed_pairing_settle_the_answer_and_the_booking_they_made_moot():
    assert [s.key for s in settlements(lapsed(was_pending=True))] == [
        actions.answer(REQUEST),
        actions.choose(MENTEE),  # nor is the mentee asked to choose or ask mentors any more
        actions.ask_mentor(MENTEE),
    ]
    assert [s.key for s in settlements(completed())] == [actions.book(PAIRING)]
    assert not settled_for_good(actions.answer(REQUEST))  # a later request asks again


@pytest.mark.parametrize("kind", list(OutcomeKind))
def test_an_outcome_request_and_its_reminder_ask_for_one_thing_which_its_answer_settles_for_good(kind):
    [asked] = outcome_messages(requested(kind))
    [reminded] = outcome_messages(reminder(kind))
    assert asked.action == reminded.action and settled_for_good(asked.action)
    assert not mailed_when_settled(asked.kind) and not mailed_when_settled(reminded.kind)
    survey = {OutcomeKind.pre_survey: SurveyKind.pre, OutcomeKind.post_survey: SurveyKind.post}.get(kind)
    if survey is not None:
        answer = SurveyAnswered(participant_id=MENTEE, cohort_id=COHORT, survey=survey, confidence=4, answered_at=NOW)
    else:
        answer = FinalAssessmentGiven(
            pairing_id=PAIRING, cohort_id=COHORT, participant_id=MENTEE, items_rated=3, items_met=2, given_at=NOW
        )
    assert [s.key for s in settlements(answer)] == [asked.action]
    assert {SurveyAnswered, FinalAssessmentGiven, PairingCompleted, RequestLapsed} <= set(SETTLING_EVENTS)


def test_an_answer_settles_only_its_own_survey_cohort_and_person():
    pre = SurveyAnswered(participant_id=MENTEE, cohort_id=COHORT, survey=SurveyKind.pre, confidence=3, answered_at=NOW)
    [post_asked] = outcome_messages(requested(OutcomeKind.post_survey))
    [partners] = outcome_messages(requested(OutcomeKind.final_assessment, MENTOR))
    given = FinalAssessmentGiven(
        pairing_id=PAIRING, cohort_id=COHORT, participant_id=MENTEE, items_rated=3, items_met=3, given_at=NOW
    )
    assert post_asked.action not in {s.key for s in settlements(pre)}
    assert partners.action not in {s.key for s in settlements(given)}  # each partner gives their own


def test_a_final_assessment_asked_about_no_pairing_cannot_be_handled():
    broken = OutcomeRequested(participant_id=MENTEE, cohort_id=COHORT, kind=OutcomeKind.final_assessment, requested_at=NOW)
    with pytest.raises(ValueError, match="about a pairing"):
        outcome_messages(broken)  # the consumer sets the record aside (dead letter)


def test_the_teams_message_goes_to_the_programme_named_by_the_cohorts_end():
    [message] = outcome_messages(cohort_ended())
    assert (message.recipient_id, message.programme_id, message.for_programme_team) == (PROGRAMME, PROGRAMME, True)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("event", ONE_OF_EACH, ids=lambda e: f"{type(e).__name__}-{getattr(e, 'kind', '')}")
def test_every_message_renders_in_every_language(event, language):
    for message in outcome_messages(event):
        params = {**message.params, **{f"{role}_name": "Amina Diallo" for role in message.names}}
        for settled in (False, True) if message.action else (False,):
            words = render(message.kind, language, {**params, "settled": settled}, "Asia/Bangkok")
            assert words.language == language
            assert words.subject and "\n" not in words.subject
            assert words.text.strip() and "{{" not in words.text and "\n\n\n" not in words.text
            assert not re.search(r"[ (:]None\b", words.subject + words.text), "an empty value printed as None"
            if message.action and not settled:
                assert re.search(r"PUT /(pairings|participants)/[0-9a-f-]{36}/(assessment|surveys/(pre|post))", words.text)
            if message.action and settled:
                assert "PUT /" not in words.text  # nothing left to do: no address to do it at


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_pairing_mail_names_the_partner_and_thanks_and_announces_the_outcomes(language):
    [to_mentee, _] = outcome_messages(completed())
    words = render(to_mentee.kind, language, {**to_mentee.params, "partner_name": "Amina Diallo"}, None)
    assert "Amina Diallo" in words.subject and "Amina Diallo" in words.text
    thanks, assessment, survey = {
        "en": ("Thank you", "final assessment", "post-programme survey"),
        "fr": ("Merci", "évaluation finale", "questionnaire de fin de programme"),
        "es": ("Gracias", "evaluación final", "encuesta posterior al programa"),
    }[language]
    assert thanks in words.text and assessment in words.text and survey in words.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_teams_mail_names_the_reports_routes(language):
    [message] = outcome_messages(cohort_ended())
    words = render(message.kind, language, message.params, None)
    assert f"GET /cohorts/{COHORT}/outcomes," in words.text and f"GET /cohorts/{COHORT}/outcomes.csv" in words.text
    assert "2027-06-30" in words.text and "(UTC)" in words.text
