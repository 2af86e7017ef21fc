"""Events published by the scheduling service on topic `together.scheduling`.

Times and participants only: session notes never travel in an event.
"""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from pydantic import AwareDatetime, Field

from together_events.registry import Event, register


class CompletedBy(StrEnum):
    marked_done = "marked_done"
    end_time_passed = "end_time_passed"


class _SchedulingEvent(Event):
    service = "scheduling"
    aggregate = "session"


@register
class SessionScheduled(_SchedulingEvent):
    """A partner booked a session of the pairing."""

    session_id: UUID
    pairing_id: UUID
    participant_ids: list[UUID] = Field(min_length=2, max_length=2)
    starts_at: AwareDatetime
    time_zone: str
    duration_minutes: int = Field(gt=0)


@register
class SessionCompleted(_SchedulingEvent):
    """A session took place (marked done by a partner, or its end time passed)."""

    session_id: UUID
    pairing_id: UUID
    participant_ids: list[UUID] = Field(min_length=2, max_length=2)
    completed_at: AwareDatetime
    completed_by: CompletedBy
