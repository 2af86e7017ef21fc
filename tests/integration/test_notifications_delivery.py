"""Notifications' e-mail on the real broker, database and SMTP server.

Each test has its own topic namespace, database and consumer group: events are published to
Kafka as other services publish them, notifications' real consumer records the messages, and
its delivery worker sends them to a real SMTP server (aiosmtpd) on loopback, which the test
reads back. Addresses come over HTTP from a small real server that answers like registration's
`GET /participants/{id}/contact` (role service only, checked on the bearer token). The crash
tests run the worker in its own process (`mail_worker.py`) and SIGKILL it at a chosen step.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import os
import signal
import socket
import statistics
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import icalendar
import jwt
import pytest
import sqlalchemy as sa
import uvicorn
from aiosmtpd.controller import Controller
from dateutil.rrule import rrulestr
from fastapi import FastAPI, Header, HTTPException, Request

from notifications import repository
from notifications.consumers import handlers
from notifications.contacts import ContactDirectory, ContactUnavailable
from notifications.delivery import MailDelivery, delivery_worker
from notifications.mail import SmtpMailer
from notifications.settings import NotificationsSettings
from notifications.tables import deliveries, notifications, participants
from registration.domain.programme_rules import default_rules
from scheduling.domain.held_elsewhere import record_held_elsewhere
from scheduling.domain.pairing import Pairing
from scheduling.domain.plans import plan_for
from scheduling.domain.sessions import Session
from tests.apps import AUDIENCE, ISSUER, client, service_app
from tests.http.access import envelope_of, registered
from tests.kafka_tools import group_caught_up, wait_until
from tests.scrape import scrape
from together_contracts.pairing import PairingFormed, RequestAccepted, RequestDeclined, RequestReminderDue, RequestSent
from together_contracts.registration import (
    ParticipantAnswersErased,
    ParticipantWithdrawn,
    ProgrammeCreated,
    ProgrammeKind,
    Role,
)
from together_contracts.registration_v2 import CoachCredentialRejected
from together_contracts.scheduling import (
    CancelledBecause,
    SeriesCancelled,
    SeriesEnded,
    SeriesScheduled,
    SessionScheduled,
)
from together_events import Envelope, Event, EventConsumer, build_producer
from together_events.topics import Topic, dead_letter_topic, service_topic
from together_operator.provision import delete_topics, ensure_topics
from together_operator.rebuild import compare, rebuild
from together_servicekit.jobs import JobPoller

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Mailbox:
    """aiosmtpd handler: answers `refusals` (e.g. ["451 4.3.0 try later"]) first, then accepts and keeps each mail."""

    def __init__(self) -> None:
        self.mails: list[EmailMessage] = []
        self.refusals: list[str] = []
        self.always: str | None = None
        self.attempts = 0
        # Set `hold` to keep the client waiting for the reply to its DATA until it is set; `in_data` says one waits.
        self.hold: threading.Event | None = None
        self.in_data = threading.Event()
        self.hang_up = 0  # the next n mails: kept, but the connection closes before the reply

    async def handle_DATA(self, server, session, envelope) -> str:
        self.attempts += 1
        if self.hold is not None:  # (the server runs in its own thread and loop)
            self.in_data.set()
            while not self.hold.is_set():
                await asyncio.sleep(0.01)
        if self.always:
            return self.always
        if self.refusals:
            return self.refusals.pop(0)
        mail = email.message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        mail["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.mails.append(mail)
        if self.hang_up:
            self.hang_up -= 1
            server.transport.close()
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.mails if m["To"] == address]


@dataclass
class Directory:
    """Registration's contact endpoint, as its contract says: role `service` only."""

    public_key: bytes
    contacts: dict[uuid.UUID, dict] = field(default_factory=dict)
    calls: int = 0
    gate: asyncio.Event | None = None  # while set to an unset Event, answers wait for it

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/participants/{participant_id}/contact")
        async def contact(participant_id: uuid.UUID, authorization: str = Header("")) -> dict:
            self.calls += 1
            if self.gate is not None:
                await self.gate.wait()
            try:
                claims = jwt.decode(
                    authorization.removeprefix("Bearer "), self.public_key, ["RS256"], audience=AUDIENCE, issuer=ISSUER
                )
            except jwt.PyJWTError:
                raise HTTPException(401, "invalid token") from None
            if "service" not in claims.get("roles", []) or "registration:contacts" not in claims.get("scope", "").split():
                raise HTTPException(403, "a service token with the scope registration:contacts only")
            if participant_id not in self.contacts:
                raise HTTPException(404, "unknown participant")
            return {"participant_id": str(participant_id), **self.contacts[participant_id]}

        return app


@dataclass
class World:
    http: object
    runtime: object
    worker: JobPoller
    mail: MailDelivery  # the worker's job
    mailbox: Mailbox
    directory: Directory
    producer: object
    signer: object
    programme: uuid.UUID = field(default_factory=uuid.uuid4)
    cohort: uuid.UUID = field(default_factory=uuid.uuid4)

    async def publish(self, *events: Event, envelope: Envelope | None = None) -> list[Envelope]:
        sent = []
        for event in events:
            env = envelope or envelope_of(event)
            await self.producer.send_and_wait(event.topic(), value=env.to_json_bytes(), key=env.subject.encode())
            sent.append(env)
        return sent

    async def register(
        self, name: str, *, email: str | None, language: str | None, time_zone: str, role: Role = Role.mentee
    ) -> uuid.UUID:
        event = registered(name, self.programme, self.cohort, role, mentor_capacity=2 if role == Role.mentor else None)
        event = event.model_copy(
            update={"profile": event.profile.model_copy(update={"time_zone": time_zone, "display_name": name})}
        )
        self.directory.contacts[event.participant_id] = {
            "email": email, "display_name": name, "preferred_language": language, "withdrawn": False
        }  # fmt: skip
        await self.publish(event)
        await wait_until(lambda: self._knows(event.participant_id), what=f"notifications to learn of {name}")
        return event.participant_id

    async def _knows(self, participant_id: uuid.UUID) -> bool:
        async with self.runtime.engine.connect() as conn:
            query = sa.select(participants.c.id).where(participants.c.id == participant_id)
            return (await conn.execute(query)).first() is not None

    async def recorded(self, source_event_id: str, count: int = 1) -> list[dict]:
        """Wait until the consumer recorded `count` messages for the event; return them."""

        async def rows() -> list[dict]:
            async with self.runtime.engine.connect() as conn:
                query = sa.select(notifications).where(notifications.c.source_event_id == source_event_id)
                return [dict(r) for r in (await conn.execute(query)).mappings()]

        await wait_until(lambda: _has(rows, count), what=f"{count} message(s) for {source_event_id}")
        return await rows()

    async def delivery(self, notification_id: uuid.UUID) -> dict:
        async with self.runtime.engine.connect() as conn:
            row = (await conn.execute(sa.select(deliveries).where(deliveries.c.notification_id == notification_id))).one()
            return dict(row._mapping)

    def travel(self, seconds: float) -> None:
        self.runtime.clock.travel(timedelta(seconds=seconds))

    def team(self, programme: uuid.UUID | None = None) -> dict[str, str]:
        return self.signer.headers("team-lead", "programme_team", programmes=[str(programme or self.programme)])


async def _has(rows, count: int) -> bool:
    return len(await rows()) >= count


