"""Pairing's offers mailed on the real broker, database and SMTP server: the receiver is asked to answer and
reminded, a reminder of an offer answered before its mail went is not sent, the mentor who proposed hears a
refusal, and the programme team, which nominates for the supervisor, hears each answer to its nominations.

Events are published to Kafka as pairing publishes them, with the times the facts happened; notifications'
real consumer records the messages and its real delivery worker hands the mails to a real SMTP server.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.integration.test_notifications_delivery import Directory, World, notifications_world, plain, served
from tests.integration.test_notifications_order import SETTLE, after_the_window, happened, mail_states, programme, subjects
from tests.kafka_tools import wait_until
from together_contracts.pairing_kinds import (
    OfferAccepted,
    OfferDeclined,
    OfferExpired,
    OfferKind,
    OfferMade,
    OfferReminderDue,
)
from together_contracts.registration import ProgrammeKind, Role

pytestmark = pytest.mark.integration


@pytest.fixture
async def world(stack, create_database, signer, monkeypatch) -> AsyncIterator[World]:
    """Notifications with its default settling window; contacts from a server that answers like registration's."""
    directory = Directory(signer.public_key_file.read_bytes())
    async with served(directory.app()) as url:
        async with notifications_world(stack, create_database, signer, monkeypatch, directory, url, settle_seconds=SETTLE) as w:
            yield w


def offer_made(offer: uuid.UUID, kind: OfferKind, mentee: uuid.UUID, mentor: uuid.UUID, world: World, at: datetime) -> OfferMade:
    receiver = mentee if kind is OfferKind.proposal else mentor
    return OfferMade(
        offer_id=offer, kind=kind, mentee_id=mentee, mentor_id=mentor, cohort_id=world.cohort, receiver_id=receiver,
        made_at=at, remind_at=at + timedelta(days=2), expires_at=at + timedelta(days=3),
    )  # fmt: skip


async def test_a_proposal_asks_the_mentee_and_a_reminder_after_the_answer_is_not_sent(world: World):
    amina = await world.register("Amina", email="amina@un.test", language="en", time_zone="Africa/Nairobi", role=Role.mentor)
    ravi = await world.register("Ravi", email="ravi@un.test", language="fr", time_zone="Asia/Bangkok")
    offer, t = uuid.uuid4(), datetime.now(UTC)
    await happened(world, offer_made(offer, OfferKind.proposal, ravi, amina, world, t), t)
    assert await after_the_window(world) == ["sent"]
    assert subjects(world, "ravi@un.test") == ["Amina propose d'être votre mentor inversé"]
    assert "Veuillez accepter ou refuser dans l'application Together avant le" in plain(world.mailbox.to("ravi@un.test")[0])

    # The reminder fell due as Ravi accepted: read in either order, the accept makes the reminder's mail moot.
    ids = {"offer_id": offer, "kind": OfferKind.proposal, "mentee_id": ravi, "mentor_id": amina}
    await happened(world, OfferAccepted(**ids, pairing_id=uuid.uuid4(), accepted_at=t), t + timedelta(seconds=2))
    reminder = OfferReminderDue(**ids, receiver_id=ravi, expires_at=t + timedelta(days=3), reminded_at=t)
    await happened(world, reminder, t + timedelta(seconds=1))
    assert await mail_states(world, ravi) == [
        ("offer_received", "sent", None),
        ("offer_reminder", "skipped", "moot: the offer was accepted"),
    ]
    assert await mail_states(world, amina) == []  # PairingFormed tells the partners they are paired

    # Another proposal of Amina's, declined: she hears it.
    other = uuid.uuid4()
    declined = OfferDeclined(offer_id=other, kind=OfferKind.proposal, mentee_id=ravi, mentor_id=amina, declined_at=t)
    await happened(world, declined, t + timedelta(seconds=3))
    world.travel(60)
    assert await world.worker.run_due() == ["sent"]
    assert subjects(world, "amina@un.test") == ["Your proposal was not accepted"]
    assert "Ravi declined your proposal to mentor them." in plain(world.mailbox.to("amina@un.test")[0])


async def test_the_programme_team_hears_each_answer_to_its_nominations(world: World):
    await world.publish(programme(world, ProgrammeKind.on_the_job_learning, team_mailbox="learning@un.test"))
    amina = await world.register("Amina", email="amina@un.test", language="es", time_zone="Europe/Zurich", role=Role.mentor)
    ravi = await world.register("Ravi", email="ravi@un.test", language="en", time_zone="Asia/Bangkok")

    async def mailbox_known() -> bool:
        async with world.runtime.engine.connect() as conn:
            return (await conn.execute(sa.text("SELECT team_mailbox FROM programmes"))).scalar() == "learning@un.test"

    await wait_until(mailbox_known, what="notifications to learn the team's mailbox")
    first, second, t = uuid.uuid4(), uuid.uuid4(), datetime.now(UTC)
    await happened(world, offer_made(first, OfferKind.nomination, ravi, amina, world, t), t)
    ids = {"kind": OfferKind.nomination, "mentee_id": ravi, "mentor_id": amina}
    await happened(world, OfferExpired(offer_id=first, **ids, expired_at=t), t + timedelta(seconds=1))
    assert await mail_states(world, amina) == [("offer_received", "skipped", "moot: the offer was expired")]
    await happened(world, offer_made(second, OfferKind.nomination, ravi, amina, world, t), t + timedelta(seconds=2))
    assert sorted(await after_the_window(world)) == ["sent", "sent"]  # the team hears of the expiry; Amina is asked
    [asked] = world.mailbox.to("amina@un.test")
    assert asked["Subject"] == "Ha sido designado como mentor de Ravi"
    await happened(world, OfferAccepted(offer_id=second, **ids, pairing_id=uuid.uuid4(), accepted_at=t), t + timedelta(seconds=3))
    world.travel(60)
    assert await world.worker.run_due() == ["sent"]
    assert subjects(world, "learning@un.test") == [
        "A nomination was left unanswered: Amina for Ravi",
        "A nomination was accepted: Amina for Ravi",
    ]
    assert "was accepted: they are paired." in plain(world.mailbox.to("learning@un.test")[1])
