"""Wires the pairing service together."""

from fastapi import FastAPI

from pairing.api import router
from pairing.consumers import handlers
from pairing.deadline_worker import workers
from pairing.metrics import scraped
from pairing.settings import PairingSettings
from together_servicekit.app import build_app


def create_app(settings: PairingSettings | None = None) -> FastAPI:
    return build_app(
        settings or PairingSettings(),
        title="Together pairing",
        description="Preferences, the request lifecycle and pairings. Consumes `together.registration`; publishes on `together.pairing`.",
        routers=[router],
        handlers=handlers,
        workers=workers,
        scraped=scraped,
    )
