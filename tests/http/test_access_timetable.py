"""Scheduling's timetable routes: who may publish, change, cancel and read a cohort's timetable, as a
table (see tests/http/access.py).

Seeded through scheduling's own handlers: a cohort of programme A where "member" registered, another
cohort of A where "other-cohort-member" registered, "withdrawn" who registered in A and left, and
"other-participant" registered in another programme. The team of A publishes; everyone registered in
A reads; to anyone else the cohort and its entries do not exist (404, word for word as a missing one).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from scheduling.consumers import handlers
from tests.apps import client, service_app
from tests.http.access import People, check, deliver, invisible_and_missing, registered, table
from together_contracts.registration import CohortOpened, ParticipantWithdrawn, ProgrammeKind, Role

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def service(stack, create_database, signer):
    async with service_app("scheduling", await create_database("access_week"), stack.kafka_bootstrap, signer) as (app, rt):
        async with client(app) as http:
            yield http, rt


def cohort_opened(cohort: uuid.UUID, programme: uuid.UUID) -> CohortOpened:
    today = date.today()
    return CohortOpened(
        cohort_id=cohort, programme_id=programme, programme_kind=ProgrammeKind.mentoring, name="Career week",
        registration_opens_on=today, registration_closes_on=today + timedelta(days=30),
        starts_on=today + timedelta(days=40), ends_on=today + timedelta(days=45),
    )  # fmt: skip


@dataclass
class World:
    http: object
    runtime: object
    signer: object
    people: People
    cohort: uuid.UUID

    def as_(self, caller: str) -> dict[str, str]:
        return self.people.headers(self.signer, caller)

    def body(self, hours: int = 48) -> dict[str, object]:
        starts = (self.runtime.now() + timedelta(hours=hours)).replace(tzinfo=None, microsecond=0)
        return {"title": "Thriving in Uncertainty", "kind": "presentation", "language": "English",
                "starts_at": starts.isoformat(), "time_zone": "UTC"}  # fmt: skip

    async def entry(self) -> uuid.UUID:
        response = await self.http.post(f"/cohorts/{self.cohort}/timetable", json=self.body(), headers=self.as_("team"))
        check(response, 201)
        return uuid.UUID(response.json()["id"])


@pytest.fixture
async def world(service, signer) -> World:
    http, runtime = service
    people = People(uuid.uuid4(), uuid.uuid4())
    cohort, other_cohort, elsewhere = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    leaving = registered(people.person("withdrawn"), people.programme, cohort, Role.mentee)
    await deliver(
        runtime,
        handlers(runtime),
        cohort_opened(cohort, people.programme),
        cohort_opened(other_cohort, people.programme),
        cohort_opened(elsewhere, people.other_programme),
        registered(people.person("member"), people.programme, cohort, Role.mentee),
        registered(people.person("other-cohort-member"), people.programme, other_cohort, Role.mentor),
        registered(people.person("other-participant"), people.other_programme, elsewhere, Role.mentee),
        leaving,
        ParticipantWithdrawn(
            participant_id=leaving.participant_id, person_id=leaving.person_id, cohort_id=cohort,
            programme_id=people.programme, withdrawn_at=datetime.now(UTC), answers_erased=False,
        ),
    )  # fmt: skip
    return World(http, runtime, signer, people, cohort)


async def act(w: World, action: str, obj: str, headers: dict):
    cohort = w.cohort if obj != "missing" else uuid.uuid4()
    match action:
        case "publish":
            return await w.http.post(f"/cohorts/{cohort}/timetable", json=w.body(), headers=headers)
        case "list":
            await w.entry()
            return await w.http.get(f"/cohorts/{cohort}/timetable", headers=headers)
        case "week-calendar":
            await w.entry()
            return await w.http.get(f"/cohorts/{cohort}/timetable.ics", headers=headers)
        case "entry-calendar":
            entry = await w.entry() if obj != "missing" else uuid.uuid4()
            return await w.http.get(f"/timetable-entries/{entry}/calendar.ics", headers=headers)
        case "change":
            entry = await w.entry() if obj != "missing" else uuid.uuid4()
            return await w.http.put(f"/timetable-entries/{entry}", json=w.body(72), headers=headers)
        case "cancel":
            entry = await w.entry() if obj != "missing" else uuid.uuid4()
            return await w.http.post(f"/timetable-entries/{entry}/cancel", headers=headers)
    raise AssertionError((action, obj))


def readers(action: str, obj: str) -> list[tuple[str, str, str, int]]:
    """Everyone registered in the programme and its team read; nobody else sees the cohort."""
    return [
        (action, "member", obj, 200),
        (action, "other-cohort-member", obj, 200),
        (action, "team", obj, 200),
        (action, "all-teams", obj, 200),
        (action, "withdrawn", obj, 404),
        (action, "other-participant", obj, 404),
        (action, "other-team", obj, 404),
        (action, "service", obj, 404),
        (action, "participant-star", obj, 404),
        (action, "anonymous", obj, 401),
        (action, "team", "missing", 404),
    ]


def writers(action: str, obj: str, done: int) -> list[tuple[str, str, str, int]]:
    """The programme's team; a team that cannot see it: 404; without the team's role: 403 before any lookup."""
    return [
        (action, "team", obj, done),
        (action, "all-teams", obj, done),
        (action, "other-team", obj, 404),
        (action, "member", obj, 403),
        (action, "other-participant", obj, 403),
        (action, "service", obj, 403),
        (action, "anonymous", obj, 401),
        (action, "team", "missing", 404),
    ]


CASES = table(
    "timetable",
    [
        # POST /cohorts/{cohort_id}/timetable, PUT /timetable-entries/{id}, POST /timetable-entries/{id}/cancel
        *writers("publish", "cohort", 201),
        *writers("change", "entry", 204),
        *writers("cancel", "entry", 204),
        # GET /cohorts/{cohort_id}/timetable, .../timetable.ics, /timetable-entries/{id}/calendar.ics
        *readers("list", "cohort"),
        *readers("week-calendar", "cohort"),
        *readers("entry-calendar", "entry"),
    ],
)


@pytest.mark.parametrize(("action", "caller", "obj", "status"), CASES)
async def test_access(world, action, caller, obj, status):
    response = await act(world, action, obj, world.as_(caller))
    check(response, status)
    if (action, status) == ("list", 200):
        [entry] = response.json()["entries"]
        assert [c["column"] for c in entry["columns"]] == ["New York", "Europe", "Nairobi", "Bangkok"]
        assert (entry["yours"] or {}).get("time_zone") == ("Europe/Zurich" if caller.endswith("member") else None)


async def test_bad_input_is_refused_naming_the_field_and_the_rule(world):
    team = world.as_("team")
    cases = [
        ({**world.body(), "kind": "keynote"}, ("body.kind", "enum")),
        ({**world.body(), "language": "E"}, ("body.language", "enum")),
        ({**world.body(), "title": "two\nlines"}, ("body.title", "single_line")),
        ({**world.body(), "duration_minutes": 5}, ("body.duration_minutes", "greater_than_equal")),
        ({**world.body(), "time_zone": "Europe/Atlantis"}, ("time_zone", "iana_time_zone")),
        ({**world.body(), "starts_at": "2020-05-04T13:00:00"}, ("starts_at", "in_the_future")),
        ({**world.body(), "starts_at": f"{world.body()['starts_at']}+02:00"}, ("starts_at", "local_time")),
    ]
    for body, (field, rule) in cases:
        response = await world.http.post(f"/cohorts/{world.cohort}/timetable", json=body, headers=team)
        check(response, 422)
        assert [(d["field"], d["rule"]) for d in response.json()["error"]["details"]] == [(field, rule)], body
    too_long = await world.http.get(f"/cohorts/{world.cohort}/timetable", params={"tz": "x" * 65}, headers=team)
    check(too_long, 422)
    assert [d["field"] for d in too_long.json()["error"]["details"]] == ["query.tz"]


async def test_an_entry_that_has_started_is_final(world):
    response = await world.http.post(f"/cohorts/{world.cohort}/timetable", json=world.body(1), headers=world.as_("team"))
    check(response, 201)
    entry = response.json()["id"]
    world.runtime.clock.travel(timedelta(hours=2))
    check(await world.http.put(f"/timetable-entries/{entry}", json=world.body(72), headers=world.as_("team")), 409)
    check(await world.http.post(f"/timetable-entries/{entry}/cancel", headers=world.as_("team")), 409)


INVISIBLE = [
    (route, caller)
    for route in ("list", "week-calendar", "entry-calendar", "publish", "change", "cancel")
    for caller in ("other-participant", "withdrawn", "other-team", "service")
    if not (route in ("publish", "change", "cancel") and caller != "other-team")  # 403 before any lookup: no id to probe
]


@pytest.mark.parametrize(("route", "caller"), INVISIBLE, ids=[f"{route}:{caller}" for route, caller in INVISIBLE])
async def test_a_timetable_the_caller_may_not_see_answers_as_a_missing_one(world, route, caller):
    entry = await world.entry()
    method, path, hidden, body = {
        "list": ("GET", "/cohorts/{id}/timetable", world.cohort, None),
        "week-calendar": ("GET", "/cohorts/{id}/timetable.ics", world.cohort, None),
        "entry-calendar": ("GET", "/timetable-entries/{id}/calendar.ics", entry, None),
        "publish": ("POST", "/cohorts/{id}/timetable", world.cohort, world.body()),
        "change": ("PUT", "/timetable-entries/{id}", entry, world.body(72)),
        "cancel": ("POST", "/timetable-entries/{id}/cancel", entry, None),
    }[route]
    await invisible_and_missing(world.http, method, path, hidden, world.as_(caller), json=body)
