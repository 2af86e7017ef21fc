"""What `together-events rebuild --service notifications` takes: notifications's consumers, the read model they
build from events alone (`tables.READ_MODEL`), its migrations and settings. Registered as an entry
point of the group `together.rebuild` in pyproject.toml."""

from __future__ import annotations

from functools import partial

from notifications import consumers, tables
from notifications.settings import NotificationsSettings
from together_operator.rebuild import RebuildSpec
from together_servicekit.db import migrate

SPEC = RebuildSpec(
    service="notifications",
    handlers=consumers.handlers,
    read_model=tables.READ_MODEL,
    migrate=partial(migrate, "notifications"),
    settings=NotificationsSettings,
    # A notification's id is random and recorded_at is the clock when it was handled.
    compared_columns={"notifications": ("recipient_id", "kind", "source_event_id")},
)
