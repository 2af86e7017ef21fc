"""The one envelope every event travels in: CloudEvents 1.0, structured mode.

Kafka binding (see docs/adr/0002-event-envelope-and-kafka-binding.md):
- record value: the whole CloudEvent as JSON (`application/cloudevents+json`),
  so a dump of a topic is self-describing for auditors;
- record headers: the core attributes mirrored as `ce_*`, so routers and
  dead-letter tools can read them without parsing the value;
- record key: the subject, i.e. the aggregate id, so one aggregate's events
  share a partition and stay in order.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

CONTENT_TYPE = "application/cloudevents+json"


class MalformedEvent(ValueError):
    """A record that is not a valid Together CloudEvent; the reason says why."""


class Envelope(BaseModel):
    # Tolerant reader: extension attributes this code does not know are ignored.
    model_config = ConfigDict(frozen=True, extra="ignore")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1, description="Unique event id; the deduplication key.")
    source: str = Field(
        min_length=1,
        description="URI reference of the producing service, e.g. /together/pairing.",
    )
    type: str = Field(
        min_length=1,
        description="Event type with its major version, e.g. together.pairing.RequestSent.v1.",
    )
    subject: str = Field(min_length=1, description="The aggregate id; also the Kafka record key.")
    time: datetime
    datacontenttype: Literal["application/json"] = "application/json"
    aggregatetype: str = Field(min_length=1)
    # At most 2**31 - 1: the outbox numbers events in a 32-bit column, so a larger one is not ours.
    sequence: int = Field(ge=1, le=2**31 - 1, description="Position of this event in its aggregate's history, from 1.")
    correlationid: str = Field(min_length=1)
    causationid: str | None = None
    # The CloudEvents distributed-tracing extension: the W3C trace context the event was created in.
    traceparent: str | None = None
    tracestate: str | None = None
    data: dict[str, Any]

    @field_validator("time")
    @classmethod
    def _time_is_aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("time must carry a UTC offset")
        return value

    def to_json_bytes(self) -> bytes:
        return self.model_dump_json(exclude=self._absent_extensions()).encode()

    def document(self) -> dict[str, Any]:
        """The envelope as JSON-ready data (an outbox row's `envelope`)."""
        return self.model_dump(mode="json", exclude=self._absent_extensions())

    def _absent_extensions(self) -> set[str]:
        # An extension attribute that is not set is left out, not sent as null.
        return {name for name in ("traceparent", "tracestate") if getattr(self, name) is None}

    def kafka_headers(self) -> list[tuple[str, bytes]]:
        mirrored = {
            "ce_specversion": self.specversion,
            "ce_id": self.id,
            "ce_source": self.source,
            "ce_type": self.type,
            "ce_subject": self.subject,
            "ce_time": self.model_dump(mode="json")["time"],
            "ce_aggregatetype": self.aggregatetype,
            "ce_sequence": str(self.sequence),
            "ce_correlationid": self.correlationid,
            "content-type": CONTENT_TYPE,
        }
        if self.causationid:
            mirrored["ce_causationid"] = self.causationid
        if self.traceparent:
            mirrored["ce_traceparent"] = self.traceparent
        if self.tracestate:
            mirrored["ce_tracestate"] = self.tracestate
        return [(name, value.encode()) for name, value in mirrored.items()]

    @classmethod
    def from_json_bytes(cls, raw: bytes | None) -> Envelope:
        if not raw:
            raise MalformedEvent("record has no value")
        try:
            document = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise MalformedEvent(f"value is not JSON: {exc}") from exc
        if not isinstance(document, dict):
            raise MalformedEvent("value is not a JSON object")
        try:
            return cls.model_validate(document)
        except ValidationError as exc:
            raise MalformedEvent(f"not a CloudEvent of this project: {_first_errors(exc)}") from exc


def _first_errors(exc: ValidationError, limit: int = 3) -> str:
    parts = []
    for error in exc.errors()[:limit]:
        where = ".".join(str(p) for p in error["loc"]) or "value"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)
