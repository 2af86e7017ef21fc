"""A browser client on a configured origin may call the API; other origins get no CORS grant."""

from __future__ import annotations

import pytest

from tests.apps import client, service_app

pytestmark = pytest.mark.integration

ALLOWED = "https://together.example.org"


@pytest.fixture(scope="module")
async def matching(stack, create_database, signer):
    db = await create_database("cors")
    async with service_app("matching", db, stack.kafka_bootstrap, signer, cors_origins=ALLOWED, hsts_seconds=31536000) as (
        app,
        _,
    ):
        async with client(app) as http:
            yield http


async def test_a_configured_origin_passes_the_preflight_with_the_authorization_header(matching):
    response = await matching.options(
        "/cohorts/x/mentees/y/suggestions",
        headers={"Origin": ALLOWED, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"},
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert "authorization" in response.headers["access-control-allow-headers"].lower()


async def test_another_origin_gets_no_grant(matching):
    response = await matching.options(
        "/cohorts/x/mentees/y/suggestions",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in response.headers


async def test_hsts_is_sent_when_configured(matching):
    response = await matching.get("/healthz")
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
