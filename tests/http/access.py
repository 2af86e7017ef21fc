"""Helpers for the table-driven access-rule tests (tests/http/test_access_*.py).

A table row is (action, caller, object, expected status). Callers are named
relative to the object ("owner", "other-participant", "team", "other-team",
"service", ...); each module's world says which person each name is. Rows get
readable ids like "pairing:accept:other-participant->404"; a row on another
object than the action's first one also names it: "matching:suggestions:owner@other-cohort->404".

`invisible_and_missing` asks for an object the caller may not see and for an id nobody has, and
checks the two answers are one (ADR 0005): each module runs it for each route and caller that may not see.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.apps import Signer
from together_contracts.registration import ParticipantRegistered, PublicProfile, Role
from together_contracts.roles import offers_partnership
from together_events import Envelope, Event, Handler
from together_servicekit.runtime import Runtime

ERROR_CODES = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 409: "conflict"}


def table(service: str, rows: Iterable[tuple[str, str, str, int]]) -> list:
    """pytest params (action, caller, object, status) with readable ids."""
    first_object: dict[str, str] = {}
    params = []
    for action, caller, obj, status in rows:
        first_object.setdefault(action, obj)
        on = "" if obj == first_object[action] else f"@{obj}"
        params.append(pytest.param(action, caller, obj, status, id=f"{service}:{action}:{caller}{on}->{status}"))
    ids = [p.id for p in params]
    assert len(ids) == len(set(ids)), "each row of the table is distinct"
    return params


def check(response: httpx.Response, status: int) -> None:
    """The expected status; a refusal also has the one JSON error shape, with its code."""
    assert response.status_code == status, f"expected {status}, got {response.status_code}: {response.text}"
    if status < 400:
        return
    body = response.json()
    assert set(body) == {"error", "request_id"}, body
    error = body["error"]
    assert set(error) == {"status", "code", "message", "details"}, body
    assert error["status"] == status
    if status in ERROR_CODES:
        assert error["code"] == ERROR_CODES[status], body
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], list)
    assert body["request_id"] and body["request_id"] == response.headers["x-request-id"]


# Differ from one request to the next whatever the answer: the ids each response carries.
PER_REQUEST_HEADERS = {"x-request-id", "x-correlation-id"}


async def invisible_and_missing(
    http: httpx.AsyncClient, method: str, path: str, hidden: uuid.UUID, headers: dict[str, str], **request: Any
) -> None:
    """ADR 0005: `path` with `{id}` as the object the caller may not see (`hidden`), then as an id nobody has;
    the two answers must be one: status, body field by field, headers."""
    absent = uuid.uuid4()
    invisible = await http.request(method, path.format(id=hidden), headers=headers, **request)
    missing = await http.request(method, path.format(id=absent), headers=headers, **request)
    assert_answers_alike(invisible, missing, hidden=hidden, absent=absent)


def assert_answers_alike(invisible: httpx.Response, missing: httpx.Response, *, hidden: uuid.UUID, absent: uuid.UUID) -> None:
    """The answer about an object the caller may not see is the answer about a missing one: the same
    status and headers, and the same body field by field, its message naming the id asked for in the same words."""
    check(missing, 404)
    assert invisible.status_code == missing.status_code, f"{invisible.status_code} for the hidden object: {invisible.text}"
    seen, unseen = invisible.json(), missing.json()
    assert set(seen) == set(unseen)
    assert set(seen["error"]) == set(unseen["error"])
    for name, value in unseen["error"].items():
        if name == "message":
            assert str(absent) in value, value
            assert seen["error"][name].replace(str(hidden), "{id}") == value.replace(str(absent), "{id}")
        else:
            assert seen["error"][name] == value, name
    assert seen["request_id"] == invisible.headers["x-request-id"]

    def lasting(response: httpx.Response) -> dict[str, str]:
        return {name: value for name, value in response.headers.items() if name not in PER_REQUEST_HEADERS}

    assert lasting(invisible) == lasting(missing)


@dataclass
class People:
    """Who the callers are: participants by name (token subject), and the two programmes."""

    programme: uuid.UUID
    other_programme: uuid.UUID
    subjects: dict[str, str] = field(default_factory=dict)

    def person(self, name: str) -> str:
        return self.subjects.setdefault(name, f"{name}-{uuid.uuid4().hex[:8]}")

    def headers(self, signer: Signer, caller: str) -> dict[str, str]:
        match caller:
            case "anonymous":
                return {}
            case "team":  # the team running the object's programme
                return signer.headers(self.person("team"), "programme_team", programmes=[str(self.programme)])
            case "all-teams":  # a team member with scope over every programme
                return signer.headers(self.person("lead"), "programme_team", programmes=["*"])
            case "other-team":  # the team of ANOTHER programme
                return signer.headers(self.person("other-team"), "programme_team", programmes=[str(self.other_programme)])
            case "service":  # the notifications service: a service token with the scope to read contacts
                return signer.headers(self.person("service"), "service", scopes=["registration:contacts"])
            case "key-reader":  # a service that opens sealed profiles: the scope to read data keys
                return signer.headers(self.person("service"), "service", scopes=["registration:data-keys"])
            case "service-unscoped":  # any other service: the role without that scope
                return signer.headers(self.person("service"), "service")
            case "service-star":  # a programmes claim without the programme_team role grants nothing,
                return signer.headers(self.person("service"), "service", programmes=["*"], scopes=["registration:contacts"])
            case "participant-star":  # nor does it for a participant
                return signer.headers(self.person("participant-star"), "participant", programmes=["*"])
            case _:
                return signer.headers(self.person(caller), "participant")


def envelope_of(event: Event) -> Envelope:
    return Envelope(
        id=str(uuid.uuid4()),
        source=f"/together/{event.service}",
        type=event.event_type(),
        subject=event.aggregate_id(),
        time=datetime.now(UTC),
        aggregatetype=event.aggregate,
        sequence=1,
        correlationid="access-tests",
        data=event.model_dump(mode="json"),
    )


async def deliver(runtime: Runtime, handlers: Mapping[type[Event], Handler], *events: Event) -> None:
    """Seed a read model the way the service does: through its own event handlers."""
    async with runtime.engine.begin() as conn:
        for event in events:
            await handlers[type(event)](conn, event, envelope_of(event))


def registered(
    person_id: str,
    programme_id: uuid.UUID,
    cohort_id: uuid.UUID,
    *roles: Role,
    mentor_capacity: int | None = None,
    grade: str | None = None,
    years_of_service: int = 5,
) -> ParticipantRegistered:
    """A registration in an English-speaking Secretariat entity; a mentor or coach is P-5 unless told, more
    experienced than a mentee or client (P-3), as pairing's grade rule wants of every request."""
    if grade is None:
        grade = "P-5" if offers_partnership(roles) else "P-3"
    return ParticipantRegistered(
        participant_id=uuid.uuid4(),
        person_id=person_id,
        cohort_id=cohort_id,
        programme_id=programme_id,
        roles=list(roles),
        mentor_capacity=mentor_capacity,
        profile=PublicProfile(
            display_name=person_id,
            entity="Secretariat",
            duty_station="Geneva",
            time_zone="Europe/Zurich",
            grade=grade,
            years_of_service=years_of_service,
            job_network="POLNET",
            languages=["English"],
            skills=["negotiation"],
            goals=["negotiation"],
        ),
        registered_at=datetime.now(UTC),
    )
