"""A person's mails in the order of the facts, no mail asking for what is moot, and the programme team
told of every pairing that ends early: on the real broker, database and SMTP server.

Each test publishes events to Kafka as the other services do, with the times the facts happened, and
in the order that reproduces what readers saw: an event of another partition or topic reaches
notifications' real consumer before an earlier fact's. The mails the real delivery worker hands to
a real SMTP server (aiosmtpd) are read back in the order they arrived. The settling window is the
service's default (5 s), passed with the service's travelling clock.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from notifications.delivery import NO_TEAM_MAILBOX
from notifications.settings import NotificationsSettings
from notifications.tables import deliveries, notifications
from pairing.consumers import handlers as pairing_handlers
from registration.domain.programme_rules import default_rules
from tests.apps import client, service_app
from tests.http.access import deliver, envelope_of, registered
from tests.integration.test_notifications_delivery import Directory, World, notifications_world, plain, served
from tests.integration.test_pairing_lifecycle import Cohort, open_cohort
from tests.kafka_tools import wait_until
from together_contracts.pairing import (
    EndedBy,
    PairingEnded,
    PairingFormed,
    PreferencesExhausted,
    PreferencesSubmitted,
    RequestAccepted,
    RequestDeclined,
    RequestSent,
)
from together_contracts.registration import ProgrammeCreated, ProgrammeKind, ProgrammeRulesChanged, Role
from together_contracts.scheduling import SessionScheduled
from together_events import Envelope, Event
from together_events.tables import outbox_table
from together_servicekit.jobs import JobPoller

pytestmark = pytest.mark.integration

SETTLE = NotificationsSettings.model_fields["delivery_settle_seconds"].default


@pytest.fixture
async def world(stack, create_database, signer, monkeypatch) -> AsyncIterator[World]:
    """Notifications with its default settling window; contacts from a server that answers like registration's."""
    directory = Directory(signer.public_key_file.read_bytes())
    async with served(directory.app()) as url:
        async with notifications_world(stack, create_database, signer, monkeypatch, directory, url, settle_seconds=SETTLE) as w:
            yield w


async def happened(world: World, event: Event, at: datetime) -> Envelope:
    """Publish `event` as the fact that happened `at`, and wait until notifications handled it."""
    [envelope] = await world.publish(event, envelope=envelope_of(event).model_copy(update={"time": at}))
    await wait_until(lambda: handled(world, envelope.id), what=f"notifications to handle {type(event).__name__}")
    return envelope


async def handled(world: World, event_id: str) -> bool:
    async with world.runtime.engine.connect() as conn:
        query = sa.text("SELECT 1 FROM inbox WHERE consumer = 'notifications' AND event_id = :id")
        return (await conn.execute(query, {"id": event_id})).first() is not None


async def mail_states(world: World, recipient: uuid.UUID) -> list[tuple[str, str, str | None]]:
    """(kind, delivery state, reason) of each message to `recipient`, in the order of the facts."""
    async with world.runtime.engine.connect() as conn:
        rows = await conn.execute(
            sa.select(notifications.c.kind, deliveries.c.state, deliveries.c.last_error)
            .select_from(notifications.join(deliveries, deliveries.c.notification_id == notifications.c.id))
            .where(notifications.c.recipient_id == recipient)
            .order_by(notifications.c.occurred_at)
        )
        return [tuple(row) for row in rows]


async def waiting_windows(world: World) -> set[timedelta]:
    """How long each mail still waiting was held back after it was recorded."""
    async with world.runtime.engine.connect() as conn:
        rows = await conn.execute(
            sa.select(deliveries.c.next_attempt_at - deliveries.c.created_at).where(deliveries.c.state == "pending")
        )
        return set(rows.scalars())


async def after_the_window(world: World, *, lanes: int | None = None) -> list[str]:
    """Nothing goes before the settling window has passed; then the worker sends what is due, with the
    service's lanes (4), or `lanes`: with one, the order of the claims alone decides the order of arrival."""
    assert await waiting_windows(world) == {timedelta(seconds=SETTLE)}
    world.travel(SETTLE + 1)
    worker = world.worker if lanes is None else JobPoller.for_runtime(world.runtime, world.mail, poll_interval=1.0, lanes=lanes)
    return await worker.run_due()


