"""What a running service holds, and the background work it supervises.

One `Runtime` per process: the engine of the service's own database, the
injected clock, the idempotent producer, the outbox relay and the service's
consumer. FastAPI endpoints reach it through `get_runtime`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError
from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from together_events import (
    Envelope,
    Event,
    EventConsumer,
    Handler,
    OutboxRelay,
    build_producer,
    record_event,
)
from together_servicekit.clock import Clock, SystemClock, TravellingClock
from together_servicekit.db import make_engine
from together_servicekit.settings import ServiceSettings

log = structlog.get_logger(__name__)

HandlersFactory = Callable[["Runtime"], Mapping[type[Event], Handler]]
# A service's own background work (e.g. pairing's deadline worker): (name, coroutine function) pairs.
WorkersFactory = Callable[["Runtime"], Sequence[tuple[str, Callable[[], Awaitable[None]]]]]


@dataclass
class Runtime:
    settings: ServiceSettings
    engine: AsyncEngine
    clock: Clock
    producer: AIOKafkaProducer
    relay: OutboxRelay
    consumer: EventConsumer | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    # A service's own readiness checks (e.g. pairing's deadline worker): name -> "ok" or the reason.
    checks: dict[str, Callable[[], str]] = field(default_factory=dict)

    async def record(self, conn: AsyncConnection, event: Event) -> Envelope:
        """Write `event` to this service's outbox in the caller's transaction."""
        return await record_event(conn, event, source=self.settings.source, time=self.clock.now())

    def now(self) -> datetime:
        return self.clock.now()

    async def readiness(self) -> dict[str, str]:
        """'ok' or the reason, for the database, Kafka and the consumer."""
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
        if self.consumer is not None:
            checks["consumer"] = "ok" if self.consumer.ready.is_set() else "not yet subscribed"
        for name, check in self.checks.items():
            checks[name] = check()
        return checks


def make_clock(settings: ServiceSettings) -> Clock:
    return TravellingClock() if settings.clock_mode == "travel" else SystemClock()


async def start_runtime(
    settings: ServiceSettings, handlers: HandlersFactory | None, workers: WorkersFactory | None = None
) -> Runtime:
    engine = make_engine(settings.database_url)
    producer = build_producer(settings.kafka_bootstrap_servers, client_id=settings.service_name)
    await _start_with_retry(producer)
    clock = make_clock(settings)
    runtime = Runtime(
        settings=settings,
        engine=engine,
        clock=clock,
        producer=producer,
        relay=OutboxRelay(engine, producer, name=settings.service_name),
    )
    runtime.tasks.append(asyncio.create_task(_supervise("outbox-relay", runtime.relay.run)))
    if handlers is not None:
        runtime.consumer = EventConsumer(
            name=settings.service_name,
            group_id=settings.consumer_group,
            engine=engine,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            handlers=handlers(runtime),
            dead_letters=producer,
            now=clock.now,
        )
        runtime.tasks.append(asyncio.create_task(_supervise("consumer", runtime.consumer.run)))
    for name, work in workers(runtime) if workers is not None else ():
        runtime.tasks.append(asyncio.create_task(_supervise(name, work)))
    return runtime


async def stop_runtime(runtime: Runtime) -> None:
    for task in runtime.tasks:
        task.cancel()
    for task in runtime.tasks:
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


async def _supervise(name: str, run: Callable[[], Awaitable[None]]) -> None:
    """Keep background work alive: a crash is logged and the work restarts."""
    backoff = 0.5
    while True:
        try:
            await run()
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background.crashed", task=name, restart_in=backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 30.0)


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime
