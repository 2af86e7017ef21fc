"""Notifications' own table: one row per (source event, recipient, kind)."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID

from together_events.tables import define_backbone_tables

metadata = sa.MetaData()
define_backbone_tables(metadata)

notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("recipient_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("source_event_id", sa.Text, nullable=False),
    sa.Column("source_event_type", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    # A second guard besides the inbox: one message per person per event, ever.
    sa.UniqueConstraint("source_event_id", "recipient_id", "kind", name="notifications_once_per_event"),
)

# Who each participant is at the identity provider: a participant reads only their own messages.
participants = sa.Table(
    "participants",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("person_id", sa.Text, nullable=False),
)

# The tables built purely from events: `together-events rebuild` rebuilds and compares them
# (notifications on recipient, kind and source event only: their ids are random, recorded_at is the clock).
READ_MODEL = (participants, notifications)
