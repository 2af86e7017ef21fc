"""Traces, configured in this one place: OpenTelemetry's SDK with an OTLP exporter when the
standard OTEL_* settings ask for one, else nothing at all (the API's no-op spans).

On: `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, or
`OTEL_TRACES_EXPORTER` names `otlp` or `console`. Off: none of them, or `OTEL_TRACES_EXPORTER=none`.
The exporter speaks OTLP over HTTP (protobuf), e.g. to port 4318 of a collector or Jaeger; the
other standard settings (`OTEL_SERVICE_NAME`, `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_TRACES_SAMPLER`,
`OTEL_RESOURCE_ATTRIBUTES`, ...) are read by the SDK itself.

When on, each request gets a SERVER span (FastAPI instrumentation), each SQL statement a CLIENT
span (SQLAlchemy instrumentation) and each event its Kafka spans (together_events.tracing).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any

from fastapi import FastAPI
from opentelemetry import metrics, trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind
from opentelemetry.util.types import Attributes
from sqlalchemy.ext.asyncio import AsyncEngine

EXPORTERS = ("otlp", "console")


class ConfigurationError(ValueError):
    """An OTEL_* setting this service cannot follow; refused at start, not ignored."""


def requested_exporter(environ: Mapping[str, str] = os.environ) -> str | None:
    """The span exporter the OTEL_* settings ask for, or None: tracing off."""
    named = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if named == "none":
        return None
    if named:
        if named not in EXPORTERS:
            raise ConfigurationError(f"OTEL_TRACES_EXPORTER must be one of {', '.join(EXPORTERS)} or none, not {named!r}")
        return named
    if environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        return "otlp"
    return None


def tracing_enabled() -> bool:
    """Whether this process has the SDK installed (by `configure_tracing`, or by a test)."""
    return isinstance(trace.get_tracer_provider(), TracerProvider)


def configure_tracing(service_name: str) -> bool:
    """Install the SDK once per process if the settings ask for an exporter; True when tracing is on."""
    if tracing_enabled():
        return True
    exporter = requested_exporter()
    if exporter is None:
        return False
    resource = Resource.create({} if os.environ.get("OTEL_SERVICE_NAME") else {SERVICE_NAME: service_name})
    # OTEL_TRACES_SAMPLER, when set, is the SDK's to read; otherwise ours.
    provider = TracerProvider(resource=resource, sampler=None if os.environ.get("OTEL_TRACES_SAMPLER") else SAMPLER)
    provider.add_span_processor(BatchSpanProcessor(_exporter(exporter)))
    trace.set_tracer_provider(provider)
    return True


def _exporter(name: str) -> SpanExporter:
    if name == "console":
        return ConsoleSpanExporter()
    protocol = (
        os.environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL") or "http/protobuf"
    )
    if protocol != "http/protobuf":
        raise ConfigurationError(f"OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf (the exporter installed), not {protocol!r}")
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # only when asked for

    return OTLPSpanExporter()


class _NoBackgroundQueries(Sampler):
    """For spans that start a trace: a SQL statement outside any request, event or publish is a
    background poll (the relay's, a timer's) and would make a trace of its own every second: dropped."""

    def should_sample(
        self,
        parent_context: trace.Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: trace.TraceState | None = None,
    ) -> SamplingResult:
        sampler = ALWAYS_OFF if kind == SpanKind.CLIENT else ALWAYS_ON
        return sampler.should_sample(parent_context, trace_id, name, kind, attributes, links, trace_state)

    def get_description(self) -> str:
        return "NoBackgroundQueries"


SAMPLER = ParentBased(root=_NoBackgroundQueries())


def instrument_app(app: FastAPI) -> None:
    """A SERVER span per request (not for the health probes), when tracing is on."""
    if tracing_enabled():
        FastAPIInstrumentor.instrument_app(app, excluded_urls="/healthz,/readyz", exclude_spans=["receive", "send"])


def instrument_engine(engine: AsyncEngine) -> AsyncEngine:
    """A CLIENT span per SQL statement on `engine`, when tracing is on."""
    if tracing_enabled():
        usage = metrics.get_meter("together_servicekit").create_up_down_counter("db.client.connections.usage")
        EngineTracer(trace.get_tracer("together_servicekit.db"), engine.sync_engine, usage)  # type: ignore[no-untyped-call]
    return engine


def add_trace_ids(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A log line written inside a span names its trace and span, so a trace leads to its lines."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict.setdefault("trace_id", f"{context.trace_id:032x}")
        event_dict.setdefault("span_id", f"{context.span_id:016x}")
    return event_dict
