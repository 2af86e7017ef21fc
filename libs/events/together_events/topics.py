"""Topics are declared here and created by `python -m together_events.provision`.

Brokers run with auto-creation off, so a typo in a topic name fails loudly
instead of creating a stray topic. The domain topics are the audit history:
they keep everything (retention.ms = -1), and so do their dead-letter topics,
because a dead letter is an event that still needs a decision.
"""

from __future__ import annotations

from dataclasses import dataclass, field

KEEP_FOREVER = "-1"
SERVICES = ("registration", "matching", "pairing", "scheduling", "notifications")


@dataclass(frozen=True)
class Topic:
    name: str
    partitions: int
    config: dict[str, str] = field(default_factory=dict)
    purpose: str = ""


def dead_letter_topic(topic: str) -> str:
    return f"{topic}.dlq"


def _declared() -> tuple[Topic, ...]:
    topics: list[Topic] = []
    for service in SERVICES:
        name = f"together.{service}"
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


TOPICS: tuple[Topic, ...] = _declared()