@contextlib.asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[str]:
    """`app` over real HTTP on a loopback port (its lifespan off: the test set up its state); its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve())

    async def started() -> bool:
        return bool(server.started)

    await wait_until(started, what="the HTTP server to listen")
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        await serving


@contextlib.asynccontextmanager
async def notifications_world(
    stack, create_database, signer, monkeypatch, directory: Directory, registration_url: str, *, settle_seconds: float = 0.0
):
    """`settle_seconds`: the settling window before a mail goes (`delivery_settle_seconds`). None by default: these
    tests look at one mail at a time; the order of a person's mails has its own (test_notifications_order.py)."""
    namespace = f"t{uuid.uuid4().hex[:8]}."
    monkeypatch.setenv("TOGETHER_TOPIC_NAMESPACE", namespace)
    names = [service_topic(s) for s in ("registration", "pairing", "scheduling")]
    await ensure_topics(stack.kafka_bootstrap, [Topic(n, 2) for n in names] + [Topic(dead_letter_topic(n), 1) for n in names])
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    settings = {
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp.port,
        "registration_url": registration_url,
        "token_source": "static",
        "service_token": signer.token("notifications", "service", scopes=["registration:contacts", "registration:data-keys"]),
        "delivery_max_attempts": 4,
        "delivery_backoff_seconds": 60.0,
        "message_id_domain": "test.together",
        "mail_from": "Together <no-reply@test.together>",
        "delivery_settle_seconds": settle_seconds,
    }
    database = await create_database("notif_mail")
    async with service_app("notifications", database, stack.kafka_bootstrap, signer, **settings) as (app, runtime):
        consumer = EventConsumer(
            name="notifications",
            group_id=f"notifications-{namespace}",
            engine=runtime.engine,
            bootstrap_servers=stack.kafka_bootstrap,
            handlers=handlers(runtime),
            dead_letters=runtime.producer,
            now=runtime.clock.now,
        )
        consuming = asyncio.create_task(consumer.run())
        contacts = ContactDirectory(runtime.settings)
        mail = MailDelivery(runtime, contacts, SmtpMailer(runtime.settings))
        producer = build_producer(stack.kafka_bootstrap, client_id=f"test-{namespace}")
        await producer.start()
        try:
            async with client(app) as http:
                yield World(http, runtime, delivery_worker(runtime, mail), mail, mailbox, directory, producer, signer)
        finally:
            consuming.cancel()
            await asyncio.gather(consuming, return_exceptions=True)
            await producer.stop()
            await contacts.close()
            smtp.stop()
            await delete_topics(stack.kafka_bootstrap, names + [dead_letter_topic(n) for n in names])


@pytest.fixture
async def world(stack, create_database, signer, monkeypatch) -> AsyncIterator[World]:
    """Contacts from a small server that answers like registration's endpoint."""
    directory = Directory(signer.public_key_file.read_bytes())
    async with served(directory.app()) as url:
        async with notifications_world(stack, create_database, signer, monkeypatch, directory, url) as w:
            yield w


def request_sent(mentee: uuid.UUID, mentor: uuid.UUID, expires_at: datetime) -> RequestSent:
    now = datetime.now(UTC)
    return RequestSent(
        request_id=uuid.uuid4(), selection_id=uuid.uuid4(), mentee_id=mentee, mentor_id=mentor, cohort_id=uuid.uuid4(),
        rank=1, reached_mentor_at=now, remind_at=now, expires_at=expires_at,
    )  # fmt: skip


def plain(mail: EmailMessage) -> str:
    return mail.get_body(("plain",)).get_content()


async def test_each_event_mails_the_right_person_in_their_language(world: World):
    amina = await world.register("Amina", email="amina@un.test", language="fr", time_zone="Africa/Nairobi", role=Role.mentor)
    ravi = await world.register("Ravi", email="ravi@un.test", language="es", time_zone="Asia/Bangkok")
    coach = await world.register("Grace", email="grace@un.test", language=None, time_zone="America/New_York", role=Role.coach)
    expires = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    starts = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)
    session = SessionScheduled(
        session_id=uuid.uuid4(), pairing_id=uuid.uuid4(), participant_ids=[ravi, amina], starts_at=starts,
        time_zone="Africa/Nairobi", duration_minutes=45, organiser_id=amina, agenda_title="Introduction",
        calendar_uid="session-intro@together", calendar_sequence=0,
    )  # fmt: skip
    rejected = CoachCredentialRejected(
        participant_id=coach, person_id="Grace", cohort_id=world.cohort, programme_id=world.programme,
        credential_id=uuid.uuid4(), rejected_at=datetime.now(UTC),
    )  # fmt: skip
    declined = RequestDeclined(request_id=uuid.uuid4(), mentee_id=ravi, mentor_id=amina, declined_at=datetime.now(UTC))
    envelopes = await world.publish(request_sent(ravi, amina, expires), declined, session, rejected)
    for env, count in zip(envelopes, (1, 1, 2, 1), strict=True):
        await world.recorded(env.id, count)

    assert sorted(await world.worker.run_due()) == ["sent"] * 5

    # (Two topics: the events may be handled in either order, so the mails are compared by subject.)
    to_amina, to_ravi, to_grace = (
        {m["Subject"]: m for m in world.mailbox.to(a)} for a in ("amina@un.test", "ravi@un.test", "grace@un.test")
    )
    assert set(to_amina) == {"Un mentoré vous demande d'être son mentor", "Séance réservée : 2026-12-01 16:00 (Africa/Nairobi)"}
    assert "avant le 2026-11-26 18:00 (Africa/Nairobi)" in plain(to_amina["Un mentoré vous demande d'être son mentor"])
    assert set(to_ravi) == {"Su solicitud no fue aceptada", "Sesión reservada: 2026-12-01 20:00 (Asia/Bangkok)"}
    not_accepted = plain(to_ravi["Su solicitud no fue aceptada"])
    assert "El mentor rechazó su solicitud." in not_accepted and "siguiente opción" in not_accepted
    assert "una sesión (Introduction) con Amina para el" in plain(to_ravi["Sesión reservada: 2026-12-01 20:00 (Asia/Bangkok)"])
    assert list(to_grace) == ["Your coaching credential was not approved"]  # no language given: English
    not_approved = plain(to_grace["Your coaching credential was not approved"])
    assert "read it on your credential's page in the Together app" in not_approved  # the reason is in no event, no mail
    for mail in world.mailbox.mails:
        assert mail["From"] == "Together <no-reply@test.together>"
        assert mail["X-Envelope-To"] == mail["To"]
        assert mail.get_body(("html",)) is not None

    # The invitation: a text/calendar METHOD:REQUEST part and an .ics attachment, parseable, one per partner.
    invitations = (
        (to_amina["Séance réservée : 2026-12-01 16:00 (Africa/Nairobi)"], "amina@un.test"),
        (to_ravi["Sesión reservada: 2026-12-01 20:00 (Asia/Bangkok)"], "ravi@un.test"),
    )
    for mail, address in invitations:
        calendar_part = next(p for p in mail.walk() if p.get_content_type() == "text/calendar")
        assert calendar_part.get_param("method") == "REQUEST"
        attachment = next(p for p in mail.walk() if p.get_filename() == "invite.ics")
        parsed = icalendar.Calendar.from_ical(attachment.get_content())
        assert str(parsed["METHOD"]) == "REQUEST"
        [vevent] = parsed.walk("VEVENT")
        assert str(vevent["UID"]) == "session-intro@together" and int(vevent["SEQUENCE"]) == 0
        assert vevent.decoded("DTSTART") == starts and str(vevent["SUMMARY"]) == "Introduction"
        attendees = [str(a) for a in (vevent["ATTENDEE"] if isinstance(vevent["ATTENDEE"], list) else [vevent["ATTENDEE"]])]
        assert f"mailto:{address}" in attendees

    # The feed shows the words that were mailed, in the same language.
    feed = await world.http.get(f"/participants/{ravi}/notifications", headers=world.signer.headers("Ravi", "participant"))
    assert sorted((n["kind"], n["language"], n["email"], n["subject"]) for n in feed.json()) == [
        ("request_not_accepted", "es", "sent", "Su solicitud no fue aceptada"),
        ("session_scheduled", "es", "sent", "Sesión reservada: 2026-12-01 20:00 (Asia/Bangkok)"),
    ]
    # Each mail's Message-ID is derived from its notification.
    ids = {f"<notification-{n['id']}@test.together>" for n in feed.json()}
    assert {m["Message-ID"] for m in to_ravi.values()} == ids


