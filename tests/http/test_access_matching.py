"""Matching's access rules as a table (see tests/http/access.py).

Seeded through matching's own handlers: ParticipantRegistered for a mentee
("owner"), a mentor and another mentee ("other-participant") in programme A's
cohort, and a mentee ("stranger") in programme B's. The programme team proposes
one cohort-wide assignment for the review and accept rows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from matching.consumers import handlers
from tests.apps import client, service_app
from tests.http.access import People, check, deliver, registered, table
from together_contracts.registration import Role

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
    assignment: uuid.UUID


@pytest.fixture
async def world(service, signer) -> World:
    http, runtime = service
    people = People(uuid.uuid4(), uuid.uuid4())
    cohort, other_cohort = uuid.uuid4(), uuid.uuid4()
    events = {
        "owner": registered(people.person("owner"), people.programme, cohort, Role.mentee, grade="P-2"),
        "mentor": registered(people.person("mentor"), people.programme, cohort, Role.mentor, mentor_capacity=2, grade="P-5"),
        "other-participant": registered(people.person("other-participant"), people.programme, cohort, Role.mentee, grade="P-2"),
        "stranger": registered(people.person("stranger"), people.other_programme, other_cohort, Role.mentee, grade="P-2"),
    }
    await deliver(runtime, handlers(runtime), *events.values())
    proposed = await http.post(f"/cohorts/{cohort}/assignments", json={}, headers=people.headers(signer, "team"))
    assert proposed.status_code == 201, proposed.text
    participants = {name: e.participant_id for name, e in events.items()}
    return World(people, cohort, other_cohort, participants, uuid.UUID(proposed.json()["assignment_id"]))


def suggestions_path(w: World, obj: str) -> str:
    """Objects: the owner's suggestions; in a cohort they are not in; of a mentor; of nobody."""
    cohort, mentee = {
        "owner-suggestions": (w.cohort, w.participants["owner"]),
        "other-cohort": (w.other_cohort, w.participants["owner"]),
        "mentor-suggestions": (w.cohort, w.participants["mentor"]),
        "missing": (w.cohort, uuid.uuid4()),
    }[obj]
    return f"/cohorts/{cohort}/mentees/{mentee}/suggestions"


def why_not_path(w: World, obj: str) -> str:
    """Objects: why the mentor is not suggested to the owner; to a mentee matching does not know."""
    mentee = {"owner-mentor": w.participants["owner"], "missing": uuid.uuid4()}[obj]
    return f"/cohorts/{w.cohort}/mentees/{mentee}/why-not/{w.participants['mentor']}"


def cohort_path(w: World, obj: str, rest: str) -> str:
    """Objects: the cohort; a cohort matching does not know."""
    cohort = {"cohort": w.cohort, "unknown-cohort": uuid.uuid4()}[obj]
    return f"/cohorts/{cohort}/{rest}"


def assignment_path(w: World, obj: str) -> str:
    """Objects: the proposal; one that does not exist; the proposal asked for under another cohort."""
    cohort, assignment = {
        "proposal": (w.cohort, w.assignment),
        "missing": (w.cohort, uuid.uuid4()),
        "other-cohort": (w.other_cohort, w.assignment),
    }[obj]
    return f"/cohorts/{cohort}/assignments/{assignment}"


async def act(http, w: World, action: str, obj: str, headers: dict[str, str]):
    match action:
        case "suggestions":
            return await http.get(suggestions_path(w, obj), headers=headers)
        case "why-not":
            return await http.get(why_not_path(w, obj), headers=headers)
        case "search":
            return await http.get(cohort_path(w, obj, "mentors"), headers=headers)
        case "propose":
            return await http.post(cohort_path(w, obj, "assignments"), json={"method": "stable"}, headers=headers)
        case "list":
            return await http.get(cohort_path(w, obj, "assignments"), headers=headers)
        case "review":
            return await http.get(assignment_path(w, obj), headers=headers)
        case "accept":
            return await http.post(f"{assignment_path(w, obj)}/accept", headers=headers)
        case "fairness":
            return await http.get(cohort_path(w, obj, "fairness"), headers=headers)
    raise AssertionError(action)