def subjects(world: World, address: str) -> list[str]:
    return [m["Subject"] for m in world.mailbox.to(address)]


def request_sent(request: uuid.UUID, mentee: uuid.UUID, mentor: uuid.UUID, at: datetime) -> RequestSent:
    return RequestSent(
        request_id=request, selection_id=uuid.uuid4(), mentee_id=mentee, mentor_id=mentor, cohort_id=uuid.uuid4(), rank=1,
        reached_mentor_at=at, remind_at=at + timedelta(hours=48), expires_at=at + timedelta(days=3),
    )  # fmt: skip


def formed(
    world: World, pairing: uuid.UUID, request: uuid.UUID, mentee: uuid.UUID, mentor: uuid.UUID, at: datetime
) -> PairingFormed:
    return PairingFormed(
        pairing_id=pairing, request_id=request, mentee_id=mentee, mentor_id=mentor, cohort_id=world.cohort,
        programme_id=world.programme, mentee_person_id="mentee", mentor_person_id="mentor", formed_at=at,
    )  # fmt: skip


async def test_a_mentor_hears_of_the_pairing_before_the_next_request_and_is_not_asked_to_answer_the_accepted_one(world: World):
    """What a mentor saw: "you are paired" before "a mentee asks you to be their mentor", which still asked
    her to accept or decline by a deadline. Ravi's request reached Amina, she accepted it, the pairing
    formed and Lina's waiting request reached her (she takes two). Notifications reads Lina's request
    (its partition) first, then the pairing, then Ravi's request and its acceptance."""
    amina = await world.register("Amina", email="amina@un.test", language="en", time_zone="Africa/Nairobi", role=Role.mentor)
    ravi = await world.register("Ravi", email="ravi@un.test", language="en", time_zone="Asia/Bangkok")
    lina = await world.register("Lina", email="lina@un.test", language="en", time_zone="Europe/Zurich")
    ravis, linas, pairing = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    t = datetime.now(UTC)
    await happened(world, request_sent(linas, lina, amina, t + timedelta(seconds=3)), t + timedelta(seconds=3))
    await happened(world, formed(world, pairing, ravis, ravi, amina, t + timedelta(seconds=2)), t + timedelta(seconds=2))
    await happened(world, request_sent(ravis, ravi, amina, t), t)
    accepted = RequestAccepted(request_id=ravis, mentee_id=ravi, mentor_id=amina, pairing_id=pairing, accepted_at=t)
    await happened(world, accepted, t + timedelta(seconds=1))

    # Ravi's request was accepted before its mail went out: that mail is not sent; the feed says why.
    assert await mail_states(world, amina) == [
        ("request_received", "skipped", "moot: the request was accepted"),
        ("pairing_formed", "pending", None),
        ("request_received", "pending", None),
    ]
    feed = (
        await world.http.get(f"/participants/{amina}/notifications", headers=world.signer.headers("Amina", "participant"))
    ).json()
    [moot] = [n for n in feed if n["email"] == "skipped"]
    assert "accept or decline" not in moot["body"] and "there is nothing for you to do" in moot["body"]

    assert sorted(await after_the_window(world, lanes=1)) == ["sent"] * 3
    # In the order of the facts, though Lina's request was read first; Lina's still asks for an answer.
    assert subjects(world, "amina@un.test") == ["You are paired with Ravi", "A mentee asks you to be their mentor"]
    request_mail = plain(world.mailbox.to("amina@un.test")[1])
    assert "Please accept or decline in the Together app by" in request_mail
    assert subjects(world, "ravi@un.test") == ["You are paired with Amina"]


