"""The topics as they are: every record, read by a consumer without a group (assign, seek to
the beginning, read up to the end offsets of the moment), so the reading changes nothing."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from together_contracts.topics import declared_topics
from together_events import kafka_options

POISON_HEADER = "chaos_poison"  # set on every record the suite injects as poison
PARTITIONS = {topic.name: topic.partitions for topic in declared_topics("")}  # as provisioned: fixed


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: str | None
    value: bytes | None
    headers: dict[str, str]
    timestamp_ms: int
    event: dict[str, Any] | None  # the CloudEvent, when the value is one

    @property
    def poison(self) -> str | None:
        return self.headers.get(POISON_HEADER)

    @property
    def short_type(self) -> str:
        return str((self.event or {}).get("type", "")).split(".")[-2] if self.event else ""


@dataclass
class History:
    records: list[Record]
    by_topic: dict[str, list[Record]] = field(default_factory=lambda: defaultdict(list))

    def __post_init__(self) -> None:
        for record in self.records:
            self.by_topic[record.topic].append(record)

    def events(self, topic: str | None = None) -> list[Record]:
        """The real events (not the suite's poison) on one topic, or on every service topic."""
        return [
            r
            for r in self.records
            if r.event is not None and r.poison is None and not r.topic.endswith(".dlq") and (topic is None or r.topic == topic)
        ]

    def of_type(self, short_type: str) -> list[Record]:
        return [r for r in self.events() if r.short_type == short_type]

    def distinct(self, short_type: str) -> dict[str, Record]:
        """One record per event id (a redelivered copy is the same event)."""
        return {r.event["id"]: r for r in self.of_type(short_type)}


def _event(value: bytes | None) -> dict[str, Any] | None:
    try:
        document = json.loads(value) if value else None
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return document if isinstance(document, dict) and {"id", "type", "subject", "sequence"} <= document.keys() else None


async def read_history(bootstrap: str, topics: list[str]) -> History:
    consumer = AIOKafkaConsumer(
        **kafka_options(bootstrap),
        enable_auto_commit=False,
        max_partition_fetch_bytes=4 * 1024 * 1024,  # the oversize poison record is about 1 MiB
        fetch_max_bytes=64 * 1024 * 1024,
        request_timeout_ms=30000,
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for topic in topics for p in range(PARTITIONS[topic])]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[Record] = []
        remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, batch in batches.items():
                for r in batch:
                    if r.offset < ends[tp]:
                        headers = {name: (value or b"").decode(errors="replace") for name, value in r.headers or ()}
                        key = r.key.decode(errors="replace") if r.key is not None else None
                        records.append(
                            Record(tp.topic, tp.partition, r.offset, key, r.value, headers, r.timestamp, _event(r.value))
                        )
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
        return History(records)
    finally:
        await consumer.stop()
