"""Scheduling's access rules, endpoint by endpoint, as tables (see tests/http/access.py).

Seeded through scheduling's own handlers (PairingFormed): the pairing of
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
from tests.http.access import People, check, deliver, invisible_and_missing, table
from together_contracts.pairing import PairingFormed

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

    def local_in(self, hours: int) -> str:
        return (self.runtime.now() + timedelta(hours=hours)).replace(tzinfo=None, microsecond=0).isoformat()

    async def booked(self) -> uuid.UUID:
        response = await self.book(self.pairing, self.as_("mentor"))
        check(response, 201)
        return uuid.UUID(response.json()["id"])

    async def book_series(self, headers: dict):
        body = {"starts_at": self.local_in(24), "time_zone": "UTC", "frequency": "weekly", "count": 3}
        return await self.http.post(f"/pairings/{self.pairing}/series", json=body, headers=headers)

    async def record(self, pairing: uuid.UUID, headers: dict):
        """Record a session held elsewhere that starts now (the clock moves on first, past the pairing's forming)."""
        self.runtime.clock.travel(timedelta(minutes=10))
        body = {"starts_at": self.local_in(0), "time_zone": "UTC", "duration_minutes": 45}
        return await self.http.post(f"/pairings/{pairing}/recorded-sessions", json=body, headers=headers)

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
        case "record", "pairing":
            return await w.record(w.pairing, headers)
        case "record", "missing":
            return await w.record(uuid.uuid4(), headers)
        case "book-series", "pairing":
            return await w.book_series(headers)
        case "plan", "pairing":
            return await w.http.get(f"/pairings/{w.pairing}/plan", headers=headers)
        case "plan", "missing":
            return await w.http.get(f"/pairings/{uuid.uuid4()}/plan", headers=headers)
        case "reschedule", "session":
            body = {"starts_at": w.local_in(48), "time_zone": "UTC"}
            return await w.http.post(f"/sessions/{await w.booked()}/reschedule", json=body, headers=headers)
        case "cancel", "session":
            return await w.http.post(f"/sessions/{await w.booked()}/cancel", headers=headers)
        case "cancel", "missing":
            return await w.http.post(f"/sessions/{uuid.uuid4()}/cancel", headers=headers)
        case "reschedule-series", "series":
            series = (await w.book_series(w.as_("mentor"))).json()["id"]
            body = {"starts_at": w.local_in(72), "time_zone": "UTC"}
            return await w.http.post(f"/series/{series}/reschedule", json=body, headers=headers)
        case "cancel-series", "series":
            series = (await w.book_series(w.as_("mentor"))).json()["id"]
            return await w.http.post(f"/series/{series}/cancel", headers=headers)
        case "invitation", "session":
            return await w.http.get(f"/sessions/{await w.booked()}/invitation.ics", headers=headers)
        case "invitation", "series":
            series = (await w.book_series(w.as_("mentor"))).json()["id"]
            return await w.http.get(f"/series/{series}/invitation.ics", headers=headers)
        case "feedback", "completed-session":
            session = await w.session_that_has_started()
            check(await w.http.post(f"/sessions/{session}/done", headers=w.as_("mentor")), 204)
            return await w.http.post(f"/sessions/{session}/feedback", json={"rating": 4, "comment": "good"}, headers=headers)
        case "write-note", "session":
            return await w.http.post(f"/sessions/{await w.booked()}/notes", json={"text": "n"}, headers=headers)
        case "read-notes", "session":
            session = await w.booked()
            check(
                await w.http.post(f"/sessions/{session}/notes", json={"text": "n", "shared": True}, headers=w.as_("mentor")), 201
            )
            return await w.http.get(f"/sessions/{session}/notes", headers=headers)
        case "write-agreement", "pairing":
            return await w.http.put(f"/pairings/{w.pairing}/agreement", json=AGREEMENT, headers=headers)
        case "read-agreement", "pairing":
            check(await w.http.put(f"/pairings/{w.pairing}/agreement", json=AGREEMENT, headers=w.as_("mentee")), 200)
            return await w.http.get(f"/pairings/{w.pairing}/agreement", headers=headers)
        case "read-assessment", "pairing":
            check(await w.http.put(f"/pairings/{w.pairing}/agreement", json=AGREEMENT, headers=w.as_("mentee")), 200)
            body = {"ratings": [{"skill_or_goal": "negotiation", "rating": 4}]}
            check(await w.http.put(f"/pairings/{w.pairing}/assessment", json=body, headers=w.as_("mentor")), 200)
            return await w.http.get(f"/pairings/{w.pairing}/assessment", headers=headers)
        case "answer-survey", "pairing":
            return await w.http.put(f"/pairings/{w.pairing}/surveys/pre", json={"confidence": 3}, headers=headers)
        case "read-survey", "pairing":
            check(await w.http.put(f"/pairings/{w.pairing}/surveys/pre", json={"confidence": 3}, headers=w.as_("mentor")), 200)
            return await w.http.get(f"/pairings/{w.pairing}/surveys/pre", headers=headers)
        case "survey-summary", "programme":
            return await w.http.get(f"/programmes/{w.people.programme}/survey-summary", headers=headers)
    raise AssertionError((action, obj))


AGREEMENT = {"skills_and_goals": ["negotiation"], "development_plan": "p", "schedule": "s"}


def partners(action: str, obj: str, status: int) -> list[tuple[str, str, str, int]]:
    return [(action, "mentee", obj, status), (action, "mentor", obj, status)]


def others(action: str, obj: str, team: int) -> list[tuple[str, str, str, int]]:
    """Everyone but the partners: the programme's team sees the pairing and may read (`team`, else 403);
    to nobody else does it exist (404)."""
    return [
        (action, "anonymous", obj, 401),
        (action, "other-participant", obj, 404),
        (action, "team", obj, team),
        (action, "all-teams", obj, team),
        (action, "other-team", obj, 404),
        (action, "service", obj, 404),
        (action, "service-star", obj, 404),
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
        # POST /pairings/{pairing_id}/recorded-sessions: a partner
        *partners("record", "pairing", 201),
        *others("record", "pairing", team=403),
        ("record", "mentee", "missing", 404),
        # POST /pairings/{pairing_id}/series: a partner
        *partners("book-series", "pairing", 201),
        *others("book-series", "pairing", team=403),
        # GET /pairings/{pairing_id}/plan: a partner, or the programme's team
        *partners("plan", "pairing", 200),
        *others("plan", "pairing", team=200),
        ("plan", "team", "missing", 404),
        # POST /sessions/{id}/reschedule and /cancel, /series/{id}/reschedule and /cancel: a partner
        *partners("reschedule", "session", 204),
        *others("reschedule", "session", team=403),
        *partners("cancel", "session", 204),
        *others("cancel", "session", team=403),
        ("cancel", "mentee", "missing", 404),
        *partners("reschedule-series", "series", 204),
        *others("reschedule-series", "series", team=403),
        *partners("cancel-series", "series", 204),
        *others("cancel-series", "series", team=403),
        # GET /sessions/{id}/invitation.ics, /series/{id}/invitation.ics: a partner
        *partners("invitation", "session", 200),
        *others("invitation", "session", team=403),
        ("invitation", "mentor", "series", 200),
        ("invitation", "team", "series", 403),
        # POST /sessions/{id}/feedback: a partner, on a completed session
        *partners("feedback", "completed-session", 201),
        *others("feedback", "completed-session", team=403),
        # Session notes: the partners only; the programme team NEVER (it sees the session: 403)
        *partners("write-note", "session", 201),
        *others("write-note", "session", team=403),
        *partners("read-notes", "session", 200),
        *others("read-notes", "session", team=403),
        # Agreement and assessment: partners write; partners and the programme's team read
        *partners("write-agreement", "pairing", 200),
        *others("write-agreement", "pairing", team=403),
        *partners("read-agreement", "pairing", 200),
        *others("read-agreement", "pairing", team=200),
        *partners("read-assessment", "pairing", 200),
        *others("read-assessment", "pairing", team=200),
        # Surveys: each partner answers and reads their own; the programme's team reads aggregates only
        *partners("answer-survey", "pairing", 200),
        *others("answer-survey", "pairing", team=403),
        ("read-survey", "mentor", "pairing", 200),
        ("read-survey", "mentee", "pairing", 404),  # the partner's answers are not theirs
        *others("read-survey", "pairing", team=403),
        ("survey-summary", "team", "programme", 200),
        ("survey-summary", "all-teams", "programme", 200),
        ("survey-summary", "other-team", "programme", 403),
        ("survey-summary", "mentee", "programme", 403),
        ("survey-summary", "service", "programme", 403),
        ("survey-summary", "anonymous", "programme", 401),
    ],
)


