"""A signing key the identity provider has removed is refused within the JWKS cache time.

The real development identity provider runs as its own process and rotates its key over HTTP;
the registration service verifies tokens against that provider's JWKS, as production does.
"""

from __future__ import annotations

import asyncio
import os
import socket
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI

from tests.apps import client, service_app
from together_servicekit.auth import AuthSettings, TokenVerifier
from together_servicekit.tokens import fetch_token

pytestmark = pytest.mark.integration

JWKS_CACHE_SECONDS = 2


@dataclass(frozen=True)
class Provider:
    issuer: str
    key_directory: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    state, port = tmp_path_factory.mktemp("identity-state"), free_port()
    issuer = f"http://127.0.0.1:{port}"
    environment = {
        **os.environ,
        "TOGETHER_DEV_IDENTITY": "enabled",
        "TOGETHER_STATE_DIR": str(state),
        "TOGETHER_AUTH_ISSUER": issuer,
        "TOGETHER_AUTH_AUDIENCE": "together",
        "IDENTITY_PORT": str(port),
    }
    process = subprocess.Popen([sys.executable, "-m", "together_devtools.dev_identity"], env=environment)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, "the identity provider exited"
            try:
                if httpx.get(f"{issuer}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the identity provider did not start"
            time.sleep(0.1)
        yield Provider(issuer, state / "identity")
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
async def registration(stack, create_database, signer) -> AsyncIterator[FastAPI]:
    async with service_app("registration", await create_database("keyrotation"), stack.kafka_bootstrap, signer) as (app, _):
        yield app


@pytest.fixture
def trusting_the_provider(registration: FastAPI, provider: Provider, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    """The service verifying against the provider's JWKS, configured as in production (no local key)."""
    monkeypatch.delenv("TOGETHER_AUTH_PUBLIC_KEY_FILE", raising=False)
    monkeypatch.delenv("TOGETHER_AUTH_JWKS_URL", raising=False)
    monkeypatch.setenv("TOGETHER_AUTH_ISSUER", provider.issuer)
    monkeypatch.setenv("TOGETHER_AUTH_AUDIENCE", "together")
    monkeypatch.setenv("TOGETHER_AUTH_JWKS_CACHE_SECONDS", str(JWKS_CACHE_SECONDS))
    registration.state.token_verifier = TokenVerifier(AuthSettings.from_environment())
    return registration


async def status_and_message(app: FastAPI, token: str) -> tuple[int, str]:
    async with client(app) as http:
        response = await http.get(f"/cohorts/{uuid.uuid4()}", headers={"Authorization": f"Bearer {token}"})
    return response.status_code, response.json()["error"]["message"] if response.status_code == 401 else ""


async def test_the_providers_key_file_is_readable_by_its_owner_only(provider: Provider):
    assert stat.S_IMODE((provider.key_directory / "signing-key.pem").stat().st_mode) == 0o600


async def test_after_a_rotation_the_old_key_is_refused_within_the_cache_time_and_the_new_one_accepted(
    trusting_the_provider: FastAPI, provider: Provider
):
    app = trusting_the_provider
    async with httpx.AsyncClient() as identity:
        old = await fetch_token(identity, provider.issuer, subject="amina", roles=["participant"])
        assert await status_and_message(app, old) == (404, "")  # past authentication: no such cohort

        rotated = await identity.post(f"{provider.issuer}/keys/rotate")
        assert rotated.status_code == 200
        new = await fetch_token(identity, provider.issuer, subject="amina", roles=["participant"])
    assert jwt.get_unverified_header(new)["kid"] == rotated.json()["kid"] != jwt.get_unverified_header(old)["kid"]

    await asyncio.sleep(JWKS_CACHE_SECONDS)
    status, message = await status_and_message(app, old)
    assert status == 401
    assert "no key with the token's key id" in message
    assert await status_and_message(app, new) == (404, "")


async def test_a_token_naming_no_key_is_refused(trusting_the_provider: FastAPI, provider: Provider):
    # Signed with the provider's own current key, but without saying which key: nothing to look up.
    key = serialization.load_pem_private_key((provider.key_directory / "signing-key.pem").read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    now = int(time.time())
    claims = {"iss": provider.issuer, "aud": "together", "sub": "amina", "iat": now, "exp": now + 60, "roles": ["participant"]}
    status, message = await status_and_message(trusting_the_provider, jwt.encode(claims, key, algorithm="RS256"))
    assert status == 401
    assert "names no signing key" in message
