"""What a caller can put into a service through its HTTP edge, over real HTTP (uvicorn) on the real
PostgreSQL and Kafka: trace ids are checked before they reach an event, a refused token is never
quoted back in a header, and readiness tells strangers ready or not and operators why."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import socket
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI

from tests.apps import service_app
from together_servicekit.runtime import Runtime

pytestmark = pytest.mark.integration

INJECTION = '"\r\nX-Injected: 1\r\n\r\n<h1>'


@contextlib.asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[int]:
    """`app` over real HTTP on a loopback port (its lifespan off: service_app set up its runtime)."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, log_level="critical", lifespan="off"))
    serving = asyncio.create_task(server.serve(sockets=[listening]))
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield listening.getsockname()[1]
    finally:
        server.should_exit = True
        await serving
        listening.close()


@pytest.fixture(scope="module")
async def registration(stack, create_database, signer) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime, int]]:
    async with service_app("registration", await create_database("ingress"), stack.kafka_bootstrap, signer) as (app, runtime):
        async with served(app) as port, httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            yield http, runtime, port


async def recorded_correlations(runtime: Runtime) -> list[str]:
    async with runtime.engine.connect() as conn:
        rows = await conn.execute(sa.text("SELECT envelope->>'correlationid' FROM outbox ORDER BY position"))
        return [row[0] for row in rows]


async def create_programme(http: httpx.AsyncClient, signer, **headers: str) -> httpx.Response:
    lead = signer.headers("lead", "programme_team", programmes=["*"])
    return await http.post("/programmes", json={"name": "Ingress", "kind": "mentoring"}, headers={**lead, **headers})


# --- correlation ids --------------------------------------------------------------------------


async def test_a_well_formed_correlation_id_is_carried_by_the_event(registration, signer):
    http, runtime, _ = registration
    correlation = str(uuid.uuid4())
    response = await create_programme(http, signer, **{"X-Correlation-ID": correlation})
    assert response.status_code == 201, response.text
    assert response.headers["x-correlation-id"] == correlation
    assert (await recorded_correlations(runtime))[-1] == correlation


@pytest.mark.parametrize(
    ("header", "value"),
    [("X-Correlation-ID", "c" * 16_000), ("X-Correlation-ID", "<script>alert(1)</script>"), ("X-Request-ID", "r" * 129)],
    ids=["16KB-correlation", "markup-correlation", "long-request-id"],
)
async def test_a_malformed_trace_id_is_refused_before_anything_is_recorded(registration, signer, header, value):
    http, runtime, _ = registration
    before = await recorded_correlations(runtime)
    response = await create_programme(http, signer, **{header: value})
    assert response.status_code == 400
    body = response.json()
    assert [(d["field"], d["rule"]) for d in body["error"]["details"]] == [(f"header.{header}", "trace_id")]
    assert "1 to 128 characters" in body["error"]["message"]
    assert body["request_id"] == response.headers["x-request-id"]
    assert value not in response.text and value not in str(response.headers)
    assert await recorded_correlations(runtime) == before  # no programme, no event


# --- WWW-Authenticate -------------------------------------------------------------------------


def unsigned(header: dict[str, object]) -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part({'sub': 'someone', 'roles': ['service']})}."


async def raw_get(port: int, path: str, token: str) -> tuple[list[str], bytes]:
    """The response's header lines and body, as they come off the wire."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    answer = await reader.read()
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    return head.decode("latin-1").split("\r\n"), body


@pytest.mark.parametrize(
    "token",
    [
        lambda signer: unsigned({"alg": "none", "kid": INJECTION}),
        lambda signer: unsigned({"alg": "RS256", "kid": INJECTION, "crit": [INJECTION]}),
        lambda signer: signer.token("someone", "participant").replace("eyJ", "eyJ" * 2, 1),
    ],
    ids=["unsigned-kid", "unsigned-crit", "mangled"],
)
async def test_a_refused_token_is_never_quoted_back(registration, signer, token):
    _, _, port = registration
    lines, body = await raw_get(port, f"/cohorts/{uuid.uuid4()}", token(signer))
    assert lines[0] == "HTTP/1.1 401 Unauthorized"
    assert [line for line in lines if line.lower().startswith("www-authenticate:")] == [
        'www-authenticate: Bearer error="invalid_token"'
    ]
    assert not any(line.lower().startswith("x-injected") for line in lines)
    error = json.loads(body)["error"]
    assert error["code"] == "unauthenticated"
    assert "X-Injected" not in error["message"] and "<h1>" not in error["message"]


# --- readiness --------------------------------------------------------------------------------


async def test_readiness_tells_a_stranger_ready_or_not_and_an_operator_why(registration, signer):
    http, runtime, _ = registration
    assert (await http.get("/healthz")).json() == {"status": "alive"}
    ready = await http.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
    operator = signer.headers("operator", "service")
    assert (await http.get("/readyz", headers=operator)).json()["checks"] == {"database": "ok", "kafka": "ok"}

    runtime.checks["ingress-probe"] = lambda: "stalled: broker 10.0.0.7:9093 refused"
    try:
        stranger = await http.get("/readyz")
        participant = await http.get("/readyz", headers=signer.headers("someone", "participant"))
        told = await http.get("/readyz", headers=operator)
    finally:
        del runtime.checks["ingress-probe"]
    assert (stranger.status_code, stranger.json()) == (503, {"status": "not_ready"})
    assert (participant.status_code, participant.json()) == (503, {"status": "not_ready"})
    assert told.status_code == 503
    assert told.json()["checks"]["ingress-probe"] == "stalled: broker 10.0.0.7:9093 refused"
    assert "background" in told.json()["figures"]


async def test_readiness_refuses_a_bad_token_like_any_endpoint(registration, signer):
    http, _, _ = registration
    response = await http.get(
        "/readyz", headers={"Authorization": f"Bearer {signer.token('operator', 'service', expires_in=-120)}"}
    )
    assert response.status_code == 401