async def test_a_mentee_is_told_of_the_fifth_refusal_before_being_asked_for_new_mentors(world: World):
    """What a mentee saw: "please choose new mentors" before the fifth "your request was not accepted"."""
    ravi = await world.register("Ravi", email="ravi@un.test", language="fr", time_zone="Asia/Bangkok")
    mentors = [
        await world.register(f"Mentor {n}", email=None, language="en", time_zone="UTC", role=Role.mentor) for n in range(5)
    ]
    t = datetime.now(UTC)
    declines = [
        RequestDeclined(request_id=uuid.uuid4(), mentee_id=ravi, mentor_id=mentor, declined_at=t + timedelta(seconds=n))
        for n, mentor in enumerate(mentors)
    ]
    for n, decline in enumerate(declines[:4]):
        await happened(world, decline, t + timedelta(seconds=n))
    assert await after_the_window(world) == ["sent"] * 4
    # The fifth decline and the exhaustion it caused: notifications reads the selection's partition first.
    exhausted = PreferencesExhausted(selection_id=uuid.uuid4(), mentee_id=ravi, cohort_id=world.cohort, exhausted_at=t)
    await happened(world, exhausted, t + timedelta(seconds=5))
    await happened(world, declines[4], t + timedelta(seconds=4))

    assert sorted(await after_the_window(world, lanes=1)) == ["sent", "sent"]
    assert subjects(world, "ravi@un.test") == ["Votre demande n'a pas été acceptée"] * 5 + [
        "Veuillez choisir de nouveaux mentors"
    ]
    assert "Veuillez choisir jusqu'à cinq nouveaux mentors" in plain(world.mailbox.to("ravi@un.test")[-1])


async def test_a_mentee_who_chose_new_mentors_before_the_mail_went_is_not_asked_to(world: World):
    lina = await world.register("Lina", email="lina@un.test", language="es", time_zone="Europe/Zurich")
    mentor = await world.register("Amina", email="amina@un.test", language="en", time_zone="UTC", role=Role.mentor)
    t = datetime.now(UTC)
    exhausted = PreferencesExhausted(selection_id=uuid.uuid4(), mentee_id=lina, cohort_id=world.cohort, exhausted_at=t)
    chose = PreferencesSubmitted(selection_id=uuid.uuid4(), mentee_id=lina, cohort_id=world.cohort, ranked_mentor_ids=[mentor])
    # Read in this order or the other, the choice settles the earlier request to choose.
    await happened(world, chose, t + timedelta(seconds=1))
    await happened(world, exhausted, t)
    assert await mail_states(world, lina) == [("preferences_exhausted", "skipped", "moot: the mentee submitted preferences")]
    world.travel(SETTLE + 1)
    assert await world.worker.run_due() == []
    assert world.mailbox.mails == []


async def test_a_session_booked_before_the_pairings_mail_went_comes_after_it_without_asking_to_book(world: World):
    """Across topics: scheduling's booking is read before pairing's PairingFormed."""
    amina = await world.register("Amina", email="amina@un.test", language="en", time_zone="Africa/Nairobi", role=Role.mentor)
    ravi = await world.register("Ravi", email="ravi@un.test", language="es", time_zone="Asia/Bangkok")
    pairing, t = uuid.uuid4(), datetime.now(UTC)
    booked = SessionScheduled(
        session_id=uuid.uuid4(), pairing_id=pairing, participant_ids=[ravi, amina], starts_at=t + timedelta(days=2),
        time_zone="Africa/Nairobi", duration_minutes=45, organiser_id=ravi, calendar_uid=f"s-{pairing}@together",
    )  # fmt: skip
    await happened(world, booked, t + timedelta(seconds=1))
    await happened(world, formed(world, pairing, uuid.uuid4(), ravi, amina, t), t)

    assert sorted(await after_the_window(world)) == ["sent"] * 4
    assert [s.split(":")[0] for s in subjects(world, "amina@un.test")] == ["You are paired with Ravi", "Session booked"]
    assert [s.split(":")[0] for s in subjects(world, "ravi@un.test")] == ["Ya forman pareja con Amina", "Sesión reservada"]
    assert "book your first session" not in plain(world.mailbox.to("amina@un.test")[0])
    assert "reserven su primera sesión" not in plain(world.mailbox.to("ravi@un.test")[0])


