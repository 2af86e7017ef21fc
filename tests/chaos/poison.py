"""Records no consumer may stall on, produced straight onto the topics the services consume.

Every kind the issue names: a value that is not JSON, JSON that is not an event, a broken
contract, an unknown type, a key that is not the subject, a tombstone, a value just under the
broker's size limit (so that a dead-letter copy with its extra headers cannot fit), integers
beyond 64 bits, and a 10,000-character string in every free-text and time-zone field. Typed
records are copies of a real event of the run with every id replaced by a fresh one, so that
none of them touches a real participant. Each carries the header `chaos_poison: <kind>`.

What each consumer of the topic must do (`expected`):
- `set_aside`: dead-letter it (`<topic>.dlq`, a reduced copy, or a parked row). When the fault
  is in the record or its envelope (not JSON, not an event, tombstone, oversize, key not the
  subject, a sequence beyond 64 bits: `envelope`), every consumer of the topic must. When it is
  in the data (a broken contract, an integer out of range, an over-long string), the consumers
  that handle the event's type must, and the others skip it: a value the contract lets through
  would be applied by each consumer of the type in its own way (stored, ignored, or failing
  later, in another event's handler), so it is a contract violation for all of them;
- `skip_counted`: skip it and count it (an unknown type, the services' default policy).
"""

from __future__ import annotations

import json
import random
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from tests.chaos.history import POISON_HEADER, History
from tests.chaos.stack import BOOTSTRAP, consumed_topics
from together_events import kafka_options
from together_events.registry import model_for

LONG = "x" * 10_000
UUID_TEXT = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
HUGE_INT = 2**63  # one past the largest 64-bit signed integer
BROKER_LIMIT = 1_048_588  # message.max.bytes, the broker default: a record batch of one record


@dataclass
class Poison:
    kind: str
    topic: str
    key: bytes | None
    value: bytes | None
    expected: str  # set_aside | skip_counted
    envelope: bool = False  # the fault is in the record or its envelope: every consumer of the topic must set it aside
    event_type: str = ""
    detail: str = ""
    event_id: str = ""
    partition: int = -1
    offset: int = -1
    extra_headers: list[tuple[str, bytes]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.kind} {self.event_type.split('.')[-2] if self.event_type.count('.') >= 3 else ''} {self.detail}".strip()

    def headers(self) -> list[tuple[str, bytes]]:
        return [(POISON_HEADER, self.kind.encode()), ("chaos_detail", self.detail[:200].encode()), *self.extra_headers]


def _is_id_or_time(text: str) -> bool:
    try:
        uuid.UUID(text)
        return True
    except ValueError:
        pass
    try:
        datetime.fromisoformat(text)
        return True
    except ValueError:
        return False


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    """(path, value) of every scalar in `value`; of a list, its first element only."""
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _leaves(v, (*path, k))]
    if isinstance(value, list):
        return _leaves(value[0], (*path, 0)) if value else []
    return [(path, value)]


