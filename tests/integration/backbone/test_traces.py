"""One trace from an HTTP request to another service's handling of the event it caused, across
the real broker: the request's SERVER span, the event's creation (PRODUCER) in the outbox write,
the relay's publish (PRODUCER) and the consumer's handling (CONSUMER), with their SQL statements.
The spans are kept by the SDK's in-memory exporter."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from fastapi import APIRouter, Depends
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from tests.apps import client
from tests.backbone import RUN, TOPIC, ThingHappened, count_effect, drain, effects, metadata, now, records_of, running
from tests.kafka_tools import header, wait_until
from together_events import Envelope, EventConsumer, Handlers, OutboxRelay, record_event
from together_servicekit.app import build_app
from together_servicekit.clock import TravellingClock
from together_servicekit.runtime import Runtime, get_runtime
from together_servicekit.settings import ServiceSettings
from together_servicekit.tracing import SAMPLER, instrument_engine, tracing_enabled

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def exporter() -> InMemorySpanExporter:
    """The SDK, installed as configure_tracing would (with its sampler), exporting to memory."""
    if not tracing_enabled():
        trace.set_tracer_provider(TracerProvider(sampler=SAMPLER))
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    memory = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    return memory


@pytest.fixture
async def handling_engine(create_database) -> AsyncIterator[AsyncEngine]:
    """The consuming service's own database."""
    engine = create_async_engine(await create_database("traced"))
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield instrument_engine(engine)
    await engine.dispose()


def recording_app(engine: AsyncEngine, producer, stack, signer):
    """A service built like the five (build_app), whose one route records a ThingHappened."""
    settings = ServiceSettings(
        service_name=f"tracer{RUN}",
        database_name="traced",
        port=0,
        database_url=str(engine.url),
        kafka_bootstrap_servers=stack.kafka_bootstrap,
    )
    router = APIRouter()

    @router.post("/things/{thing_id}")
    async def record_thing(thing_id: str, runtime: Runtime = Depends(get_runtime)) -> dict[str, str]:
        async with runtime.engine.begin() as conn:
            envelope = await runtime.record(conn, ThingHappened(thing_id=thing_id, n=1))
        return {"event_id": envelope.id}

    with signer.trusted():
        app = build_app(settings, title="traced", description="records a thing", routers=[router])
    app.state.runtime = Runtime(
        settings=settings,
        engine=instrument_engine(engine),
        clock=TravellingClock(),
        producer=producer,
        relay=OutboxRelay(engine, producer, name="traced"),
    )
    return app


def one(spans: list[ReadableSpan], kind: SpanKind, name: str) -> ReadableSpan:
    found = [s for s in spans if s.kind == kind and s.name == name]
    assert len(found) == 1, f"{len(found)} spans {kind} {name!r} among {[(s.kind, s.name) for s in spans]}"
    return found[0]


