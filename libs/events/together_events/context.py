"""The causal context of the work in progress: which request or event caused it.

HTTP middleware and the consumer set it; the outbox reads it, so every event
written while handling a request or an event carries the right correlation and
causation ids without each use case passing them along.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

import structlog


@dataclass(frozen=True)
class Causation:
    correlation_id: str
    causation_id: str | None = None


_current: ContextVar[Causation | None] = ContextVar("together_causation", default=None)


def current_causation() -> Causation:
    """The active causal context, or a fresh correlation when none is set."""
    return _current.get() or Causation(correlation_id=str(uuid.uuid4()))


@contextlib.contextmanager
def caused_by(correlation_id: str, causation_id: str | None = None) -> Iterator[Causation]:
    """Run a block on behalf of a request (causation None) or an event (its id)."""
    causation = Causation(correlation_id=correlation_id, causation_id=causation_id)
    token = _current.set(causation)
    with structlog.contextvars.bound_contextvars(correlation_id=correlation_id):
        try:
            yield causation
        finally:
            _current.reset(token)
