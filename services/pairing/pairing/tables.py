"""Pairing's own tables: its read model of participants, and the request lifecycle."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from together_events.tables import define_backbone_tables

metadata = sa.MetaData()
define_backbone_tables(metadata)

# Built from ParticipantRegistered; a mentor's row is locked while capacity is decided.
participants = sa.Table(
    "participants",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("person_id", sa.Text, nullable=False),  # the identity provider's subject: who acts as this participant
    sa.Column("programme_id", UUID(as_uuid=True), nullable=False),  # whose team may look on
    sa.Column("cohort_id", UUID(as_uuid=True), nullable=False),
    sa.Column("roles", ARRAY(sa.Text), nullable=False),
    sa.Column("capacity", sa.Integer, nullable=False, server_default="0"),
    sa.Column("active_pairings", sa.Integer, nullable=False, server_default="0"),
    sa.Column("time_zone", sa.Text, nullable=False),
)

selections = sa.Table(
    "selections",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("mentee_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("cohort_id", UUID(as_uuid=True), nullable=False),
    sa.Column("ranked_mentor_ids", ARRAY(UUID(as_uuid=True)), nullable=False),
    sa.Column("status", sa.Text, nullable=False),  # open | paired | exhausted
    sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
)

requests = sa.Table(
    "requests",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column(
        "selection_id",
        UUID(as_uuid=True),
        sa.ForeignKey("selections.id"),
        nullable=False,
    ),
    sa.Column("mentee_id", UUID(as_uuid=True), nullable=False),
    sa.Column("mentor_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("cohort_id", UUID(as_uuid=True), nullable=False),
    sa.Column("rank", sa.Integer, nullable=False),
    # waiting (queued behind the mentor's pending request) | pending | accepted | declined
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reached_mentor_at", sa.DateTime(timezone=True)),
    sa.Column("remind_at", sa.DateTime(timezone=True)),
    sa.Column("expires_at", sa.DateTime(timezone=True)),
    sa.Column("answered_at", sa.DateTime(timezone=True)),
    sa.UniqueConstraint("selection_id", "rank", name="requests_one_per_rank"),
    # The rule book's "a mentor sees ONE request at a time", enforced by the database too.
    sa.Index(
        "requests_one_pending_per_mentor",
        "mentor_id",
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    ),
)

pairings = sa.Table(
    "pairings",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column(
        "request_id",
        UUID(as_uuid=True),
        sa.ForeignKey("requests.id"),
        nullable=False,
        unique=True,
    ),
    sa.Column("mentee_id", UUID(as_uuid=True), nullable=False),
    sa.Column("mentor_id", UUID(as_uuid=True), nullable=False),
    sa.Column("cohort_id", UUID(as_uuid=True), nullable=False),
    sa.Column("status", sa.Text, nullable=False),  # active | ended
    sa.Column("formed_at", sa.DateTime(timezone=True), nullable=False),
)
