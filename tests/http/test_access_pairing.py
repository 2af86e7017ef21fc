"""Pairing's access rules, endpoint by endpoint, as tables (see tests/http/access.py).

Seeded through pairing's own handlers (ParticipantRegistered): in programme A's
cohort a "mentee", a "mentor" (capacity 1), and "other-participant" (a mentee);
"stranger" is in programme B. The pending request is made through the API:
the mentee ranks the mentor first.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pytest

from pairing.consumers import handlers
from tests.apps import client, service_app
from tests.http.access import People, check, deliver, invisible_and_missing, registered, table
from together_contracts.registration import Role

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def service(stack, create_database, signer):
    async with service_app("pairing", await create_database("access_pairing"), stack.kafka_bootstrap, signer) as (app, rt):
        async with client(app) as http:
            yield http, rt


@dataclass
class World:
    http: object
    signer: object
    people: People
    cohort: uuid.UUID
    ids: dict[str, uuid.UUID] = field(default_factory=dict)

    def as_(self, caller: str) -> dict[str, str]:
        return self.people.headers(self.signer, caller)

    async def prefer(self, mentee: str, *mentors: str) -> None:
        body = {"mentor_ids": [str(self.ids[m]) for m in mentors]}
        path = f"/cohorts/{self.cohort}/mentees/{self.ids[mentee]}/preferences"
        check(await self.http.post(path, json=body, headers=self.as_(mentee)), 201)

    async def pending_request(self) -> uuid.UUID:
        """The mentee's request, now awaiting the mentor's answer."""
        await self.prefer("mentee", "mentor")
        response = await self.http.get(f"/mentors/{self.ids['mentor']}/current-request", headers=self.as_("mentor"))
        check(response, 200)
        return uuid.UUID(response.json()["id"])


@pytest.fixture
async def world(service, signer) -> World:
    http, runtime = service
    people = People(uuid.uuid4(), uuid.uuid4())
    cohort = uuid.uuid4()
    events = {
        "mentee": registered(people.person("mentee"), people.programme, cohort, Role.mentee),
        "mentor": registered(people.person("mentor"), people.programme, cohort, Role.mentor, mentor_capacity=1),
        "other-participant": registered(people.person("other-participant"), people.programme, cohort, Role.mentee),
        "stranger": registered(people.person("stranger"), people.other_programme, uuid.uuid4(), Role.mentee),
    }
    await deliver(runtime, handlers(runtime), *events.values())
    return World(http, signer, people, cohort, {name: e.participant_id for name, e in events.items()})


async def act(w: World, action: str, obj: str, headers: dict):
    target = w.ids.get(obj) or uuid.uuid4()  # a participant by name, or "missing"
    match action:
        case "preferences":
            body = {"mentor_ids": [str(w.ids["mentor"])]}
            return await w.http.post(f"/cohorts/{w.cohort}/mentees/{target}/preferences", json=body, headers=headers)
        case "mentee-requests":
            await w.prefer("mentee", "mentor")
            return await w.http.get(f"/mentees/{target}/requests", headers=headers)
        case "current-request":
            await w.prefer("mentee", "mentor")
            return await w.http.get(f"/mentors/{target}/current-request", headers=headers)
        case "accept" | "decline":
            request_id = await w.pending_request() if obj == "pending-request" else target
            return await w.http.post(f"/requests/{request_id}/{action}", headers=headers)
        case "follow":  # only a full mentor may be followed: the mentor takes the mentee first
            check(await w.http.post(f"/requests/{await w.pending_request()}/accept", headers=w.as_("mentor")), 200)
            return await w.http.put(f"/mentors/{w.ids['mentor']}/followers/{target}", headers=headers)
        case "holidays-set" | "holidays-get":
            cohort = w.cohort if obj == "cohort" else uuid.uuid4()
            if action == "holidays-get":
                return await w.http.get(f"/cohorts/{cohort}/holidays", headers=headers)
            body = {"duty_station": "Nairobi", "added": ["2027-10-20"]}
            return await w.http.put(f"/cohorts/{cohort}/holidays", json=body, headers=headers)
    raise AssertionError(action)


def programme_team(action: str) -> list[tuple[str, str, str, int]]:
    """The team running the cohort's programme, who alone sees the cohort here: to anyone else it is
    404, as a cohort pairing does not know."""
    return [
        (action, "anonymous", "cohort", 401),
        (action, "team", "cohort", 200),
        (action, "all-teams", "cohort", 200),
        (action, "other-team", "cohort", 404),
        (action, "mentor", "cohort", 404),
        (action, "participant-star", "cohort", 404),
        (action, "service", "cohort", 404),
        (action, "team", "missing", 404),
    ]


def answers(action: str, done: int) -> list[tuple[str, str, str, int]]:
    """Accept and decline: the mentor the request is addressed to; to anyone else it does not exist."""
    return [
        (action, "anonymous", "pending-request", 401),
        (action, "mentor", "pending-request", done),
        (action, "mentee", "pending-request", 404),
        (action, "other-participant", "pending-request", 404),
        (action, "team", "pending-request", 404),
        (action, "all-teams", "pending-request", 404),
        (action, "other-team", "pending-request", 404),
        (action, "service", "pending-request", 404),
        (action, "mentor", "missing", 404),
    ]


def looking_on(action: str, owner: str, participant: str) -> list[tuple[str, str, str, int]]:
    """Reads: the participant themself, or their programme's team; to anyone else the participant does not exist."""
    return [
        (action, "anonymous", owner, 401),
        (action, owner, owner, 200),
        (action, participant, owner, 404),
        (action, "other-participant", owner, 404),
        (action, "stranger", owner, 404),
        (action, "team", owner, 200),
        (action, "all-teams", owner, 200),
        (action, "other-team", owner, 404),
        (action, "service", owner, 404),
        (action, "service-star", owner, 404),
        (action, "team", "missing", 404),
    ]


