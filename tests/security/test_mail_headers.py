"""Issue 14, point 1: no mail header injection, on the real stack.

A name holding an RFC 2047 encoded word that decodes to CR LF (`Reply-To:` and a body of the
attacker's choosing), or a Unicode line separator (U+2028, U+0085), is refused by registration's API
with a 422 naming the field and the rule. A name stored before that rule (it travels in events to
notifications) still reaches the subject of a partner's mail: the mail is sent, as the SMTP server
receives it it has exactly its own headers and its real MIME parts, and the name is rendered harmless.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from tests.apps import client, service_app
from tests.integration.test_notifications_delivery import Directory, notifications_world, served
from tests.integration.test_notifications_delivery import World as NotificationsWorld
from tests.integration.test_registration import World as RegistrationWorld
from together_contracts.pairing import PairingFormed
from together_contracts.registration import Role
from together_events.topics import Topic, service_topic
from together_operator.provision import delete_topics, ensure_topics

pytestmark = pytest.mark.integration

ENCODED_WORD_PAYLOAD = "=?utf-8?q?x=0D=0AReply-To:_attacker@evil.example=0D=0A=0D=0AClick_https://evil.example/login?="
LINE_SEPARATED = {
    "U+2028": "Amina\u2028Reply-To: attacker@evil.example\u2028\u2028Click https://evil.example/login",
    "U+0085": "Amina\x85Reply-To: attacker@evil.example\x85\x85Click https://evil.example/login",
}
SINGLE_LINE = "must be a single line: no line break, line separator or control character"
NO_ENCODED_WORD = "must not contain an RFC 2047 encoded word (=?...?=)"
HEADERS = ["From", "To", "Subject", "Message-ID", "Date", "Auto-Submitted", "MIME-Version", "Content-Type", "Content-Language"]


def refusals(body: dict) -> set[tuple[str, str]]:
    """(field, what the rule says) of each refusal, whose rule is named: single_line or no_encoded_word."""
    found = {(d["field"], d["rule"], d["message"]) for d in body["error"]["details"]}
    assert {rule for _, rule, _ in found} <= {"single_line", "no_encoded_word"}
    assert all(rule == ("single_line" if message == SINGLE_LINE else "no_encoded_word") for _, rule, message in found)
    return {(field, message) for field, _, message in found}


@pytest.fixture
async def registration(stack, create_database, signer, monkeypatch) -> AsyncIterator[RegistrationWorld]:
    monkeypatch.setenv("TOGETHER_TOPIC_NAMESPACE", f"t{uuid.uuid4().hex[:8]}.")
    topic = service_topic("registration")
    await ensure_topics(stack.kafka_bootstrap, [Topic(topic, 1)])
    database = await create_database("registration")
    try:
        async with service_app("registration", database, stack.kafka_bootstrap, signer) as (app, runtime):
            async with client(app) as http:
                yield RegistrationWorld(http, runtime, signer, stack)
    finally:
        await delete_topics(stack.kafka_bootstrap, [topic])


@pytest.fixture
async def notifications(stack, create_database, signer, monkeypatch) -> AsyncIterator[NotificationsWorld]:
    directory = Directory(signer.public_key_file.read_bytes())
    async with served(directory.app()) as url:
        async with notifications_world(stack, create_database, signer, monkeypatch, directory, url) as world:
            yield world


async def test_registration_refuses_names_that_could_become_headers(registration: RegistrationWorld):
    world = registration
    cohort = await world.cohort(await world.programme())

    async def register_eve(**answers: object) -> dict:
        response = await world.http.post(
            f"/cohorts/{cohort}/participants", json={**world.answers("eve"), **answers}, headers=world.person("eve")
        )
        assert response.status_code == 422, response.text
        return response.json()

    encoded = await register_eve(name=ENCODED_WORD_PAYLOAD)
    assert refusals(encoded) == {("body.name", NO_ENCODED_WORD)}
    assert "body.name: must not contain an RFC 2047 encoded word" in encoded["error"]["message"]
    for label, name in LINE_SEPARATED.items():
        refused = await register_eve(name=name)
        assert refusals(refused) == {("body.name", SINGLE_LINE)}, label
    # A word of the questionnaire is held to the same rule, and so is a changed name.
    word = await register_eve(entity="Secretariat\u2029Bcc: a@evil.example")
    assert refusals(word) == {("body.entity", SINGLE_LINE)}
    ann = await world.register(cohort, "ann")
    for name, rule in ((ENCODED_WORD_PAYLOAD, NO_ENCODED_WORD), (LINE_SEPARATED["U+0085"], SINGLE_LINE)):
        changed = await world.http.patch(f"/participants/{ann['id']}", json={"name": name}, headers=world.person("ann"))
        assert changed.status_code == 422 and refusals(changed.json()) == {("body.name", rule)}
    kept = await world.http.get(f"/participants/{ann['id']}", headers=world.person("ann"))
    assert kept.json()["public_profile"]["display_name"] == "Ann"


async def test_a_stored_bad_name_reaches_no_header_and_the_mail_still_goes(notifications: NotificationsWorld):
    world = notifications
    ravi = await world.register("Ravi", email="ravi@un.test", language="en", time_zone="UTC")
    names = {"encoded word": ENCODED_WORD_PAYLOAD, **LINE_SEPARATED}
    mentors = {
        label: await world.register(name, email=f"mentor-{i}@un.test", language="en", time_zone="UTC", role=Role.mentor)
        for i, (label, name) in enumerate(names.items())
    }
    for mentor in mentors.values():
        formed = PairingFormed(
            pairing_id=uuid.uuid4(), request_id=uuid.uuid4(), mentee_id=ravi, mentor_id=mentor, cohort_id=world.cohort,
            programme_id=world.programme, mentee_person_id="Ravi", mentor_person_id="mentor", formed_at=datetime.now(UTC),
        )  # fmt: skip
        [envelope] = await world.publish(formed)
        await world.recorded(envelope.id, 2)

    assert sorted(await world.worker.run_due()) == ["sent"] * 6

    to_ravi = world.mailbox.to("ravi@un.test")
    assert len(to_ravi) == 3
    for mail in to_ravi:
        assert mail.keys() == [*HEADERS, "X-Envelope-To"]  # the last added by the test's SMTP server
        assert mail["Reply-To"] is None and mail["X-Envelope-To"] == "ravi@un.test"
        assert mail["Subject"].startswith("You are paired with") and "=?" not in mail["Subject"]
        assert [part.get_content_type() for part in mail.walk()] == ["multipart/alternative", "text/plain", "text/html"]
        assert "accepted your request and is now your mentor" in mail.get_body(("plain",)).get_content()
    assert {m["Subject"] for m in to_ravi} == {
        "You are paired with",
        "You are paired with Amina Reply-To: attacker@evil.example Click https://evil.example/login",
    }


async def test_a_stored_address_unsafe_for_a_header_fails_its_delivery_at_once_with_the_reason(notifications: NotificationsWorld):
    world = notifications
    # Stored before registration's API refused encoded words in addresses: no retry can make it safe.
    mallory = await world.register("Mallory", email=f"{ENCODED_WORD_PAYLOAD}@un.test", language="en", time_zone="UTC")
    amina = await world.register("Amina", email="amina@un.test", language="en", time_zone="UTC", role=Role.mentor)
    formed = PairingFormed(
        pairing_id=uuid.uuid4(), request_id=uuid.uuid4(), mentee_id=mallory, mentor_id=amina, cohort_id=world.cohort,
        programme_id=world.programme, mentee_person_id="Mallory", mentor_person_id="Amina", formed_at=datetime.now(UTC),
    )  # fmt: skip
    [envelope] = await world.publish(formed)
    recorded = await world.recorded(envelope.id, 2)

    assert sorted(await world.worker.run_due()) == ["failed", "sent"]
    to_mallory = next(row for row in recorded if row["recipient_id"] == mallory)
    delivery = await world.delivery(to_mallory["id"])
    assert delivery["state"] == "failed" and delivery["attempts"] == 1
    assert delivery["last_error"].startswith("unsafe for a mail header")
    assert world.mailbox.to("amina@un.test") and not world.mailbox.to(f"{ENCODED_WORD_PAYLOAD}@un.test")
