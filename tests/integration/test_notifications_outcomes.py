"""The mails of a cohort's end and its outcomes, on the real broker, database and SMTP server: the
partners of a completed pairing, a lapsed request's mentee and (if it was in hand) mentor, the request
for each outcome and its reminder, which an answer makes moot whichever was read first, and the
programme team's mail that the outcomes report is ready.

Each test publishes the events to Kafka as pairing, scheduling and registration do, with the times the
facts happened; the real delivery worker hands the mails to a real SMTP server (aiosmtpd). The settling
window is the service's default, passed with the service's travelling clock.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.integration.test_notifications_delivery import Directory, World, notifications_world, plain, served
from tests.integration.test_notifications_order import (
    SETTLE,
    after_the_window,
    happened,
    mail_states,
    programme,
    request_sent,
    subjects,
    team_messages,
)
from together_contracts.pairing import CompletedBecause, MentorAvailable, PairingCompleted, RequestLapsed
from together_contracts.registration import CohortEnded, ProgrammeKind, Role
from together_contracts.scheduling import (
    FinalAssessmentGiven,
    NextSessionReminderDue,
    OutcomeKind,
    OutcomeReminderDue,
    OutcomeRequested,
    SurveyAnswered,
    SurveyKind,
)

pytestmark = pytest.mark.integration


@pytest.fixture
async def world(stack, create_database, signer, monkeypatch) -> AsyncIterator[World]:
    """Notifications with its default settling window; contacts from a server that answers like registration's."""
    directory = Directory(signer.public_key_file.read_bytes())
    async with served(directory.app()) as url:
        async with notifications_world(stack, create_database, signer, monkeypatch, directory, url, settle_seconds=SETTLE) as w:
            yield w


def completed(world: World, pairing: uuid.UUID, mentee: uuid.UUID, mentor: uuid.UUID, at: datetime) -> PairingCompleted:
    return PairingCompleted(
        pairing_id=pairing, mentee_id=mentee, mentor_id=mentor, cohort_id=world.cohort,
        reason=CompletedBecause.programme_ended, completed_at=at,
    )  # fmt: skip


def asked(world: World, who: uuid.UUID, kind: OutcomeKind, pairing: uuid.UUID | None, at: datetime) -> OutcomeRequested:
    return OutcomeRequested(
        participant_id=who,
        cohort_id=world.cohort,
        pairing_id=pairing,
        kind=kind,
        requested_at=at,
        remind_at=at + timedelta(days=7),
    )


def reminded(world: World, who: uuid.UUID, kind: OutcomeKind, pairing: uuid.UUID | None, at: datetime) -> OutcomeReminderDue:
    return OutcomeReminderDue(participant_id=who, cohort_id=world.cohort, pairing_id=pairing, kind=kind, reminded_at=at)


async def test_both_partners_hear_their_pairing_ended_with_the_programme_and_are_no_longer_asked_to_book(world: World):
    amina = await world.register("Amina", email="amina@un.test", language="fr", time_zone="Africa/Nairobi", role=Role.mentor)
    ravi = await world.register("Ravi", email="ravi@un.test", language="es", time_zone="Asia/Bangkok")
    pairing, t = uuid.uuid4(), datetime.now(UTC)
    booking_reminder = NextSessionReminderDue(
        pairing_id=pairing, participant_ids=[ravi, amina], after_session_id=uuid.uuid4(), sessions_completed=5,
        sessions_planned=6, reminded_at=t,
    )  # fmt: skip
    await happened(world, booking_reminder, t)
    await happened(world, completed(world, pairing, ravi, amina, t + timedelta(seconds=1)), t + timedelta(seconds=1))

    # The reminder to book the next session is moot: the pairing completed before its mail went out.
    for person in (amina, ravi):
        assert await mail_states(world, person) == [
            ("next_session_reminder", "skipped", "moot: the pairing ended with the programme"),
            ("pairing_completed", "pending", None),
        ]
    assert sorted(await after_the_window(world)) == ["sent", "sent"]
    [to_amina], [to_ravi] = world.mailbox.to("amina@un.test"), world.mailbox.to("ravi@un.test")
    assert to_amina["Subject"] == "Votre binôme avec Ravi a pris fin avec le programme"
    assert "Merci" in plain(to_amina) and "évaluation finale" in plain(to_amina)
    assert to_ravi["Subject"] == "Su pareja con Amina terminó con el programa"
    assert "Gracias" in plain(to_ravi) and "encuesta posterior al programa" in plain(to_ravi)


