"""In-process service apps on a real database, and tokens signed by a test key.

For tests of the HTTP layer (access rules, validation, fuzzing): each app
runs on a fresh, migrated PostgreSQL database; tokens are signed with a key
made for the test run, which the app trusts through
TOGETHER_AUTH_PUBLIC_KEY_FILE. Events land in the service's outbox table;
no relay or consumer runs, so read models are seeded by calling the
service's own event handlers on its database.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI

from together_events import OutboxRelay, build_producer
from together_servicekit.clock import TravellingClock
from together_servicekit.db import make_engine, migrate
from together_servicekit.runtime import Runtime

ISSUER = "https://identity.test.together"
AUDIENCE = "together"
SETTINGS_CLASS = {
    "registration": "RegistrationSettings",
    "matching": "MatchingSettings",
    "pairing": "PairingSettings",
    "scheduling": "SchedulingSettings",
    "notifications": "NotificationsSettings",
}


@dataclass(frozen=True)
class Signer:
    """Signs tokens as the test run's identity provider."""

    key: rsa.RSAPrivateKey
    public_key_file: Path

    @classmethod
    def create(cls, directory: Path) -> Signer:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        path = directory / "test-public-key.pem"
        # Created with its final mode, never readable by others even for a moment; a fresh file each run
        # (a previous run's, e.g. the chaos suite's, is replaced: its key is gone with that run).
        path.unlink(missing_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
        return cls(key, path)

    def token(
        self,
        subject: str,
        *roles: str,
        programmes: Sequence[str] = (),
        expires_in: int = 3600,
        audience: str = AUDIENCE,
        issuer: str = ISSUER,
        key: rsa.RSAPrivateKey | None = None,
        scopes: Sequence[str] = (),
    ) -> str:
        now = int(time.time())
        claims = {"iss": issuer, "aud": audience, "sub": subject, "iat": now, "exp": now + expires_in, "roles": list(roles)}
        if programmes:
            claims["programmes"] = list(programmes)
        if scopes:
            claims["scope"] = " ".join(scopes)
        return jwt.encode(claims, key or self.key, algorithm="RS256")

    def headers(self, subject: str, *roles: str, programmes: Sequence[str] = (), scopes: Sequence[str] = ()) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(subject, *roles, programmes=programmes, scopes=scopes)}"}

    @contextlib.contextmanager
    def trusted(self) -> Iterator[None]:
        """While building an app: make it trust this signer (and nothing else)."""
        names = ("TOGETHER_AUTH_PUBLIC_KEY_FILE", "TOGETHER_AUTH_ISSUER", "TOGETHER_AUTH_AUDIENCE")
        saved = {name: os.environ.get(name) for name in names}
        os.environ.update(
            {
                "TOGETHER_AUTH_PUBLIC_KEY_FILE": str(self.public_key_file),
                "TOGETHER_AUTH_ISSUER": ISSUER,
                "TOGETHER_AUTH_AUDIENCE": AUDIENCE,
            }
        )
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


@contextlib.asynccontextmanager
async def service_app(
    service: str, database_url: str, kafka_bootstrap: str, signer: Signer, **settings_overrides: object
) -> AsyncIterator[tuple[FastAPI, Runtime]]:
    """The service's real app and runtime on `database_url` (migrated here), trusting `signer`."""
    await asyncio.to_thread(migrate, service, database_url)
    settings_class = getattr(importlib.import_module(f"{service}.settings"), SETTINGS_CLASS[service])
    settings = settings_class(
        database_url=database_url, kafka_bootstrap_servers=kafka_bootstrap, clock_mode="travel", **settings_overrides
    )
    with signer.trusted():
        app = importlib.import_module(f"{service}.bootstrap").create_app(settings)
    engine = make_engine(settings.database_url)
    producer = build_producer(kafka_bootstrap, client_id=f"test-{service}")
    await producer.start()
    runtime = Runtime(
        settings=settings,
        engine=engine,
        clock=TravellingClock(),
        producer=producer,
        relay=OutboxRelay(engine, producer, name=service),  # built, never run: events stay in the outbox
    )
    app.state.runtime = runtime
    try:
        yield app, runtime
    finally:
        await producer.stop()
        await engine.dispose()


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