async def test_a_later_mail_waits_while_an_earlier_one_to_the_same_person_is_retried(world: World):
    ravi = await world.register("Ravi", email="ravi@un.test", language="en", time_zone="UTC")
    amina = await world.register("Amina", email="amina@un.test", language="en", time_zone="UTC", role=Role.mentor)
    t = datetime.now(UTC)
    await happened(world, RequestDeclined(request_id=uuid.uuid4(), mentee_id=ravi, mentor_id=amina, declined_at=t), t)
    exhausted = PreferencesExhausted(selection_id=uuid.uuid4(), mentee_id=ravi, cohort_id=world.cohort, exhausted_at=t)
    await happened(world, exhausted, t + timedelta(seconds=1))
    world.mailbox.refusals = ["451 4.3.0 Try again later"]
    assert await after_the_window(world) == ["retry"]  # the second waits for the first: four lanes, one mail
    assert await mail_states(world, ravi) == [
        ("request_not_accepted", "pending", "451 4.3.0 Try again later"),
        ("preferences_exhausted", "pending", None),
    ]
    world.travel(61)
    assert await world.worker.run_due() == ["sent", "sent"]
    assert subjects(world, "ravi@un.test") == ["Your request was not accepted", "Please choose new mentors"]


def programme(world: World, kind: ProgrammeKind, *, team_mailbox: str | None) -> ProgrammeCreated:
    rules = default_rules(kind).model_copy(update={"team_mailbox": team_mailbox})
    return ProgrammeCreated(programme_id=world.programme, name="Together 2027", kind=kind, suggestions_per_mentee=5, rules=rules)


async def team_messages(world: World) -> list[dict]:
    """The TeamNotificationRecorded events in notifications' outbox."""
    async with world.runtime.engine.connect() as conn:
        rows = await conn.execute(
            sa.select(outbox_table.c.envelope).where(
                outbox_table.c.event_type == "together.notifications.TeamNotificationRecorded.v1"
            )
        )
        return [envelope["data"] for envelope in rows.scalars()]


async def test_a_pairing_ended_early_in_pairing_is_mailed_to_the_team_which_reads_the_note_there(
    stack, create_database, signer, monkeypatch
):
    """The whole way: the mentee ends the pairing in pairing's real app with a note for the team; pairing's
    outbox goes to Kafka; notifications mails the programme team's mailbox (from the programme's rules)
    who, why and where the note is; the team follows it and reads the note in pairing, and the note is in
    no mail and no event."""
    directory = Directory(signer.public_key_file.read_bytes())
    async with contextlib.AsyncExitStack() as opened:
        url = await opened.enter_async_context(served(directory.app()))
        world = await opened.enter_async_context(
            notifications_world(stack, create_database, signer, monkeypatch, directory, url, settle_seconds=SETTLE)
        )
        app, pairing_runtime = await opened.enter_async_context(
            service_app("pairing", await create_database("order_pairing"), stack.kafka_bootstrap, signer)
        )
        http = await opened.enter_async_context(client(app))
        cohort = Cohort(http, pairing_runtime, signer)
        cohort.id, cohort.programme = world.cohort, world.programme
        await open_cohort(cohort, ProgrammeKind.mentoring)
        await world.publish(programme(world, ProgrammeKind.mentoring, team_mailbox="mentoring@un.test"))

        async def join(name: str, role: Role, grade: str, language: str) -> uuid.UUID:
            event = registered(
                name, world.programme, world.cohort, role, mentor_capacity=1 if role == Role.mentor else None, grade=grade
            )
            event = event.model_copy(update={"profile": event.profile.model_copy(update={"display_name": name})})
            await deliver(pairing_runtime, pairing_handlers(pairing_runtime), event)
            directory.contacts[event.participant_id] = {
                "email": f"{name.lower()}@un.test", "display_name": name, "preferred_language": language, "withdrawn": False
            }  # fmt: skip
            await world.publish(event)
            cohort.person[event.participant_id] = name
            return event.participant_id

        amina, ravi = await join("Amina", Role.mentor, "P-5", "fr"), await join("Ravi", Role.mentee, "G-5", "en")
        await cohort.prefer(ravi, amina)
        request = await cohort.pending_for(amina)
        accepted = await http.post(f"/requests/{request['id']}/accept", headers=cohort.as_(amina))
        assert accepted.status_code == 200, accepted.text
        pairing_id = accepted.json()["pairing_id"]
        end = {"message_to_partner": "Thank you, our goals drifted apart.", "note_to_programme_team": "Schedules never matched."}
        assert (await http.post(f"/pairings/{pairing_id}/end", json=end, headers=cohort.as_(ravi))).status_code == 204
        assert await pairing_runtime.relay.publish_pending() > 0  # pairing's events, as its relay publishes them

        async def told_the_team() -> bool:
            return len(await team_messages(world)) == 1

        await wait_until(told_the_team, what="notifications to record the team's message")
        [recorded] = await team_messages(world)
        assert (recorded["programme_id"], recorded["kind"]) == (str(world.programme), "pairing_ended_early")
        assert sorted(await after_the_window(world)) == ["sent"] * 4  # each partner's pairing, Amina's end, the team's
        [to_team] = world.mailbox.to("mentoring@un.test")
        words = plain(to_team)
        assert to_team["Subject"] == "A pairing ended early: Ravi and Amina"
        assert "the mentee ended it and may ask for a new mentor (reason code: mentee_ended)" in words
        assert end["note_to_programme_team"] not in words and end["message_to_partner"] not in words
        # Amina was not asked to answer the request she had accepted before its mail went out.
        assert subjects(world, "amina@un.test") == ["Vous êtes en binôme avec Ravi", "Votre binôme a pris fin"]
        assert subjects(world, "ravi@un.test") == ["You are paired with Amina"]

        # The team follows the mail to the note, with its own access; a partner of the pairing does not read it.
        [path] = re.findall(r"GET (/pairings/[0-9a-f-]+)", words)
        team = signer.headers("lead", "programme_team", programmes=[str(world.programme)])
        assert (await http.get(path, headers=team)).json()["note_to_programme_team"] == end["note_to_programme_team"]
        assert (await http.get(path, headers=cohort.as_(amina))).json()["note_to_programme_team"] is None
        async with pairing_runtime.engine.connect() as conn:
            published = (await conn.execute(sa.select(outbox_table.c.envelope))).scalars().all()
        assert all(end["note_to_programme_team"] not in str(envelope) for envelope in published)