async def test_a_lapsed_request_tells_the_mentee_and_the_mentor_who_had_it_and_drops_the_unsent_request(world: World):
    amina = await world.register("Amina", email="amina@un.test", language="en", time_zone="UTC", role=Role.mentor)
    omar = await world.register("Omar", email="omar@un.test", language="en", time_zone="UTC", role=Role.mentor)
    ravi = await world.register("Ravi", email="ravi@un.test", language="fr", time_zone="Asia/Bangkok")
    lina = await world.register("Lina", email="lina@un.test", language="en", time_zone="Europe/Zurich")
    ravis, linas, t = uuid.uuid4(), uuid.uuid4(), datetime.now(UTC)
    await happened(world, request_sent(ravis, ravi, amina, t), t)  # reached Amina a moment before the end
    await happened(world, MentorAvailable(mentor_id=omar, mentee_id=ravi, available_at=t), t)  # Ravi follows Omar

    def lapsed(request: uuid.UUID, mentee: uuid.UUID, mentor: uuid.UUID, *, was_pending: bool) -> RequestLapsed:
        return RequestLapsed(
            request_id=request, selection_id=uuid.uuid4(), mentee_id=mentee, mentor_id=mentor, cohort_id=world.cohort,
            was_pending=was_pending, lapsed_at=t + timedelta(seconds=1),
        )  # fmt: skip

    await happened(world, lapsed(ravis, ravi, amina, was_pending=True), t + timedelta(seconds=1))
    await happened(
        world, lapsed(linas, lina, omar, was_pending=False), t + timedelta(seconds=1)
    )  # still waiting: Omar never saw it

    assert await mail_states(world, amina) == [
        ("request_received", "skipped", "moot: the request lapsed: the cohort ended"),
        ("request_lapsed", "pending", None),
    ]
    assert await mail_states(world, omar) == []
    assert await mail_states(world, ravi) == [
        ("mentor_available", "skipped", "moot: the request lapsed: the cohort ended"),
        ("request_lapsed", "pending", None),
    ]
    assert sorted(await after_the_window(world)) == ["sent"] * 3
    [to_amina] = world.mailbox.to("amina@un.test")  # never "please accept or decline"
    assert to_amina["Subject"] == "A request no longer needs your answer"
    assert "Ravi sent you no longer needs an answer" in plain(to_amina) and "nothing for you to do" in plain(to_amina)
    assert subjects(world, "ravi@un.test") == ["Votre demande restera sans réponse : le programme est terminé"]
    assert "Aucun autre choix ne sera sollicité" in plain(world.mailbox.to("ravi@un.test")[0])
    [to_lina] = world.mailbox.to("lina@un.test")
    assert "Your request to Omar will not be answered" in plain(to_lina)
    assert world.mailbox.to("omar@un.test") == []


async def test_each_outcome_is_asked_for_with_where_to_give_it(world: World):
    ravi = await world.register("Ravi", email="ravi@un.test", language="en", time_zone="Asia/Bangkok")
    lina = await world.register("Lina", email="lina@un.test", language="es", time_zone="Europe/Zurich")
    pairing, t = uuid.uuid4(), datetime.now(UTC)
    await happened(world, asked(world, ravi, OutcomeKind.pre_survey, None, t), t)
    await happened(world, asked(world, lina, OutcomeKind.post_survey, pairing, t), t)
    await happened(
        world, asked(world, ravi, OutcomeKind.final_assessment, pairing, t + timedelta(seconds=1)), t + timedelta(seconds=1)
    )

    assert sorted(await after_the_window(world)) == ["sent"] * 3
    assert subjects(world, "ravi@un.test") == [
        "Please answer the pre-programme survey",
        "Please give the final assessment of your pairing",
    ]
    pre, final = (plain(m) for m in world.mailbox.to("ravi@un.test"))
    assert f"PUT /participants/{ravi}/surveys/pre in the scheduling service" in pre
    assert f"PUT /pairings/{pairing}/assessment in the scheduling service" in final
    [to_lina] = world.mailbox.to("lina@un.test")
    assert to_lina["Subject"] == "Responda la encuesta posterior al programa"
    assert f"PUT /participants/{lina}/surveys/post en el servicio scheduling" in plain(to_lina)


