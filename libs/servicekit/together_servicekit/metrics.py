"""Prometheus metrics: every service's /metrics (text exposition format, unauthenticated like /healthz).

Two kinds of figure:
- kept as they happen: HTTP requests by route template and status, and their latency;
- read when Prometheus scrapes, from what the runtime holds: the consumer's lag and dead letters, the
  outbox's backlog and parked records (together_events.metrics), the database pool, the background
  tasks, and what the service registers itself (`build_app(scraped=...)`: its timers' backlog with
  `timer_backlog`, notifications' mails by state).

Every name is in SERVICE_METRICS or together_events.metrics.BACKBONE_METRICS, with its meaning;
the service README and deploy/prometheus/alerts.yml use them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from datetime import datetime

import sqlalchemy as sa
import structlog
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from together_events.metrics import BACKBONE_METRICS, Kind, Reading, consumer_readings, storage_readings
from together_servicekit.runtime import Runtime, get_runtime

log = structlog.get_logger(__name__)

SERVICE_METRICS: dict[str, tuple[Kind, str]] = {
    # Kept as requests happen (prometheus_client's own Counter and Histogram):
    # together_http_requests_total{method, route, status} and together_http_request_duration_seconds{method, route}.
    "together_db_pool_checked_out": ("gauge", "Database connections in use."),
    "together_db_pool_size": ("gauge", "Database connections the pool keeps (in use or idle; overflow comes on top)."),
    "together_db_pool_overflow": ("gauge", "Connections opened beyond the pool's size (negative: room left in the pool)."),
    "together_background_task_crashes_total": ("counter", "Crashes of a supervised background task since the process started."),
    "together_background_task_running": ("gauge", "1 when the background task runs (or has finished), 0 when it is restarting."),
    "together_timers_due": (
        "gauge",
        "Durable timers (job rows) due now and not yet done, by worker (the job poller's name); failed ones excluded.",
    ),
    "together_timers_oldest_due_seconds": (
        "gauge",
        "How long the oldest due timer of the worker has been due, by the service's clock (0 when none is due).",
    ),
    "together_metrics_source_failed": (
        "gauge",
        "1 when a scrape-time source (the backbone's tables, a service's own) could not be read: its metrics are missing.",
    ),
    "together_mails": ("gauge", "Mail deliveries by state (notifications): pending, claimed, sending, sent, failed, skipped."),
}
METRICS = SERVICE_METRICS | BACKBONE_METRICS

# A service's own readings, taken at scrape time from its runtime (e.g. a table's counts).
Scraped = Callable[[Runtime], Awaitable[Iterable[Reading]]]

SOURCE_TIMEOUT = 5.0  # seconds for each scrape-time query; Prometheus' default scrape timeout is 10 s
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def timer_backlog(worker: str, due_at: sa.ColumnElement[datetime], *pending: sa.ColumnElement[bool]) -> Scraped:
    """The due gauges of one job's worker (`together_timers_due`, `together_timers_oldest_due_seconds`): its rows
    that are `pending` (not done, not failed) and whose `due_at` has passed by the service's clock."""

    async def read(runtime: Runtime) -> list[Reading]:
        now = runtime.now()
        query = sa.select(sa.func.count(), sa.func.min(due_at)).where(*pending, due_at <= now)
        async with runtime.engine.connect() as conn:
            count, earliest = (await conn.execute(query)).one()
        age = (now - earliest).total_seconds() if earliest is not None else 0.0
        return [
            ("together_timers_due", {"worker": worker}, count),
            ("together_timers_oldest_due_seconds", {"worker": worker}, max(age, 0.0)),
        ]

    read.__qualname__ = f"timer_backlog:{worker}"  # the source's name in together_metrics_source_failed
    return read


