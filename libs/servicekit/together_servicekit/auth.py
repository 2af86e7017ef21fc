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

The JWKS is trusted only while fresh: a key the provider has removed is
refused at most `TOGETHER_AUTH_JWKS_CACHE_SECONDS` (default 300) later.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import TypeVar

import httpx
import jwt
import structlog
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from jwt.algorithms import AllowedPublicKeys

from together_servicekit.errors import DomainError, NotFound

ALGORITHMS = ["RS256", "ES256"]
JWKS_REFETCH_SECONDS = 10.0

log = structlog.get_logger(__name__)

T = TypeVar("T")


class Role(StrEnum):
    participant = "participant"
    programme_team = "programme_team"
    service = "service"


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[Role]
    programmes: frozenset[str] = field(default_factory=frozenset)
    # What a `service` token may do beyond its role (the OAuth `scope` claim), e.g. "registration:contacts".
    scopes: frozenset[str] = field(default_factory=frozenset)

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
    jwks_cache_seconds: float = 300.0

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
            jwks_cache_seconds=_positive_seconds("TOGETHER_AUTH_JWKS_CACHE_SECONDS", default=300.0),
        )


def _positive_seconds(name: str, *, default: float) -> float:
    raw = os.environ.get(name, "")
    try:
        seconds = float(raw) if raw else default
    except ValueError:
        seconds = 0.0
    if not seconds > 0:  # also refuses NaN
        raise ValueError(f"{name} must be a positive number of seconds, not {raw!r}")
    return seconds


def _get_json(url: str) -> object:
    response = httpx.get(url, timeout=5)
    response.raise_for_status()
    return response.json()


class JwksCache:
    """The identity provider's signing keys, trusted only while the JWK set they came from is fresh.

    A key the provider has removed is refused at most `lifetime` seconds later, even if the
    provider cannot be reached then (stale keys are dropped, not kept). A token naming an unknown
    key may carry one just published, so it triggers a refetch, but at most one per
    `refetch_interval`: a flood of made-up key ids cannot hammer the provider.
    """

    def __init__(
        self,
        url: str,
        lifetime: float,
        *,
        refetch_interval: float = JWKS_REFETCH_SECONDS,
        fetch: Callable[[str], object] = _get_json,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.lifetime = lifetime
        # Never longer than the lifetime, or an expired set could not be replaced in time.
        self.refetch_interval = min(refetch_interval, lifetime)
        self._fetch_document = fetch
        self._clock = clock
        self._keys: Mapping[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        # Requests are verified on worker threads: one fetch at a time, and the others wait for it.
        self._lock = threading.Lock()

    def signing_key(self, kid: str) -> jwt.PyJWK:
        with self._lock:
            now = self._clock()
            if not self._fresh(now):
                self._keys = {}
            if kid not in self._keys and self._may_fetch(now):
                self._fetch(now)
            if not self._fresh(now):
                raise Unauthenticated("the identity provider's keys cannot be fetched")
            if kid not in self._keys:
                raise Unauthenticated("the identity provider has no key with the token's key id")
            return self._keys[kid]

    def _fresh(self, now: float) -> bool:
        return self._fetched_at is not None and now - self._fetched_at < self.lifetime

    def _may_fetch(self, now: float) -> bool:
        return self._attempted_at is None or now - self._attempted_at >= self.refetch_interval

    def _fetch(self, now: float) -> None:
        self._attempted_at = now
        try:
            document = self._fetch_document(self.url)
            if not isinstance(document, dict):
                raise ValueError("the JWKS is not a JSON object")
            key_set = jwt.PyJWKSet.from_dict(document)
        except (httpx.HTTPError, ValueError, jwt.PyJWTError) as exc:
            log.warning("jwks_fetch_failed", url=self.url, error=str(exc))
            return
        self._keys = {key.key_id: key for key in key_set.keys if key.key_id and key.public_key_use in ("sig", None)}
        self._fetched_at = now


class TokenVerifier:
    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings

    @cached_property
    def _jwks(self) -> JwksCache:
        return JwksCache(self.settings.jwks_url, self.settings.jwks_cache_seconds)

    @cached_property
    def _local_key(self) -> bytes:
        return Path(self.settings.public_key_file).read_bytes()

    def _key_for(self, token: str) -> AllowedPublicKeys | bytes:
        if not self.settings.jwks_url:
            return self._local_key
        kid = jwt.get_unverified_header(token).get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthenticated("the token names no signing key ('kid')")
        key: AllowedPublicKeys = self._jwks.signing_key(kid).key
        return key

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
            raise Unauthenticated("the token is invalid") from exc  # not its text: it can quote the token
        if not str(claims["sub"]).strip():
            raise Unauthenticated("the token's subject is empty")
        roles = claims.get("roles")
        known = {r.value for r in Role}
        if not isinstance(roles, list) or not known.intersection(map(str, roles)):
            raise Unauthenticated(f"the token carries none of the roles {', '.join(sorted(known))}")
        programmes = claims.get("programmes", [])
        scope = claims.get("scope", "")
        return Principal(
            subject=str(claims["sub"]),
            roles=frozenset(Role(r) for r in roles if r in known),
            programmes=frozenset(str(p) for p in programmes) if isinstance(programmes, list) else frozenset(),
            scopes=frozenset(scope.split()) if isinstance(scope, str) else frozenset(),  # RFC 9068: space-separated
        )


_bearer = HTTPBearer(auto_error=False, description="A JWT from the identity provider (see libs/servicekit/README.md).")


def authenticated(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Principal:
    """FastAPI dependency: the verified caller, or 401."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("send 'Authorization: Bearer <token>'")
    verifier: TokenVerifier = request.app.state.token_verifier
    return verifier.verify(credentials.credentials)


def require_scope(principal: Principal, role: Role, scope: str) -> None:
    """403 unless the caller holds `role` and its token was granted `scope`."""
    require(principal, role)
    if scope not in principal.scopes:
        raise Forbidden(f"this needs a {role.value} token with the scope {scope}")


def require(principal: Principal, *roles: Role) -> None:
    """403 unless the caller holds one of `roles`."""
    if not any(principal.has(role) for role in roles):
        raise Forbidden(f"this needs the role {' or '.join(r.value for r in roles)}")


def visible_or_missing(found: T | None, may_see: Callable[[T], bool], what: str, key: object) -> T:
    """`found` if it exists and the caller may see it; else the very 404 a missing id gets (ADR 0005).

    One answer for both, word for word (`NotFound(what, key)`: status, code, message, headers), so no
    caller can probe which ids exist. Each service states who sees its objects in `may_see` and loads
    through here; a 403 is for a caller who may see the object but not do this with it, checked after.
    """
    if found is None or not may_see(found):
        raise NotFound(what, key)
    return found
