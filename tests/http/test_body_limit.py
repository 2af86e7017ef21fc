"""Request bodies have a size limit, answered in the one error shape."""

from __future__ import annotations

import uuid

import pytest

from tests.apps import client, service_app

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def pairing(stack, create_database, signer):
    async with service_app("pairing", await create_database("limit"), stack.kafka_bootstrap, signer) as (app, runtime):
        async with client(app) as http:
            yield http, runtime.settings.max_body_bytes


def preferences_url() -> str:
    return f"/cohorts/{uuid.uuid4()}/mentees/{uuid.uuid4()}/preferences"


async def test_a_declared_oversized_body_is_refused_before_it_is_read(pairing, signer):
    http, limit = pairing
    response = await http.post(
        preferences_url(),
        content=b"x" * (limit + 1),
        headers={**signer.headers("p", "participant"), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"] == {
        "status": 413, "code": "body_too_large", "message": f"the request body is larger than {limit} bytes", "details": [],
    }  # fmt: skip


async def test_a_streamed_body_is_stopped_once_it_passes_the_limit(pairing, signer):
    http, limit = pairing

    async def chunks():  # no Content-Length: the size is only known as the bytes arrive
        for _ in range(limit // 1000 + 2):
            yield b" " * 1000

    response = await http.post(
        preferences_url(), content=chunks(), headers={**signer.headers("p", "participant"), "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"


async def test_a_body_within_the_limit_reaches_validation(pairing, signer):
    http, _ = pairing
    response = await http.post(preferences_url(), json={"mentor_ids": []}, headers=signer.headers("p", "participant"))
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "body.mentor_ids"