async def test_an_answer_given_before_the_reminder_means_no_reminder_mail(world: World):
    """Ravi was asked for the post-programme survey, answered it, and a week later scheduling's reminder
    fact still came (it was due before it read the answer): no mail reminds him."""
    ravi = await world.register("Ravi", email="ravi@un.test", language="en", time_zone="Asia/Bangkok")
    pairing, t = uuid.uuid4(), datetime.now(UTC)
    await happened(world, asked(world, ravi, OutcomeKind.post_survey, pairing, t), t)
    assert await after_the_window(world) == ["sent"]
    answered = SurveyAnswered(
        participant_id=ravi, cohort_id=world.cohort, survey=SurveyKind.post, confidence=4, satisfaction=5,
        answered_at=t + timedelta(seconds=1),
    )  # fmt: skip
    await happened(world, answered, t + timedelta(seconds=1))
    await happened(
        world, reminded(world, ravi, OutcomeKind.post_survey, pairing, t + timedelta(seconds=2)), t + timedelta(seconds=2)
    )

    assert await mail_states(world, ravi) == [
        ("outcome_requested", "sent", None),
        ("outcome_reminder", "skipped", "moot: the survey was answered"),
    ]
    world.travel(SETTLE + 1)
    assert await world.worker.run_due() == []
    assert subjects(world, "ravi@un.test") == ["Please answer the post-programme survey"]
    feed = (
        await world.http.get(f"/participants/{ravi}/notifications", headers=world.signer.headers("Ravi", "participant"))
    ).json()
    assert "You have already answered" in feed[-1]["body"] and "PUT /" not in feed[-1]["body"]


async def test_an_assessment_read_after_its_reminder_still_settles_it_but_not_the_partners(world: World):
    """Across partitions: the assessment (keyed by the pairing) is read after the reminder (keyed by the
    participant) was recorded, though it was given first. Amina gave hers; Ravi, who did not, is reminded."""
    amina = await world.register("Amina", email="amina@un.test", language="fr", time_zone="Africa/Nairobi", role=Role.mentor)
    ravi = await world.register("Ravi", email="ravi@un.test", language="en", time_zone="Asia/Bangkok")
    pairing, t = uuid.uuid4(), datetime.now(UTC)
    for person in (amina, ravi):
        await happened(
            world,
            reminded(world, person, OutcomeKind.final_assessment, pairing, t + timedelta(seconds=1)),
            t + timedelta(seconds=1),
        )
    given = FinalAssessmentGiven(
        pairing_id=pairing, cohort_id=world.cohort, participant_id=amina, items_rated=4, items_met=3, given_at=t
    )
    await happened(world, given, t)

    assert await mail_states(world, amina) == [("outcome_reminder", "skipped", "moot: the final assessment was given")]
    assert await after_the_window(world) == ["sent"]
    assert world.mailbox.to("amina@un.test") == []
    [to_ravi] = world.mailbox.to("ravi@un.test")
    assert to_ravi["Subject"] == "Reminder: the final assessment of your pairing"
    assert f"PUT /pairings/{pairing}/assessment" in plain(to_ravi)


async def test_a_persons_mails_of_the_end_follow_the_facts(world: World):
    """Scheduling's request for the assessment is read before pairing's completion that caused it: the
    completion's mail still comes first, then the requests, in the order they were made."""
    amina = await world.register("Amina", email="amina@un.test", language="en", time_zone="Africa/Nairobi", role=Role.mentor)
    ravi = await world.register("Ravi", email="ravi@un.test", language="en", time_zone="Asia/Bangkok")
    pairing, t = uuid.uuid4(), datetime.now(UTC)
    await happened(
        world, asked(world, ravi, OutcomeKind.post_survey, pairing, t + timedelta(seconds=2)), t + timedelta(seconds=2)
    )
    await happened(
        world, asked(world, ravi, OutcomeKind.final_assessment, pairing, t + timedelta(seconds=1)), t + timedelta(seconds=1)
    )
    await happened(world, completed(world, pairing, ravi, amina, t), t)

    assert sorted(await after_the_window(world)) == ["sent"] * 4  # four lanes, but one at a time per person
    assert subjects(world, "ravi@un.test") == [
        "Your pairing with Amina ended with the programme",
        "Please give the final assessment of your pairing",
        "Please answer the post-programme survey",
    ]


async def test_the_programme_team_is_told_the_outcomes_report_is_ready_when_the_cohort_ends(world: World):
    await world.publish(programme(world, ProgrammeKind.mentoring, team_mailbox="mentoring@un.test"))
    t = datetime.now(UTC)
    ended = CohortEnded(cohort_id=world.cohort, programme_id=world.programme, ends_on=date(2027, 6, 30), ended_at=t)
    await happened(world, ended, t)

    [recorded] = await team_messages(world)
    assert (recorded["programme_id"], recorded["kind"]) == (str(world.programme), "outcomes_report_ready")
    assert await after_the_window(world) == ["sent"]
    [to_team] = world.mailbox.to("mentoring@un.test")
    words = plain(to_team)
    assert to_team["Subject"] == "A cohort ended: its outcomes report is ready"
    assert re.findall(r"GET (/cohorts/[0-9a-f-]+/outcomes(?:\.csv)?)", words) == [
        f"/cohorts/{world.cohort}/outcomes",
        f"/cohorts/{world.cohort}/outcomes.csv",
    ]
    assert "2027-06-30" in words
