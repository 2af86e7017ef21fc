"""Where a participant's mail goes: registration's contact endpoint, called with a service token.

`GET {registration_url}/participants/{participant_id}/contact` (role `service` only) answers
`{participant_id, email, display_name, preferred_language, withdrawn}`. The address is a
programme-team-only answer: it never travels in an event, so delivery asks for it when it sends.
A verification mail asks `POST {registration_url}/address-verifications/{verification_id}/link`
instead: the address to verify and a one-time link made for this mail.

The token comes from one of three sources (`NOTIFICATIONS_TOKEN_SOURCE`):
- `dev`: the development identity provider's dev-login grant (dev and demo only);
- `static`: `NOTIFICATIONS_SERVICE_TOKEN`, a token issued to this service by the operators;
- `client_credentials`: OAuth2 client credentials at `NOTIFICATIONS_TOKEN_URL`
  (`NOTIFICATIONS_CLIENT_ID`, `NOTIFICATIONS_CLIENT_SECRET`), renewed before it expires.
"""

from __future__ import annotations

import os
import time
from uuid import UUID

import httpx

from notifications.domain.contacts import Contact, VerificationMail
from notifications.settings import NotificationsSettings
from together_servicekit.tokens import fetch_token


class ContactUnavailable(Exception):
    """Registration could not answer now (network, 5xx, token refused): try again later."""


class TokenSource:
    """A bearer token with the role `service`, cached until shortly before it expires."""

    def __init__(self, settings: NotificationsSettings, http: httpx.AsyncClient) -> None:
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
                    raise ContactUnavailable("NOTIFICATIONS_SERVICE_TOKEN is empty")
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
                    self._http, issuer, subject=s.service_name, roles=["service"], scopes=[s.token_scope]
                )
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            raise ContactUnavailable(f"no service token from the {s.token_source} token source: {exc!r}") from exc
        self._renew_at = time.monotonic() + lifetime * 0.8
        return self._token


class ContactDirectory:
    def __init__(self, settings: NotificationsSettings, http: httpx.AsyncClient | None = None) -> None:
        self._http = http or httpx.AsyncClient(timeout=10)
        self._base = settings.registration_url.rstrip("/")
        self.tokens = TokenSource(settings, self._http)

    async def contact(self, participant_id: UUID) -> Contact | None:
        """The participant's contact, None if registration does not know them."""
        body = await self._ask("GET", f"/participants/{participant_id}/contact")
        return Contact.from_registration(body) if body is not None else None

    async def verification_mail(self, verification_id: UUID) -> VerificationMail | None:
        """The address to verify and a new link for this mail (the previous link stops working); None if
        registration does not know the verification (erased since)."""
        body = await self._ask("POST", f"/address-verifications/{verification_id}/link")
        return VerificationMail.from_registration(body) if body is not None else None

    async def _ask(self, method: str, path: str) -> dict[str, object] | None:
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {await self.tokens.token()}"}
            try:
                response = await self._http.request(method, f"{self._base}{path}", headers=headers)
            except httpx.HTTPError as exc:
                raise ContactUnavailable(f"registration unreachable: {exc!r}") from exc
            if response.status_code == 401 and attempt == 1:
                self.tokens.forget()  # expired or rotated: one fresh token, once
                continue
            if response.status_code == 404:
                return None
            if response.status_code != 200:
                raise ContactUnavailable(f"registration answered {response.status_code}: {response.text[:200]}")
            body: dict[str, object] = response.json()
            return body
        raise ContactUnavailable("registration refused the service token")

    async def close(self) -> None:
        await self._http.aclose()
