"""Matching's own read model, built from registration and pairing events."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from together_events.tables import define_backbone_tables

metadata = sa.MetaData()
define_backbone_tables(metadata)

candidates = sa.Table(
    "candidates",
    metadata,
    sa.Column("participant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("person_id", sa.Text, nullable=False),  # who may ask for this participant's suggestions
    sa.Column("programme_id", UUID(as_uuid=True), nullable=False),  # whose team may too
    sa.Column("cohort_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("roles", ARRAY(sa.Text), nullable=False),
    sa.Column("capacity", sa.Integer, nullable=False, server_default="0"),
    sa.Column("profile", JSONB, nullable=False),
    sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
)

# One row per pairing a mentor is in. Counted at query time rather than kept as a counter,
# so it is right whichever arrives first: the pairing or the mentor's registration.
mentor_pairings = sa.Table(
    "mentor_pairings",
    metadata,
    sa.Column("pairing_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("mentor_id", UUID(as_uuid=True), nullable=False, index=True),
)

# The tables built purely from events: `together-events rebuild` rebuilds and compares them.
READ_MODEL = (candidates, mentor_pairings)