# Suggestions: the mentee themself, or their programme's team. Why-not, assignment and fairness: the
# programme's team only. Search: the cohort's participants and its programme's team.
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
        ("why-not", "anonymous", "owner-mentor", 401),
        ("why-not", "owner", "owner-mentor", 403),
        ("why-not", "mentor", "owner-mentor", 403),
        ("why-not", "other-participant", "owner-mentor", 403),
        ("why-not", "team", "owner-mentor", 200),
        ("why-not", "all-teams", "owner-mentor", 200),
        ("why-not", "other-team", "owner-mentor", 403),
        ("why-not", "service", "owner-mentor", 403),
        ("why-not", "service-star", "owner-mentor", 403),
        ("why-not", "participant-star", "owner-mentor", 403),
        ("why-not", "team", "missing", 404),
        ("search", "anonymous", "cohort", 401),
        ("search", "owner", "cohort", 200),
        ("search", "mentor", "cohort", 200),
        ("search", "other-participant", "cohort", 200),
        ("search", "stranger", "cohort", 403),
        ("search", "team", "cohort", 200),
        ("search", "all-teams", "cohort", 200),
        ("search", "other-team", "cohort", 403),
        ("search", "service", "cohort", 403),
        ("search", "participant-star", "cohort", 403),
        ("search", "team", "unknown-cohort", 404),
        ("propose", "anonymous", "cohort", 401),
        ("propose", "owner", "cohort", 403),
        ("propose", "mentor", "cohort", 403),
        ("propose", "team", "cohort", 201),
        ("propose", "all-teams", "cohort", 201),
        ("propose", "other-team", "cohort", 403),
        ("propose", "service", "cohort", 403),
        ("propose", "service-star", "cohort", 403),
        ("propose", "participant-star", "cohort", 403),
        ("propose", "team", "unknown-cohort", 404),
        ("list", "anonymous", "cohort", 401),
        ("list", "owner", "cohort", 403),
        ("list", "team", "cohort", 200),
        ("list", "all-teams", "cohort", 200),
        ("list", "other-team", "cohort", 403),
        ("list", "service", "cohort", 403),
        ("list", "team", "unknown-cohort", 404),
        ("review", "anonymous", "proposal", 401),
        ("review", "owner", "proposal", 403),
        ("review", "team", "proposal", 200),
        ("review", "all-teams", "proposal", 200),
        ("review", "other-team", "proposal", 403),
        ("review", "service", "proposal", 403),
        ("review", "team", "missing", 404),
        ("review", "team", "other-cohort", 404),
        ("accept", "anonymous", "proposal", 401),
        ("accept", "owner", "proposal", 403),
        ("accept", "mentor", "proposal", 403),
        ("accept", "team", "proposal", 200),
        ("accept", "all-teams", "proposal", 200),
        ("accept", "other-team", "proposal", 403),
        ("accept", "service", "proposal", 403),
        ("accept", "participant-star", "proposal", 403),
        ("accept", "team", "missing", 404),
        ("fairness", "anonymous", "cohort", 401),
        ("fairness", "owner", "cohort", 403),
        ("fairness", "mentor", "cohort", 403),
        ("fairness", "team", "cohort", 200),
        ("fairness", "all-teams", "cohort", 200),
        ("fairness", "other-team", "cohort", 403),
        ("fairness", "service", "cohort", 403),
        ("fairness", "participant-star", "cohort", 403),
        ("fairness", "team", "unknown-cohort", 404),
    ],
)


@pytest.mark.parametrize(("action", "caller", "obj", "status"), CASES)
async def test_access(service, world, signer, action, caller, obj, status):
    http, _ = service
    response = await act(http, world, action, obj, world.people.headers(signer, caller))
    check(response, status)
    if action == "suggestions" and status == 200:
        body = response.json()
        assert body["mentee_id"] == str(world.participants["owner"])
        assert [s["mentor_id"] for s in body["suggestions"]] == [str(world.participants["mentor"])]
        assert body["suggestions"][0]["reasons"]
    if action == "search" and status == 200:
        assert [r["participant_id"] for r in response.json()["results"]] == [str(world.participants["mentor"])]
    if action == "list" and status == 200:
        assert [p["assignment_id"] for p in response.json()] == [str(world.assignment)]
    if action == "accept" and status == 200:
        assert response.json()["status"] == "accepted"
    if action == "propose" and status == 201:
        assert response.json()["method"] == "stable"