async def test_a_duplicated_or_replayed_event_sends_one_mail(world: World, stack):
    amina = await world.register("Amina", email="amina@un.test", language="en", time_zone="Europe/Zurich", role=Role.mentor)
    ravi = await world.register("Ravi", email="ravi@un.test", language="en", time_zone="Europe/Zurich")
    event = request_sent(ravi, amina, datetime.now(UTC) + timedelta(days=3))
    [envelope] = await world.publish(event)
    await world.publish(event, envelope=envelope)  # the same envelope delivered twice
    [row] = await world.recorded(envelope.id)
    assert await world.worker.run_due() == ["sent"]

    # A replay: another consumer group reads the topics from the beginning, with the same inbox name.
    replay = EventConsumer(
        name="notifications", group_id=f"replay-{uuid.uuid4().hex[:6]}", engine=world.runtime.engine,
        bootstrap_servers=stack.kafka_bootstrap, handlers=handlers(world.runtime), dead_letters=world.runtime.producer,
        now=world.runtime.clock.now,
    )  # fmt: skip
    task = asyncio.create_task(replay.run())
    try:
        await wait_until(lambda: group_caught_up(stack.kafka_bootstrap, replay.group_id, event.topic()), what="the replay")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    await world.publish(event, envelope=envelope)  # and once more, after the mail went out
    group = f"notifications-{os.environ['TOGETHER_TOPIC_NAMESPACE']}"
    await wait_until(lambda: group_caught_up(stack.kafka_bootstrap, group, event.topic()), what="the consumer to pass the copy")
    assert await world.worker.run_due() == []
    assert len(await world.recorded(envelope.id)) == 1
    assert [m["Message-ID"] for m in world.mailbox.to("amina@un.test")] == [f"<notification-{row['id']}@test.together>"]


async def test_a_refused_mail_is_retried_with_backoff_then_sent(world: World):
    amina = await world.register("Amina", email="amina@un.test", language="en", time_zone="UTC", role=Role.mentor)
    ravi = await world.register("Ravi", email="ravi@un.test", language="en", time_zone="UTC")
    [envelope] = await world.publish(request_sent(ravi, amina, datetime.now(UTC) + timedelta(days=3)))
    [row] = await world.recorded(envelope.id)
    world.mailbox.refusals = ["451 4.3.0 Try again later", "451 4.3.0 Try again later"]

    assert world.worker.progress.health() == "no pass completed yet"  # /readyz waits for the worker's first pass
    assert await world.worker.run_due() == ["retry"]
    assert world.worker.progress.health() == "ok"
    first = await world.delivery(row["id"])
    assert (first["state"], first["attempts"], first["last_error"]) == ("pending", 1, "451 4.3.0 Try again later")
    assert first["next_attempt_at"] - world.runtime.now() > timedelta(seconds=55)  # durable, on the clock: 60 s
    assert await world.worker.run_due() == []  # not due yet
    world.travel(61)
    assert await world.worker.run_due() == ["retry"]
    second = await world.delivery(row["id"])
    assert second["next_attempt_at"] - world.runtime.now() > timedelta(seconds=115)  # doubled: 120 s
    world.travel(121)
    assert await world.worker.run_due() == ["sent"]
    done = await world.delivery(row["id"])
    assert (done["state"], done["attempts"], world.mailbox.attempts) == ("sent", 3, 3)
    assert len(world.mailbox.to("amina@un.test")) == 1


async def test_a_permanent_refusal_or_the_last_attempt_is_a_failure_the_team_sees_and_retries(world: World):
    amina = await world.register("Amina", email="amina@un.test", language="en", time_zone="UTC", role=Role.mentor)
    ravi = await world.register("Ravi", email="ravi@un.test", language="en", time_zone="UTC")
    [to_amina] = await world.publish(request_sent(ravi, amina, datetime.now(UTC) + timedelta(days=3)))
    [amina_row] = await world.recorded(to_amina.id)
    world.mailbox.always = "550 5.1.1 Mailbox unavailable"
    assert await world.worker.run_due() == ["failed"]  # 5xx: no retry

    world.mailbox.always = "451 4.3.0 Try again later"
    [to_ravi] = await world.publish(
        RequestDeclined(request_id=uuid.uuid4(), mentee_id=ravi, mentor_id=amina, declined_at=datetime.now(UTC))
    )
    [ravi_row] = await world.recorded(to_ravi.id)
    outcomes = []
    for _ in range(4):
        outcomes += await world.worker.run_due()
        world.travel(3600)
    assert outcomes == ["retry", "retry", "retry", "failed"]  # the fourth attempt is the last

    listed = await world.http.get(f"/programmes/{world.programme}/failed-deliveries", headers=world.team())
    assert listed.status_code == 200, listed.text
    by_id = {row["notification_id"]: row for row in listed.json()}
    assert by_id[str(amina_row["id"])]["reason"] == "550 5.1.1 Mailbox unavailable"
    assert by_id[str(amina_row["id"])]["display_name"] == "Amina" and by_id[str(amina_row["id"])]["address"] == "amina@un.test"
    assert by_id[str(ravi_row["id"])]["reason"] == "gave up after 4 attempts: 451 4.3.0 Try again later"
    assert by_id[str(ravi_row["id"])]["attempts"] == 4
    other = await world.http.get(f"/programmes/{world.programme}/failed-deliveries", headers=world.team(uuid.uuid4()))
    assert other.status_code == 403

    # The team fixes the cause and retries: the mail goes out, and the list is empty again.
    world.mailbox.always = None
    refused = await world.http.post(f"/deliveries/{amina_row['id']}/retry", headers=world.team(uuid.uuid4()))
    assert refused.status_code == 404  # another programme's delivery: as if there were none (ADR 0005)
    for row in (amina_row, ravi_row):
        retried = await world.http.post(f"/deliveries/{row['id']}/retry", headers=world.team())
        assert retried.status_code == 202, retried.text
    again = await world.http.post(f"/deliveries/{amina_row['id']}/retry", headers=world.team())
    assert again.status_code == 409  # pending now, not failed
    assert sorted(await world.worker.run_due()) == ["sent", "sent"]
    assert (await world.http.get(f"/programmes/{world.programme}/failed-deliveries", headers=world.team())).json() == []
    assert len(world.mailbox.mails) == 2


