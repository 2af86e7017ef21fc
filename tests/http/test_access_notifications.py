"""Notifications' access rules as a table (see tests/http/access.py).

Seeded through notifications' own handlers: ParticipantRegistered for "owner"
and "other-participant" in programme A's cohort and "stranger" in programme B's;
then a RequestSent to the owner as mentor, so the owner has one message, whose
e-mail delivery is marked failed (as the delivery worker records it) for the
programme team's rows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa

from notifications.consumers import handlers
from notifications.tables import deliveries, notifications
from tests.apps import client, service_app
from tests.http.access import People, check, deliver, invisible_and_missing, registered, table
from together_contracts.pairing import RequestSent
from together_contracts.registration import Role

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
    message: uuid.UUID  # the owner's one message


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
    owner = events["owner"].participant_id
    async with runtime.engine.begin() as conn:
        message = (await conn.execute(sa.select(notifications.c.id).where(notifications.c.recipient_id == owner))).scalar_one()
        await conn.execute(
            deliveries.update().where(deliveries.c.notification_id == message).values(state="failed", last_error="no address")
        )
    return World(people, {name: e.participant_id for name, e in events.items()}, message)


# The feed, read state and preferences: that participant only; never the programme team. To anyone
# else the participant does not exist here (404, as an unknown one). Failed deliveries and their retry:
# the programme's team only (it sees reasons, not the words); the recipient sees the delivery (403).
PERSONAL = ("messages", "read", "unread", "preferences", "set-preferences")
CASES = table(
    "notifications",
    [
        *(
            row
            for action in PERSONAL
            for row in (
                (action, "anonymous", "owner", 401),
                (action, "owner", "owner", 204 if action in ("read", "unread") else 200),
                (action, "other-participant", "owner", 404),
                (action, "stranger", "owner", 404),
                (action, "team", "owner", 404),
                (action, "all-teams", "owner", 404),
                (action, "other-team", "owner", 404),
                (action, "service", "owner", 404),
                (action, "service-star", "owner", 404),
                (action, "owner", "missing", 404),
            )
        ),
        ("messages", "other-participant", "other-participant", 200),
        ("failed-deliveries", "anonymous", "programme", 401),
        ("failed-deliveries", "team", "programme", 200),
        ("failed-deliveries", "all-teams", "programme", 200),
        ("failed-deliveries", "other-team", "programme", 403),
        ("failed-deliveries", "owner", "programme", 403),
        ("failed-deliveries", "service", "programme", 403),
        ("failed-deliveries", "service-star", "programme", 403),
        ("failed-deliveries", "participant-star", "programme", 403),
        ("retry", "anonymous", "owner", 401),
        ("retry", "team", "owner", 202),
        ("retry", "all-teams", "owner", 202),
        ("retry", "other-team", "owner", 404),
        ("retry", "owner", "owner", 403),
        ("retry", "service", "owner", 404),
        ("retry", "service-star", "owner", 404),
        ("retry", "team", "missing", 404),
    ],
)


async def act(http: httpx.AsyncClient, world: World, action: str, obj: str, headers: dict[str, str]) -> httpx.Response:
    participant = world.participants.get(obj) or uuid.uuid4()
    message = world.message if obj == "owner" else uuid.uuid4()
    match action:
        case "messages":
            return await http.get(f"/participants/{participant}/notifications", headers=headers)
        case "read" | "unread":
            return await http.post(f"/participants/{participant}/notifications/{message}/{action}", headers=headers)
        case "preferences":
            return await http.get(f"/participants/{participant}/preferences", headers=headers)
        case "set-preferences":
            body = {"language": "fr", "email_off": ["request_reminder"]}
            return await http.put(f"/participants/{participant}/preferences", json=body, headers=headers)
        case "failed-deliveries":
            return await http.get(f"/programmes/{world.people.programme}/failed-deliveries", headers=headers)
        case "retry":
            return await http.post(f"/deliveries/{message}/retry", headers=headers)
    raise AssertionError(action)


@pytest.mark.parametrize(("action", "caller", "obj", "status"), CASES)
async def test_access(service, world, signer, action, caller, obj, status):
    http, _ = service
    response = await act(http, world, action, obj, world.people.headers(signer, caller))
    check(response, status)
    if (action, status) == ("messages", 200):
        participant = world.participants[obj]
        kinds = [n["kind"] for n in response.json()]
        assert kinds == (["request_received"] if obj == "owner" else [])
        assert all(n["recipient_id"] == str(participant) for n in response.json())
    if (action, status) == ("failed-deliveries", 200):
        [failed] = [row for row in response.json() if row["notification_id"] == str(world.message)]
        assert failed["reason"] == "no address" and "subject" not in failed and "body" not in failed


async def test_a_team_member_who_is_also_a_participant_reads_only_their_own_messages(service, world, signer):
    http, _ = service
    # The team of the owner's programme, signed in as a participant too (another person): the owner is not theirs to see.
    both = signer.headers(world.people.person("team"), "participant", "programme_team", programmes=["*"])
    check(await http.get(f"/participants/{world.participants['owner']}/notifications", headers=both), 404)


# (route, caller): the object the caller may not see (ADR 0005), asked for by its id and by an id nobody has.
OTHERS = ("other-participant", "stranger", "team", "all-teams", "other-team", "service")
INVISIBLE = [
    *((route, c) for route in ("messages", "read", "unread", "preferences", "set-preferences") for c in OTHERS),
    *(("retry", c) for c in ("other-participant", "other-team", "service")),
]


@pytest.mark.parametrize(("route", "caller"), INVISIBLE, ids=[f"{route}:{caller}" for route, caller in INVISIBLE])
async def test_an_object_the_caller_may_not_see_answers_as_a_missing_one(service, world, signer, route, caller):
    http, _ = service
    owner = world.participants["owner"]
    method, path, hidden, body = {
        "messages": ("GET", "/participants/{id}/notifications", owner, None),
        "read": ("POST", f"/participants/{{id}}/notifications/{world.message}/read", owner, None),
        "unread": ("POST", f"/participants/{{id}}/notifications/{world.message}/unread", owner, None),
        "preferences": ("GET", "/participants/{id}/preferences", owner, None),
        "set-preferences": ("PUT", "/participants/{id}/preferences", owner, {"language": "fr", "email_off": []}),
        "retry": ("POST", "/deliveries/{id}/retry", world.message, None),
    }[route]
    await invisible_and_missing(http, method, path, hidden, world.people.headers(signer, caller), json=body)
