"""The development identity provider's signing key: private from its first byte, and rotatable."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from together_devtools import dev_identity
from together_servicekit.tokens import fetch_token

ISSUER = "http://identity.test"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """Umask 0: a file the provider did not create with mode 0600 would be readable by everyone."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.fixture
def no_chmod(monkeypatch: pytest.MonkeyPatch) -> None:
    """Write-then-chmod leaves a moment when others may read the key: the mode must come from creation."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the key file was chmod-ed after it was written")

    monkeypatch.setattr(os, "chmod", refuse)
    monkeypatch.setattr(Path, "chmod", refuse)


def test_the_signing_key_file_is_created_readable_by_its_owner_only(tmp_path: Path, permissive_umask, no_chmod):
    directory = tmp_path / "identity"
    key = dev_identity.load_or_create_key(directory)

    assert mode(directory / "signing-key.pem") == 0o600
    assert mode(directory) == 0o700
    assert not list(directory.glob("*.partial"))
    assert dev_identity.load_or_create_key(directory).private_numbers() == key.private_numbers()  # made once


async def test_rotation_publishes_the_new_key_only_and_keeps_it_for_the_next_start(tmp_path: Path, permissive_umask, no_chmod):
    directory = tmp_path / "identity"
    first = dev_identity.load_or_create_key(directory)
    app = dev_identity.create_app(first, ISSUER, "together", key_directory=directory)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ISSUER) as http:

        async def published() -> list[str]:
            return [key["kid"] for key in (await http.get("/.well-known/jwks.json")).json()["keys"]]

        async def token_kid() -> str:
            token = await fetch_token(http, ISSUER, subject="amina", roles=["participant"])
            return str(jwt.get_unverified_header(token)["kid"])

        [old_kid] = await published()
        assert await token_kid() == old_kid

        rotated = await http.post("/keys/rotate")
        assert rotated.status_code == 200
        new_kid = rotated.json()["kid"]

        assert new_kid != old_kid
        assert await published() == [new_kid]
        assert await token_kid() == new_kid

    assert mode(directory / "signing-key.pem") == 0o600
    reloaded = dev_identity.load_or_create_key(directory)
    assert isinstance(reloaded, rsa.RSAPrivateKey)
    assert reloaded.private_numbers() != first.private_numbers()
    assert dev_identity.SigningKey.of(reloaded).jwk["kid"] == new_kid
