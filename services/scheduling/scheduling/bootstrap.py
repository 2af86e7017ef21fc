"""Wires the scheduling service together."""

from collections.abc import Awaitable, Callable

from fastapi import FastAPI

from scheduling import completion_worker, reminder_worker
from scheduling.api import kinds, records, sessions, timetable
from scheduling.consumers import handlers
from scheduling.metrics import scraped
from scheduling.settings import SchedulingSettings
from together_servicekit.app import build_app
from together_servicekit.runtime import Runtime


def workers(runtime: Runtime[SchedulingSettings]) -> list[tuple[str, Callable[[], Awaitable[None]]]]:
    """The clock-driven jobs: sessions completed when they end, reminders of what participants were asked."""
    return [*completion_worker.workers(runtime), *reminder_worker.workers(runtime)]


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
        scraped=scraped,
    )
