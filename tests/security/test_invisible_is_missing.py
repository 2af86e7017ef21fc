"""Objects a caller may not see answer exactly like objects that do not exist (ADR 0005).

A 403 for an id that exists beside a 404 for one that does not would let any signed-in caller probe
which ids exist. One route per service, on its real app and database: the answer about an object the
caller may not see equals, field by field and header by header, the answer about a random id. Every
route and caller: the `test_an_object_the_caller_may_not_see_answers_as_a_missing_one` of each
`tests/http/test_access_*.py`.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import httpx
import pytest

from tests.apps import Signer, client, service_app
from tests.http.access import deliver, invisible_and_missing, registered
from tests.verification import verify
from together_contracts.pairing import PairingFormed
from together_contracts.registration import Role
from together_servicekit.runtime import Runtime

pytestmark = pytest.mark.integration

PROGRAMME, OTHER_PROGRAMME = uuid.uuid4(), uuid.uuid4()


def participant(signer: Signer, name: str) -> dict[str, str]:
    return signer.headers(name, "participant")


def team_of(signer: Signer, programme: uuid.UUID) -> dict[str, str]:
    return signer.headers("team-member", "programme_team", programmes=[str(programme)])


async def registration_coach(
    http: httpx.AsyncClient, runtime: Runtime, signer: Signer
) -> tuple[str, str, uuid.UUID, dict[str, str]]:
    """A coach not yet approved: seen by themself and their programme team only."""
    lead = signer.headers("lead", "programme_team", programmes=["*"])
    programme = (await http.post("/programmes", json={"name": "C", "kind": "coaching"}, headers=lead)).json()["id"]
    today = runtime.now().date().isoformat()
    cohort = await http.post(
        f"/programmes/{programme}/cohorts",
        json={"name": "2027", "registration_opens_on": today, "registration_closes_on": "2099-01-01",
              "starts_on": "2099-01-02", "ends_on": "2099-06-01"},
        headers=lead,
    )  # fmt: skip
    answers = {
        "name": "Grace Hopper", "email": f"grace.{uuid.uuid4().hex[:8]}@un.org", "appointment_type": "permanent",
        "entity": "Secretariat", "duty_station": "Geneva", "time_zone": "Europe/Zurich", "grade": "P-4",
        "years_of_service": 9, "job_network": "POLNET", "languages": ["English"], "roles": ["coach"], "coach_capacity": 2,
    }  # fmt: skip
    coach = await http.post(f"/cohorts/{cohort.json()['id']}/participants", json=answers, headers=participant(signer, "coach"))
    assert coach.status_code == 201, coach.text
    # Verified: hidden for not being approved yet, not merely for an unverified address.
    await verify(http, runtime.engine, coach.json()["id"], person=participant(signer, "coach"), signer=signer)
    return "GET", "/participants/{id}", uuid.UUID(coach.json()["id"]), participant(signer, "someone-else")


async def matching_suggestions(
    http: httpx.AsyncClient, runtime: Runtime, signer: Signer
) -> tuple[str, str, uuid.UUID, dict[str, str]]:
    """A mentee's suggestions: the mentee and their programme team only."""
    from matching.consumers import handlers

    cohort = uuid.uuid4()
    mentee = registered("mentee", PROGRAMME, cohort, Role.mentee)
    await deliver(runtime, handlers(runtime), mentee, registered("peer", PROGRAMME, cohort, Role.mentee))
    return "GET", f"/cohorts/{cohort}/mentees/{{id}}/suggestions", mentee.participant_id, participant(signer, "peer")


async def pairing_requests(
    http: httpx.AsyncClient, runtime: Runtime, signer: Signer
) -> tuple[str, str, uuid.UUID, dict[str, str]]:
    """A mentee's requests: the mentee and their programme team only."""
    from pairing.consumers import handlers

    mentee = registered("mentee", PROGRAMME, uuid.uuid4(), Role.mentee)
    await deliver(runtime, handlers(runtime), mentee)
    return "GET", "/mentees/{id}/requests", mentee.participant_id, team_of(signer, OTHER_PROGRAMME)


async def scheduling_agreement(
    http: httpx.AsyncClient, runtime: Runtime, signer: Signer
) -> tuple[str, str, uuid.UUID, dict[str, str]]:
    """A pairing (its agreement): the partners and their programme team only."""
    from scheduling.consumers import handlers

    formed = PairingFormed(
        pairing_id=uuid.uuid4(),
        request_id=uuid.uuid4(),
        mentee_id=uuid.uuid4(),
        mentor_id=uuid.uuid4(),
        cohort_id=uuid.uuid4(),
        programme_id=PROGRAMME,
        mentee_person_id="mentee",
        mentor_person_id="mentor",
        formed_at=datetime.now(UTC),
    )
    await deliver(runtime, handlers(runtime), formed)
    return "GET", "/pairings/{id}/agreement", formed.pairing_id, participant(signer, "someone-else")


async def notifications_feed(
    http: httpx.AsyncClient, runtime: Runtime, signer: Signer
) -> tuple[str, str, uuid.UUID, dict[str, str]]:
    """A participant's messages: theirs alone, never even their programme team's."""
    from notifications.consumers import handlers

    owner = registered("owner", PROGRAMME, uuid.uuid4(), Role.mentee)
    await deliver(runtime, handlers(runtime), owner)
    return "GET", "/participants/{id}/notifications", owner.participant_id, team_of(signer, PROGRAMME)


Seed = Callable[[httpx.AsyncClient, Runtime, Signer], Awaitable[tuple[str, str, uuid.UUID, dict[str, str]]]]
ONE_ROUTE_EACH: dict[str, Seed] = {
    "registration": registration_coach,
    "matching": matching_suggestions,
    "pairing": pairing_requests,
    "scheduling": scheduling_agreement,
    "notifications": notifications_feed,
}


@pytest.mark.parametrize("service", list(ONE_ROUTE_EACH))
async def test_an_object_the_caller_may_not_see_is_answered_as_a_missing_one(stack, create_database, signer, service):
    database = await create_database(f"invisible_{service[:5]}")
    async with service_app(service, database, stack.kafka_bootstrap, signer) as (app, runtime), client(app) as http:
        method, path, hidden, headers = await ONE_ROUTE_EACH[service](http, runtime, signer)
        await invisible_and_missing(http, method, path, hidden, headers)
