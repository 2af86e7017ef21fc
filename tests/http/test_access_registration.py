"""Registration's access rules, endpoint by endpoint, as tables (see tests/http/access.py).

Seeded through the HTTP API: a lead with scope '*' creates programme A (the
object's) and B (another), a cohort in each whose registration window holds
today; "owner" and "other-participant" register in A's cohort, "stranger" in B's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest

from tests.apps import client, service_app
from tests.http.access import People, check, table

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def service(stack, create_database, signer):
    async with service_app("registration", await create_database("access_reg"), stack.kafka_bootstrap, signer) as (app, rt):
        async with client(app) as http:
            yield http, rt


@dataclass
class World:
    people: People
    cohort: uuid.UUID
    participant: uuid.UUID  # the owner's registration


def cohort_dates(today) -> dict[str, str]:
    days = {"registration_opens_on": -1, "registration_closes_on": 30, "starts_on": 31, "ends_on": 150}
    return {name: (today + timedelta(days=n)).isoformat() for name, n in days.items()}


def questionnaire() -> dict:
    return {
        "name": "Ada Lovelace",
        "email": f"ada.{uuid.uuid4().hex[:8]}@un.org",
        "appointment_type": "permanent",
        "entity": "Secretariat",
        "duty_station": "Geneva",
        "time_zone": "Europe/Zurich",
        "grade": "P-3",
        "years_of_service": 6,
        "job_network": "POLNET",
        "languages": ["English"],
        "roles": ["mentee"],
    }


@pytest.fixture
async def world(service, signer) -> World:
    http, runtime = service
    lead = signer.headers("lead", "programme_team", programmes=["*"])

    async def created(path: str, body: dict, headers: dict) -> uuid.UUID:
        response = await http.post(path, json=body, headers=headers)
        assert response.status_code == 201, response.text
        return uuid.UUID(response.json()["id"])

    programmes = [await created("/programmes", {"name": name, "kind": "mentoring"}, lead) for name in ("A", "B")]
    dates = cohort_dates(runtime.now().date())
    cohorts = [await created(f"/programmes/{p}/cohorts", {"name": "2026", **dates}, lead) for p in programmes]
    people = People(*programmes)
    register = {name: signer.headers(people.person(name), "participant") for name in ("owner", "other-participant", "stranger")}
    participant = await created(f"/cohorts/{cohorts[0]}/participants", questionnaire(), register["owner"])
    await created(f"/cohorts/{cohorts[0]}/participants", questionnaire(), register["other-participant"])
    await created(f"/cohorts/{cohorts[1]}/participants", questionnaire(), register["stranger"])
    return World(people, cohorts[0], participant)


def _object(w: World, obj: str) -> uuid.UUID:
    known = {"programme": w.people.programme, "cohort": w.cohort, "participant": w.participant}
    return known.get(obj) or uuid.uuid4()  # "missing": an id nobody has


async def act(service, w: World, action: str, obj: str, headers: dict):
    http, runtime = service
    target = _object(w, obj)
    match action:
        case "create-programme":
            return await http.post("/programmes", json={"name": "C", "kind": "coaching"}, headers=headers)
        case "read-programme":
            return await http.get(f"/programmes/{target}", headers=headers)
        case "open-cohort":
            body = {"name": "2027", **cohort_dates(runtime.now().date())}
            return await http.post(f"/programmes/{target}/cohorts", json=body, headers=headers)
        case "read-cohort":
            return await http.get(f"/cohorts/{target}", headers=headers)
        case "register":
            return await http.post(f"/cohorts/{target}/participants", json=questionnaire(), headers=headers)
        case "read-participant":
            return await http.get(f"/participants/{target}", headers=headers)
    raise AssertionError(action)


ANYONE_SIGNED_IN = ("owner", "other-participant", "stranger", "team", "other-team", "service")

CASES = table(
    "registration",
    [
        # POST /programmes: a programme team member with scope '*'
        ("create-programme", "anonymous", "new", 401),
        ("create-programme", "owner", "new", 403),
        ("create-programme", "team", "new", 403),
        ("create-programme", "other-team", "new", 403),
        ("create-programme", "all-teams", "new", 201),
        ("create-programme", "service", "new", 403),
        ("create-programme", "service-star", "new", 403),
        # GET /programmes/{id}: anyone signed in
        ("read-programme", "anonymous", "programme", 401),
        *(("read-programme", caller, "programme", 200) for caller in ANYONE_SIGNED_IN),
        ("read-programme", "owner", "missing", 404),
        # POST /programmes/{id}/cohorts: the programme's own team
        ("open-cohort", "anonymous", "programme", 401),
        ("open-cohort", "owner", "programme", 403),
        ("open-cohort", "other-participant", "programme", 403),
        ("open-cohort", "team", "programme", 201),
        ("open-cohort", "all-teams", "programme", 201),
        ("open-cohort", "other-team", "programme", 403),
        ("open-cohort", "service", "programme", 403),
        ("open-cohort", "service-star", "programme", 403),
        ("open-cohort", "all-teams", "missing", 404),
        # GET /cohorts/{id}: anyone signed in
        ("read-cohort", "anonymous", "cohort", 401),
        *(("read-cohort", caller, "cohort", 200) for caller in ANYONE_SIGNED_IN),
        ("read-cohort", "owner", "missing", 404),
        # POST /cohorts/{id}/participants: a participant registers themself (once per cohort)
        ("register", "anonymous", "cohort", 401),
        ("register", "newcomer", "cohort", 201),
        ("register", "stranger", "cohort", 201),  # one person may register in several cohorts
        ("register", "owner", "cohort", 409),
        ("register", "team", "cohort", 403),
        ("register", "all-teams", "cohort", 403),
        ("register", "other-team", "cohort", 403),
        ("register", "service", "cohort", 403),
        ("register", "newcomer", "missing", 404),
        # GET /participants/{id}: anyone signed in (what they see: test_email_is_for_the_participant_and_their_team)
        ("read-participant", "anonymous", "participant", 401),
        *(("read-participant", caller, "participant", 200) for caller in ANYONE_SIGNED_IN),
        ("read-participant", "team", "missing", 404),
    ],
)


@pytest.mark.parametrize(("action", "caller", "obj", "status"), CASES)
async def test_access(service, world, signer, action, caller, obj, status):
    response = await act(service, world, action, obj, world.people.headers(signer, caller))
    check(response, status)


@pytest.mark.parametrize(
    ("caller", "sees_private_answers"),
    [
        ("owner", True),
        ("team", True),
        ("all-teams", True),
        ("other-participant", False),
        ("stranger", False),
        ("other-team", False),
        ("service", False),
        ("participant-star", False),
    ],
    ids=lambda value: str(value),
)
async def test_email_is_for_the_participant_and_their_team(service, world, signer, caller, sees_private_answers):
    response = await act(service, world, "read-participant", "participant", world.people.headers(signer, caller))
    check(response, 200)
    body = response.json()
    assert body["id"] == str(world.participant)
    assert body["public_profile"]["display_name"] == "Ada Lovelace"
    assert ("email" in body) is sees_private_answers
    assert ("person_id" in body) is sees_private_answers
    if sees_private_answers:
        assert body["person_id"] == world.people.person("owner")
        assert body["email"].endswith("@un.org")
