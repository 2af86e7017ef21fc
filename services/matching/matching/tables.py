"""Matching's own tables: a read model built from registration and pairing events, and its own records."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR, UUID

from together_events.tables import define_backbone_tables

metadata = sa.MetaData()
define_backbone_tables(metadata)

# --- read model: built from events alone -------------------------------------------------

programmes = sa.Table(
    "programmes",
    metadata,
    sa.Column("programme_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("suggestions_per_mentee", sa.Integer, nullable=False),
    sa.Column("rules", JSONB, nullable=True),  # ProgrammeRules; None before rules existed (the engine's defaults apply)
)

cohorts = sa.Table(
    "cohorts",
    metadata,
    sa.Column("cohort_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("programme_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("programme_kind", sa.Text, nullable=False),  # known even before the programme's own event arrives
    sa.Column("name", sa.Text, nullable=False),
)

# Skills, areas of expertise and bio (the JSON arrays' text is fine: the parser keeps only the words).
SEARCH_DOCUMENT = (
    "to_tsvector('simple'::regconfig, coalesce(profile ->> 'skills', '') || ' ' || "
    "coalesce(profile ->> 'expertise_areas', '') || ' ' || coalesce(profile ->> 'bio', ''))"
)

candidates = sa.Table(
    "candidates",
    metadata,
    sa.Column("participant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("person_id", sa.Text, nullable=False),  # who may ask for this participant's suggestions
    sa.Column("programme_id", UUID(as_uuid=True), nullable=False),  # whose team may too
    sa.Column("cohort_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("roles", ARRAY(sa.Text), nullable=False),
    sa.Column("capacity", sa.Integer, nullable=False, server_default="0"),  # mentor or coach capacity, else 0
    sa.Column("profile", JSONB, nullable=False),
    sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("coach_approved", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("waitlisted", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("withdrawn", sa.Boolean, nullable=False, server_default=sa.false()),
    # The searchable public answers as unstemmed words, kept by PostgreSQL itself whenever the profile changes.
    sa.Column("search_document", TSVECTOR, sa.Computed(SEARCH_DOCUMENT, persisted=True)),
    sa.Index("ix_candidates_search_document", "search_document", postgresql_using="gin"),
)

# One row per pairing a mentor was ever in; active while ended_at is null. Counted at query time rather
# than kept as a counter, so it is right whichever arrives first: the pairing or the mentor's registration.
mentor_pairings = sa.Table(
    "mentor_pairings",
    metadata,
    sa.Column("pairing_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("mentor_id", UUID(as_uuid=True), nullable=False, index=True),
    # Null only in rows from before migration 0003 (those pairings were active then).
    sa.Column("mentee_id", UUID(as_uuid=True), nullable=True, index=True),
    sa.Column("cohort_id", UUID(as_uuid=True), nullable=True, index=True),
    sa.Column("formed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
)

# A mentee's latest ranked choices (pairing's PreferencesSubmitted), used by cohort-wide assignment.
preferences = sa.Table(
    "preferences",
    metadata,
    sa.Column("mentee_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("cohort_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("selection_id", UUID(as_uuid=True), nullable=False),
    sa.Column("ranked_mentor_ids", ARRAY(UUID(as_uuid=True)), nullable=False),
    sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),  # the event's time: the latest wins
)

# --- matching's own records: written by its use cases, with the events that announce them --

# Every suggestion shown (one row per mentor per SuggestionsServed), for the fairness report: like the event,
# mentors and scores, no reasons.
served_suggestions = sa.Table(
    "served_suggestions",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("cohort_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("mentee_id", UUID(as_uuid=True), nullable=False),
    sa.Column("mentor_id", UUID(as_uuid=True), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),  # 1 = first shown
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("served_at", sa.DateTime(timezone=True), nullable=False),
)

# Cohort-wide assignment proposals and what became of them.
assignments = sa.Table(
    "assignments",
    metadata,
    sa.Column("assignment_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("cohort_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("programme_id", UUID(as_uuid=True), nullable=False),
    sa.Column("method", sa.Text, nullable=False),  # domain.proposal.Method
    sa.Column("status", sa.Text, nullable=False),  # domain.proposal.ProposalStatus
    sa.Column("pairs", JSONB, nullable=False),  # [{mentee_id, mentor_id, score, choice}]
    sa.Column("report", JSONB, nullable=False),
    sa.Column("proposed_by", sa.Text, nullable=False),
    sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("accepted_by", sa.Text, nullable=True),
    sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("method IN ('optimal', 'stable')", name="assignments_method"),
    sa.CheckConstraint("status IN ('proposed', 'accepted')", name="assignments_status"),
)

# A counter per cohort, bumped by every event that changes who may be suggested or how they score.
# The in-memory cohort index (`cohort_cache.py`) is rebuilt when it moves: one cheap read per request.
cohort_changes = sa.Table(
    "cohort_changes",
    metadata,
    sa.Column("cohort_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
)

# The tables built purely from events: `together-events rebuild` rebuilds and compares them.
READ_MODEL = (programmes, cohorts, candidates, mentor_pairings, preferences)