CASES = table(
    "pairing",
    [
        # POST /cohorts/{cohort_id}/mentees/{mentee_id}/preferences: the mentee themself (the team sees them: 403)
        ("preferences", "anonymous", "mentee", 401),
        ("preferences", "mentee", "mentee", 201),
        ("preferences", "mentor", "mentee", 404),
        ("preferences", "other-participant", "mentee", 404),
        ("preferences", "team", "mentee", 403),
        ("preferences", "all-teams", "mentee", 403),
        ("preferences", "other-team", "mentee", 404),
        ("preferences", "service", "mentee", 404),
        ("preferences", "stranger", "stranger", 404),  # not a mentee of this cohort
        ("preferences", "mentee", "missing", 404),
        *looking_on("mentee-requests", "mentee", "mentor"),  # GET /mentees/{mentee_id}/requests
        *looking_on("current-request", "mentor", "mentee"),  # GET /mentors/{mentor_id}/current-request
        *answers("accept", 200),  # POST /requests/{request_id}/accept
        *answers("decline", 204),  # POST /requests/{request_id}/decline
        # PUT /mentors/{mentor_id}/followers/{mentee_id}: the mentee themself (the team sees them: 403)
        ("follow", "anonymous", "other-participant", 401),
        ("follow", "other-participant", "other-participant", 200),
        ("follow", "mentee", "other-participant", 404),
        ("follow", "mentor", "other-participant", 404),
        ("follow", "team", "other-participant", 403),
        ("follow", "service", "other-participant", 404),
        ("follow", "team", "missing", 404),
        *programme_team("holidays-set"),  # PUT /cohorts/{cohort_id}/holidays
        *programme_team("holidays-get"),  # GET /cohorts/{cohort_id}/holidays
    ],
)


@pytest.mark.parametrize(("action", "caller", "obj", "status"), CASES)
async def test_access(world, action, caller, obj, status):
    check(await act(world, action, obj, world.as_(caller)), status)


async def test_an_answered_request_cannot_be_answered_again(world):
    request_id = await world.pending_request()
    check(await world.http.post(f"/requests/{request_id}/accept", headers=world.as_("mentor")), 200)
    check(await world.http.post(f"/requests/{request_id}/decline", headers=world.as_("mentor")), 409)
    check(await world.http.post(f"/requests/{request_id}/accept", headers=world.as_("other-participant")), 404)


