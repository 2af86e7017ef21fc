"""A message in its reader's feed: read or unread. No I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass
class FeedEntry:
    notification_id: UUID
    recipient_id: UUID
    read_at: datetime | None  # None while unread

    def mark_read(self, now: datetime) -> None:
        """Read again: no change, the first time stays."""
        if self.read_at is None:
            self.read_at = now

    def mark_unread(self) -> None:
        self.read_at = None