async def test_a_person_without_an_address_is_a_visible_failure_not_a_silent_drop(world: World):
    amina = await world.register("Amina", email=None, language="en", time_zone="UTC", role=Role.mentor)
    ravi = await world.register("Ravi", email="ravi@un.test", language="en", time_zone="UTC")
    [envelope] = await world.publish(request_sent(ravi, amina, datetime.now(UTC) + timedelta(days=3)))
    [row] = await world.recorded(envelope.id)
    assert await world.worker.run_due() == ["failed"]
    listed = (await world.http.get(f"/programmes/{world.programme}/failed-deliveries", headers=world.team())).json()
    assert [(r["notification_id"], r["reason"]) for r in listed] == [(str(row["id"]), "no address")]
    assert world.mailbox.attempts == 0


async def test_mails_by_state_on_metrics_move_as_mails_are_sent_and_fail(world: World):
    amina = await world.register("Amina", email="amina@un.test", language="en", time_zone="UTC", role=Role.mentor)
    ravi = await world.register("Ravi", email=None, language="en", time_zone="UTC")
    [to_amina] = await world.publish(request_sent(ravi, amina, datetime.now(UTC) + timedelta(days=3)))
    [to_ravi] = await world.publish(
        RequestDeclined(request_id=uuid.uuid4(), mentee_id=ravi, mentor_id=amina, declined_at=datetime.now(UTC))
    )
    await world.recorded(to_amina.id)
    await world.recorded(to_ravi.id)
    waiting = await scrape(world.http)
    assert [waiting.value("together_mails", state=state) for state in ("pending", "sent", "failed")] == [2, 0, 0]

    assert sorted(await world.worker.run_due()) == ["failed", "sent"]  # Ravi has no address
    done = await scrape(world.http)
    assert [done.value("together_mails", state=state) for state in ("pending", "sent", "failed")] == [0, 1, 1]
    assert done.value("together_timers_due", worker="delivery-worker") == 0


async def test_email_off_for_a_kind_sends_no_mail_but_the_feed_keeps_the_message(world: World):
    amina = await world.register("Amina", email="amina@un.test", language="fr", time_zone="UTC", role=Role.mentor)
    ravi = await world.register("Ravi", email="ravi@un.test", language="en", time_zone="UTC")
    amina_headers = world.signer.headers("Amina", "participant")
    await wait_until(lambda: _known(world, amina, amina_headers), what="notifications to learn of Amina")
    bad = await world.http.put(
        f"/participants/{amina}/preferences",
        json={"language": "de", "email_off": ["request_received", "nonsense"]},
        headers=amina_headers,
    )
    assert bad.status_code == 422
    assert {(d["field"], d["rule"]) for d in bad.json()["error"]["details"]} == {
        ("body.language", "supported_language"),
        ("body.email_off.1", "known_kind"),
    }
    chosen = await world.http.put(
        f"/participants/{amina}/preferences", json={"language": "es", "email_off": ["request_received"]}, headers=amina_headers
    )
    assert chosen.status_code == 200 and chosen.json()["email_off"] == ["request_received"]
    [sent] = await world.publish(request_sent(ravi, amina, datetime.now(UTC) + timedelta(days=3)))
    [row] = await world.recorded(sent.id)
    assert await world.worker.run_due() == ["skipped"]
    assert world.mailbox.mails == []
    feed = (await world.http.get(f"/participants/{amina}/notifications", headers=amina_headers)).json()
    assert [(n["id"], n["kind"], n["email"], n["language"]) for n in feed] == [
        (str(row["id"]), "request_received", "skipped", "es")
    ]

    # Another kind is still mailed, in the chosen language (over registration's French).
    [ended] = await world.publish(
        RequestDeclined(request_id=uuid.uuid4(), mentee_id=amina, mentor_id=ravi, declined_at=datetime.now(UTC))
    )
    await world.recorded(ended.id)
    assert await world.worker.run_due() == ["sent"]
    assert [m["Subject"] for m in world.mailbox.to("amina@un.test")] == ["Su solicitud no fue aceptada"]


async def _known(world: World, participant: uuid.UUID, headers: dict[str, str]) -> bool:
    return (await world.http.get(f"/participants/{participant}/preferences", headers=headers)).status_code == 200


@contextlib.asynccontextmanager
async def worker_process(world: World, log_file) -> AsyncIterator[asyncio.subprocess.Process]:
    """The delivery worker in its own process, with this world's settings; SIGKILLed at the end if still alive."""
    env = {**os.environ, "MAIL_WORKER_SETTINGS": world.runtime.settings.model_dump_json()}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.integration.mail_worker", env=env, stdout=log_file, stderr=log_file
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGKILL)
        await process.wait()


async def lock_waiter(world: World) -> int | None:
    """The backend of this world's database that waits for a row lock, if one does."""
    async with world.runtime.engine.connect() as conn:
        query = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        return (await conn.execute(sa.text(query))).scalar()


async def one_request(world: World) -> dict:
    amina = await world.register("Amina", email="amina@un.test", language="en", time_zone="UTC", role=Role.mentor)
    ravi = await world.register("Ravi", email="ravi@un.test", language="en", time_zone="UTC")
    [envelope] = await world.publish(request_sent(ravi, amina, datetime.now(UTC) + timedelta(days=3)))
    [row] = await world.recorded(envelope.id)
    return row


async def test_a_worker_killed_before_smtp_leaves_a_claim_another_worker_sends_within_seconds(world: World, tmp_path):
    row = await one_request(world)
    world.directory.gate = asyncio.Event()  # registration answers slowly: the worker is killed before SMTP
    async with worker_process(world, (tmp_path / "worker.log").open("w")) as process:

        async def preparing() -> bool:
            return world.directory.calls > 0 and (await world.delivery(row["id"]))["state"] == "claimed"

        await wait_until(preparing, what="the worker process to claim the mail and ask registration")
        feed = await world.http.get(
            f"/participants/{row['recipient_id']}/notifications", headers=world.signer.headers("Amina", "participant")
        )
        assert [n["email"] for n in feed.json()] == ["sending"]  # the participant sees no internal state
        process.send_signal(signal.SIGKILL)
        await process.wait()
    killed = time.monotonic()
    world.directory.gate.set()
    world.directory.gate = None

    assert await world.worker.run_due() == []  # its claim holds for a few seconds more
    outcomes: list[str] = []
    while not outcomes and time.monotonic() - killed < 30:
        await asyncio.sleep(0.2)
        outcomes = await world.worker.run_due()
    waited = time.monotonic() - killed
    print(f"\nclaim of a killed worker taken over and sent after {waited:.1f} s")
    assert outcomes == ["sent"]
    assert waited <= world.runtime.settings.delivery_claim_lease_seconds + 2  # seconds, not the 300 s lease
    done = await world.delivery(row["id"])
    assert (done["state"], done["attempts"], done["ambiguous_attempts"]) == ("sent", 2, 0)  # nothing was ambiguous
    assert world.mailbox.attempts == 1 and len(world.mailbox.to("amina@un.test")) == 1