def parent_of(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


async def test_one_trace_from_the_request_through_the_broker_to_another_services_handling(
    stack, signer, topics, engine, handling_engine, producer, exporter
):
    thing = f"traced-{uuid.uuid4()}"
    app = recording_app(engine, producer, stack, signer)
    async with client(app) as http:
        response = await http.post(f"/things/{thing}")
    assert response.status_code == 200
    event_id = response.json()["event_id"]

    await drain(OutboxRelay(engine, producer, name="traced"))
    consumer = EventConsumer(
        name=f"traced-consumer-{uuid.uuid4().hex[:8]}",
        engine=handling_engine,
        bootstrap_servers=stack.kafka_bootstrap,
        handlers=Handlers().on(ThingHappened, count_effect),
        dead_letters=producer,
        now=now,
    )

    async def handled() -> bool:
        async with handling_engine.connect() as conn:
            return await conn.scalar(sa.select(effects.c.times).where(effects.c.thing_id == thing)) == 1

    async with running(consumer):
        await wait_until(handled, what="the consumer handled the event")

    spans = [s for s in exporter.get_finished_spans() if s.context.trace_id == _trace_of(exporter, event_id)]
    request = one(spans, SpanKind.SERVER, "POST /things/{thing_id}")
    created = one(spans, SpanKind.PRODUCER, f"create {TOPIC}")
    published = one(spans, SpanKind.PRODUCER, f"publish {TOPIC}")
    processed = one(spans, SpanKind.CONSUMER, f"process {TOPIC}")
    assert request.parent is None  # the request started the trace
    assert parent_of(created) == request.context.span_id
    assert parent_of(published) == created.context.span_id
    assert parent_of(processed) == created.context.span_id  # across the broker
    assert processed.attributes is not None
    assert processed.attributes["messaging.system"] == "kafka"
    assert processed.attributes["messaging.message.id"] == event_id
    assert processed.attributes["messaging.consumer.group.name"] == consumer.group_id
    # The SQL statements hang under the request (the outbox write) and under the handling (inbox, effect).
    queries = [s for s in spans if s.kind == SpanKind.CLIENT]
    assert any(parent_of(q) == request.context.span_id for q in queries)
    assert sum(parent_of(q) == processed.context.span_id for q in queries) >= 2
    # The relay's polling queries belong to no request: they start no trace of their own.
    assert not [s for s in exporter.get_finished_spans() if s.kind == SpanKind.CLIENT and s.parent is None]

    # The context on the wire: the envelope's extension attributes, mirrored in ce_* headers.
    [record] = await records_of(stack, thing)
    envelope = Envelope.from_json_bytes(record.value)
    assert envelope.traceparent is not None
    version, trace_id, parent_id, _flags = envelope.traceparent.split("-")
    assert (version, trace_id, parent_id) == ("00", f"{created.context.trace_id:032x}", f"{created.context.span_id:016x}")
    assert header(record, "ce_traceparent") == envelope.traceparent
    assert header(record, "ce_tracestate") is None  # none was set, none is sent


def _trace_of(exporter: InMemorySpanExporter, event_id: str) -> int:
    return _created(list(exporter.get_finished_spans()), event_id).context.trace_id


async def test_the_trace_reaches_every_service_that_handles_the_event_and_what_their_handlers_record(
    stack, signer, topics, engine, handling_engine, create_database, producer, exporter
):
    thing = f"fan-out-{uuid.uuid4()}"
    app = recording_app(engine, producer, stack, signer)
    async with client(app) as http:
        event_id = (await http.post(f"/things/{thing}")).json()["event_id"]
    await drain(OutboxRelay(engine, producer, name="traced"))

    # A second service handles the same event and, doing so, records one of its own.
    echo_engine = create_async_engine(await create_database("echo"))
    async with echo_engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    instrument_engine(echo_engine)

    async def echo(conn, event: ThingHappened, _: Envelope) -> None:
        if event.thing_id == thing:
            await record_event(conn, ThingHappened(thing_id=f"{thing}-echo", n=2), source="/test/echo", time=now())

    def consumer_of(label: str, consuming_engine: AsyncEngine, handlers: Handlers) -> EventConsumer:
        return EventConsumer(
            name=f"{label}-{uuid.uuid4().hex[:8]}",
            engine=consuming_engine,
            bootstrap_servers=stack.kafka_bootstrap,
            handlers=handlers,
            dead_letters=producer,
            now=now,
        )

    counting = consumer_of("counting", handling_engine, Handlers().on(ThingHappened, count_effect))
    echoing = consumer_of("echoing", echo_engine, Handlers().on(ThingHappened, echo))

    async def both_counted() -> bool:
        async with handling_engine.connect() as conn:
            counted = await conn.scalar(sa.select(sa.func.count()).where(effects.c.thing_id.in_([thing, f"{thing}-echo"])))
        if counted != 2:
            await drain(OutboxRelay(echo_engine, producer, name="echo"))  # the echo's relay
        return counted == 2

    try:
        async with running(counting), running(echoing):
            await wait_until(both_counted, what="the event and its echo handled")
    finally:
        await echo_engine.dispose()

    spans = [s for s in exporter.get_finished_spans() if s.context.trace_id == _trace_of(exporter, event_id)]

    def processing(group: str, of_event: str) -> ReadableSpan:
        [found] = [
            s
            for s in spans
            if s.kind == SpanKind.CONSUMER
            and s.attributes is not None
            and (s.attributes["messaging.consumer.group.name"], s.attributes["messaging.message.id"]) == (group, of_event)
        ]
        return found

    created = _created(spans, event_id)
    # Both services handle the event as children of its creation, in the request's trace.
    assert parent_of(processing(counting.group_id, event_id)) == created.context.span_id
    echoed_in = processing(echoing.group_id, event_id)
    assert parent_of(echoed_in) == created.context.span_id
    # The echo is created inside that handling, and handled in turn in the same trace.
    [echo_created] = [s for s in spans if s.name == f"create {TOPIC}" and parent_of(s) == echoed_in.context.span_id]
    assert echo_created.attributes is not None
    echo_id = str(echo_created.attributes["messaging.message.id"])
    assert parent_of(processing(counting.group_id, echo_id)) == echo_created.context.span_id


def _created(spans: list[ReadableSpan], event_id: str) -> ReadableSpan:
    [found] = [
        s
        for s in spans
        if s.name == f"create {TOPIC}" and s.attributes is not None and s.attributes.get("messaging.message.id") == event_id
    ]
    return found
