"""What a running service holds, and the background work it supervises.

One `Runtime` per process: the engine of the service's own database, the
injected clock, the idempotent producer, the outbox relay and the service's
consumer. FastAPI endpoints reach it through `get_runtime`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic

import sqlalchemy as sa
import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError
from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from typing_extensions import TypeVar

from together_events import (
    Envelope,
    Event,
    EventConsumer,
    Handler,
    OutboxRelay,
    build_producer,
    record_event,
    transient_reason,
)
from together_servicekit.clock import Clock, SystemClock, TravellingClock
from together_servicekit.db import make_engine
from together_servicekit.settings import ServiceSettings
from together_servicekit.tracing import instrument_engine

log = structlog.get_logger(__name__)

# A service's own settings class; a bare `Runtime` holds the settings every service has. Covariant
# (the runtime never replaces its settings), so work that needs only those takes any service's runtime.
SettingsT_co = TypeVar("SettingsT_co", bound=ServiceSettings, default=ServiceSettings, covariant=True)
SettingsT = TypeVar("SettingsT", bound=ServiceSettings)

HandlersFactory = Callable[["Runtime[SettingsT]"], Mapping[type[Event], Handler]]
# A service's own background work (e.g. pairing's deadline worker): (name, coroutine function) pairs.
WorkersFactory = Callable[["Runtime[SettingsT]"], Sequence[tuple[str, Callable[[], Awaitable[None]]]]]


@dataclass
class Runtime(Generic[SettingsT_co]):
    settings: SettingsT_co
    engine: AsyncEngine
    clock: Clock
    producer: AIOKafkaProducer
    relay: OutboxRelay
    consumer: EventConsumer | None = None
    background: list[Supervised] = field(default_factory=list)
    # A service's own readiness checks, named as the task they watch (e.g. "deadline-worker"): "ok" or the reason.
    checks: dict[str, Callable[[], str]] = field(default_factory=dict)

    async def record(self, conn: AsyncConnection, event: Event) -> Envelope:
        """Write `event` to this service's outbox in the caller's transaction."""
        return await record_event(conn, event, source=self.settings.source, time=self.clock.now())

    def now(self) -> datetime:
        return self.clock.now()

    def supervise(self, name: str, work: Callable[[], Awaitable[None]]) -> None:
        supervised = Supervised(name, work)
        supervised.task = asyncio.create_task(supervised.run())
        self.background.append(supervised)

    async def readiness(self) -> dict[str, str]:
        """'ok' or the reason, for the database, Kafka, the consumer and each background task."""
        checks: dict[str, str] = {}
        try:
            async with self.engine.connect() as conn:
                await asyncio.wait_for(conn.execute(sa.text("SELECT 1")), 3)
            checks["database"] = "ok"
        except Exception as exc:  # any failure means not ready; say which
            checks["database"] = f"unreachable: {exc!r}"
        try:
            await asyncio.wait_for(self.producer.client.fetch_all_metadata(), 3)
            checks["kafka"] = "ok"
        except Exception as exc:
            checks["kafka"] = f"unreachable: {exc!r}"
        for supervised in self.background:
            checks[supervised.name] = supervised.health()
        if self.consumer is not None and checks.get("consumer") == "ok":  # a crash says more than "not subscribed"
            checks["consumer"] = self.consumer.health()
        for name, check in self.checks.items():  # a worker's own word, unless its task is restarting
            if checks.get(name, "ok") == "ok":
                checks[name] = check()
        return checks

    def figures(self) -> dict[str, Any]:
        """What the consumer and the background tasks have done, for operators."""
        figures: dict[str, Any] = {
            "background": {s.name: {"state": s.state, "crashes": s.crashes} for s in self.background},
        }
        if self.consumer is not None:
            figures["consumer"] = {"unknown_event_types": self.consumer.unknown_types, **self.consumer.status.figures()}
        return figures


class Supervised:
    """Background work kept alive: a crash is logged and the work restarts after a pause.

    The pause doubles after each crash in a row, up to MAX_PAUSE; work that ran for
    HEALTHY_AFTER seconds before crashing starts again from the shortest pause, so a
    second outage hours after the first is recovered from as fast as the first.
    """

    FIRST_PAUSE = 0.5
    MAX_PAUSE = 10.0
    HEALTHY_AFTER = 60.0

    def __init__(self, name: str, work: Callable[[], Awaitable[None]]) -> None:
        self.name = name
        self._work = work
        self.state = "starting"
        self.crashes = 0  # in total, since the process started
        self.crashes_in_a_row = 0
        self.last_error = ""
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        try:
            await self._keep_running()
        except asyncio.CancelledError:
            self.state = "stopped"
            raise

    async def _keep_running(self) -> None:
        loop = asyncio.get_running_loop()
        pause = self.FIRST_PAUSE
        while True:
            started = loop.time()
            self.state = "running"
            try:
                await self._work()
                self.state = "finished"
                return
            except Exception as exc:
                if loop.time() - started >= self.HEALTHY_AFTER:
                    pause, self.crashes_in_a_row = self.FIRST_PAUSE, 0
                self.crashes += 1
                self.crashes_in_a_row += 1
                self.last_error = repr(exc)[:500]
                self.state = "restarting"
                reason = transient_reason(exc)
                log.error(
                    "background.crashed",
                    task=self.name,
                    restart_in=pause,
                    crashes_in_a_row=self.crashes_in_a_row,
                    transient=reason,
                    exc_info=reason is None,  # a known outage needs no traceback
                    error=self.last_error,
                )
            await asyncio.sleep(pause)
            pause = min(pause * 2, self.MAX_PAUSE)

    def health(self) -> str:
        if self.state in ("running", "finished"):
            return "ok"
        if self.state == "restarting":
            crashes = f"{self.crashes_in_a_row} crash{'es' if self.crashes_in_a_row > 1 else ''} in a row"
            return f"restarting ({crashes}); last: {self.last_error}"
        return self.state


class Progress:
    """When a periodic worker last completed a pass, for readiness: a pass that never ends (a lock
    that is never released, a peer that never answers) shows as "stalled" instead of "ok"."""

    def __init__(self, poll_interval: float, *, stalled_after: float = 60.0) -> None:
        self.stalled_after = max(stalled_after, 10 * poll_interval)
        self.last_pass: float | None = None  # time.monotonic()

    def passed(self) -> None:
        self.last_pass = time.monotonic()

    def health(self) -> str:
        if self.last_pass is None:
            return "no pass completed yet"
        idle = time.monotonic() - self.last_pass
        return "ok" if idle <= self.stalled_after else f"stalled: last pass {idle:.0f}s ago"


def make_clock(settings: ServiceSettings) -> Clock:
    return TravellingClock() if settings.clock_mode == "travel" else SystemClock()


async def start_runtime(
    settings: SettingsT, handlers: HandlersFactory[SettingsT] | None, workers: WorkersFactory[SettingsT] | None = None
) -> Runtime[SettingsT]:
    engine = instrument_engine(make_engine(settings.database_url))
    security = settings.kafka_security()
    producer = build_producer(settings.kafka_bootstrap_servers, client_id=settings.service_name, security=security)
    await _start_with_retry(producer)
    clock = make_clock(settings)
    runtime = Runtime(
        settings=settings,
        engine=engine,
        clock=clock,
        producer=producer,
        relay=OutboxRelay(engine, producer, name=settings.service_name),
    )
    runtime.supervise("outbox-relay", runtime.relay.run)
    if handlers is not None:
        runtime.consumer = EventConsumer(
            name=settings.service_name,
            group_id=settings.consumer_group,
            engine=engine,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            handlers=handlers(runtime),
            dead_letters=producer,
            now=clock.now,
            unknown_types=settings.unknown_event_types,
            security=security,
        )
        runtime.supervise("consumer", runtime.consumer.run)
    for name, work in workers(runtime) if workers is not None else ():
        runtime.supervise(name, work)
    return runtime


async def stop_runtime(runtime: Runtime) -> None:
    tasks = [s.task for s in runtime.background if s.task is not None]
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await runtime.producer.stop()
    await runtime.engine.dispose()


async def _start_with_retry(producer: AIOKafkaProducer, timeout: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            await producer.start()
            return
        except KafkaConnectionError:
            if loop.time() > deadline:
                raise
            log.warning("kafka.unreachable_retrying")
            await asyncio.sleep(1)


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime
