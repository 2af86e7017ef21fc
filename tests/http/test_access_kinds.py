"""Access to reverse mentoring's and on-the-job learning's records in scheduling, route by route, as a
table (see tests/http/access.py): the partners write, the partners and the programme's team read, to
anyone else the pairing does not exist (the same 404 as a missing one).

Seeded through scheduling's own handlers: a reverse-mentoring pairing of "mentee" and "mentor" in
programme A, an on-the-job learning pairing of the same two in programme A' (the same team runs both
in this world: the "team" caller's programmes claim names both), and a pairing of "other-participant".
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from scheduling.consumers import handlers
from tests.apps import client, service_app
from tests.http.access import People, check, deliver, invisible_and_missing, table
from together_contracts.pairing import PairingFormed
from together_contracts.registration import ProgrammeCreated, ProgrammeKind

pytestmark = pytest.mark.integration

GOALS = {"goals": [{"relevant": "r", "experimental": "e", "aspirational": "a", "learning_based": "l"}]}
SMART = {"goals": [{"specific": "s", "measurable": "m", "achievable": "a", "relevant": "r", "time_bound": "t"}]}
ASSESSMENT = {"steps": [{"step": 1, "outcome": "met"}], "worked": True}


@pytest.fixture(scope="module")
async def service(stack, create_database, signer):
    async with service_app("scheduling", await create_database("access_kinds"), stack.kafka_bootstrap, signer) as (app, rt):
        async with client(app) as http:
            yield http, rt


@dataclass
class World:
    http: object
    signer: object
    people: People
    reverse: uuid.UUID
    on_the_job: uuid.UUID
    learning_programme: uuid.UUID

    def as_(self, caller: str) -> dict[str, str]:
        return self.people.headers(self.signer, caller)


@pytest.fixture
async def world(service, signer) -> World:
    http, runtime = service
    people = People(uuid.uuid4(), uuid.uuid4())
    cohort = uuid.uuid4()

    def formed(mentee: str, mentor: str) -> PairingFormed:
        return PairingFormed(
            pairing_id=uuid.uuid4(), request_id=uuid.uuid4(), mentee_id=uuid.uuid4(), mentor_id=uuid.uuid4(),
            cohort_id=cohort, programme_id=people.programme, mentee_person_id=people.person(mentee),
            mentor_person_id=people.person(mentor), formed_at=datetime.now(UTC),
        )  # fmt: skip

    reverse, other = formed("mentee", "mentor"), formed("other-participant", "other-mentor")
    await deliver(
        runtime,
        handlers(runtime),
        ProgrammeCreated(programme_id=people.programme, name="R", kind=ProgrammeKind.reverse_mentoring, suggestions_per_mentee=3),
        reverse,
        other,
    )
    # On-the-job learning: a second programme the same team runs (its id joins the team's claim below).
    learning_programme = uuid.uuid4()
    on_the_job = formed("mentee", "mentor").model_copy(update={"programme_id": learning_programme})
    await deliver(
        runtime,
        handlers(runtime),
        ProgrammeCreated(
            programme_id=learning_programme, name="L", kind=ProgrammeKind.on_the_job_learning, suggestions_per_mentee=3
        ),
        on_the_job,
    )
    return World(http, signer, people, reverse.pairing_id, on_the_job.pairing_id, learning_programme)


def headers(w: World, caller: str) -> dict[str, str]:
    if caller == "team":  # the team running both programmes
        programmes = [str(w.people.programme), str(w.learning_programme)]
        return w.signer.headers(w.people.person("team"), "programme_team", programmes=programmes)
    return w.as_(caller)


PLAN = {"steps": [{"step": "first", "due_on": datetime.now(UTC).date().isoformat()}]}

# action: (method, path under /pairings/{id}/, body, which pairing, what the mentee writes first)
ROUTES: dict[str, tuple[str, str, dict | None, str, list[tuple[str, dict]]]] = {
    "propose-ground-rules": ("PUT", "ground-rules", {"text": "t"}, "reverse", []),
    "agree-ground-rules": ("POST", "ground-rules/agree", {"version": 1}, "reverse", [("ground-rules", {"text": "t"})]),
    "read-ground-rules": ("GET", "ground-rules", None, "reverse", [("ground-rules", {"text": "t"})]),
    "set-real-goals": ("PUT", "real-goals", GOALS, "reverse", []),
    "read-real-goals": ("GET", "real-goals", None, "reverse", []),
    "read-reverse-mentoring": ("GET", "reverse-mentoring", None, "reverse", []),
    "scan-micro-needs": ("PUT", "micro-needs", {"needs": ["n"]}, "on_the_job", []),
    "read-micro-needs": ("GET", "micro-needs", None, "on_the_job", [("micro-needs", {"needs": ["n"]})]),
    "set-smart-goals": ("PUT", "smart-goals", SMART, "on_the_job", []),
    "read-smart-goals": ("GET", "smart-goals", None, "on_the_job", [("smart-goals", SMART)]),
    "set-learning-plan": ("PUT", "learning-plan", PLAN, "on_the_job", []),
    "read-learning-plan": ("GET", "learning-plan", None, "on_the_job", [("learning-plan", PLAN)]),
    "assess-plan": ("PUT", "learning-plan/assessment", ASSESSMENT, "on_the_job", [("learning-plan", PLAN)]),
    "read-assessment": (
        "GET",
        "learning-plan/assessment",
        None,
        "on_the_job",
        [("learning-plan", PLAN), ("learning-plan/assessment", ASSESSMENT)],
    ),
    "read-on-the-job-learning": ("GET", "on-the-job-learning", None, "on_the_job", []),
}


async def prepare(w: World, action: str) -> tuple[str, str, dict | None]:
    method, path, body, which, first = ROUTES[action]
    pairing = getattr(w, which)
    for written, payload in first:
        check(await w.http.put(f"/pairings/{pairing}/{written}", json=payload, headers=w.as_("mentee")), 200)
    return method, f"/pairings/{{id}}/{path}", body


def others(action: str, team: int) -> list[tuple[str, str, str, int]]:
    return [
        (action, "anonymous", "pairing", 401),
        (action, "other-participant", "pairing", 404),
        (action, "team", "pairing", team),
        (action, "all-teams", "pairing", team),
        (action, "other-team", "pairing", 404),
        (action, "service", "pairing", 404),
    ]


CASES = table(
    "scheduling-kinds",
    [
        row
        for action, (method, *_) in ROUTES.items()
        for row in (
            (action, "mentee", "pairing", 200),
            (action, "mentor", "pairing", 200),
            *others(action, team=200 if method == "GET" else 403),
        )
    ],
)


@pytest.mark.parametrize(("action", "caller", "obj", "status"), CASES)
async def test_access(world, action, caller, obj, status):
    method, path, body = await prepare(world, action)
    pairing = getattr(world, ROUTES[action][3])
    response = await world.http.request(method, path.format(id=pairing), json=body, headers=headers(world, caller))
    check(response, status)


INVISIBLE = [(action, caller) for action in ROUTES for caller in ("other-participant", "other-team", "service")]


@pytest.mark.parametrize(("action", "caller"), INVISIBLE, ids=[f"{a}:{c}" for a, c in INVISIBLE])
async def test_a_pairing_the_caller_may_not_see_answers_as_a_missing_one(world, action, caller):
    method, path, body = await prepare(world, action)
    pairing = getattr(world, ROUTES[action][3])
    await invisible_and_missing(world.http, method, path, pairing, world.as_(caller), json=body)
