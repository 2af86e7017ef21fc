"""Together's event backbone, the kernel: envelope, registry, outbox, consumer, topics. See libs/events/README.md.

It names no service and holds no contract: those are `together_contracts`.
"""

from together_events.connection import KafkaSecurity, kafka_options
from together_events.consumer import EventConsumer, Handler, Handlers
from together_events.context import caused_by, current_causation
from together_events.envelope import Envelope, MalformedEvent
from together_events.failures import DependencyDown, RetryPolicy, TransientError, is_outage, is_transient, transient_reason
from together_events.outbox import OutboxRelay, build_producer, record_event
from together_events.registry import (
    Event,
    decode,
    model_for,
    register,
    registered_types,
)
from together_events.topics import Topic, dead_letter_topic, service_topic

__all__ = [
    "DependencyDown",
    "Envelope",
    "Event",
    "EventConsumer",
    "Handler",
    "Handlers",
    "KafkaSecurity",
    "MalformedEvent",
    "OutboxRelay",
    "RetryPolicy",
    "Topic",
    "TransientError",
    "build_producer",
    "caused_by",
    "current_causation",
    "dead_letter_topic",
    "decode",
    "is_outage",
    "is_transient",
    "kafka_options",
    "model_for",
    "record_event",
    "register",
    "registered_types",
    "service_topic",
    "transient_reason",
]
