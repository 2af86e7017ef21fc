"""Topics are declared here and created by `python -m together_events.provision`.

Brokers run with auto-creation off, so a typo in a topic name fails loudly
instead of creating a stray topic. The domain topics are the audit history:
they keep everything (retention.ms = -1), and so do their dead-letter topics,
because a dead letter is an event that still needs a decision.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

KEEP_FOREVER = "-1"
SERVICES = ("registration", "matching", "pairing", "scheduling", "notifications")


@dataclass(frozen=True)
class Topic:
    name: str
    partitions: int
    config: dict[str, str] = field(default_factory=dict)
    purpose: str = ""


def namespace() -> str:
    """Prefix of every topic name, from `TOGETHER_TOPIC_NAMESPACE` (empty by default).

    Lets two deployments share one broker without reading each other's events,
    e.g. a test run beside a running demo, or staging beside production.
    """
    return os.environ.get("TOGETHER_TOPIC_NAMESPACE", "")


def service_topic(service: str, prefix: str | None = None) -> str:
    return f"{namespace() if prefix is None else prefix}together.{service}"


def dead_letter_topic(topic: str) -> str:
    return f"{topic}.dlq"


def declared_topics(prefix: str | None = None) -> tuple[Topic, ...]:
    topics: list[Topic] = []
    for service in SERVICES:
        name = service_topic(service, prefix)
        topics.append(
            Topic(
                name=name,
                partitions=3,
                config={"retention.ms": KEEP_FOREVER, "cleanup.policy": "delete"},
                purpose=f"events published by the {service} service; keyed by aggregate id",
            )
        )
        topics.append(
            Topic(
                name=dead_letter_topic(name),
                partitions=1,
                config={"retention.ms": KEEP_FOREVER},
                purpose=f"records from {name} that a consumer could not parse or handle, reason in headers",
            )
        )
    return tuple(topics)
