"""The HTTP side every step shares: where the services are, who is signed in, and waiting for
what other services learn through events a moment later."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from deploy.demo.cast import CHARACTERS
from deploy.demo.tail import EventTail
from notifications.mailsink import verification_tokens
from together_devtools.launcher import EVERYTHING as SPECS
from together_devtools.launcher import state_dir
from together_servicekit.tokens import fetch_token

URL = {spec.name: spec.url() for spec in SPECS}
Headers = dict[str, str]


def ok(response: httpx.Response) -> Any:
    if not response.is_success:
        raise RuntimeError(f"{response.request.method} {response.request.url}: {response.status_code} {response.text}")
    return response.json() if response.content else {}


async def eventually(call: Callable[[], Awaitable[httpx.Response]], what: str, timeout: float = 30.0) -> httpx.Response:
    """Retry a request until it succeeds: other services learn of things through events."""
    deadline = time.monotonic() + timeout
    while True:
        response = await call()
        if response.is_success:
            return response
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: {response.status_code} {response.text}")
        await asyncio.sleep(0.2)


async def until(what: str, probe: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Poll until `probe` (a function, or a coroutine function) gives something truthy: a worker or
    a consumer acts a moment later."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise RuntimeError(f"not within {timeout:.0f}s: {what}")
        await asyncio.sleep(0.2)


async def signed_in(http: httpx.AsyncClient, subject: str, *roles: str, programmes: tuple[str, ...] = ()) -> Headers:
    """Sign in at the identity provider, as any client would, and return the header to send."""
    token = await fetch_token(http, URL["identity"], subject=subject, roles=roles, programmes=programmes)
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Demo:
    """What every step works with: the client, the event tail, this run's suffix (fresh names each
    run) and who is signed in: the programme team, the operator who moves the demo clocks, and
    each of the story's people by first name."""

    http: httpx.AsyncClient
    tail: EventTail
    run: str
    team: Headers
    operator: Headers
    person: dict[str, Headers]

    @classmethod
    async def sign_in(cls, http: httpx.AsyncClient, tail: EventTail, run: str) -> Demo:
        return cls(
            http,
            tail,
            run,
            team=await signed_in(http, "programme-lead", "programme_team", programmes=("*",)),
            operator=await signed_in(http, "demo-operator", "service"),
            person={name: await signed_in(http, f"{name.lower()}.{run}", "participant") for name in CHARACTERS},
        )

    async def clock(self, service: str) -> datetime:
        return datetime.fromisoformat(ok(await self.http.get(f"{URL[service]}/clock", headers=self.team))["now"])

    async def register(self, cohort_id: str, subject: str, answers: dict[str, Any]) -> httpx.Response:
        """Register, then, as the person would, follow the link of the verification mail in their mailbox
        (the mail sink): only then does anyone else see the registration."""
        headers = await signed_in(self.http, subject, "participant")
        response = await self.http.post(f"{URL['registration']}/cohorts/{cohort_id}/participants", json=answers, headers=headers)
        if response.status_code == 201:
            mailbox = state_dir() / "mail"
            tokens = await until(
                f"the verification mail to {answers['email']} (in {mailbox})",
                lambda: verification_tokens(mailbox, answers["email"]),
            )
            ok(await self.http.post(f"{URL['registration']}/participants/verify", json={"token": tokens[-1]}, headers=headers))
        return response
