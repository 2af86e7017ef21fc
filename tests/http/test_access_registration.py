"""Registration's access rules, endpoint by endpoint, as tables (see tests/http/access.py).

Seeded through the HTTP API: a lead with scope '*' creates programme A (the
object's) and B (another), a cohort in each whose registration window holds
today; "owner" and "other-participant" register in A's cohort, "stranger" in B's.
Credentials have a coaching world of their own: "owner" is a coach with a pending
credential in programme C's cohort, "other-participant" a client there.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from tests.apps import client, service_app
from tests.http.access import People, check, invisible_and_missing, table
from tests.verification import verify

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
    people = People(programmes[0], programmes[1])
    register = {name: signer.headers(people.person(name), "participant") for name in ("owner", "other-participant", "stranger")}
    participant = await created(f"/cohorts/{cohorts[0]}/participants", questionnaire(), register["owner"])
    other = await created(f"/cohorts/{cohorts[0]}/participants", questionnaire(), register["other-participant"])
    stranger = await created(f"/cohorts/{cohorts[1]}/participants", questionnaire(), register["stranger"])
    for name, registered in (("owner", participant), ("other-participant", other), ("stranger", stranger)):
        await verify(http, runtime.engine, registered, person=register[name], signer=signer)  # known to all from now on
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
        case "change-rules":
            return await http.patch(f"/programmes/{target}/rules", json={"session_plan": {"period_months": 5}}, headers=headers)
        case "close-cohort":
            return await http.post(f"/cohorts/{target}/closure", headers=headers)
        case "questionnaire":
            return await http.get("/questionnaire", headers=headers)
        case "duty-stations":
            return await http.get("/duty-stations", headers=headers)
        case "edit-answers":
            return await http.patch(f"/participants/{target}", json={"bio": "Edited"}, headers=headers)
        case "grant-role":
            return await http.post(f"/participants/{target}/roles", json={"role": "mentor", "capacity": 1}, headers=headers)
        case "withdraw":
            return await http.post(f"/participants/{target}/withdrawal", json={}, headers=headers)
        case "erase":
            return await http.post(f"/participants/{target}/erasure", headers=headers)
        case "contact":
            return await http.get(f"/participants/{target}/contact", headers=headers)
        case "data-key":
            return await http.get(f"/participants/{target}/data-key", headers=headers)
        case "list-participants":
            return await http.get(f"/cohorts/{target}/participants", headers=headers)
        case "list-credentials":
            return await http.get(f"/programmes/{target}/credentials", headers=headers)
        case "outcomes":
            return await http.get(f"/cohorts/{target}/outcomes", headers=headers)
        case "outcomes-csv":
            return await http.get(f"/cohorts/{target}/outcomes.csv", headers=headers)
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
        # PATCH /programmes/{id}/rules: the programme's own team
        ("change-rules", "anonymous", "programme", 401),
        ("change-rules", "owner", "programme", 403),
        ("change-rules", "team", "programme", 200),
        ("change-rules", "all-teams", "programme", 200),
        ("change-rules", "other-team", "programme", 403),
        ("change-rules", "service", "programme", 403),
        ("change-rules", "all-teams", "missing", 404),
        # POST /cohorts/{id}/closure: the programme's own team
        ("close-cohort", "anonymous", "cohort", 401),
        ("close-cohort", "owner", "cohort", 403),
        ("close-cohort", "team", "cohort", 200),
        ("close-cohort", "all-teams", "cohort", 200),
        ("close-cohort", "other-team", "cohort", 403),
        ("close-cohort", "service", "cohort", 403),
        ("close-cohort", "team", "missing", 404),
        # GET /questionnaire: anyone signed in
        ("questionnaire", "anonymous", "new", 401),
        *(("questionnaire", caller, "new", 200) for caller in ANYONE_SIGNED_IN),
        # GET /duty-stations: anyone signed in
        ("duty-stations", "anonymous", "new", 401),
        *(("duty-stations", caller, "new", 200) for caller in ANYONE_SIGNED_IN),
        # PATCH /participants/{id}: the participant themself
        ("edit-answers", "anonymous", "participant", 401),
        ("edit-answers", "owner", "participant", 200),
        ("edit-answers", "other-participant", "participant", 403),
        ("edit-answers", "team", "participant", 403),
        ("edit-answers", "all-teams", "participant", 403),
        ("edit-answers", "service", "participant", 403),
        ("edit-answers", "owner", "missing", 404),
        # POST /participants/{id}/roles: the programme's team (409: registration is still open)
        ("grant-role", "anonymous", "participant", 401),
        ("grant-role", "owner", "participant", 403),
        ("grant-role", "other-participant", "participant", 403),
        ("grant-role", "team", "participant", 409),
        ("grant-role", "all-teams", "participant", 409),
        ("grant-role", "other-team", "participant", 403),
        ("grant-role", "service", "participant", 403),
        ("grant-role", "all-teams", "missing", 404),
        # POST /participants/{id}/withdrawal: the participant or their programme team
        ("withdraw", "anonymous", "participant", 401),
        ("withdraw", "owner", "participant", 200),
        ("withdraw", "other-participant", "participant", 403),
        ("withdraw", "team", "participant", 200),
        ("withdraw", "all-teams", "participant", 200),
        ("withdraw", "other-team", "participant", 403),
        ("withdraw", "service", "participant", 403),
        ("withdraw", "owner", "missing", 404),
        # POST /participants/{id}/erasure: the participant or their programme team (409: not withdrawn yet)
        ("erase", "anonymous", "participant", 401),
        ("erase", "owner", "participant", 409),
        ("erase", "other-participant", "participant", 403),
        ("erase", "team", "participant", 409),
        ("erase", "other-team", "participant", 403),
        ("erase", "service", "participant", 403),
        ("erase", "owner", "missing", 404),
        # GET /participants/{id}/contact: a service token with the scope registration:contacts only
        ("contact", "service-unscoped", "participant", 403),
        ("contact", "anonymous", "participant", 401),
        ("contact", "owner", "participant", 403),
        ("contact", "other-participant", "participant", 403),
        ("contact", "team", "participant", 403),
        ("contact", "all-teams", "participant", 403),
        ("contact", "participant-star", "participant", 403),
        ("contact", "service", "participant", 200),
        ("contact", "service-star", "participant", 200),
        ("contact", "service", "missing", 404),
        # GET /participants/{id}/data-key: a service token with the scope registration:data-keys only (ADR 0008)
        ("data-key", "anonymous", "participant", 401),
        ("data-key", "owner", "participant", 403),
        ("data-key", "team", "participant", 403),
        ("data-key", "all-teams", "participant", 403),
        ("data-key", "service-unscoped", "participant", 403),
        ("data-key", "service", "participant", 403),  # registration:contacts is not registration:data-keys
        ("data-key", "key-reader", "participant", 200),
        ("data-key", "key-reader", "missing", 404),
        # GET /cohorts/{id}/participants: the programme's own team
        ("list-participants", "anonymous", "cohort", 401),
        ("list-participants", "owner", "cohort", 403),
        ("list-participants", "team", "cohort", 200),
        ("list-participants", "all-teams", "cohort", 200),
        ("list-participants", "other-team", "cohort", 403),
        ("list-participants", "service", "cohort", 403),
        ("list-participants", "team", "missing", 404),
        # GET /programmes/{id}/credentials: the programme's own team
        ("list-credentials", "anonymous", "programme", 401),
        ("list-credentials", "owner", "programme", 403),
        ("list-credentials", "team", "programme", 200),
        ("list-credentials", "all-teams", "programme", 200),
        ("list-credentials", "other-team", "programme", 403),
        ("list-credentials", "service", "programme", 403),
        # GET /cohorts/{id}/outcomes and /outcomes.csv: the programme's own team
        *(
            (action, caller, obj, status)
            for action in ("outcomes", "outcomes-csv")
            for caller, obj, status in (
                ("anonymous", "cohort", 401),
                ("owner", "cohort", 403),
                ("team", "cohort", 200),
                ("all-teams", "cohort", 200),
                ("other-team", "cohort", 403),
                ("service", "cohort", 403),
                ("team", "missing", 404),
            )
        ),
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


# --- coach credentials: a coaching programme where "owner" is a coach who submitted a credential ---


@dataclass
class CoachWorld:
    people: People
    coach: uuid.UUID  # the owner's registration, a coach not yet approved
    credential: uuid.UUID  # the owner's credential, pending


@pytest.fixture
async def coach_world(service, signer) -> CoachWorld:
    http, runtime = service
    lead = signer.headers("lead", "programme_team", programmes=["*"])

    async def created(path: str, headers: dict[str, str], **body: Any) -> uuid.UUID:
        response = await http.post(path, headers=headers, **body)
        assert response.status_code == 201, response.text
        return uuid.UUID(response.json()["id"])

    programmes = [await created("/programmes", lead, json={"name": n, "kind": "coaching"}) for n in ("C", "D")]
    cohort = await created(
        f"/programmes/{programmes[0]}/cohorts", lead, json={"name": "2026", **cohort_dates(runtime.now().date())}
    )
    people = People(programmes[0], programmes[1])
    as_coach = {**questionnaire(), "roles": ["coach"], "coach_capacity": 2}
    coach = await created(f"/cohorts/{cohort}/participants", signer.headers(people.person("owner"), "participant"), json=as_coach)
    client = {**questionnaire(), "roles": ["client"]}
    other = await created(
        f"/cohorts/{cohort}/participants", signer.headers(people.person("other-participant"), "participant"), json=client
    )
    for name, registered in (("owner", coach), ("other-participant", other)):
        await verify(http, runtime.engine, registered, person=signer.headers(people.person(name), "participant"), signer=signer)
    credential = await created(
        f"/participants/{coach}/credentials",
        signer.headers(people.person("owner"), "participant"),
        data={"kind": "icf_certificate", "confidentiality_accepted": "true"},
        files={"file": ("cert.pdf", b"%PDF-1.7 a certificate", "application/pdf")},
    )
    return CoachWorld(people, coach, credential)


async def act_on_credential(service, w: CoachWorld, action: str, obj: str, headers: dict):
    http, _ = service
    credential = w.credential if obj == "credential" else uuid.uuid4()
    participant = w.coach if obj == "coach" else uuid.uuid4()
    match action:
        case "submit-credential":
            return await http.post(
                f"/participants/{participant}/credentials",
                data={"kind": "icf_training_50_hours", "confidentiality_accepted": "true", "reference": "ICF-TRAINING-2024"},
                headers=headers,
            )
        case "read-credential":
            return await http.get(f"/credentials/{credential}", headers=headers)
        case "list-coach-credentials":
            return await http.get(f"/participants/{participant}/credentials", headers=headers)
        case "download-credential":
            return await http.get(f"/credentials/{credential}/file", headers=headers)
        case "approve-credential":
            return await http.post(f"/credentials/{credential}/approval", headers=headers)
        case "reject-credential":
            return await http.post(f"/credentials/{credential}/rejection", json={"reason": "Illegible scan"}, headers=headers)
        case "read-coach":
            return await http.get(f"/participants/{participant}", headers=headers)
    raise AssertionError(action)


REVIEW = ("approve-credential", "reject-credential")
CREDENTIAL_CASES = table(
    "registration",
    [
        # POST /participants/{id}/credentials: the coach themself (409: a credential is already pending);
        # a coach not yet approved is seen by themself and the team only (to others: 404, as a missing one)
        ("submit-credential", "anonymous", "coach", 401),
        ("submit-credential", "owner", "coach", 409),
        ("submit-credential", "other-participant", "coach", 404),
        ("submit-credential", "team", "coach", 403),
        ("submit-credential", "service", "coach", 404),
        ("submit-credential", "owner", "missing", 404),
        # GET /credentials/{id}: the coach and the programme's team, who alone see a credential (others: 404)
        ("read-credential", "anonymous", "credential", 401),
        ("read-credential", "owner", "credential", 200),
        ("read-credential", "other-participant", "credential", 404),
        ("read-credential", "team", "credential", 200),
        ("read-credential", "all-teams", "credential", 200),
        ("read-credential", "other-team", "credential", 404),
        ("read-credential", "service", "credential", 404),
        ("read-credential", "owner", "missing", 404),
        # GET /participants/{id}/credentials: the coach and their programme team; to those who may not see
        # the coach (not yet approved): 404 (one who sees an approved coach gets 403: tests/integration/test_registration.py)
        ("list-coach-credentials", "anonymous", "coach", 401),
        ("list-coach-credentials", "owner", "coach", 200),
        ("list-coach-credentials", "other-participant", "coach", 404),
        ("list-coach-credentials", "team", "coach", 200),
        ("list-coach-credentials", "all-teams", "coach", 200),
        ("list-coach-credentials", "other-team", "coach", 404),
        ("list-coach-credentials", "service", "coach", 404),
        ("list-coach-credentials", "owner", "missing", 404),
        # GET /credentials/{id}/file: the programme's team and the coach, who alone see a credential (others: 404)
        ("download-credential", "anonymous", "credential", 401),
        ("download-credential", "owner", "credential", 200),
        ("download-credential", "other-participant", "credential", 404),
        ("download-credential", "team", "credential", 200),
        ("download-credential", "all-teams", "credential", 200),
        ("download-credential", "other-team", "credential", 404),
        ("download-credential", "service", "credential", 404),
        ("download-credential", "team", "missing", 404),
        # POST /credentials/{id}/approval and /rejection: the programme's own team (the coach sees it: 403)
        *((action, "anonymous", "credential", 401) for action in REVIEW),
        *((action, "owner", "credential", 403) for action in REVIEW),
        *((action, "other-participant", "credential", 404) for action in REVIEW),
        *((action, "team", "credential", 204) for action in REVIEW),
        *((action, "all-teams", "credential", 204) for action in REVIEW),
        *((action, "other-team", "credential", 404) for action in REVIEW),
        *((action, "service", "credential", 404) for action in REVIEW),
        *((action, "all-teams", "missing", 404) for action in REVIEW),
        # GET /participants/{id} of a coach not yet approved: the coach and the team only
        ("read-coach", "owner", "coach", 200),
        ("read-coach", "team", "coach", 200),
        ("read-coach", "other-participant", "coach", 404),
        ("read-coach", "other-team", "coach", 404),
        ("read-coach", "service", "coach", 404),
    ],
)


@pytest.mark.parametrize(("action", "caller", "obj", "status"), CREDENTIAL_CASES)
async def test_credential_access(service, coach_world, signer, action, caller, obj, status):
    response = await act_on_credential(service, coach_world, action, obj, coach_world.people.headers(signer, caller))
    check(response, status)


# (route, caller): the coach not yet approved and their credential, which the caller may not see
# (ADR 0005), asked for by id and by an id nobody has.
OUTSIDERS = ("other-participant", "other-team", "service")
COACH_ROUTES = ("read-coach", "edit-answers", "grant-role", "withdraw", "erase", "submit-credential", "list-coach-credentials")
CREDENTIAL_ROUTES = ("read-credential", "download-credential", "approve-credential", "reject-credential")
INVISIBLE = [(route, caller) for route in (*COACH_ROUTES, *CREDENTIAL_ROUTES) for caller in OUTSIDERS]


@pytest.mark.parametrize(("route", "caller"), INVISIBLE, ids=[f"{route}:{caller}" for route, caller in INVISIBLE])
async def test_an_object_the_caller_may_not_see_answers_as_a_missing_one(service, coach_world, signer, route, caller):
    http, _ = service
    w = coach_world
    upload = {"data": {"kind": "icf_training_50_hours", "confidentiality_accepted": "true", "reference": "ICF-2024"}}
    method, path, hidden, request = {
        "read-coach": ("GET", "/participants/{id}", w.coach, {}),
        "edit-answers": ("PATCH", "/participants/{id}", w.coach, {"json": {"bio": "Edited"}}),
        "grant-role": ("POST", "/participants/{id}/roles", w.coach, {"json": {"role": "mentor", "capacity": 1}}),
        "withdraw": ("POST", "/participants/{id}/withdrawal", w.coach, {"json": {}}),
        "erase": ("POST", "/participants/{id}/erasure", w.coach, {}),
        "submit-credential": ("POST", "/participants/{id}/credentials", w.coach, upload),
        "list-coach-credentials": ("GET", "/participants/{id}/credentials", w.coach, {}),
        "read-credential": ("GET", "/credentials/{id}", w.credential, {}),
        "download-credential": ("GET", "/credentials/{id}/file", w.credential, {}),
        "approve-credential": ("POST", "/credentials/{id}/approval", w.credential, {}),
        "reject-credential": ("POST", "/credentials/{id}/rejection", w.credential, {"json": {"reason": "Illegible scan"}}),
    }[route]
    await invisible_and_missing(http, method, path, hidden, w.people.headers(signer, caller), **request)
