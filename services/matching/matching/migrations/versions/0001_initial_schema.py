"""initial schema

Revision ID: 0001
Revises:

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from together_events.tables import create_backbone_tables, drop_backbone_tables

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    create_backbone_tables()
    op.create_table(
        "candidates",
        sa.Column("participant_id", sa.UUID(), nullable=False),
        sa.Column("cohort_id", sa.UUID(), nullable=False),
        sa.Column("roles", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("capacity", sa.Integer(), server_default="0", nullable=False),
        sa.Column("profile", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("participant_id"),
    )
    op.create_index(
        op.f("ix_candidates_cohort_id"), "candidates", ["cohort_id"], unique=False
    )
    op.create_table(
        "mentor_pairings",
        sa.Column("pairing_id", sa.UUID(), nullable=False),
        sa.Column("mentor_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("pairing_id"),
    )
    op.create_index(op.f("ix_mentor_pairings_mentor_id"), "mentor_pairings", ["mentor_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_mentor_pairings_mentor_id"), table_name="mentor_pairings")
    op.drop_table("mentor_pairings")
    op.drop_index(op.f("ix_candidates_cohort_id"), table_name="candidates")
    op.drop_table("candidates")
    drop_backbone_tables()
