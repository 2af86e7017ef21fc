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

The RSA signing key is generated once into `$TOGETHER_STATE_DIR/identity/`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from pathlib import Path
from urllib.parse import parse_qs

import jwt
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from together_servicekit.auth import Role
from together_servicekit.tokens import GRANT  # the client side of this grant: fetch_token

TOKEN_LIFETIME = 3600


def key_dir() -> Path:
    return Path(os.environ.get("TOGETHER_STATE_DIR", Path.cwd() / ".run")).resolve() / "identity"


def load_or_create_key(directory: Path) -> rsa.RSAPrivateKey:
    """The signing key, made on first use; its public half is written beside it as PEM."""
    private_path, public_path = directory / "signing-key.pem", directory / "public-key.pem"
    if private_path.exists():
        key = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return key
    directory.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    private_path.chmod(0o600)
    public_path.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return key


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def create_app(key: rsa.RSAPrivateKey, issuer: str, audience: str) -> FastAPI:
    numbers = key.public_key().public_numbers()
    jwk = {"kty": "RSA", "use": "sig", "alg": "RS256", "n": _b64(numbers.n), "e": _b64(numbers.e)}
    jwk["kid"] = hashlib.sha256(json.dumps(jwk, sort_keys=True).encode()).hexdigest()[:16]
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
        return {"keys": [jwk]}

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
        signed = jwt.encode(claims, key, algorithm="RS256", headers={"kid": jwk["kid"]})
        return JSONResponse({"access_token": signed, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME})

    return app


def _oauth_error(code: str, description: str) -> JSONResponse:
    return JSONResponse({"error": code, "error_description": description}, status_code=400)


def main() -> None:
    if os.environ.get("TOGETHER_DEV_IDENTITY") != "enabled":
        raise SystemExit("the development identity provider signs tokens for anyone: set TOGETHER_DEV_IDENTITY=enabled to run it")
    issuer = os.environ.get("TOGETHER_AUTH_ISSUER", "http://127.0.0.1:8000")
    port = int(os.environ.get("IDENTITY_PORT", "8000"))
    app = create_app(load_or_create_key(key_dir()), issuer, os.environ.get("TOGETHER_AUTH_AUDIENCE", "together"))
    uvicorn.run(app, host=os.environ.get("IDENTITY_HOST", "127.0.0.1"), port=port, log_level="warning")


if __name__ == "__main__":
    main()
