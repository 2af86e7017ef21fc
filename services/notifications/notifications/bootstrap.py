"""Wires the notifications service together."""

from fastapi import FastAPI

from notifications.api import router
from notifications.consumers import handlers
from notifications.delivery import workers
from notifications.metrics import scraped
from notifications.settings import NotificationsSettings
from together_servicekit.app import build_app


def create_app(settings: NotificationsSettings | None = None) -> FastAPI:
    return build_app(
        settings or NotificationsSettings(),
        title="Together notifications",
        description="Messages to participants, recorded once per event and e-mailed once (SMTP). Consumes `together.registration`, `together.pairing` and `together.scheduling`; publishes on `together.notifications`.",
        routers=[router],
        handlers=handlers,
        workers=workers,
        scraped=scraped,
    )
