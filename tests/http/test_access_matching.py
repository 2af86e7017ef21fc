"""Matching's access rules as a table (see tests/http/access.py).

Seeded through matching's own handlers: ParticipantRegistered for a mentee
("owner"), a mentor and another mentee ("other-participant") in programme A's
cohort, and a mentee ("stranger") in programme B's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from matching.consumers import handlers
from tests.apps import client, service_app
from tests.http.access import People, check, deliver, registered, table
from together_events.contracts.registration import Role

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def service(stack, create_database, signer):
    async with service_app("matching", await create_database("access_matching"), stack.kafka_bootstrap, signer) as (app, rt):
        async with client(app) as http:
            yield http, rt


@dataclass
class World:
    people: People
    cohort: uuid.UUID
    other_cohort: uuid.UUID
    participants: dict[str, uuid.UUID]


@pytest.fixture
async def world(service) -> World:
    _, runtime = service
    people = People(uuid.uuid4(), uuid.uuid4())
    cohort, other_cohort = uuid.uuid4(), uuid.uuid4()
    events = {
        "owner": registered(people.person("owner"), people.programme, cohort, Role.mentee, grade="P-2"),
        "mentor": registered(people.person("mentor"), people.programme, cohort, Role.mentor, mentor_capacity=2, grade="P-5"),
        "other-participant": registered(people.person("other-participant"), people.programme, cohort, Role.mentee, grade="P-2"),
        "stranger": registered(people.person("stranger"), people.other_programme, other_cohort, Role.mentee, grade="P-2"),
    }
    await deliver(runtime, handlers(runtime), *events.values())
    return World(people, cohort, other_cohort, {name: e.participant_id for name, e in events.items()})


def suggestions_path(w: World, obj: str) -> str:
    """Objects: the owner's suggestions; in a cohort they are not in; of a mentor; of nobody."""
    cohort, mentee = {
        "owner-suggestions": (w.cohort, w.participants["owner"]),
        "other-cohort": (w.other_cohort, w.participants["owner"]),
        "mentor-suggestions": (w.cohort, w.participants["mentor"]),
        "missing": (w.cohort, uuid.uuid4()),
    }[obj]
    return f"/cohorts/{cohort}/mentees/{mentee}/suggestions"


# GET /cohorts/{cohort_id}/mentees/{mentee_id}/suggestions: the mentee themself, or their programme's team.
CASES = table(
    "matching",
    [
        ("suggestions", "anonymous", "owner-suggestions", 401),
        ("suggestions", "owner", "owner-suggestions", 200),
        ("suggestions", "other-participant", "owner-suggestions", 403),
        ("suggestions", "mentor", "owner-suggestions", 403),
        ("suggestions", "stranger", "owner-suggestions", 403),
        ("suggestions", "team", "owner-suggestions", 200),
        ("suggestions", "all-teams", "owner-suggestions", 200),
        ("suggestions", "other-team", "owner-suggestions", 403),
        ("suggestions", "service", "owner-suggestions", 403),
        ("suggestions", "service-star", "owner-suggestions", 403),
        ("suggestions", "participant-star", "owner-suggestions", 403),
        ("suggestions", "owner", "other-cohort", 404),
        ("suggestions", "team", "missing", 404),
        ("suggestions", "mentor", "mentor-suggestions", 422),  # not registered as a mentee
        ("suggestions", "other-participant", "mentor-suggestions", 403),
    ],
)


@pytest.mark.parametrize(("action", "caller", "obj", "status"), CASES)
async def test_access(service, world, signer, action, caller, obj, status):
    http, _ = service
    response = await http.get(suggestions_path(world, obj), headers=world.people.headers(signer, caller))
    check(response, status)
    if status == 200:
        body = response.json()
        assert body["mentee_id"] == str(world.participants["owner"])
        assert [s["mentor_id"] for s in body["suggestions"]] == [str(world.participants["mentor"])]
        assert body["suggestions"][0]["reasons"]