async def test_a_worker_killed_between_the_250_and_its_commit_is_ambiguous_and_resent_after_the_lease(world: World, tmp_path):
    row = await one_request(world)
    world.mailbox.hold = threading.Event()
    async with worker_process(world, (tmp_path / "worker.log").open("w")) as process:
        await wait_until(lambda: _true(world.mailbox.in_data.is_set()), what="the worker process to send DATA")
        assert (await world.delivery(row["id"]))["state"] == "sending"  # recorded before DATA
        async with world.runtime.engine.connect() as blocker:
            # Hold the row, let the server say 250, and kill the worker while its commit waits for the row.
            await blocker.execute(
                sa.select(deliveries.c.state).where(deliveries.c.notification_id == row["id"]).with_for_update()
            )
            world.mailbox.hold.set()
            await wait_until(lambda: _some(lock_waiter(world)), what="the worker's commit to wait for the row")
            assert len(world.mailbox.mails) == 1  # the server took the mail
            process.send_signal(signal.SIGKILL)
            await process.wait()
            await blocker.rollback()
    world.mailbox.hold = None

    stuck = await world.delivery(row["id"])
    assert (stuck["state"], stuck["attempts"]) == ("sending", 1)
    world.travel(world.runtime.settings.delivery_claim_lease_seconds + 1)
    assert await world.worker.run_due() == []  # not a claim: the server may have it, so the long lease
    world.travel(world.runtime.settings.delivery_lease_seconds)
    assert await world.worker.run_due() == ["sent"]  # ambiguous: sent again
    done = await world.delivery(row["id"])
    assert (done["state"], done["attempts"], done["ambiguous_attempts"]) == ("sent", 2, 1)
    mails = world.mailbox.to("amina@un.test")
    assert len(mails) == 2 and len({m["Message-ID"] for m in mails}) == 1  # receivers drop the copy by its Message-ID
    assert mails[0]["Date"] == mails[1]["Date"]


async def test_a_worker_that_loses_the_database_after_the_250_records_sent_when_it_is_back(world: World):
    """What a PostgreSQL restart does to a live worker: its commit fails; it retries and sends no second mail."""
    row = await one_request(world)
    world.mailbox.hold = threading.Event()
    delivering = asyncio.create_task(world.worker.run_due())
    await wait_until(lambda: _true(world.mailbox.in_data.is_set()), what="the worker to send DATA")
    async with world.runtime.engine.connect() as blocker:
        await blocker.execute(sa.select(deliveries.c.state).where(deliveries.c.notification_id == row["id"]).with_for_update())
        world.mailbox.hold.set()
        await wait_until(lambda: _some(lock_waiter(world)), what="the worker's commit to wait for the row")
        first = await lock_waiter(world)
        await blocker.execute(sa.select(sa.func.pg_terminate_backend(first)))  # its connection dies mid-commit

        async def retried() -> bool:
            return (await lock_waiter(world)) not in (None, first)

        await wait_until(retried, what="the worker to retry its commit on a new connection")
        await blocker.rollback()
    assert await delivering == ["sent"]
    done = await world.delivery(row["id"])
    assert (done["state"], done["attempts"], done["ambiguous_attempts"]) == ("sent", 1, 0)
    world.travel(world.runtime.settings.delivery_lease_seconds + 1)
    assert await world.worker.run_due() == []
    assert len(world.mailbox.to("amina@un.test")) == 1


async def test_a_connection_lost_during_data_is_counted_ambiguous_and_retried(world: World):
    row = await one_request(world)
    world.mailbox.hang_up = 1  # the server keeps the mail, the client never hears its reply
    assert await world.worker.run_due() == ["retry"]
    first = await world.delivery(row["id"])
    assert (first["state"], first["attempts"], first["ambiguous_attempts"]) == ("pending", 1, 1)
    assert first["last_error"].endswith("(after DATA began: it may have been delivered)")
    world.travel(61)
    assert await world.worker.run_due() == ["sent"]
    mails = world.mailbox.to("amina@un.test")
    assert len(mails) == 2 and len({m["Message-ID"] for m in mails}) == 1


async def test_the_window_between_the_servers_250_and_the_commit_is_milliseconds(world: World):
    amina = await world.register("Amina", email="amina@un.test", language="en", time_zone="UTC", role=Role.mentor)
    ravi = await world.register("Ravi", email="ravi@un.test", language="en", time_zone="UTC")
    envelopes = await world.publish(*(request_sent(ravi, amina, datetime.now(UTC) + timedelta(days=3)) for _ in range(40)))
    for env in envelopes:
        await world.recorded(env.id)
    assert await world.worker.run_due() == ["sent"] * 40
    windows = sorted(world.mail.sent_windows)
    assert len(windows) == 40 and len(world.mailbox.mails) == 40
    median, p95, worst = statistics.median(windows), windows[int(0.95 * len(windows)) - 1], windows[-1]
    print(
        f"\n250 -> commit of sent, 40 mails, 4 lanes: median {median * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, max {worst * 1000:.1f} ms"
    )
    assert worst < 1.0  # a crash resends only inside this window (a loaded test machine: a generous bound)


async def _true(value: bool) -> bool:
    return value


async def _some(pid) -> bool:
    return (await pid) is not None


async def test_the_feed_has_pages_and_read_state(world: World):
    amina = await world.register("Amina", email="amina@un.test", language="en", time_zone="UTC", role=Role.mentor)
    ravi = await world.register("Ravi", email="ravi@un.test", language="en", time_zone="UTC")
    envelopes = await world.publish(*(request_sent(ravi, amina, datetime.now(UTC) + timedelta(days=3)) for _ in range(3)))
    for env in envelopes:
        await world.recorded(env.id)
    headers = world.signer.headers("Amina", "participant")
    url = f"/participants/{amina}/notifications"
    everything = (await world.http.get(url, headers=headers)).json()
    assert len(everything) == 3 and all(n["read_at"] is None for n in everything)
    page = (await world.http.get(url, params={"limit": 2, "offset": 1}, headers=headers)).json()
    assert [n["id"] for n in page] == [n["id"] for n in everything[1:]]
    first = everything[0]["id"]
    assert (await world.http.post(f"{url}/{first}/read", headers=headers)).status_code == 204
    assert (await world.http.post(f"{url}/{first}/read", headers=headers)).status_code == 204  # again: no change
    unread = (await world.http.get(url, params={"unread": True}, headers=headers)).json()
    assert [n["id"] for n in unread] == [n["id"] for n in everything[1:]]
    assert (await world.http.post(f"{url}/{first}/unread", headers=headers)).status_code == 204
    assert len((await world.http.get(url, params={"unread": True}, headers=headers)).json()) == 3
    other = world.signer.headers("Ravi", "participant")
    assert (await world.http.post(f"{url}/{first}/read", headers=other)).status_code == 404  # not theirs to see
    assert (await world.http.post(f"{url}/{uuid.uuid4()}/read", headers=headers)).status_code == 404


async def test_a_mail_that_cannot_be_built_is_counted_and_ends_failed_never_stuck(world: World):
    amina = await world.register("Amina", email="amina@un.test", language="en", time_zone="UTC", role=Role.mentor)
    ravi = await world.register("Ravi", email="ravi@un.test", language="en", time_zone="UTC")
    # Contract-valid, but its invitation would end after the last date a datetime can hold.
    broken = SessionScheduled(
        session_id=uuid.uuid4(), pairing_id=uuid.uuid4(), participant_ids=[ravi, amina],
        starts_at=datetime.max.replace(tzinfo=UTC) - timedelta(minutes=10), time_zone="UTC", duration_minutes=30,
    )  # fmt: skip
    [envelope] = await world.publish(broken)
    rows = await world.recorded(envelope.id, 2)
    outcomes = []
    for _ in range(4):
        outcomes += await world.worker.run_due()
        world.travel(3600)
    assert outcomes == ["retry", "retry"] * 3 + ["failed", "failed"]
    for row in rows:
        failed = await world.delivery(row["id"])
        assert failed["state"] == "failed" and "error while preparing the mail" in failed["last_error"]
    assert world.mailbox.attempts == 0


