"""Typed, versioned event contracts and the one registry that maps type to model."""

from __future__ import annotations

from typing import ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from together_events.envelope import Envelope, MalformedEvent, _first_errors
from together_events.topics import service_topic

# Every contract model's settings. Tolerant reader: a field added in a compatible change (same major
# version) is ignored by consumers that predate it, instead of dead-lettering the event. No text is
# longer than the longest answer a producer takes (a free-text answer, 2000 characters), so a
# longer one is not ours and is set aside where it is read.
MAX_TEXT = 2000
CONTRACT_CONFIG = ConfigDict(frozen=True, extra="ignore", str_max_length=MAX_TEXT)


class Event(BaseModel):
    """A fact in the past tense. Subclasses declare where it comes from and its version.

    The payload is the model's fields. It carries identifiers and the facts its
    contract needs; never free-text notes or programme-team-only answers.
    """

    model_config = CONTRACT_CONFIG

    service: ClassVar[str]  # the publishing service, which also names the topic
    aggregate: ClassVar[str]  # the aggregate type, e.g. "request"
    version: ClassVar[int] = 1

    def aggregate_id(self) -> str:
        """The subject of the event: by convention the field `<aggregate>_id`."""
        return str(getattr(self, f"{self.aggregate}_id"))

    @classmethod
    def event_type(cls) -> str:
        return f"together.{cls.service}.{cls.__name__}.v{cls.version}"

    @classmethod
    def topic(cls) -> str:
        return service_topic(cls.service)


E = TypeVar("E", bound=type[Event])

_by_type: dict[str, type[Event]] = {}


def register(model: E) -> E:
    """Class decorator: adds an event model to the registry (once per type)."""
    event_type = model.event_type()
    existing = _by_type.get(event_type)
    if existing is not None and existing is not model:
        raise ValueError(f"event type {event_type} is registered twice")
    _by_type[event_type] = model
    return model


def model_for(event_type: str) -> type[Event] | None:
    return _by_type.get(event_type)


def registered_types() -> dict[str, type[Event]]:
    return dict(_by_type)


def decode(envelope: Envelope) -> Event:
    """The typed event inside an envelope; MalformedEvent if its data breaks the contract."""
    model = model_for(envelope.type)
    if model is None:
        raise MalformedEvent(f"unknown event type {envelope.type!r}")
    try:
        return model.model_validate(envelope.data)
    except ValidationError as exc:
        raise MalformedEvent(f"data does not match {envelope.type}: {_first_errors(exc)}") from exc