def _set(document: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        document = document[step]
    document[path[-1]] = value


def _fresh(event: dict[str, Any]) -> dict[str, Any]:
    """A copy of a real event about nobody: every id fresh (consistently), sequence 1, time now."""
    text = json.dumps(event)
    for old in set(re.findall(UUID_TEXT, text)) | {event["subject"]}:  # in lists too: no real participant is named
        text = text.replace(old, str(uuid.uuid4()))
    fresh = json.loads(text)
    fresh.update(
        id=str(uuid.uuid4()), sequence=1, time=datetime.now(UTC).isoformat(), correlationid=str(uuid.uuid4()), causationid=None
    )
    return fresh


def _is_uuid(text: str) -> bool:
    try:
        return len(text) == 36 and bool(uuid.UUID(text))
    except ValueError:
        return False


def _ce_headers(event: dict[str, Any]) -> list[tuple[str, bytes]]:
    names = ("id", "source", "type", "subject", "time", "aggregatetype", "sequence", "correlationid")
    return [(f"ce_{n}", str(event.get(n, ""))[:20_000].encode()) for n in names] + [
        ("content-type", b"application/cloudevents+json")
    ]


def _typed(
    kind: str, topic: str, event: dict[str, Any], expected: str, detail: str, key: str | None = None, envelope: bool = False
) -> Poison:
    return Poison(
        kind, topic, (key or event["subject"]).encode(), json.dumps(event).encode(), expected, envelope=envelope,
        event_type=event["type"], detail=detail, event_id=event["id"], extra_headers=_ce_headers(event),
    )  # fmt: skip


def build_poison(history: History, rng: random.Random) -> list[Poison]:
    consumed = {topic for topics in consumed_topics().values() for topic in topics}
    records: list[Poison] = []
    for topic in sorted(consumed):
        templates: dict[str, dict[str, Any]] = {}
        for record in history.events(topic):
            templates.setdefault(record.event["type"], record.event)
        records += _generic(topic, rng.choice(sorted(templates.values(), key=lambda e: e["type"])) if templates else None)
        for template in templates.values():
            records += _typed_variants(topic, template)
    return records


def _blank(service: str, event_type: str) -> dict[str, Any]:
    """A well-formed envelope with empty data (for a topic the run published nothing on)."""
    return {
        "specversion": "1.0", "id": str(uuid.uuid4()), "source": f"/together/{service}", "type": event_type,
        "subject": str(uuid.uuid4()), "time": datetime.now(UTC).isoformat(), "datacontenttype": "application/json",
        "aggregatetype": "chaos", "sequence": 1, "correlationid": str(uuid.uuid4()), "causationid": None, "data": {},
    }  # fmt: skip


def _generic(topic: str, template: dict[str, Any] | None) -> list[Poison]:
    def blob(kind: str, value: bytes | None, detail: str) -> Poison:
        return Poison(kind, topic, str(uuid.uuid4()).encode(), value, "set_aside", detail=detail, envelope=True)

    service = topic.split(".")[-1]
    made_up = f"together.{service}.ChaosUnknownEvent.v1"
    event = _fresh(template) if template else _blank(service, made_up)
    unknown = [event | {"id": str(uuid.uuid4()), "type": made_up}]
    if template:  # a known event in a major version nobody has published
        unknown.append(event | {"id": str(uuid.uuid4()), "type": template["type"].rsplit(".", 1)[0] + ".v99"})
    half = {"specversion": "1.0", "id": str(uuid.uuid4()), "type": event["type"]}
    return [
        blob("not_json", b"\xff\xfe{ this is not json", "bytes"),
        blob("not_event", b"[1, 2, 3]", "a JSON array"),
        blob("not_event", b'"an event?"', "a JSON string"),
        blob("not_event", b'{"hello": "world"}', "an object without envelope"),
        blob("not_event", json.dumps(half).encode(), "half an envelope"),
        blob("tombstone", None, "value null"),
        _typed(
            "key_mismatch", topic, event | {"id": str(uuid.uuid4())}, "set_aside", "key", key=str(uuid.uuid4()), envelope=True
        ),
        _typed(
            "out_of_range", topic, event | {"id": str(uuid.uuid4()), "sequence": HUGE_INT}, "set_aside", "sequence", envelope=True
        ),
        *(_typed("unknown_type", topic, e, "skip_counted", e["type"]) for e in unknown),
        blob("oversize", None, "just under the broker's limit"),  # value sized when produced
    ]


def _typed_variants(topic: str, template: dict[str, Any]) -> list[Poison]:
    variants = []
    model = model_for(template["type"])
    broken = _fresh(template)
    required = [n for n, f in model.model_fields.items() if f.is_required() and n in broken["data"]] if model else []
    if required:
        del broken["data"][required[-1]]  # the last: not the aggregate id, which comes first
        variants.append(_typed("broken_contract", topic, broken, "set_aside", f"without {required[-1]}"))
    for path, value in _leaves(template["data"]):
        event = _fresh(template)
        where = ".".join(str(p) for p in path)
        if isinstance(value, int) and not isinstance(value, bool):
            _set(event["data"], path, HUGE_INT)
            variants.append(_typed("out_of_range", topic, event, "set_aside", where))
        elif isinstance(value, str) and not _is_id_or_time(value):
            _set(event["data"], path, LONG)
            variants.append(_typed("over_long", topic, event, "set_aside", where))
    return variants


async def produce_poison(records: list[Poison]) -> None:
    producer = AIOKafkaProducer(**kafka_options(BOOTSTRAP), acks="all", max_request_size=4 * 1024 * 1024)
    await producer.start()
    try:
        for p in records:
            if p.kind == "oversize":
                await _produce_oversize(producer, p)
                continue
            sent = await producer.send_and_wait(p.topic, value=p.value, key=p.key, headers=p.headers())
            p.partition, p.offset = sent.partition, sent.offset
    finally:
        await producer.stop()


async def _produce_oversize(producer: AIOKafkaProducer, p: Poison) -> None:
    """The largest value the broker takes, within a few bytes: any header a dead-letter copy adds makes it too large."""
    overhead = 61 + 21 + len(p.key or b"") + sum(len(k) + len(v) + 2 for k, v in p.headers())  # batch and record framing
    size = BROKER_LIMIT - overhead
    for _ in range(40):
        p.value = b"x" * size
        try:
            sent = await producer.send_and_wait(p.topic, value=p.value, key=p.key, headers=p.headers())
        except KafkaError:
            size -= 8
            continue
        p.partition, p.offset, p.detail = sent.partition, sent.offset, f"{size} bytes, just under the broker's limit"
        return
    raise RuntimeError(f"the broker took no oversize record on {p.topic}")