async def test_an_attempt_that_raises_is_recorded_by_the_poller_with_the_same_backoff_then_failed(world: World, monkeypatch):
    row = await one_request(world)
    world.mailbox.always = "451 4.3.0 Try again later"

    async def broken(*args: object, **kwargs: object) -> bool:
        raise ValueError("a bug while recording")

    monkeypatch.setattr(repository, "record_outcome", broken)
    assert await world.worker.run_due() == ["failed_attempt"]
    first = await world.delivery(row["id"])
    assert (first["state"], first["attempts"], first["last_error"]) == ("pending", 1, "ValueError: a bug while recording")
    assert first["claimed_until"] is None and first["next_attempt_at"] - world.runtime.now() > timedelta(seconds=55)
    outcomes = []
    for _ in range(3):
        world.travel(3600)
        outcomes += await world.worker.run_due()
    assert outcomes == ["failed_attempt"] * 3
    failed = await world.delivery(row["id"])
    assert (failed["state"], failed["attempts"], failed["last_error"]) == ("failed", 4, "ValueError: a bug while recording")
    world.travel(3600)
    assert await world.worker.run_due() == []
    listed = (await world.http.get(f"/programmes/{world.programme}/failed-deliveries", headers=world.team())).json()
    assert [(r["notification_id"], r["attempts"]) for r in listed] == [(str(row["id"]), 4)]


async def test_client_credentials_tokens_are_fetched_cached_and_renewed_when_refused(signer):
    """Production's token source: OAuth2 client credentials at a token URL, over real HTTP."""
    issued: list[str] = []
    tokens = FastAPI()

    @tokens.post("/oauth2/token")
    async def token(request: Request) -> dict:
        form = await request.form()
        if (form.get("grant_type"), form.get("client_id"), form.get("client_secret")) != (
            "client_credentials", "together-notifications", "s3cret"
        ):  # fmt: skip
            raise HTTPException(401, "bad client")
        assert form.get("scope") == "registration:contacts registration:data-keys"  # the scopes registration requires
        issued.append(signer.token("together-notifications", "service", scopes=form["scope"].split()))
        return {"access_token": issued[-1], "token_type": "Bearer", "expires_in": 3600}

    directory = Directory(signer.public_key_file.read_bytes())
    ravi = uuid.uuid4()
    directory.contacts[ravi] = {"email": "ravi@un.test", "display_name": "Ravi", "preferred_language": "es", "withdrawn": False}
    async with served(tokens) as token_url, served(directory.app()) as registration_url:
        settings = NotificationsSettings(
            registration_url=registration_url,
            token_source="client_credentials",
            token_url=f"{token_url}/oauth2/token",
            client_id="together-notifications",
            client_secret="s3cret",
        )
        contacts = ContactDirectory(settings)
        try:
            first = await contacts.contact(ravi)
            assert first is not None and (first.email, first.preferred_language, first.withdrawn) == ("ravi@un.test", "es", False)
            assert await contacts.contact(uuid.uuid4()) is None  # registration does not know them
            assert len(issued) == 1  # cached
            directory.public_key = b"rotated"  # registration now refuses the token: one fresh token, then the answer
            with pytest.raises(ContactUnavailable):
                await contacts.contact(ravi)
            assert len(issued) == 2
            directory.public_key = signer.public_key_file.read_bytes()
            assert (await contacts.contact(ravi)) == first
        finally:
            await contacts.close()
        wrong = ContactDirectory(settings.model_copy(update={"client_secret": "wrong"}))
        try:
            with pytest.raises(ContactUnavailable, match="client_credentials"):
                await wrong.contact(ravi)
        finally:
            await wrong.close()


async def test_a_withdrawal_skips_mail_not_yet_sent_and_erasure_drops_name_and_address(world: World):
    amina = await world.register("Amina", email="amina@un.test", language="en", time_zone="UTC", role=Role.mentor)
    ravi = await world.register("Ravi", email="ravi@un.test", language="en", time_zone="UTC")
    [sent] = await world.publish(request_sent(ravi, amina, datetime.now(UTC) + timedelta(days=3)))
    [first] = await world.recorded(sent.id)
    assert await world.worker.run_due() == ["sent"]
    [again] = await world.publish(request_sent(ravi, amina, datetime.now(UTC) + timedelta(days=3)))
    [pending] = await world.recorded(again.id)
    withdrawn = ParticipantWithdrawn(
        participant_id=amina, person_id="Amina", cohort_id=world.cohort, programme_id=world.programme,
        withdrawn_at=datetime.now(UTC), answers_erased=True,
    )  # fmt: skip
    [left] = await world.publish(withdrawn)

    async def skipped() -> bool:
        return (await world.delivery(pending["id"]))["state"] == "skipped"

    await wait_until(skipped, what="the pending mail to be skipped")
    assert (await world.delivery(pending["id"]))["last_error"] == "participant withdrawn"
    assert (await world.delivery(first["id"]))["address"] is None  # erased, also from the sent mail's row
    calls = world.directory.calls
    assert await world.worker.run_due() == []
    assert world.directory.calls == calls and len(world.mailbox.mails) == 1
    async with world.runtime.engine.connect() as conn:
        name = (await conn.execute(sa.select(participants.c.display_name).where(participants.c.id == amina))).scalar_one()
    assert name is None
    feed = await world.http.get(f"/participants/{amina}/notifications", headers=world.signer.headers("Amina", "participant"))
    assert [n["email"] for n in feed.json()] == ["sent", "skipped"]
    assert left.type.endswith("ParticipantWithdrawn.v1")


async def test_registrations_language_is_remembered_so_later_messages_start_in_it_even_with_email_off(world: World):
    amina = await world.register("Amina", email="amina@un.test", language="fr", time_zone="UTC", role=Role.mentor)
    ravi = await world.register("Ravi", email="ravi@un.test", language="en", time_zone="UTC")
    headers = world.signer.headers("Amina", "participant")
    [first] = await world.publish(request_sent(ravi, amina, datetime.now(UTC) + timedelta(days=3)))
    [row] = await world.recorded(first.id)
    assert row["language"] == "en"  # recorded before anyone asked registration: English for now
    assert await world.worker.run_due() == ["sent"]
    # She turns e-mail off for reminders: the next one is not mailed, yet written in French from the start.
    chosen = await world.http.put(f"/participants/{amina}/preferences", json={"email_off": ["request_reminder"]}, headers=headers)
    assert chosen.status_code == 200
    reminder = RequestReminderDue(
        request_id=uuid.uuid4(), mentee_id=ravi, mentor_id=amina, expires_at=datetime.now(UTC), reminded_at=datetime.now(UTC)
    )
    [second] = await world.publish(reminder)
    [later] = await world.recorded(second.id)
    assert (later["language"], later["subject"]) == ("fr", "Rappel : un mentoré attend votre réponse")
    assert await world.worker.run_due() == ["skipped"]
    feed = (await world.http.get(f"/participants/{amina}/notifications", headers=headers)).json()
    assert [(n["language"], n["email"]) for n in feed] == [("fr", "sent"), ("fr", "skipped")]
    assert len(world.mailbox.mails) == 1


