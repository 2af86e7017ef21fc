"""Trace context across the bus: the CloudEvents distributed-tracing extension (ADR 0013).

`record_event` opens a short PRODUCER span ("create") as a child of whatever is current (an
HTTP request's span, a consumer's handling span) and stores its W3C context in the envelope
(`traceparent`, `tracestate`), so it waits in the outbox row with the event. The relay sends it
in the record under a PRODUCER "publish" span; the consumer handles the event under a CONSUMER
"process" span whose parent is that context. One trace thus runs from a request through every
service that handles what it caused.

Only the OpenTelemetry API here: until servicekit installs the SDK, every span is a no-op.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Iterator, Sequence
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from together_events.envelope import Envelope

_tracer = trace.get_tracer("together_events")
# W3C Trace Context, whatever OTEL_PROPAGATORS says: it is what the CloudEvents extension carries.
_w3c = TraceContextTextMapPropagator()


def created(topic: str, event_type: str, event_id: str) -> dict[str, str]:
    """The span of an event's creation, a child of the current one, as the envelope's
    `traceparent` (and `tracestate` if any); empty when tracing is off and nothing is current."""
    attributes = {
        "messaging.system": "kafka",
        "messaging.operation.type": "create",
        "messaging.destination.name": topic,
        "messaging.message.id": event_id,
        "cloudevents.event_id": event_id,
        "cloudevents.event_type": event_type,
    }
    carrier: dict[str, str] = {}
    with _tracer.start_as_current_span(f"create {topic}", kind=SpanKind.PRODUCER, attributes=attributes):
        _w3c.inject(carrier)
    return {name: carrier[name] for name in ("traceparent", "tracestate") if carrier.get(name)}


def context_of(envelope: Envelope) -> Context:
    """The context the event was created in (empty when it carries none, or one that is not W3C)."""
    carrier = {name: value for name in ("traceparent", "tracestate") if (value := getattr(envelope, name))}
    return _w3c.extract(carrier)


def _attributes(topic: str, envelope: Envelope, operation: str) -> dict[str, Any]:
    return {
        "messaging.system": "kafka",
        "messaging.operation.type": operation,
        "messaging.destination.name": topic,
        "messaging.message.id": envelope.id,
        "cloudevents.event_id": envelope.id,
        "cloudevents.event_type": envelope.type,
        "cloudevents.event_source": envelope.source,
    }


class PublishSpans:
    """One PRODUCER span per record a relay sends, each a child of its event's creation; ended
    when the broker acknowledged the batch (with partition and offset) or it failed."""

    def __init__(self) -> None:
        self._spans: list[Span] = []

    def start(self, topic: str, envelope: Envelope) -> None:
        self._spans.append(
            _tracer.start_span(
                f"publish {topic}",
                context=context_of(envelope),
                kind=SpanKind.PRODUCER,
                attributes=_attributes(topic, envelope, "send"),
            )
        )

    async def delivered(self, acknowledgements: Awaitable[Sequence[Any]]) -> None:
        """Await the broker's acknowledgements (record metadata, in send order) and end the spans."""
        try:
            for span, metadata in zip(self._spans, await acknowledgements, strict=True):
                span.set_attribute("messaging.destination.partition.id", str(metadata.partition))
                span.set_attribute("messaging.kafka.offset", metadata.offset)
        except BaseException as error:
            for span in self._spans:
                span.record_exception(error)
                span.set_status(Status(StatusCode.ERROR, repr(error)[:300]))
            raise
        finally:
            for span in self._spans:
                span.end()


@contextlib.contextmanager
def processing(topic: str, partition: int, offset: int, envelope: Envelope, consumer_group: str) -> Iterator[Span]:
    """The CONSUMER span of one record's handling (all its attempts), a child of the event's creation."""
    attributes = _attributes(topic, envelope, "process") | {
        "messaging.consumer.group.name": consumer_group,
        "messaging.destination.partition.id": str(partition),
        "messaging.kafka.offset": offset,
    }
    with _tracer.start_as_current_span(
        f"process {topic}", context=context_of(envelope), kind=SpanKind.CONSUMER, attributes=attributes
    ) as span:
        yield span


def mark_failed(reason: str) -> None:
    """Mark the current span failed (e.g. a record set aside), if there is one."""
    trace.get_current_span().set_status(Status(StatusCode.ERROR, reason[:300]))
