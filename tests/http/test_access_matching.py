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
from tests.http.access import People, check, deliver, invisible_and_missing, registered, table
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
# programme's team only. Search: the cohort's participants and its programme's team. Who may not see
# the object (ADR 0005) gets 404, as for a missing one: a mentee is seen by themself and their team, a
# cohort by its team and participants, a proposal by the team; 403 is for who sees it but may not act.
CASES = table(
    "matching",
    [
        ("suggestions", "anonymous", "owner-suggestions", 401),
        ("suggestions", "owner", "owner-suggestions", 200),
        ("suggestions", "other-participant", "owner-suggestions", 404),
        ("suggestions", "mentor", "owner-suggestions", 404),
        ("suggestions", "stranger", "owner-suggestions", 404),
        ("suggestions", "team", "owner-suggestions", 200),
        ("suggestions", "all-teams", "owner-suggestions", 200),
        ("suggestions", "other-team", "owner-suggestions", 404),
        ("suggestions", "service", "owner-suggestions", 404),
        ("suggestions", "service-star", "owner-suggestions", 404),
        ("suggestions", "participant-star", "owner-suggestions", 404),
        ("suggestions", "owner", "other-cohort", 404),
        ("suggestions", "team", "missing", 404),
        ("suggestions", "mentor", "mentor-suggestions", 422),  # not registered as a mentee
        ("suggestions", "other-participant", "mentor-suggestions", 404),
        ("why-not", "anonymous", "owner-mentor", 401),
        ("why-not", "owner", "owner-mentor", 403),
        ("why-not", "mentor", "owner-mentor", 404),
        ("why-not", "other-participant", "owner-mentor", 404),
        ("why-not", "team", "owner-mentor", 200),
        ("why-not", "all-teams", "owner-mentor", 200),
        ("why-not", "other-team", "owner-mentor", 404),
        ("why-not", "service", "owner-mentor", 404),
        ("why-not", "service-star", "owner-mentor", 404),
        ("why-not", "participant-star", "owner-mentor", 404),
        ("why-not", "team", "missing", 404),
        ("search", "anonymous", "cohort", 401),
        ("search", "owner", "cohort", 200),
        ("search", "mentor", "cohort", 200),
        ("search", "other-participant", "cohort", 200),
        ("search", "stranger", "cohort", 404),
        ("search", "team", "cohort", 200),
        ("search", "all-teams", "cohort", 200),
        ("search", "other-team", "cohort", 404),
        ("search", "service", "cohort", 404),
        ("search", "participant-star", "cohort", 404),
        ("search", "team", "unknown-cohort", 404),
        ("propose", "anonymous", "cohort", 401),
        ("propose", "owner", "cohort", 403),
        ("propose", "mentor", "cohort", 403),
        ("propose", "team", "cohort", 201),
        ("propose", "all-teams", "cohort", 201),
        ("propose", "other-team", "cohort", 404),
        ("propose", "service", "cohort", 404),
        ("propose", "service-star", "cohort", 404),
        ("propose", "participant-star", "cohort", 404),
        ("propose", "team", "unknown-cohort", 404),
        ("list", "anonymous", "cohort", 401),
        ("list", "owner", "cohort", 403),
        ("list", "team", "cohort", 200),
        ("list", "all-teams", "cohort", 200),
        ("list", "other-team", "cohort", 404),
        ("list", "service", "cohort", 404),
        ("list", "team", "unknown-cohort", 404),
        ("review", "anonymous", "proposal", 401),
        ("review", "owner", "proposal", 404),
        ("review", "team", "proposal", 200),
        ("review", "all-teams", "proposal", 200),
        ("review", "other-team", "proposal", 404),
        ("review", "service", "proposal", 404),
        ("review", "team", "missing", 404),
        ("review", "team", "other-cohort", 404),
        ("accept", "anonymous", "proposal", 401),
        ("accept", "owner", "proposal", 404),
        ("accept", "mentor", "proposal", 404),
        ("accept", "team", "proposal", 200),
        ("accept", "all-teams", "proposal", 200),
        ("accept", "other-team", "proposal", 404),
        ("accept", "service", "proposal", 404),
        ("accept", "participant-star", "proposal", 404),
        ("accept", "team", "missing", 404),
        ("fairness", "anonymous", "cohort", 401),
        ("fairness", "owner", "cohort", 403),
        ("fairness", "mentor", "cohort", 403),
        ("fairness", "team", "cohort", 200),
        ("fairness", "all-teams", "cohort", 200),
        ("fairness", "other-team", "cohort", 404),
        ("fairness", "service", "cohort", 404),
        ("fairness", "participant-star", "cohort", 404),
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


# (route, caller): the object the caller may not see, asked for by its id and by an id nobody has.
INVISIBLE = [
    *(("suggestions", c) for c in ("other-participant", "mentor", "stranger", "other-team", "service")),
    *(("why-not", c) for c in ("mentor", "other-participant", "other-team", "service")),
    *(("search", c) for c in ("stranger", "other-team", "service", "participant-star")),
    *(("propose", c) for c in ("stranger", "other-team", "service")),
    *(("list", c) for c in ("stranger", "other-team", "service")),
    *(("fairness", c) for c in ("stranger", "other-team", "service")),
    *(("review", c) for c in ("owner", "mentor", "other-team", "service")),
    *(("accept", c) for c in ("owner", "mentor", "other-team", "service")),
]


@pytest.mark.parametrize(("route", "caller"), INVISIBLE, ids=[f"{route}:{caller}" for route, caller in INVISIBLE])
async def test_an_object_the_caller_may_not_see_answers_as_a_missing_one(service, world, signer, route, caller):
    http, _ = service
    w, mentee = world, world.participants["owner"]
    method, path, hidden, body = {
        "suggestions": ("GET", f"/cohorts/{w.cohort}/mentees/{{id}}/suggestions", mentee, None),
        "why-not": ("GET", f"/cohorts/{w.cohort}/mentees/{{id}}/why-not/{w.participants['mentor']}", mentee, None),
        "search": ("GET", "/cohorts/{id}/mentors", w.cohort, None),
        "propose": ("POST", "/cohorts/{id}/assignments", w.cohort, {"method": "stable"}),
        "list": ("GET", "/cohorts/{id}/assignments", w.cohort, None),
        "fairness": ("GET", "/cohorts/{id}/fairness", w.cohort, None),
        "review": ("GET", f"/cohorts/{w.cohort}/assignments/{{id}}", w.assignment, None),
        "accept": ("POST", f"/cohorts/{w.cohort}/assignments/{{id}}/accept", w.assignment, None),
    }[route]
    await invisible_and_missing(http, method, path, hidden, w.people.headers(signer, caller), json=body)
