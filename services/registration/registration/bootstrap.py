"""Wires the registration service together."""

from fastapi import FastAPI

from registration.api import CREDENTIAL_UPLOAD_PATH, router
from registration.cohort_closer import workers
from registration.consumers import handlers
from registration.metrics import scraped
from registration.settings import RegistrationSettings
from together_servicekit.app import build_app

MULTIPART_OVERHEAD = 64 * 1024  # form fields and part headers around the credential file


def create_app(settings: RegistrationSettings | None = None) -> FastAPI:
    settings = settings or RegistrationSettings()
    return build_app(
        settings,
        title="Together registration",
        description="Programmes, cohorts, participants and coach credentials. Publishes on `together.registration`; consumes `together.pairing` and `together.scheduling` for the outcomes report.",
        routers=[router],
        handlers=handlers,
        workers=workers,
        scraped=scraped,
        # Only the credential upload takes more than the usual body limit.
        larger_bodies=[(CREDENTIAL_UPLOAD_PATH, settings.credential_max_bytes + MULTIPART_OVERHEAD)],
    )
