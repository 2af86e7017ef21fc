"""What a topic is and how its name is made; which topics exist is the contracts' to say
(`together_contracts.topics`), and `python -m together_operator.provision` creates them.

Brokers run with auto-creation off, so a typo in a topic name fails loudly
instead of creating a stray topic.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

KEEP_FOREVER = "-1"


@dataclass(frozen=True)
class Topic:
    name: str
    partitions: int
    config: dict[str, str] = field(default_factory=dict)
    purpose: str = ""
    privacy: str = ""  # what identifies a person on it, and what never travels there
    public: bool = False  # other organisations' systems may read it (a subscriber principal's ACLs)
    readers: tuple[str, ...] = ()  # the services whose consumer reads it (their principals' ACLs)


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
