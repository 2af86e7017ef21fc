"""Scheduling's own tables: the pairings it learnt of, and their sessions."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID

from together_events.tables import define_backbone_tables

metadata = sa.MetaData()
define_backbone_tables(metadata)

pairings = sa.Table(
    "pairings",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("mentee_id", UUID(as_uuid=True), nullable=False),
    sa.Column("mentor_id", UUID(as_uuid=True), nullable=False),
    sa.Column("cohort_id", UUID(as_uuid=True), nullable=False),
    sa.Column("programme_id", UUID(as_uuid=True), nullable=False),  # whose team sees session counts and dates
    sa.Column("mentee_person_id", sa.Text, nullable=False),  # the partners' identities: who may book
    sa.Column("mentor_person_id", sa.Text, nullable=False),
    sa.Column("ended_at", sa.DateTime(timezone=True)),  # from PairingEnded: no more bookings
    sa.Column("formed_at", sa.DateTime(timezone=True), nullable=False),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column(
        "pairing_id",
        UUID(as_uuid=True),
        sa.ForeignKey("pairings.id"),
        nullable=False,
        index=True,
    ),
    sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("time_zone", sa.Text, nullable=False),
    sa.Column("duration_minutes", sa.Integer, nullable=False),
    sa.Column("status", sa.Text, nullable=False),  # scheduled | completed
    sa.Column("completed_at", sa.DateTime(timezone=True)),
)

# The tables built purely from events: `together-events rebuild` rebuilds and compares them (sessions are booked through the API).
READ_MODEL = (pairings,)
