"""Registration's address-verification endpoints' access rules, as a table (see tests/http/access.py).

Seeded through the HTTP API: a lead with scope '*' creates programme A (the object's) and B (another)
and a cohort in A whose registration window holds today; "owner" registers there and has not yet
followed the link of their verification mail. The link itself is asked for as the notifications
service asks for it (tests/verification.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx
import pytest

from tests.apps import client, service_app
from tests.http.access import People, check, table
from tests.http.test_access_registration import cohort_dates, questionnaire
from tests.verification import follow_link, mail_link, notifications_headers, requested_verification, verify

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def service(stack, create_database, signer):
    async with service_app("registration", await create_database("access_verify"), stack.kafka_bootstrap, signer) as (app, rt):
        async with client(app) as http:
            yield http, rt


@dataclass
class World:
    people: People
    participant: uuid.UUID  # the owner's registration, its address not verified yet
    verification: str  # the verification the owner's mail is for


@pytest.fixture
async def world(service, signer) -> World:
    http, runtime = service
    lead = signer.headers("lead", "programme_team", programmes=["*"])

    async def created(path: str, body: dict, headers: dict) -> uuid.UUID:
        response = await http.post(path, json=body, headers=headers)
        assert response.status_code == 201, response.text
        return uuid.UUID(response.json()["id"])

    programmes = [await created("/programmes", {"name": name, "kind": "mentoring"}, lead) for name in ("A", "B")]
    cohort = await created(f"/programmes/{programmes[0]}/cohorts", {"name": "2026", **cohort_dates(runtime.now().date())}, lead)
    people = People(programmes[0], programmes[1])
    participant = await created(f"/cohorts/{cohort}/participants", questionnaire(), people.headers(signer, "owner"))
    return World(people, participant, await requested_verification(runtime.engine, participant))


async def act(service, signer, w: World, action: str, obj: str, headers: dict[str, str]) -> httpx.Response:
    http, runtime = service
    match action:
        case "follow-link":
            if obj == "made-up":
                return await http.post("/participants/verify", json={"token": "x" * 43}, headers=headers)
            link = (await mail_link(http, w.verification, notifications_headers(signer)))["link"]
            return await follow_link(http, link, headers)
        case "resend":
            if obj == "verified":
                await verify(http, runtime.engine, w.participant, person=w.people.headers(signer, "owner"), signer=signer)
            target = uuid.uuid4() if obj == "missing" else w.participant
            return await http.post(f"/participants/{target}/verification", headers=headers)
        case "mail-link":
            target = uuid.uuid4() if obj == "missing" else w.verification
            return await http.post(f"/address-verifications/{target}/link", headers=headers)
    raise AssertionError(action)


CASES = table(
    "registration",
    [
        # POST /participants/verify: the person who registered, signed in; any other link or caller
        # gets the one answer `invalid_link` (400), whoever's the link was
        ("follow-link", "anonymous", "link", 401),
        ("follow-link", "owner", "link", 200),
        ("follow-link", "owner", "made-up", 400),
        ("follow-link", "other-participant", "link", 400),
        ("follow-link", "team", "link", 403),
        ("follow-link", "all-teams", "link", 403),
        ("follow-link", "service", "link", 403),
        # POST /participants/{id}/verification: the participant themself while their address waits
        # (409 once verified); an unverified registration is seen by its person and their team only
        ("resend", "anonymous", "participant", 401),
        ("resend", "owner", "participant", 202),
        ("resend", "owner", "verified", 409),
        ("resend", "other-participant", "participant", 404),
        ("resend", "team", "participant", 403),
        ("resend", "all-teams", "participant", 403),
        ("resend", "other-team", "participant", 404),
        ("resend", "service", "participant", 404),
        ("resend", "owner", "missing", 404),
        # POST /address-verifications/{id}/link: a service token with the scope registration:contacts only
        ("mail-link", "anonymous", "verification", 401),
        ("mail-link", "service", "verification", 200),
        ("mail-link", "service-star", "verification", 200),
        ("mail-link", "service-unscoped", "verification", 403),
        ("mail-link", "owner", "verification", 403),
        ("mail-link", "other-participant", "verification", 403),
        ("mail-link", "team", "verification", 403),
        ("mail-link", "all-teams", "verification", 403),
        ("mail-link", "participant-star", "verification", 403),
        ("mail-link", "service", "missing", 404),
    ],
)


@pytest.mark.parametrize(("action", "caller", "obj", "status"), CASES)
async def test_access(service, world, signer, action, caller, obj, status):
    response = await act(service, signer, world, action, obj, world.people.headers(signer, caller))
    check(response, status)
