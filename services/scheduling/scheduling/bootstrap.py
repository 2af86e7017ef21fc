"""Wires the scheduling service together."""

from fastapi import FastAPI

from scheduling.api import kinds, records, sessions, timetable
from scheduling.completion_worker import workers
from scheduling.consumers import handlers
from scheduling.settings import SchedulingSettings
from together_servicekit.app import build_app


def create_app(settings: SchedulingSettings | None = None) -> FastAPI:
    return build_app(
        settings or SchedulingSettings(),
        title="Together scheduling",
        description=(
            "Session plans, sessions and series of each pairing with their calendar invitations, the partners' "
            "records, and each cohort's timetable (a career week). Consumes `together.registration` and "
            "`together.pairing`; publishes on `together.scheduling`."
        ),
        routers=[sessions.router, records.router, kinds.router, timetable.router],
        handlers=handlers,
        workers=workers,
    )
