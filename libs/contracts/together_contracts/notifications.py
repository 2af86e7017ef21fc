"""Events published by the notifications service on topic `together.notifications`."""

from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime

from together_events.registry import Event, register


@register
class NotificationRecorded(Event):
    """A message for one person was recorded (delivery is a later step)."""

    service = "notifications"
    aggregate = "notification"
    notification_id: UUID
    recipient_id: UUID
    kind: str
    source_event_id: str
    recorded_at: AwareDatetime


@register
class TeamNotificationRecorded(Event):
    """A message for a programme's team was recorded (e.g. a pairing ended early); delivery is a later step.
    Sent to the team's mailbox (`ProgrammeRules.team_mailbox`), never to a participant."""

    service = "notifications"
    aggregate = "notification"
    notification_id: UUID
    programme_id: UUID
    kind: str
    source_event_id: str
    recorded_at: AwareDatetime