async def test_a_mentor_sees_one_request_at_a_time_and_never_who_else_asked(world):
    await world.prefer("mentee", "mentor")
    await world.prefer("other-participant", "mentor")
    for viewer in ("mentor", "team"):
        response = await world.http.get(f"/mentors/{world.ids['mentor']}/current-request", headers=world.as_(viewer))
        check(response, 200)
        current = response.json()
        assert isinstance(current, dict), "one request, not a list"
        assert current["mentee_id"] == str(world.ids["mentee"])
        assert current["status"] == "pending"
        assert str(world.ids["other-participant"]) not in response.text
    waiting = await world.http.get(f"/mentees/{world.ids['other-participant']}/requests", headers=world.as_("other-participant"))
    check(waiting, 200)
    assert [r["status"] for r in waiting.json()] == ["waiting"]
    # The second request reaches the mentor only once the first is answered.
    check(await world.http.post(f"/requests/{current['id']}/decline", headers=world.as_("mentor")), 204)
    response = await world.http.get(f"/mentors/{world.ids['mentor']}/current-request", headers=world.as_("mentor"))
    check(response, 200)
    assert response.json()["mentee_id"] == str(world.ids["other-participant"])


# (route, caller): the object the caller may not see (ADR 0005), asked for by its id and by an id nobody has.
INVISIBLE = [
    *(("preferences", c) for c in ("mentor", "other-participant", "stranger", "other-team", "service")),
    *(("mentee-requests", c) for c in ("mentor", "other-participant", "stranger", "other-team", "service")),
    *(("current-request", c) for c in ("mentee", "other-participant", "stranger", "other-team", "service")),
    *(("follow", c) for c in ("mentee", "mentor", "other-team", "service")),
    *((route, c) for route in ("statistics", "holidays-get", "holidays-set") for c in ("mentor", "other-team", "service")),
    *((route, c) for route in ("accept", "decline") for c in ("mentee", "other-participant", "team", "other-team", "service")),
    *(("pairing", c) for c in ("other-participant", "other-team", "service")),
    *(("end-pairing", c) for c in ("other-participant", "team", "other-team", "service")),
]


@pytest.mark.parametrize(("route", "caller"), INVISIBLE, ids=[f"{route}:{caller}" for route, caller in INVISIBLE])
async def test_an_object_the_caller_may_not_see_answers_as_a_missing_one(world, route, caller):
    w = world
    request_id = await w.pending_request()  # the mentee ranked the mentor: a request awaits the mentor's answer
    if route in ("pairing", "end-pairing"):
        accepted = await w.http.post(f"/requests/{request_id}/accept", headers=w.as_("mentor"))
        check(accepted, 200)
        pairing_id = uuid.UUID(accepted.json()["pairing_id"])
    holidays = {"duty_station": "Nairobi", "added": ["2027-10-20"]}
    method, path, hidden, body = {
        "preferences": (
            "POST",
            f"/cohorts/{w.cohort}/mentees/{{id}}/preferences",
            w.ids["mentee"],
            {"mentor_ids": [str(w.ids["mentor"])]},
        ),
        "mentee-requests": ("GET", "/mentees/{id}/requests", w.ids["mentee"], None),
        "current-request": ("GET", "/mentors/{id}/current-request", w.ids["mentor"], None),
        "follow": ("PUT", f"/mentors/{w.ids['mentor']}/followers/{{id}}", w.ids["other-participant"], None),
        "statistics": ("GET", "/cohorts/{id}/statistics", w.cohort, None),
        "holidays-get": ("GET", "/cohorts/{id}/holidays", w.cohort, None),
        "holidays-set": ("PUT", "/cohorts/{id}/holidays", w.cohort, holidays),
        "accept": ("POST", "/requests/{id}/accept", request_id, None),
        "decline": ("POST", "/requests/{id}/decline", request_id, None),
        "pairing": ("GET", "/pairings/{id}", pairing_id if route == "pairing" else None, None),
        "end-pairing": (
            "POST",
            "/pairings/{id}/end",
            pairing_id if route == "end-pairing" else None,
            {"message_to_partner": "Bye"},
        ),
    }[route]
    await invisible_and_missing(w.http, method, path, hidden, w.as_(caller), json=body)
