"""Notifications' access rules as a table (see tests/http/access.py).

Seeded through notifications' own handlers: ParticipantRegistered for "owner"
and "other-participant" in programme A's cohort and "stranger" in programme B's;
then a RequestSent to the owner as mentor, so the owner has one message.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from notifications.consumers import handlers
from tests.apps import client, service_app
from tests.http.access import People, check, deliver, registered, table
from together_events.contracts.pairing import RequestSent
from together_events.contracts.registration import Role

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def service(stack, create_database, signer):
    async with service_app("notifications", await create_database("access_notif"), stack.kafka_bootstrap, signer) as (app, rt):
        async with client(app) as http:
            yield http, rt


@dataclass
class World:
    people: People
    participants: dict[str, uuid.UUID]


@pytest.fixture
async def world(service) -> World:
    _, runtime = service
    people = People(uuid.uuid4(), uuid.uuid4())
    cohort = uuid.uuid4()
    events = {
        "owner": registered(people.person("owner"), people.programme, cohort, Role.mentor, mentor_capacity=1),
        "other-participant": registered(people.person("other-participant"), people.programme, cohort, Role.mentee),
        "stranger": registered(people.person("stranger"), people.other_programme, uuid.uuid4(), Role.mentee),
    }
    now = datetime.now(UTC)
    request_sent = RequestSent(
        request_id=uuid.uuid4(),
        selection_id=uuid.uuid4(),
        mentee_id=events["other-participant"].participant_id,
        mentor_id=events["owner"].participant_id,
        cohort_id=cohort,
        rank=1,
        reached_mentor_at=now,
        remind_at=now + timedelta(days=2),
        expires_at=now + timedelta(days=3),
    )
    await deliver(runtime, handlers(runtime), *events.values(), request_sent)
    return World(people, {name: e.participant_id for name, e in events.items()})


# GET /participants/{participant_id}/notifications: that participant only; never the programme team.
CASES = table(
    "notifications",
    [
        ("messages", "anonymous", "owner", 401),
        ("messages", "owner", "owner", 200),
        ("messages", "other-participant", "owner", 403),
        ("messages", "stranger", "owner", 403),
        ("messages", "team", "owner", 403),
        ("messages", "all-teams", "owner", 403),
        ("messages", "other-team", "owner", 403),
        ("messages", "service", "owner", 403),
        ("messages", "service-star", "owner", 403),
        ("messages", "other-participant", "other-participant", 200),
        ("messages", "owner", "missing", 404),
    ],
)


@pytest.mark.parametrize(("action", "caller", "obj", "status"), CASES)
async def test_access(service, world, signer, action, caller, obj, status):
    http, _ = service
    participant = world.participants.get(obj) or uuid.uuid4()
    response = await http.get(f"/participants/{participant}/notifications", headers=world.people.headers(signer, caller))
    check(response, status)
    if status == 200:
        kinds = [n["kind"] for n in response.json()]
        assert kinds == (["request_received"] if obj == "owner" else [])
        assert all(n["recipient_id"] == str(participant) for n in response.json())


async def test_a_team_member_who_is_also_a_participant_reads_only_their_own_messages(service, world, signer):
    http, _ = service
    # The team of the owner's programme, signed in as a participant too (another person): still refused.
    both = signer.headers(world.people.person("team"), "participant", "programme_team", programmes=["*"])
    check(await http.get(f"/participants/{world.participants['owner']}/notifications", headers=both), 403)
