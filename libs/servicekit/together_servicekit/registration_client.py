"""Calling registration with a service token: the data keys that open sealed profiles (every service
that reads profiles), contacts and verification links (notifications).

The token comes from one of three sources (`<SERVICE>_TOKEN_SOURCE`, `settings.CallsRegistration`):
- `dev`: the development identity provider's dev-login grant (dev and demo only; the production
  profile refuses it);
- `static`: `<SERVICE>_SERVICE_TOKEN`, a token issued to this service by the operators;
- `client_credentials`: OAuth2 client credentials at `<SERVICE>_TOKEN_URL`
  (`<SERVICE>_CLIENT_ID`, `<SERVICE>_CLIENT_SECRET`), renewed before it expires.
It asks for the scopes `<SERVICE>_TOKEN_SCOPE` (space separated).
"""

from __future__ import annotations

import os
import time
from typing import Any

import httpx

from together_events.failures import DependencyDown, TransientError
from together_servicekit.settings import CallsRegistration
from together_servicekit.tokens import fetch_token


class RegistrationUnavailable(TransientError):
    """Registration could not answer now (network, 5xx, token refused): try again later. Transient: a
    consumer retries the event (ADR 0008), it does not set it aside."""


class RegistrationDown(RegistrationUnavailable, DependencyDown):
    """Registration does not answer at all (unreachable, 502/503/504): an outage that a consumer waits
    out without giving up on the event (nothing goes to the dead-letter topic for it)."""


# Answers of a proxy or a registration that is starting or stopping: it is down, not refusing.
DOWN_STATUSES = frozenset({502, 503, 504})


class TokenSource:
    """A bearer token with the role `service`, cached until shortly before it expires."""

    def __init__(self, settings: CallsRegistration, http: httpx.AsyncClient) -> None:
        self._settings, self._http = settings, http
        self._token: str | None = None
        self._renew_at = 0.0

    def forget(self) -> None:
        self._token = None

    async def token(self) -> str:
        if self._token is not None and time.monotonic() < self._renew_at:
            return self._token
        s = self._settings
        lifetime = 3600.0
        try:
            if s.token_source == "static":
                if not s.service_token:
                    raise RegistrationUnavailable(f"{s.env_prefix}SERVICE_TOKEN is empty")
                self._token, lifetime = s.service_token, float("inf")
            elif s.token_source == "client_credentials":
                response = await self._http.post(
                    s.token_url,
                    data={
                        "grant_type": "client_credentials",
                        "client_id": s.client_id,
                        "client_secret": s.client_secret,
                        "scope": s.token_scope,
                    },
                )
                response.raise_for_status()
                body = response.json()
                self._token, lifetime = str(body["access_token"]), float(body.get("expires_in", 3600))
            else:
                issuer = s.dev_identity_url or os.environ.get("TOGETHER_AUTH_ISSUER", "http://127.0.0.1:8000")
                self._token = await fetch_token(
                    self._http, issuer, subject=s.service_name, roles=["service"], scopes=s.token_scope.split()
                )
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            raise RegistrationUnavailable(f"no service token from the {s.token_source} token source: {exc!r}") from exc
        self._renew_at = time.monotonic() + lifetime * 0.8
        return self._token


class RegistrationClient:
    """Registration's service endpoints: one JSON answer, None for a 404, RegistrationUnavailable otherwise."""

    def __init__(self, settings: CallsRegistration, http: httpx.AsyncClient | None = None) -> None:
        self._http = http or httpx.AsyncClient(timeout=10)
        self._base = settings.registration_url.rstrip("/")
        self.tokens = TokenSource(settings, self._http)

    async def ask(self, method: str, path: str) -> dict[str, Any] | None:
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {await self.tokens.token()}"}
            try:
                response = await self._http.request(method, f"{self._base}{path}", headers=headers)
            except httpx.HTTPError as exc:
                raise RegistrationDown(f"registration unreachable: {exc!r}") from exc
            if response.status_code == 401 and attempt == 1:
                self.tokens.forget()  # expired or rotated: one fresh token, once
                continue
            if response.status_code == 404:
                return None
            if response.status_code in DOWN_STATUSES:
                raise RegistrationDown(f"registration answered {response.status_code}: {response.text[:200]}")
            if response.status_code != 200:
                raise RegistrationUnavailable(f"registration answered {response.status_code}: {response.text[:200]}")
            body: dict[str, Any] = response.json()
            return body
        raise RegistrationUnavailable("registration refused the service token")

    async def close(self) -> None:
        await self._http.aclose()
