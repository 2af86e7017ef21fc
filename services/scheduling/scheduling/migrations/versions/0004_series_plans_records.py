"""series, plans, cancellations, completion sweep and the partners' records

Revision ID: 0004
Revises: 0003

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: Union[str, Sequence[str], None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema. Existing sessions get their end (start + duration) and sequence 0."""
    op.add_column("pairings", sa.Column("request_id", sa.UUID(), nullable=True))
    op.create_table(
        "programmes",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("session_plan", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "cohorts",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("programme_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "participants",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("person_id", sa.Text(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("time_zone", sa.Text(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_participants_person_id"), "participants", ["person_id"], unique=False)
    op.create_table(
        "request_engagements",
        sa.Column("request_id", sa.UUID(), nullable=False),
        sa.Column("engagement", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("request_id"),
    )
    op.create_table(
        "series",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("pairing_id", sa.UUID(), nullable=False),
        sa.Column("organiser_id", sa.UUID(), nullable=False),
        sa.Column("local_start", sa.DateTime(timezone=False), nullable=False),
        sa.Column("time_zone", sa.Text(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("frequency", sa.Text(), nullable=False),
        sa.Column("interval", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=True),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("rrule", sa.Text(), nullable=False),
        sa.Column("agenda_title", sa.Text(), nullable=False),
        sa.Column("calendar_sequence", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["pairing_id"], ["pairings.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_series_pairing_id"), "series", ["pairing_id"], unique=False)
    op.add_column("sessions", sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE sessions SET ends_at = starts_at + make_interval(mins => duration_minutes)")
    op.alter_column("sessions", "ends_at", nullable=False)
    op.create_index(op.f("ix_sessions_ends_at"), "sessions", ["ends_at"], unique=False)
    op.add_column("sessions", sa.Column("organiser_id", sa.UUID(), nullable=True))
    op.add_column("sessions", sa.Column("series_id", sa.UUID(), nullable=True))
    op.create_index(op.f("ix_sessions_series_id"), "sessions", ["series_id"], unique=False)
    op.create_foreign_key(None, "sessions", "series", ["series_id"], ["id"])
    op.add_column("sessions", sa.Column("recurrence_id", sa.DateTime(timezone=True), nullable=True))
    op.add_column("sessions", sa.Column("plan_step", sa.Integer(), nullable=True))
    op.add_column("sessions", sa.Column("agenda_title", sa.Text(), nullable=True))
    op.add_column("sessions", sa.Column("calendar_sequence", sa.Integer(), server_default="0", nullable=False))
    op.add_column("sessions", sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "feedback",
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("participant_id", sa.UUID(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"]),
        sa.PrimaryKeyConstraint("session_id", "participant_id"),
    )
    op.create_table(
        "notes",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("author_person_id", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_notes_session_id"), "notes", ["session_id"], unique=False)
    op.create_table(
        "agreements",
        sa.Column("pairing_id", sa.UUID(), nullable=False),
        sa.Column("skills_and_goals", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("development_plan", sa.Text(), nullable=False),
        sa.Column("schedule", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["pairing_id"], ["pairings.id"]),
        sa.PrimaryKeyConstraint("pairing_id"),
    )
    op.create_table(
        "assessments",
        sa.Column("pairing_id", sa.UUID(), nullable=False),
        sa.Column("ratings", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["pairing_id"], ["pairings.id"]),
        sa.PrimaryKeyConstraint("pairing_id"),
    )
    op.create_table(
        "surveys",
        sa.Column("pairing_id", sa.UUID(), nullable=False),
        sa.Column("author_person_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("programme_id", sa.UUID(), nullable=False),
        sa.Column("confidence", sa.Integer(), nullable=False),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["pairing_id"], ["pairings.id"]),
        sa.PrimaryKeyConstraint("pairing_id", "author_person_id", "kind"),
    )
    op.create_index(op.f("ix_surveys_programme_id"), "surveys", ["programme_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_surveys_programme_id"), table_name="surveys")
    op.drop_table("surveys")
    op.drop_table("assessments")
    op.drop_table("agreements")
    op.drop_index(op.f("ix_notes_session_id"), table_name="notes")
    op.drop_table("notes")
    op.drop_table("feedback")
    for column in ("cancelled_at", "calendar_sequence", "agenda_title", "plan_step", "recurrence_id"):
        op.drop_column("sessions", column)
    op.drop_index(op.f("ix_sessions_series_id"), table_name="sessions")
    op.drop_column("sessions", "series_id")
    op.drop_column("sessions", "organiser_id")
    op.drop_index(op.f("ix_sessions_ends_at"), table_name="sessions")
    op.drop_column("sessions", "ends_at")
    op.drop_index(op.f("ix_series_pairing_id"), table_name="series")
    op.drop_table("series")
    op.drop_table("request_engagements")
    op.drop_index(op.f("ix_participants_person_id"), table_name="participants")
    op.drop_table("participants")
    op.drop_table("cohorts")
    op.drop_table("programmes")
    op.drop_column("pairings", "request_id")
