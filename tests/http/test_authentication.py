"""Every endpoint of every service needs a valid bearer token, and says why one is refused."""

from __future__ import annotations

import importlib
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.routing import APIRoute

from tests.apps import client, service_app
from together_servicekit.auth import authenticated

pytestmark = pytest.mark.integration

SERVICES = ("registration", "matching", "pairing", "scheduling", "notifications")
PUBLIC = {"/healthz", "/readyz", "/metrics"}


def _needs_token(route: APIRoute) -> bool:
    pending = list(route.dependant.dependencies)
    while pending:
        dependency = pending.pop()
        if dependency.call is authenticated:
            return True
        pending.extend(dependency.dependencies)
    return False


def _api_routes(routes):
    """Every APIRoute, also inside routers FastAPI includes lazily."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from _api_routes(route.original_router.routes)


@pytest.mark.parametrize("service", SERVICES)
def test_every_route_but_health_declares_its_token_rule(service: str):
    app = importlib.import_module(f"{service}.bootstrap").create_app()
    served = list(_api_routes(app.routes))
    assert len(served) >= 3, "the app serves its routes"
    unguarded = sorted(r.path for r in served if r.path not in PUBLIC and not _needs_token(r))
    assert unguarded == []


@pytest.fixture(scope="module")
async def registration(stack, create_database, signer):
    async with service_app("registration", await create_database("auth"), stack.kafka_bootstrap, signer) as (app, _):
        async with client(app) as http:
            yield http


async def test_a_valid_token_is_accepted(registration, signer):
    response = await registration.get(f"/cohorts/{uuid.uuid4()}", headers=signer.headers("someone", "participant"))
    assert response.status_code == 404  # past authentication: the cohort simply does not exist


@pytest.mark.parametrize(
    ("make_token", "reason"),
    [
        (lambda s: None, "send 'Authorization: Bearer <token>'"),
        (lambda s: s.token("someone", "participant", expires_in=-120), "the token has expired"),
        (lambda s: s.token("someone", "participant", audience="another-system"), "not for audience 'together'"),
        (lambda s: s.token("someone", "participant", issuer="https://evil.example"), "was not issued by"),
        (
            lambda s: s.token("someone", "participant", key=rsa.generate_private_key(public_exponent=65537, key_size=2048)),
            "signature does not verify",
        ),
        (lambda s: s.token("someone"), "carries none of the roles"),
        (lambda s: s.token("someone", "admin"), "carries none of the roles"),
        (lambda s: s.token(" ", "participant"), "subject is empty"),
        (lambda s: "not-a-jwt", "the token is invalid"),
    ],
    ids=[
        "missing",
        "expired",
        "wrong-audience",
        "wrong-issuer",
        "bad-signature",
        "no-roles",
        "unknown-roles",
        "empty-subject",
        "garbage",
    ],
)
async def test_a_bad_token_is_refused_with_its_reason(registration, signer, make_token, reason):
    token = make_token(signer)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await registration.get(f"/cohorts/{uuid.uuid4()}", headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert body["error"]["code"] == "unauthenticated"
    assert reason in body["error"]["message"]
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')


async def test_health_metrics_and_the_openapi_document_need_no_token(registration):
    assert (await registration.get("/healthz")).status_code == 200
    assert (await registration.get("/metrics")).status_code == 200
    assert (await registration.get("/openapi.json")).status_code == 200


async def test_responses_carry_security_headers(registration):
    response = await registration.get("/healthz")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