class Metrics:
    """One per app: its own registry, so two apps in one process (tests) count apart."""

    def __init__(self, scraped: Sequence[Scraped] = ()) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "together_http_requests_total",
            "HTTP requests by method, route template (not the raw path; 'unmatched' for none) and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "together_http_request_duration_seconds",
            "HTTP request latency by method and route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._scraped = list(scraped)
        self._snapshot = _Snapshot()
        self.registry.register(self._snapshot)
        self._lock = asyncio.Lock()

    async def exposition(self, runtime: Runtime) -> bytes:
        readings = _runtime_readings(runtime)
        sources: list[tuple[str, Scraped]] = [("backbone_tables", lambda runtime: storage_readings(runtime.engine))]
        sources += [(getattr(scrape, "__qualname__", "scraped"), scrape) for scrape in self._scraped]
        for name, scrape in sources:
            # A database that does not answer must not fail the scrape: Prometheus would report the service
            # down (`up == 0`); the figures it holds in memory still come, and this says what is missing.
            try:
                async with asyncio.timeout(SOURCE_TIMEOUT):
                    readings += await scrape(runtime)
                failed = 0
            except Exception as exc:
                log.warning("metrics.source_failed", source=name, error=repr(exc)[:300])
                failed = 1
            readings.append(("together_metrics_source_failed", {"source": name}, failed))
        async with self._lock:  # one scrape's readings at a time in the snapshot
            self._snapshot.families = families(readings)
            return generate_latest(self.registry)

    async def count_request(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started, status = time.perf_counter(), "500"  # an exception that escapes the app ends as a 500
        try:
            response = await call_next(request)
            status = str(response.status_code)
            return response
        finally:
            template = getattr(request.scope.get("route"), "path", "unmatched")  # one series per route, not per id
            self.requests.labels(request.method, template, status).inc()
            self.latency.labels(request.method, template).observe(time.perf_counter() - started)


class _Snapshot(Collector):
    families: list[Metric]

    def __init__(self) -> None:
        self.families = []

    def collect(self) -> Iterator[Metric]:
        return iter(self.families)

    def describe(self) -> Iterator[Metric]:
        return iter(())  # its names change with each scrape: never reserve them


def families(readings: Iterable[Reading]) -> list[Metric]:
    """One family per name (a name documented in METRICS), holding all its readings."""
    by_name: dict[str, GaugeMetricFamily | CounterMetricFamily] = {}
    for name, labels, value in readings:
        family = by_name.get(name)
        if family is None:
            kind, documentation = METRICS[name]
            if kind == "counter":
                family = CounterMetricFamily(name.removesuffix("_total"), documentation, labels=list(labels))
            else:
                family = GaugeMetricFamily(name, documentation, labels=list(labels))
            by_name[name] = family
        family.add_metric(list(labels.values()), value)  # each name's readings list their labels in one order
    return list(by_name.values())


def _runtime_readings(runtime: Runtime) -> list[Reading]:
    pool = runtime.engine.pool
    readings: list[Reading] = [
        ("together_db_pool_checked_out", {}, getattr(pool, "checkedout", lambda: 0)()),
        ("together_db_pool_size", {}, getattr(pool, "size", lambda: 0)()),
        ("together_db_pool_overflow", {}, getattr(pool, "overflow", lambda: 0)()),
    ]
    for task in runtime.background:
        readings.append(("together_background_task_crashes_total", {"task": task.name}, task.crashes))
        readings.append(("together_background_task_running", {"task": task.name}, float(task.health() == "ok")))
    if runtime.consumer is not None:
        readings += consumer_readings(runtime.consumer)
    return readings


def install_metrics(app: FastAPI, scraped: Sequence[Scraped] = ()) -> Metrics:
    """Count every request (outermost, so refusals count too) and serve /metrics."""
    metrics = Metrics(scraped)
    app.state.metrics = metrics
    app.middleware("http")(metrics.count_request)
    router = APIRouter(tags=["health"])

    @router.get(
        "/metrics",
        summary="Prometheus metrics (text exposition format; no token, like /healthz)",
        response_class=PlainTextResponse,
    )
    async def scrape(runtime: Runtime = Depends(get_runtime)) -> Response:
        return Response(await metrics.exposition(runtime), media_type=CONTENT_TYPE_LATEST)

    app.include_router(router)
    return metrics
