"""Who is calling: bearer tokens (JWT) verified once for every service.

Production verifies against an OIDC provider's JWKS (`TOGETHER_AUTH_JWKS_URL`);
development, demo and tests may instead name a local public key
(`TOGETHER_AUTH_PUBLIC_KEY_FILE`). Either way the token must carry the
configured issuer and audience, a subject, an expiry, and `roles`:

- `participant`: the subject is a person; their registrations are theirs;
- `programme_team`: runs the programmes listed in `programmes` ("*": all);
- `service`: another system or an operator tool (the demo's clock, for one).

No token, an expired one, a wrong audience or issuer, or a bad signature: 401
with the reason. Everything but /healthz, /readyz and the OpenAPI documents
requires a token.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from pathlib import Path

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from jwt.algorithms import AllowedPublicKeys

from together_servicekit.errors import DomainError

ALGORITHMS = ["RS256", "ES256"]


class Role(StrEnum):
    participant = "participant"
    programme_team = "programme_team"
    service = "service"


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[Role]
    programmes: frozenset[str] = field(default_factory=frozenset)

    def has(self, role: Role) -> bool:
        return role in self.roles

    def is_person(self, person_id: str) -> bool:
        """Whether the caller is this person, acting as a participant."""
        return self.has(Role.participant) and self.subject == person_id

    def runs(self, programme_id: object) -> bool:
        """Whether this is the programme team of `programme_id`."""
        return self.has(Role.programme_team) and ("*" in self.programmes or str(programme_id) in self.programmes)


class Unauthenticated(DomainError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"not authenticated: {reason}", status=401, code="unauthenticated")


class Forbidden(DomainError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"forbidden: {reason}", status=403, code="forbidden")


@dataclass(frozen=True)
class AuthSettings:
    issuer: str
    audience: str
    jwks_url: str
    public_key_file: str

    @classmethod
    def from_environment(cls) -> AuthSettings:
        # Compared exactly with the token's `iss`, trailing slash and all (some providers have one).
        issuer = os.environ.get("TOGETHER_AUTH_ISSUER", "http://127.0.0.1:8000")
        key_file = os.environ.get("TOGETHER_AUTH_PUBLIC_KEY_FILE", "")
        return cls(
            issuer=issuer,
            audience=os.environ.get("TOGETHER_AUTH_AUDIENCE", "together"),
            # With no local key, the provider's keys: its JWKS at the conventional place unless named.
            jwks_url="" if key_file else os.environ.get("TOGETHER_AUTH_JWKS_URL", f"{issuer.rstrip('/')}/.well-known/jwks.json"),
            public_key_file=key_file,
        )


class TokenVerifier:
    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings

    @cached_property
    def _jwks(self) -> jwt.PyJWKClient:
        return jwt.PyJWKClient(self.settings.jwks_url, cache_keys=True, lifespan=300, timeout=5)

    @cached_property
    def _local_key(self) -> bytes:
        return Path(self.settings.public_key_file).read_bytes()

    def _key_for(self, token: str) -> AllowedPublicKeys | bytes:
        if not self.settings.jwks_url:
            return self._local_key
        try:
            key: AllowedPublicKeys = self._jwks.get_signing_key_from_jwt(token).key
            return key
        except jwt.PyJWKClientConnectionError as exc:
            raise Unauthenticated("the identity provider's keys cannot be fetched") from exc
        except jwt.PyJWKClientError as exc:
            raise Unauthenticated(f"no key to verify this token: {exc}") from exc

    def verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token,
                self._key_for(token),
                algorithms=ALGORITHMS,
                audience=self.settings.audience,
                issuer=self.settings.issuer,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
                leeway=30,
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("the token has expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise Unauthenticated(f"the token is not for audience '{self.settings.audience}'") from exc
        except jwt.InvalidIssuerError as exc:
            raise Unauthenticated(f"the token was not issued by '{self.settings.issuer}'") from exc
        except jwt.InvalidSignatureError as exc:
            raise Unauthenticated("the token's signature does not verify") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthenticated(f"the token lacks the claim '{exc.claim}'") from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"the token is invalid: {exc}") from exc
        if not str(claims["sub"]).strip():
            raise Unauthenticated("the token's subject is empty")
        roles = claims.get("roles")
        known = {r.value for r in Role}
        if not isinstance(roles, list) or not known.intersection(map(str, roles)):
            raise Unauthenticated(f"the token carries none of the roles {', '.join(sorted(known))}")
        programmes = claims.get("programmes", [])
        return Principal(
            subject=str(claims["sub"]),
            roles=frozenset(Role(r) for r in roles if r in known),
            programmes=frozenset(str(p) for p in programmes) if isinstance(programmes, list) else frozenset(),
        )


_bearer = HTTPBearer(auto_error=False, description="A JWT from the identity provider (see libs/servicekit/README.md).")


def authenticated(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Principal:
    """FastAPI dependency: the verified caller, or 401."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("send 'Authorization: Bearer <token>'")
    verifier: TokenVerifier = request.app.state.token_verifier
    return verifier.verify(credentials.credentials)


def require(principal: Principal, *roles: Role) -> None:
    """403 unless the caller holds one of `roles`."""
    if not any(principal.has(role) for role in roles):
        raise Forbidden(f"this needs the role {' or '.join(r.value for r in roles)}")
