"""read model of programmes, cohorts, participation states, pairings and preferences; served suggestions; assignments

Revision ID: 0003
Revises: 0002

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "programmes",
        sa.Column("programme_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("suggestions_per_mentee", sa.Integer(), nullable=False),
        sa.Column("rules", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.PrimaryKeyConstraint("programme_id"),
    )
    op.create_table(
        "cohorts",
        sa.Column("cohort_id", sa.UUID(), nullable=False),
        sa.Column("programme_id", sa.UUID(), nullable=False),
        sa.Column("programme_kind", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("cohort_id"),
    )
    op.create_index(op.f("ix_cohorts_programme_id"), "cohorts", ["programme_id"], unique=False)

    # Participants registered before this revision: no coach was approved, none waits or has left.
    op.add_column("candidates", sa.Column("coach_approved", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("candidates", sa.Column("waitlisted", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("candidates", sa.Column("withdrawn", sa.Boolean(), server_default=sa.false(), nullable=False))

    # Pairings are kept after they end (the fairness report counts acceptances); rows from before were active.
    op.add_column("mentor_pairings", sa.Column("mentee_id", sa.UUID(), nullable=True))
    op.add_column("mentor_pairings", sa.Column("cohort_id", sa.UUID(), nullable=True))
    op.add_column("mentor_pairings", sa.Column("formed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("mentor_pairings", sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f("ix_mentor_pairings_mentee_id"), "mentor_pairings", ["mentee_id"], unique=False)
    op.create_index(op.f("ix_mentor_pairings_cohort_id"), "mentor_pairings", ["cohort_id"], unique=False)

    op.create_table(
        "preferences",
        sa.Column("mentee_id", sa.UUID(), nullable=False),
        sa.Column("cohort_id", sa.UUID(), nullable=False),
        sa.Column("selection_id", sa.UUID(), nullable=False),
        sa.Column("ranked_mentor_ids", postgresql.ARRAY(sa.UUID()), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("mentee_id"),
    )
    op.create_index(op.f("ix_preferences_cohort_id"), "preferences", ["cohort_id"], unique=False)

    op.create_table(
        "served_suggestions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("cohort_id", sa.UUID(), nullable=False),
        sa.Column("mentee_id", sa.UUID(), nullable=False),
        sa.Column("mentor_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("served_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_served_suggestions_cohort_id"), "served_suggestions", ["cohort_id"], unique=False)

    op.create_table(
        "assignments",
        sa.Column("assignment_id", sa.UUID(), nullable=False),
        sa.Column("cohort_id", sa.UUID(), nullable=False),
        sa.Column("programme_id", sa.UUID(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("pairs", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("report", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("proposed_by", sa.Text(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_by", sa.Text(), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("assignment_id"),
    )
    op.create_index(op.f("ix_assignments_cohort_id"), "assignments", ["cohort_id"], unique=False)

    op.create_table(
        "cohort_changes",
        sa.Column("cohort_id", sa.UUID(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("cohort_id"),
    )


def downgrade() -> None:
    op.drop_table("cohort_changes")
    op.drop_index(op.f("ix_assignments_cohort_id"), table_name="assignments")
    op.drop_table("assignments")
    op.drop_index(op.f("ix_served_suggestions_cohort_id"), table_name="served_suggestions")
    op.drop_table("served_suggestions")
    op.drop_index(op.f("ix_preferences_cohort_id"), table_name="preferences")
    op.drop_table("preferences")
    op.drop_index(op.f("ix_mentor_pairings_cohort_id"), table_name="mentor_pairings")
    op.drop_index(op.f("ix_mentor_pairings_mentee_id"), table_name="mentor_pairings")
    for column in ("ended_at", "formed_at", "cohort_id", "mentee_id"):
        op.drop_column("mentor_pairings", column)
    for column in ("withdrawn", "waitlisted", "coach_approved"):
        op.drop_column("candidates", column)
    op.drop_index(op.f("ix_cohorts_programme_id"), table_name="cohorts")
    op.drop_table("cohorts")
    op.drop_table("programmes")
