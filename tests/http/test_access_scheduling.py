"""Scheduling's access rules, endpoint by endpoint, as tables (see tests/http/access.py).

Seeded through scheduling's own handler (PairingFormed): the pairing of
"mentee" and "mentor" in programme A, and another pairing in the same cohort
whose mentee is "other-participant". Sessions are booked through the API.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from scheduling.consumers import handlers
from tests.apps import client, service_app
from tests.http.access import People, check, deliver, table
from together_events.contracts.pairing import PairingFormed

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def service(stack, create_database, signer):
    async with service_app("scheduling", await create_database("access_sched"), stack.kafka_bootstrap, signer) as (app, rt):
        async with client(app) as http:
            yield http, rt


def pairing_formed(people: People, cohort: uuid.UUID, mentee: str, mentor: str) -> PairingFormed:
    return PairingFormed(
        pairing_id=uuid.uuid4(),
        request_id=uuid.uuid4(),
        mentee_id=uuid.uuid4(),
        mentor_id=uuid.uuid4(),
        cohort_id=cohort,
        programme_id=people.programme,
        mentee_person_id=people.person(mentee),
        mentor_person_id=people.person(mentor),
        formed_at=datetime.now(UTC),
    )


@dataclass
class World:
    http: object
    runtime: object
    signer: object
    people: People
    pairing: uuid.UUID

    def as_(self, caller: str) -> dict[str, str]:
        return self.people.headers(self.signer, caller)

    async def book(self, pairing: uuid.UUID, headers: dict, *, in_hours: int = 24):
        """Book a session starting `in_hours` from the service's now (local time in UTC)."""
        starts = (self.runtime.now() + timedelta(hours=in_hours)).replace(tzinfo=None, microsecond=0)
        body = {"starts_at": starts.isoformat(), "time_zone": "UTC", "duration_minutes": 45}
        return await self.http.post(f"/pairings/{pairing}/sessions", json=body, headers=headers)

    async def session_that_has_started(self) -> uuid.UUID:
        response = await self.book(self.pairing, self.as_("mentee"), in_hours=1)
        check(response, 201)
        self.runtime.clock.travel(timedelta(hours=2))  # later tests book relative to the clock's now
        return uuid.UUID(response.json()["id"])


@pytest.fixture
async def world(service, signer) -> World:
    http, runtime = service
    people = People(uuid.uuid4(), uuid.uuid4())
    cohort = uuid.uuid4()
    ours = pairing_formed(people, cohort, "mentee", "mentor")
    await deliver(runtime, handlers(runtime), ours, pairing_formed(people, cohort, "other-participant", "other-mentor"))
    return World(http, runtime, signer, people, ours.pairing_id)


async def act(w: World, action: str, obj: str, headers: dict):
    match action, obj:
        case "book", "pairing":
            return await w.book(w.pairing, headers)
        case "book", "missing":
            return await w.book(uuid.uuid4(), headers)
        case "list", "pairing":
            check(await w.book(w.pairing, w.as_("mentor")), 201)
            return await w.http.get(f"/pairings/{w.pairing}/sessions", headers=headers)
        case "list", "missing":
            return await w.http.get(f"/pairings/{uuid.uuid4()}/sessions", headers=headers)
        case "done", "started-session":
            return await w.http.post(f"/sessions/{await w.session_that_has_started()}/done", headers=headers)
        case "done", "missing":
            return await w.http.post(f"/sessions/{uuid.uuid4()}/done", headers=headers)
    raise AssertionError((action, obj))


def others(action: str, obj: str, team: int) -> list[tuple[str, str, str, int]]:
    """Everyone but the partners: the programme's team may read (`team`), nobody else may do anything."""
    return [
        (action, "anonymous", obj, 401),
        (action, "other-participant", obj, 403),
        (action, "team", obj, team),
        (action, "all-teams", obj, team),
        (action, "other-team", obj, 403),
        (action, "service", obj, 403),
        (action, "service-star", obj, 403),
    ]


CASES = table(
    "scheduling",
    [
        # POST /pairings/{pairing_id}/sessions: a partner of the pairing
        ("book", "mentee", "pairing", 201),
        ("book", "mentor", "pairing", 201),
        *others("book", "pairing", team=403),
        ("book", "mentee", "missing", 404),
        # GET /pairings/{pairing_id}/sessions: a partner, or the programme's team
        ("list", "mentee", "pairing", 200),
        ("list", "mentor", "pairing", 200),
        *others("list", "pairing", team=200),
        ("list", "team", "missing", 404),
        # POST /sessions/{session_id}/done: a partner
        ("done", "mentee", "started-session", 204),
        ("done", "mentor", "started-session", 204),
        *others("done", "started-session", team=403),
        ("done", "mentee", "missing", 404),
    ],
)


@pytest.mark.parametrize(("action", "caller", "obj", "status"), CASES)
async def test_access(world, action, caller, obj, status):
    response = await act(world, action, obj, world.as_(caller))
    check(response, status)
    if (action, status) == ("list", 200):
        [session] = response.json()
        assert set(session) == {"id", "pairing_id", "starts_at", "time_zone", "duration_minutes", "status", "completed_at"}


async def test_a_session_is_marked_done_once(world):
    session = await world.session_that_has_started()
    check(await world.http.post(f"/sessions/{session}/done", headers=world.as_("mentor")), 204)
    check(await world.http.post(f"/sessions/{session}/done", headers=world.as_("mentee")), 409)
    check(await world.http.post(f"/sessions/{session}/done", headers=world.as_("team")), 403)