@pytest.mark.parametrize(("action", "caller", "obj", "status"), CASES)
async def test_access(world, action, caller, obj, status):
    response = await act(world, action, obj, world.as_(caller))
    check(response, status)
    if (action, status) == ("list", 200):
        [session] = response.json()
        assert set(session) == {
            "id", "pairing_id", "starts_at", "ends_at", "time_zone", "duration_minutes", "status", "completed_at",
            "cancelled_at", "series_id", "plan_step", "agenda_title", "agenda_themes", "held_elsewhere", "calendar_sequence",
            "local_times",
        }  # fmt: skip
        assert "notes" not in str(session)
    if (action, status) == ("read-notes", 200):
        [note] = response.json()
        assert note["mine"] is (caller == "mentor")


async def test_a_session_is_marked_done_once(world):
    session = await world.session_that_has_started()
    check(await world.http.post(f"/sessions/{session}/done", headers=world.as_("mentor")), 204)
    check(await world.http.post(f"/sessions/{session}/done", headers=world.as_("mentee")), 409)
    check(await world.http.post(f"/sessions/{session}/done", headers=world.as_("team")), 403)


async def test_only_its_author_changes_a_note_the_partner_reads(world):
    session = await world.booked()
    written = await world.http.post(f"/sessions/{session}/notes", json={"text": "n", "shared": True}, headers=world.as_("mentor"))
    check(written, 201)
    note = written.json()["id"]
    check(await world.http.patch(f"/notes/{note}", json={"text": "m"}, headers=world.as_("mentee")), 403)  # shared: they read it
    check(await world.http.patch(f"/notes/{note}", json={"shared": False}, headers=world.as_("mentor")), 200)
    check(
        await world.http.patch(f"/notes/{note}", json={"text": "m"}, headers=world.as_("mentee")), 404
    )  # no longer theirs to see