async def test_the_read_model_rebuilds_from_the_topics_equal_to_the_live_one(world: World, stack, create_database):
    amina = await world.register("Amina", email="amina@un.test", language="fr", time_zone="Africa/Nairobi", role=Role.mentor)
    ravi = await world.register("Ravi", email="ravi@un.test", language="es", time_zone="Asia/Bangkok")
    sent = request_sent(ravi, amina, datetime.now(UTC) + timedelta(days=3))
    declined = RequestDeclined(request_id=sent.request_id, mentee_id=ravi, mentor_id=amina, declined_at=datetime.now(UTC))
    for event in (sent, declined):  # each mailed before the next (else the request's mail would be moot, declined)
        [env] = await world.publish(event)
        await world.recorded(env.id)
        assert await world.worker.run_due() == ["sent"]  # mailing changes words, not the read model

    fresh = await create_database("notif_rebuilt")
    report = await rebuild("notifications", fresh, bootstrap=stack.kafka_bootstrap, prefix=os.environ["TOGETHER_TOPIC_NAMESPACE"])
    assert report.handled == 4 and report.dead_letters == []
    live = world.runtime.settings.database_url
    comparison = await compare("notifications", fresh, live)
    assert comparison.equal, comparison.lines()
    assert [(t.table, t.rebuilt_rows) for t in comparison.tables] == [
        ("participants", 2),
        ("programmes", 0),
        ("notifications", 2),
        ("settled_actions", 1),  # the request was answered (declined)
    ]


async def test_a_series_invitation_carries_its_rule_and_a_cancellation_cancels_it(world: World):
    amina = await world.register("Amina", email="amina@un.test", language="en", time_zone="Africa/Nairobi", role=Role.mentor)
    ravi = await world.register("Ravi", email="ravi@un.test", language="en", time_zone="Asia/Bangkok")
    first = datetime(2027, 3, 3, 13, 0, tzinfo=UTC)  # Zurich changes to summer time during the series
    occurrences = [first + timedelta(weeks=2 * i) for i in range(4)]
    series = {
        "series_id": uuid.uuid4(), "pairing_id": uuid.uuid4(), "participant_ids": [ravi, amina], "organiser_id": amina,
        "starts_at": first, "time_zone": "Europe/Zurich", "duration_minutes": 45, "rrule": "FREQ=WEEKLY;INTERVAL=2;COUNT=4",
        "agenda_title": "Coaching session", "calendar_uid": "series-1@together",
    }  # fmt: skip
    booked = SeriesScheduled(
        **series, occurrence_starts=occurrences, session_ids=[uuid.uuid4() for _ in occurrences], calendar_sequence=0
    )
    cancelled = SeriesCancelled(
        **series,
        cancelled_session_ids=[],
        calendar_sequence=1,
        reason=CancelledBecause.pairing_ended,
        cancelled_at=datetime.now(UTC),
    )
    [booked_env] = await world.publish(booked)
    await world.recorded(booked_env.id, 2)
    assert await world.worker.run_due() == ["sent", "sent"]
    [cancelled_env] = await world.publish(cancelled)
    await world.recorded(cancelled_env.id, 2)
    assert await world.worker.run_due() == ["sent", "sent"]

    booking, cancellation = world.mailbox.to("ravi@un.test")
    assert booking["Subject"] == "Sessions booked: 2027-03-03 20:00 (Asia/Bangkok)"
    assert "A series of 4 sessions (Coaching session) with Amina" in plain(booking)
    assert cancellation["Subject"] == "Session cancelled: 2027-03-03 20:00 (Asia/Bangkok)"
    assert "because the pairing ended" in plain(cancellation)
    for mail, method, filename in ((booking, "REQUEST", "invite.ics"), (cancellation, "CANCEL", "cancel.ics")):
        assert next(p for p in mail.walk() if p.get_content_type() == "text/calendar").get_param("method") == method
        attachment = next(p for p in mail.walk() if p.get_filename() == filename)
        parsed = icalendar.Calendar.from_ical(attachment.get_content())
        [vevent] = parsed.walk("VEVENT")
        assert (str(parsed["METHOD"]), str(vevent["UID"])) == (method, "series-1@together")
        assert dict(vevent["RRULE"]) == {"FREQ": ["WEEKLY"], "INTERVAL": [2], "COUNT": [4]}
        assert str(vevent["STATUS"]) == ("CONFIRMED" if method == "REQUEST" else "CANCELLED")
        assert int(vevent["SEQUENCE"]) == (0 if method == "REQUEST" else 1)
        assert vevent.decoded("DTSTART") == first  # 14:00 in Zurich, the organiser's zone (TZID)


async def test_a_series_ended_part_way_mails_the_updated_invitation_keeping_the_held_ones(world: World):
    amina = await world.register("Amina", email="amina@un.test", language="en", time_zone="Africa/Nairobi", role=Role.mentor)
    ravi = await world.register("Ravi", email="ravi@un.test", language="en", time_zone="Asia/Bangkok")
    first = datetime(2027, 3, 3, 13, 0, tzinfo=UTC)  # Zurich changes to summer time during the series
    zurich = ZoneInfo("Europe/Zurich")
    local = [datetime(2027, 3, 3, 14, 0) + timedelta(weeks=2 * i) for i in range(4)]  # 14:00 in Zurich, each time
    local = [t.replace(tzinfo=zurich) for t in local]
    occurrences = [t.astimezone(UTC) for t in local]  # 13:00, 13:00, 12:00, 12:00 UTC
    ended = SeriesEnded(
        series_id=uuid.uuid4(), pairing_id=uuid.uuid4(), participant_ids=[ravi, amina], organiser_id=amina,
        starts_at=first, time_zone="Europe/Zurich", duration_minutes=45,
        rrule=f"FREQ=WEEKLY;INTERVAL=2;UNTIL={(occurrences[2] - timedelta(seconds=1)):%Y%m%dT%H%M%SZ}",
        previous_rrule="FREQ=WEEKLY;INTERVAL=2;COUNT=4", ends_before=occurrences[2], last_held_at=occurrences[1],
        exdates=[occurrences[1]], held_session_ids=[uuid.uuid4()], cancelled_session_ids=[uuid.uuid4(), uuid.uuid4()],
        agenda_title="Coaching session", calendar_uid="series-2@together", calendar_sequence=3,
        reason=CancelledBecause.partner_cancelled, ended_at=datetime.now(UTC),
    )  # fmt: skip
    [env] = await world.publish(ended)
    await world.recorded(env.id, 2)
    assert await world.worker.run_due() == ["sent", "sent"]
    [mail] = world.mailbox.to("ravi@un.test")
    assert mail["Subject"] == "Series ends: sessions from 2027-03-31 19:00 (Asia/Bangkok) cancelled"
    assert "The sessions already held stay as they are" in plain(mail)
    assert next(p for p in mail.walk() if p.get_content_type() == "text/calendar").get_param("method") == "REQUEST"
    parsed = icalendar.Calendar.from_ical(next(p for p in mail.walk() if p.get_filename() == "invite.ics").get_content())
    [vevent] = parsed.walk("VEVENT")
    assert (str(parsed["METHOD"]), str(vevent["UID"]), int(vevent["SEQUENCE"])) == ("REQUEST", "series-2@together", 3)
    expanded = rrulestr(vevent["RRULE"].to_ical().decode(), dtstart=vevent["DTSTART"].dt, forceset=True)
    for exdate in vevent["EXDATE"].dts:
        expanded.exdate(exdate.dt)
    assert list(expanded) == [local[0]]  # the first held stays; the one cancelled alone and the ended ones are gone


