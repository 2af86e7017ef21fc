"""Wires the registration service together."""

from fastapi import FastAPI

from registration.api import router
from registration.settings import RegistrationSettings
from together_servicekit.app import build_app


def create_app(settings: RegistrationSettings | None = None) -> FastAPI:
    return build_app(
        settings or RegistrationSettings(),
        title="Together registration",
        description="Programmes, cohorts and participants. Publishes on `together.registration`.",
        routers=[router],
    )
