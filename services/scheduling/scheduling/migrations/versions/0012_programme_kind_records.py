"""programme kind records: reverse mentoring's ground rules and REAL goals, on-the-job learning's records

Revision ID: 0012
Revises: 0011

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0012"
down_revision: Union[str, Sequence[str], None] = "0011"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema. New tables only: pairings from before have no records yet (a reverse-mentoring pair
    with no session booked agrees its ground rules and sets its goals before its first)."""
    op.create_table(
        "reverse_mentoring_records",
        sa.Column("pairing_id", sa.UUID(), nullable=False),
        sa.Column("ground_rules", sa.Text(), nullable=True),
        sa.Column("ground_rules_version", sa.Integer(), nullable=False),
        sa.Column("proposed_by", sa.UUID(), nullable=True),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mentee_agreed_version", sa.Integer(), nullable=True),
        sa.Column("mentor_agreed_version", sa.Integer(), nullable=True),
        sa.Column("agreed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mentee_goals", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("mentee_goals_set_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mentor_goals", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("mentor_goals_set_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["pairing_id"], ["pairings.id"]),
        sa.PrimaryKeyConstraint("pairing_id"),
    )
    op.create_table(
        "learning_records",
        sa.Column("pairing_id", sa.UUID(), nullable=False),
        sa.Column("micro_needs", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("smart_goals", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("plan", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("assessment", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("updated_by", sa.UUID(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["pairing_id"], ["pairings.id"]),
        sa.PrimaryKeyConstraint("pairing_id"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("learning_records")
    op.drop_table("reverse_mentoring_records")
