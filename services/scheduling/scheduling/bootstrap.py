"""Wires the scheduling service together."""

from fastapi import FastAPI

from scheduling.api import router
from scheduling.consumers import handlers
from scheduling.settings import SchedulingSettings
from together_servicekit.app import build_app


def create_app(settings: SchedulingSettings | None = None) -> FastAPI:
    return build_app(
        settings or SchedulingSettings(),
        title="Together scheduling",
        description="Sessions of each pairing. Consumes `together.pairing`; publishes on `together.scheduling`.",
        routers=[router],
        handlers=handlers,
    )