# (route, caller): the object the caller may not see (ADR 0005), asked for by its id and by an id nobody has.
OUTSIDERS = ("other-participant", "other-team", "service")
PAIRING_ROUTES = ("book", "record", "book-series", "list", "plan", "write-agreement", "read-agreement", "write-assessment",
                  "read-assessment", "answer-survey", "read-survey")  # fmt: skip
SESSION_ROUTES = ("reschedule", "cancel", "done", "invitation", "give-feedback", "read-feedback", "write-note", "read-notes")
INVISIBLE = [
    *((route, c) for route in (*PAIRING_ROUTES, *SESSION_ROUTES, "reschedule-series", "cancel-series", "series-invitation")
      for c in OUTSIDERS),
    *(("change-note", c) for c in ("mentee", "team", "all-teams", *OUTSIDERS)),  # a note the mentor keeps to themself
]  # fmt: skip


@pytest.mark.parametrize(("route", "caller"), INVISIBLE, ids=[f"{route}:{caller}" for route, caller in INVISIBLE])
async def test_an_object_the_caller_may_not_see_answers_as_a_missing_one(world, route, caller):
    w = world
    session = await w.booked()
    series = (await w.book_series(w.as_("mentor"))).json()["id"]
    written = await w.http.post(f"/sessions/{session}/notes", json={"text": "mine"}, headers=w.as_("mentor"))
    check(written, 201)
    move = {"starts_at": w.local_in(96), "time_zone": "UTC"}
    booking = {"starts_at": w.local_in(120), "time_zone": "UTC", "duration_minutes": 45}
    held = {"starts_at": w.local_in(-1), "time_zone": "UTC", "duration_minutes": 45}
    assessment = {"ratings": [{"skill_or_goal": "negotiation", "rating": 4}]}
    method, path, hidden, body = {
        "book": ("POST", "/pairings/{id}/sessions", w.pairing, booking),
        "record": ("POST", "/pairings/{id}/recorded-sessions", w.pairing, held),
        "book-series": ("POST", "/pairings/{id}/series", w.pairing, {**booking, "frequency": "weekly", "count": 2}),
        "list": ("GET", "/pairings/{id}/sessions", w.pairing, None),
        "plan": ("GET", "/pairings/{id}/plan", w.pairing, None),
        "write-agreement": ("PUT", "/pairings/{id}/agreement", w.pairing, AGREEMENT),
        "read-agreement": ("GET", "/pairings/{id}/agreement", w.pairing, None),
        "write-assessment": ("PUT", "/pairings/{id}/assessment", w.pairing, assessment),
        "read-assessment": ("GET", "/pairings/{id}/assessment", w.pairing, None),
        "answer-survey": ("PUT", "/pairings/{id}/surveys/pre", w.pairing, {"confidence": 3}),
        "read-survey": ("GET", "/pairings/{id}/surveys/pre", w.pairing, None),
        "reschedule": ("POST", "/sessions/{id}/reschedule", session, move),
        "cancel": ("POST", "/sessions/{id}/cancel", session, None),
        "done": ("POST", "/sessions/{id}/done", session, None),
        "invitation": ("GET", "/sessions/{id}/invitation.ics", session, None),
        "give-feedback": ("POST", "/sessions/{id}/feedback", session, {"rating": 4, "comment": "good"}),
        "read-feedback": ("GET", "/sessions/{id}/feedback", session, None),
        "write-note": ("POST", "/sessions/{id}/notes", session, {"text": "n"}),
        "read-notes": ("GET", "/sessions/{id}/notes", session, None),
        "reschedule-series": ("POST", "/series/{id}/reschedule", series, move),
        "cancel-series": ("POST", "/series/{id}/cancel", series, None),
        "series-invitation": ("GET", "/series/{id}/invitation.ics", series, None),
        "change-note": ("PATCH", "/notes/{id}", written.json()["id"], {"text": "changed"}),
    }[route]
    await invisible_and_missing(w.http, method, path, uuid.UUID(str(hidden)), w.as_(caller), json=body)
