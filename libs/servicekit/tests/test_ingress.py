"""What the HTTP edge takes from a caller: trace ids of a known shape, no caller text in headers,
and readiness details for operators only. On a bare app: no database, no broker."""

from __future__ import annotations

import base64
import functools
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import APIRouter, Depends, FastAPI

from together_events import current_causation
from together_servicekit.app import build_app
from together_servicekit.auth import Principal, authenticated
from together_servicekit.settings import ServiceSettings

ISSUER, AUDIENCE = "https://identity.test.together", "together"
INJECTION = '"\r\nX-Injected: 1'


class FakeRuntime:
    def __init__(self, checks: dict[str, str]) -> None:
        self.checks = checks

    async def readiness(self) -> dict[str, str]:
        return self.checks

    def figures(self) -> dict[str, Any]:
        return {"background": {"outbox-relay": {"state": "running", "crashes": 0}}}


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def app(key: rsa.RSAPrivateKey, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    (tmp_path / "public.pem").write_bytes(pem)
    monkeypatch.setenv("TOGETHER_AUTH_PUBLIC_KEY_FILE", str(tmp_path / "public.pem"))
    monkeypatch.setenv("TOGETHER_AUTH_ISSUER", ISSUER)
    monkeypatch.setenv("TOGETHER_AUTH_AUDIENCE", AUDIENCE)
    router = APIRouter()

    @router.get("/correlation")
    async def correlation(_: Principal = Depends(authenticated)) -> dict[str, str]:
        return {"correlation_id": current_causation().correlation_id}

    settings = ServiceSettings(service_name="edge", database_name="edge", port=0)
    app = build_app(settings, title="edge", description="", routers=[router])
    app.state.runtime = FakeRuntime({"database": "ok", "kafka": "ok"})
    return app


@pytest.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        yield http


def token(key: rsa.RSAPrivateKey, *roles: str, **header: Any) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "someone", "iat": now, "exp": now + 600, "roles": list(roles)}
    return jwt.encode(claims, key, algorithm="RS256", headers=header or None)


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def unsigned(header: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part({'sub': 'someone', 'roles': ['service']})}."


# --- correlation and request ids ------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["3f2c9d1e-8a4b-4c6d-9e0f-112233445566", "00-4bf92f3577b34da6a3ce929d0e0e4736-01", "a", "x" * 128]
)
async def test_a_well_formed_correlation_id_is_the_requests_correlation(http, key, value):
    response = await http.get("/correlation", headers={**bearer(token(key, "participant")), "X-Correlation-ID": value})
    assert response.status_code == 200, response.text
    assert response.json() == {"correlation_id": value}
    assert response.headers["x-correlation-id"] == value


@pytest.mark.parametrize(
    "value",
    ["x" * 129, "y" * 16_000, "a b", "a/b", "ü", "a\tb", "<script>"],
    ids=["129-chars", "16k", "space", "slash", "non-ascii", "tab", "markup"],
)
@pytest.mark.parametrize("header", ["X-Correlation-ID", "X-Request-ID"])
async def test_a_malformed_trace_id_is_refused_naming_the_header_and_the_rule(http, key, header, value):
    response = await http.get(
        "/correlation", headers={**bearer(token(key, "participant")), header: value.encode()}
    )  # bytes: UTF-8 as sent, not refused by httpx
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert error["details"] == [
        {
            "field": f"header.{header}",
            "rule": "trace_id",
            "message": f"{header} must be 1 to 128 characters of letters, digits, '.', '_', ':' and '-'",
        }
    ]
    # The refusal has its own request id and security headers, and sends nothing of the value back.
    assert response.json()["request_id"] == response.headers["x-request-id"] != value
    assert response.headers["x-content-type-options"] == "nosniff"
    assert value not in response.text and value not in str(response.headers)


async def test_without_trace_ids_the_request_id_is_generated_and_is_the_correlation(http, key):
    response = await http.get("/correlation", headers={**bearer(token(key, "participant")), "X-Correlation-ID": ""})
    assert response.status_code == 200
    assert response.json()["correlation_id"] == response.headers["x-request-id"] == response.headers["x-correlation-id"]