async def test_without_a_team_mailbox_the_team_sees_the_failure_sets_one_and_retries(world: World):
    await world.publish(programme(world, ProgrammeKind.coaching, team_mailbox=None))
    grace = await world.register("Grace", email="grace@un.test", language="en", time_zone="UTC", role=Role.coach)
    omar = await world.register("Omar", email="omar@un.test", language="en", time_zone="UTC")
    t = datetime.now(UTC)
    ended = PairingEnded(
        pairing_id=uuid.uuid4(), mentee_id=omar, mentor_id=grace, cohort_id=world.cohort, ended_by=EndedBy.mentor, ended_at=t
    )
    await happened(world, ended, t)
    assert sorted(await after_the_window(world)) == ["failed", "sent"]  # the client is told; the team has no address
    listed = await world.http.get(f"/programmes/{world.programme}/failed-deliveries", headers=world.team())
    [failed] = listed.json()
    assert (failed["recipient_id"], failed["kind"], failed["reason"]) == (
        str(world.programme),
        "pairing_ended_early",
        NO_TEAM_MAILBOX,
    )
    for stranger in (world.team(uuid.uuid4()), world.signer.headers("Omar", "participant")):
        refused = await world.http.post(f"/deliveries/{failed['notification_id']}/retry", headers=stranger)
        assert refused.status_code == 404  # as if there were no such delivery (ADR 0005)

    rules = default_rules(ProgrammeKind.coaching).model_copy(update={"team_mailbox": "coaching@un.test"})
    await world.publish(ProgrammeRulesChanged(programme_id=world.programme, rules=rules, changed_at=datetime.now(UTC)))

    async def mailbox_known() -> bool:
        async with world.runtime.engine.connect() as conn:
            return (await conn.execute(sa.text("SELECT team_mailbox FROM programmes"))).scalar() == "coaching@un.test"

    await wait_until(mailbox_known, what="notifications to learn the team's mailbox")
    retried = await world.http.post(f"/deliveries/{failed['notification_id']}/retry", headers=world.team())
    assert retried.status_code == 202, retried.text
    assert await world.worker.run_due() == ["sent"]
    [to_team] = world.mailbox.to("coaching@un.test")
    assert to_team["Subject"] == "A pairing ended early: Omar and Grace"
    assert "the coach ended it (reason code: mentor_ended)" in plain(to_team)
    assert "Omar (client) and Grace (coach)" in plain(to_team)
