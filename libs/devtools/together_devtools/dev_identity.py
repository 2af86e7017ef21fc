"""A development identity provider: OIDC discovery, a JWKS, and a token endpoint.

    TOGETHER_DEV_IDENTITY=enabled python -m together_devtools.dev_identity

For development, the demo and the tests only: it signs a token for whoever
asks, with the roles they ask for. Services verify its tokens exactly as they
verify a production provider's, through its JWKS; clients obtain tokens from
it the way they would from a real one (an HTTP POST to the token endpoint:
`together_servicekit.tokens.fetch_token`).

    POST /token  (application/x-www-form-urlencoded)
      grant_type=urn:together:dev-login
      subject=<person id>  roles=participant|programme_team|service (space separated)
      programmes=<programme ids, space separated, or *>  (programme_team only)
      scope=<scopes, space separated>  (e.g. registration:contacts for a service)

    POST /keys/rotate
      a new signing key replaces the old one, which leaves the JWKS: tokens it
      signed are refused once the services' JWKS cache expires

The RSA signing key is generated once into `$TOGETHER_STATE_DIR/identity/`
(readable by its owner only), and replaced there on rotation.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

import jwt
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from together_servicekit.auth import Role
from together_servicekit.profile import is_production
from together_servicekit.tokens import GRANT  # the client side of this grant: fetch_token

TOKEN_LIFETIME = 3600
PRIVATE_KEY_FILE, PUBLIC_KEY_FILE = "signing-key.pem", "public-key.pem"


def key_dir() -> Path:
    return Path(os.environ.get("TOGETHER_STATE_DIR", Path.cwd() / ".run")).resolve() / "identity"


def load_or_create_key(directory: Path) -> rsa.RSAPrivateKey:
    """The signing key, made on first use; its public half is written beside it as PEM."""
    private_path = directory / PRIVATE_KEY_FILE
    if private_path.exists():
        key = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return key
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    save_key(directory, key)
    return key


def save_key(directory: Path, key: rsa.RSAPrivateKey) -> None:
    """Write the key pair, each file whole or not at all; the private key is never readable by others."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    _write_atomically(directory / PRIVATE_KEY_FILE, private, mode=0o600)
    _write_atomically(directory / PUBLIC_KEY_FILE, public, mode=0o644)


def _write_atomically(path: Path, data: bytes, *, mode: int) -> None:
    # Created with its mode (not chmod-ed afterwards, which leaves a moment when others may read it),
    # then renamed over the old file, so a reader sees the old key or the new, never half of one.
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
    os.replace(partial, path)


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass(frozen=True)
class SigningKey:
    private: rsa.RSAPrivateKey
    jwk: dict[str, str]

    @classmethod
    def of(cls, key: rsa.RSAPrivateKey) -> SigningKey:
        numbers = key.public_key().public_numbers()
        jwk = {"kty": "RSA", "use": "sig", "alg": "RS256", "n": _b64(numbers.n), "e": _b64(numbers.e)}
        jwk["kid"] = hashlib.sha256(json.dumps(jwk, sort_keys=True).encode()).hexdigest()[:16]
        return cls(key, jwk)


def create_app(key: rsa.RSAPrivateKey, issuer: str, audience: str, *, key_directory: Path | None = None) -> FastAPI:
    """The provider signing with `key`; a rotated key is saved to `key_directory` when given."""
    current = SigningKey.of(key)
    app = FastAPI(title="Together development identity provider", description=__doc__)

    @app.get("/healthz")
    @app.get("/readyz")
    async def alive() -> dict[str, str]:
        return {"status": "ready"}

    @app.get("/.well-known/openid-configuration")
    async def discovery() -> dict[str, object]:
        return {
            "issuer": issuer,
            "jwks_uri": f"{issuer}/.well-known/jwks.json",
            "token_endpoint": f"{issuer}/token",
            "grant_types_supported": [GRANT],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    @app.get("/.well-known/jwks.json")
    async def jwks() -> dict[str, object]:
        return {"keys": [current.jwk]}

    @app.post("/keys/rotate")
    async def rotate() -> dict[str, str]:
        nonlocal current
        new_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if key_directory is not None:
            save_key(key_directory, new_key)
        current = SigningKey.of(new_key)
        return {"kid": current.jwk["kid"]}

    @app.post("/token")
    async def token(request: Request) -> JSONResponse:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode(errors="replace")).items()}
        if form.get("grant_type") != GRANT:
            return _oauth_error("unsupported_grant_type", f"grant_type must be {GRANT}")
        roles = form.get("roles", "").split()
        unknown = [r for r in roles if r not in {role.value for role in Role}]
        if not form.get("subject") or not roles or unknown:
            return _oauth_error("invalid_request", "give a subject and one or more roles of participant, programme_team, service")
        now = int(time.time())
        claims = {
            "iss": issuer,
            "aud": audience,
            "sub": form["subject"],
            "iat": now,
            "exp": now + TOKEN_LIFETIME,
            "roles": roles,
            "programmes": form.get("programmes", "").split(),
        }
        if form.get("scope", "").strip():
            claims["scope"] = " ".join(form["scope"].split())  # granted as asked: a development provider
        signed = jwt.encode(claims, current.private, algorithm="RS256", headers={"kid": current.jwk["kid"]})
        return JSONResponse({"access_token": signed, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME})

    return app


def _oauth_error(code: str, description: str) -> JSONResponse:
    return JSONResponse({"error": code, "error_description": description}, status_code=400)


def main() -> None:
    if is_production():
        raise SystemExit("the development identity provider signs tokens for anyone: it never runs with TOGETHER_ENV=production")
    if os.environ.get("TOGETHER_DEV_IDENTITY") != "enabled":
        raise SystemExit("the development identity provider signs tokens for anyone: set TOGETHER_DEV_IDENTITY=enabled to run it")
    issuer = os.environ.get("TOGETHER_AUTH_ISSUER", "http://127.0.0.1:8000")
    port = int(os.environ.get("IDENTITY_PORT", "8000"))
    directory = key_dir()
    audience = os.environ.get("TOGETHER_AUTH_AUDIENCE", "together")
    app = create_app(load_or_create_key(directory), issuer, audience, key_directory=directory)
    uvicorn.run(app, host=os.environ.get("IDENTITY_HOST", "127.0.0.1"), port=port, log_level="warning")


if __name__ == "__main__":
    main()