async def test_a_formed_pairing_tells_both_partners_once_in_the_programmes_words(world: World):
    await world.publish(
        ProgrammeCreated(
            programme_id=world.programme, name="Coaching", kind=ProgrammeKind.coaching, suggestions_per_mentee=3,
            rules=default_rules(ProgrammeKind.coaching),
        )
    )  # fmt: skip
    amina = await world.register("Amina", email="amina@un.test", language="fr", time_zone="Africa/Nairobi", role=Role.mentor)
    ravi = await world.register("Ravi", email="ravi@un.test", language="en", time_zone="Asia/Bangkok")
    pairing, request = uuid.uuid4(), uuid.uuid4()
    accepted = RequestAccepted(
        request_id=request, mentee_id=ravi, mentor_id=amina, pairing_id=pairing, accepted_at=datetime.now(UTC)
    )
    formed = PairingFormed(
        pairing_id=pairing, request_id=request, mentee_id=ravi, mentor_id=amina, cohort_id=world.cohort,
        programme_id=world.programme, mentee_person_id="Ravi", mentor_person_id="Amina", formed_at=datetime.now(UTC),
    )  # fmt: skip
    [_, formed_env] = await world.publish(accepted, formed)  # RequestAccepted tells nobody now
    await world.recorded(formed_env.id, 2)

    assert await world.worker.run_due() == ["sent", "sent"]
    [to_ravi], [to_amina] = world.mailbox.to("ravi@un.test"), world.mailbox.to("amina@un.test")
    assert to_ravi["Subject"] == "You are paired with Amina"
    assert "Amina accepted your request and is now your coach" in plain(to_ravi)
    assert "book your first session" in plain(to_ravi) and "The programme suggests meeting monthly." in plain(to_ravi)
    assert to_amina["Subject"] == "Vous êtes en binôme avec Ravi"
    assert "Ravi vous a demandé d'être son coach et vous avez accepté" in plain(to_amina)


async def test_answers_erased_later_drop_our_copies_of_name_and_address(world: World):
    amina = await world.register("Amina", email="amina@un.test", language="en", time_zone="UTC", role=Role.mentor)
    ravi = await world.register("Ravi", email="ravi@un.test", language="en", time_zone="UTC")
    [sent] = await world.publish(request_sent(ravi, amina, datetime.now(UTC) + timedelta(days=3)))
    [row] = await world.recorded(sent.id)
    assert await world.worker.run_due() == ["sent"]
    assert (await world.delivery(row["id"]))["address"] == "amina@un.test"
    erased = ParticipantAnswersErased(
        participant_id=amina, person_id="Amina", cohort_id=world.cohort, programme_id=world.programme, erased_at=datetime.now(UTC)
    )
    await world.publish(erased)

    async def erased_here() -> bool:
        return (await world.delivery(row["id"]))["address"] is None

    await wait_until(erased_here, what="the address to be erased")
    async with world.runtime.engine.connect() as conn:
        name = (await conn.execute(sa.select(participants.c.display_name).where(participants.c.id == amina))).scalar_one()
    assert name is None


def pairing_of(mentee: uuid.UUID, mentor: uuid.UUID, world: World) -> Pairing:
    """The pairing as scheduling knows it: scheduling's own rules make the events the tests below publish."""
    return Pairing(
        id=uuid.uuid4(), mentee_id=mentee, mentor_id=mentor, cohort_id=world.cohort, programme_id=world.programme,
        mentee_person_id="Ravi", mentor_person_id="Amina", request_id=None,
    )  # fmt: skip


async def test_a_booking_mails_what_the_session_covers_in_each_readers_words(world: World):
    amina = await world.register("Amina", email="amina@un.test", language="fr", time_zone="Africa/Nairobi", role=Role.mentor)
    ravi = await world.register("Ravi", email="ravi@un.test", language="en", time_zone="Asia/Bangkok")
    plan = plan_for("coaching", None)
    (item,) = plan.open_items({1}, 1)  # the introduction is held: the first coaching session is booked
    _, booked = Session.book(
        pairing_of(ravi, amina, world), starts_at=datetime(2027, 1, 12, 6, 0, tzinfo=UTC), time_zone="Africa/Nairobi",
        duration_minutes=45, organiser_id=ravi, agenda=item,
    )  # fmt: skip
    [booked_env] = await world.publish(booked)
    await world.recorded(booked_env.id, 2)
    assert await world.worker.run_due() == ["sent", "sent"]

    [to_ravi], [to_amina] = world.mailbox.to("ravi@un.test"), world.mailbox.to("amina@un.test")
    agenda = "; ".join(item.themes)  # the plan's agenda content (programme text, in English)
    assert to_ravi["Subject"] == "Session booked: 2027-01-12 13:00 (Asia/Bangkok)"
    assert "A session (Coaching session 1) with Amina was booked" in plain(to_ravi)
    assert f"On the agenda: {agenda}." in plain(to_ravi)
    assert to_amina["Subject"] == "Séance réservée : 2027-01-12 09:00 (Africa/Nairobi)"
    assert f"À l'ordre du jour : {agenda}." in plain(to_amina)
    assert f"<p>On the agenda: {agenda}.</p>" in to_ravi.get_body(("html",)).get_content().replace("&#39;", "'")


async def test_a_session_recorded_afterwards_asks_both_partners_for_feedback_as_a_booked_one(world: World):
    amina = await world.register("Amina", email="amina@un.test", language="fr", time_zone="Africa/Nairobi", role=Role.mentor)
    ravi = await world.register("Ravi", email="ravi@un.test", language="en", time_zone="Asia/Bangkok")
    now = datetime.now(UTC)
    pairing = replace(pairing_of(ravi, amina, world), formed_at=now - timedelta(days=30))
    held, recorded, completed = record_held_elsewhere(
        pairing, [], plan_for("coaching", None), starts_at=now - timedelta(days=2), time_zone="Africa/Nairobi",
        duration_minutes=45, recorded_by=amina, plan_step=None, now=now,
    )  # fmt: skip
    recorded_env, completed_env = await world.publish(recorded, completed)
    await world.recorded(completed_env.id, 2)
    assert await world.recorded(recorded_env.id, 0) == []  # handled first (one key, one partition): it tells nobody
    assert await world.worker.run_due() == ["sent", "sent"]

    [to_ravi], [to_amina] = world.mailbox.to("ravi@un.test"), world.mailbox.to("amina@un.test")
    assert to_ravi["Subject"] == "How was your session?"
    assert "Your session with Amina took place." in plain(to_ravi) and "Please rate it" in plain(to_ravi)
    assert to_amina["Subject"] == "Comment s'est passée votre séance ?"
    assert "Votre séance avec Ravi a eu lieu." in plain(to_amina)
    assert not any(p.get_content_type() == "text/calendar" for p in to_ravi.walk())  # nothing to put in a calendar
    assert held.held_elsewhere and completed.session_id == held.id == recorded.session_id