# --- WWW-Authenticate -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "sent",
    [
        lambda key: unsigned({"alg": "none", "kid": INJECTION}),
        lambda key: unsigned({"alg": "RS256", "crit": [INJECTION]}),
        lambda key: unsigned({"alg": INJECTION}),
        lambda key: token(key, "participant", kid=INJECTION, crit=[INJECTION]),
        lambda key: INJECTION,
    ],
    ids=["unsigned-kid", "unsigned-crit", "alg", "signed-crit", "not-a-token"],
)
async def test_a_refused_token_is_never_quoted_back(http, key, sent):
    response = await http.get("/correlation", headers=bearer(sent(key).replace("\r\n", "")))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    message = response.json()["error"]["message"]
    assert message.startswith("not authenticated: ")
    assert "X-Injected" not in message and '"' not in message


async def test_the_crit_header_text_is_not_in_the_refusal(http, key):
    # PyJWT's own error quotes the extension; the response says why in our words.
    response = await http.get("/correlation", headers=bearer(unsigned({"alg": "RS256", "crit": [INJECTION]})))
    assert response.json()["error"]["message"] == "not authenticated: the token is invalid"


# --- readiness --------------------------------------------------------------------------------


async def test_without_a_token_readiness_says_ready_or_not_and_nothing_more(http, app):
    ready = await http.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
    app.state.runtime = FakeRuntime({"database": "ok", "kafka": "KafkaConnectionError: 10.0.0.7:9093 refused"})
    not_ready = await http.get("/readyz")
    assert (not_ready.status_code, not_ready.json()) == (503, {"status": "not_ready"})
    assert (await http.get("/healthz")).json() == {"status": "alive"}


async def test_an_operator_reads_the_checks_and_figures(http, app, key):
    app.state.runtime = FakeRuntime({"database": "ok", "kafka": "KafkaConnectionError: 10.0.0.7:9093 refused"})
    response = await http.get("/readyz", headers=bearer(token(key, "service")))
    assert response.status_code == 503
    assert response.json()["checks"]["kafka"] == "KafkaConnectionError: 10.0.0.7:9093 refused"
    assert "background" in response.json()["figures"]


@pytest.mark.parametrize("roles", [("participant",), ("programme_team",)])
async def test_other_callers_learn_only_ready_or_not(http, key, roles):
    response = await http.get("/readyz", headers=bearer(token(key, *roles)))
    assert (response.status_code, response.json()) == (200, {"status": "ready"})


async def test_a_bad_token_on_readiness_is_refused_like_anywhere_else(http, key):
    response = await http.get("/readyz", headers=bearer(token(key, "service") + "x"))
    assert response.status_code == 401


@pytest.fixture
def jwks_url(key: rsa.RSAPrivateKey, tmp_path: Path) -> Iterator[str]:
    """The test key as an identity provider's JWKS, served over HTTP."""
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig"}]}))
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/jwks.json"
    finally:
        server.shutdown()
        server.server_close()


async def test_a_key_id_the_provider_does_not_know_is_not_quoted_back(key, jwks_url, monkeypatch):
    # Verifying against a JWKS, the token's `kid` picks the key: the refusal does not quote it.
    monkeypatch.delenv("TOGETHER_AUTH_PUBLIC_KEY_FILE", raising=False)
    monkeypatch.setenv("TOGETHER_AUTH_ISSUER", ISSUER)
    monkeypatch.setenv("TOGETHER_AUTH_AUDIENCE", AUDIENCE)
    monkeypatch.setenv("TOGETHER_AUTH_JWKS_URL", jwks_url)
    settings = ServiceSettings(service_name="edge", database_name="edge", port=0)
    app = build_app(settings, title="edge", description="", routers=[])
    app.state.runtime = FakeRuntime({"database": "ok"})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        known = await http.get("/readyz", headers=bearer(token(key, "service", kid="k1")))
        assert known.status_code == 200 and "checks" in known.json()
        response = await http.get("/readyz", headers=bearer(token(key, "service", kid=INJECTION)))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert "X-Injected" not in response.text
