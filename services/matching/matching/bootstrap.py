"""Wires the matching service together."""

from fastapi import FastAPI

from matching.api import router
from matching.cohort_cache import CohortCache
from matching.consumers import handlers
from matching.settings import MatchingSettings
from together_servicekit.app import build_app


def create_app(settings: MatchingSettings | None = None) -> FastAPI:
    app = build_app(
        settings or MatchingSettings(),
        title="Together matching",
        description="Explained suggestions of partners. Consumes `together.registration` and `together.pairing`; publishes on `together.matching`.",
        routers=[router],
        handlers=handlers,
    )
    app.state.cohorts = CohortCache()  # this process's cohort indexes, rebuilt when events change a cohort
    return app
