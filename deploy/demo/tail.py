"""The events of this run, printed as they cross Kafka."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer

from deploy.demo.console import DIM, RESET
from together_contracts.topics import SERVICES
from together_events import kafka_options
from together_events.topics import service_topic

TOPICS = [service_topic(service) for service in SERVICES]


class EventTail:
    """Prints the events of this run as they cross Kafka.

    The topics are shared (earlier runs, tests, timers of older cohorts firing after a clock
    travel), so an event is shown only when it names something of this run: the story tells
    the tail each id it creates, and an event that matches brings its own ids in (a pairing's
    id from PairingFormed, a session's from SessionScheduled...). An event that arrives before
    the HTTP answer that names its id waits a few seconds for it. In a bulk phase (`hush`) the
    events are counted instead of printed.
    """

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.ready = asyncio.Event()
        self.ours: set[str] = set()
        self.waiting: list[tuple[float, str, str, dict[str, Any]]] = []  # (give up at, topic, key, event)
        self.seen: list[dict[str, Any]] = []  # every event of this run, in arrival order
        self.hushed: Counter[str] | None = None
        self.names: dict[str, str] = {}  # participant id -> first name, for the printed lines

    def follow(self, *ids: object) -> None:
        self.ours.update(str(i) for i in ids)
        self._recheck()

    def hush(self) -> None:
        self.hushed = Counter()

    def unhush(self) -> Counter[str]:
        counted, self.hushed = self.hushed or Counter(), None
        return counted

    def count(self, kind: str, /, **data: object) -> int:
        return sum(1 for e in self.seen if kind_of(e) == kind and all(str(e["data"].get(k)) == str(v) for k, v in data.items()))

    async def until(self, what: str, condition: Callable[[], bool], timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise RuntimeError(f"not seen on Kafka within {timeout:.0f}s: {what}")
            await asyncio.sleep(0.1)

    def _take(self, topic: str, key: str, event: dict[str, Any]) -> bool:
        ids = {s for s in strings(event.get("data")) if is_uuid(s)}
        if key not in self.ours and not ids & self.ours:
            return False
        self.ours.update(ids | {key})
        self.seen.append(event)
        if self.hushed is not None:
            self.hushed[kind_of(event)] += 1
        else:
            print(
                f"  {DIM}event {kind_of(event):<22} {topic:<24} key={key[:8]}… seq={event['sequence']:<2} {self.detail(event)}".rstrip()
                + RESET,
                flush=True,
            )
        return True

    def detail(self, event: dict[str, Any]) -> str:
        """Who the event is about, in words: whom a message is for, who asked whom."""
        data = event["data"]

        def name(key: str) -> str:
            return self.names.get(str(data.get(key)), "")

        if kind_of(event) == "NotificationRecorded":
            return f"{data['kind']} for {name('recipient_id') or 'a mentor'}"
        if "mentee_id" in data and "mentor_id" in data:
            return f"{name('mentee_id') or 'a mentee'} → {name('mentor_id') or 'a mentor'}"
        if "ranked_mentor_ids" in data:
            return f"{name('mentee_id') or 'a mentee'} ranks " + ", ".join(
                self.names.get(str(i), "a mentor") for i in data["ranked_mentor_ids"]
            )
        if "mentee_id" in data:
            return name("mentee_id")
        if "participant_ids" in data:
            return " and ".join(self.names.get(str(i), "?") for i in data["participant_ids"])
        return name("participant_id")

    async def seen_all(self, *wanted: tuple[str, Mapping[str, object]], timeout: float = 30.0) -> None:
        """Wait until each (kind, data) has crossed Kafka (as often as it is listed), so that a
        step's events print under it."""
        needed = Counter((kind, tuple(sorted((k, str(v)) for k, v in data.items()))) for kind, data in wanted)
        await self.until(
            ", ".join(kind for kind, _ in wanted),
            lambda: all(self.count(kind, **dict(data)) >= n for (kind, data), n in needed.items()),
            timeout,
        )

    def _recheck(self) -> None:
        progress = True
        while progress:  # an event taken may bring in the ids another one waits for
            progress = False
            for item in list(self.waiting):
                if self._take(*item[1:]):
                    self.waiting.remove(item)
                    progress = True

    async def run(self) -> None:
        consumer = AIOKafkaConsumer(
            *TOPICS, **kafka_options(self.bootstrap), enable_auto_commit=False, auto_offset_reset="latest"
        )
        await consumer.start()
        try:
            while not consumer.assignment():
                await asyncio.sleep(0.05)
            for tp in consumer.assignment():
                await consumer.position(tp)  # pin "latest" now, before the story starts
            self.ready.set()
            while True:
                batches = await consumer.getmany(timeout_ms=200)
                for records in batches.values():
                    for record in records:
                        key = record.key.decode() if record.key else ""
                        event = json.loads(record.value)
                        if not self._take(record.topic, key, event):
                            self.waiting.append((time.monotonic() + 5.0, record.topic, key, event))
                now = time.monotonic()
                self.waiting = [item for item in self.waiting if item[0] > now]  # not ours after all
        finally:
            await consumer.stop()


def kind_of(event: dict[str, Any]) -> str:
    return str(event["type"]).split(".")[-2]


def is_uuid(text: str) -> bool:
    try:
        return len(text) == 36 and bool(uuid.UUID(text))
    except ValueError:
        return False


def strings(value: Any) -> list[str]:
    """Every string in an event's data, nested ones too (ids of participants, pairings, cohorts)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []
