"""Notifications addresses its mails with registration's real contact endpoint.

Registration's real app runs in-process on its own database and is served over real HTTP on
loopback; people register through its API with their e-mail and preferred language. Its events
are taken from its outbox and published to Kafka as its relay would. First
`AddressVerificationRequested`: notifications' delivery worker asks registration for each
verification mail's link with its service token and mails it to a real SMTP server; each person
follows the link in their mail. Then the `ParticipantRegistered` that verification published:
notifications' consumer learns of the people, and its delivery worker asks registration for their
addresses and mails them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.apps import client, service_app
from tests.integration.test_notifications_delivery import Directory, notifications_world, plain, request_sent, served
from tests.kafka_tools import wait_until
from tests.verification import mailed_tokens, present_token
from together_contracts.pairing import RequestDeclined
from together_events import Envelope
from together_events.tables import outbox_table
from together_events.topics import service_topic

pytestmark = pytest.mark.integration


def answers(name: str, email: str, language: str, duty_station: str, role: str) -> dict:
    return {
        "name": name, "email": email, "appointment_type": "permanent", "entity": "Secretariat", "duty_station": duty_station,
        "grade": "P-4" if role == "mentor" else "P-2", "years_of_service": 9, "job_network": "POLNET",
        "languages": ["English", "French"], "preferred_language": language, "roles": [role],
        **({"mentor_capacity": 2} if role == "mentor" else {}),
    }  # fmt: skip


async def relayed(runtime, world, event_type: str) -> list[Envelope]:
    """Registration's `event_type` events, from its outbox to Kafka as its relay publishes them."""
    async with runtime.engine.connect() as conn:
        query = sa.select(outbox_table.c.envelope).where(outbox_table.c.event_type.like(f"%.{event_type}.v%"))
        envelopes = [Envelope.model_validate(row.envelope) for row in await conn.execute(query)]
    for envelope in envelopes:
        await world.producer.send_and_wait(
            service_topic("registration"), value=envelope.to_json_bytes(), key=envelope.subject.encode()
        )
    return envelopes


async def test_mails_go_to_registrations_address_in_registrations_language(stack, create_database, signer, monkeypatch):
    registration_db = await create_database("notif_reg")
    async with service_app("registration", registration_db, stack.kafka_bootstrap, signer) as (reg_app, reg_runtime):
        async with client(reg_app) as reg, served(reg_app) as registration_url:
            lead = signer.headers("lead", "programme_team", programmes=["*"])
            programme = (await reg.post("/programmes", json={"name": "Mentoring", "kind": "mentoring"}, headers=lead)).json()
            today = reg_runtime.now().date()
            dates = {"registration_opens_on": today - timedelta(days=1), "registration_closes_on": today + timedelta(days=30),
                     "starts_on": today + timedelta(days=31), "ends_on": today + timedelta(days=150)}  # fmt: skip
            cohort = await reg.post(
                f"/programmes/{programme['id']}/cohorts",
                json={"name": "2027", **{k: v.isoformat() for k, v in dates.items()}},
                headers=lead,
            )
            assert cohort.status_code == 201, cohort.text
            people = {}
            for name, language, station, role in (  # the time zone follows the duty station
                ("Amina", "fr", "Nairobi", "mentor"),
                ("Ravi", "es", "Bangkok", "mentee"),
            ):
                subject = f"{name.lower()}-{uuid.uuid4().hex[:6]}"
                email = f"{subject}@un.test"
                response = await reg.post(
                    f"/cohorts/{cohort.json()['id']}/participants",
                    json=answers(name, email, language, station, role),
                    headers=signer.headers(subject, "participant"),
                )
                assert response.status_code == 201, response.text
                people[name] = (uuid.UUID(response.json()["id"]), subject, email)

            async with notifications_world(
                stack,
                create_database,
                signer,
                monkeypatch,
                Directory(b""),
                registration_url,  # not the stand-in: registration
            ) as world:
                # Registration asks for each address to be verified: notifications mails the link it gets
                # from registration, in the person's language, and each person follows the link in their mail.
                for requested in await relayed(reg_runtime, world, "AddressVerificationRequested"):
                    await world.recorded(requested.id)
                assert await world.worker.run_due() == ["sent", "sent"]
                for name, subject in (
                    ("Amina", "Confirmez votre adresse électronique"),
                    ("Ravi", "Confirme su dirección de correo electrónico"),
                ):
                    [mail] = world.mailbox.to(people[name][2])
                    assert mail["Subject"] == subject
                    [token] = mailed_tokens(mail)
                    person = signer.headers(people[name][1], "participant")
                    verified = await present_token(reg, token, person)
                    assert verified.status_code == 200, verified.text
                # Verified, they are registered for all to see: notifications learns of them.
                registered = await relayed(reg_runtime, world, "ParticipantRegistered")
                assert {envelope.subject for envelope in registered} == {str(p) for p, _, _ in people.values()}
                for participant, _, _ in people.values():
                    await wait_until(lambda p=participant: world._knows(p), what="notifications to learn of the registrations")

                amina, ravi = people["Amina"][0], people["Ravi"][0]
                [sent] = await world.publish(request_sent(ravi, amina, datetime(2026, 12, 2, 9, 0, tzinfo=UTC)))
                await world.recorded(sent.id)
                assert await world.worker.run_due() == ["sent"]
                [mail] = world.mailbox.mails[2:]
                assert mail["To"] == people["Amina"][2]
                assert mail["Subject"] == "Un mentoré vous demande d'être son mentor"
                assert "2026-12-02 12:00 (Africa/Nairobi)" in plain(mail)

                # Ravi withdraws in registration: a message to him stays in his feed, and is not mailed.
                withdrawn = await reg.post(
                    f"/participants/{ravi}/withdrawal", json={}, headers=signer.headers(people["Ravi"][1], "participant")
                )
                assert withdrawn.status_code == 200, withdrawn.text
                declined = RequestDeclined(
                    request_id=uuid.uuid4(), mentee_id=ravi, mentor_id=amina, declined_at=datetime.now(UTC)
                )
                [told] = await world.publish(declined)
                [row] = await world.recorded(told.id)
                assert await world.worker.run_due() == ["skipped"]
                assert (await world.delivery(row["id"]))["last_error"] == "participant withdrawn"
                assert len(world.mailbox.mails) == 3  # the two verification mails and Amina's request
