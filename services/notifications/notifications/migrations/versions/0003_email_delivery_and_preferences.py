"""e-mail delivery, preferences, read state, participants' programme, name and time zone

Revision ID: 0003
Revises: 0002

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("notifications", sa.Column("params", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False))
    op.add_column("notifications", sa.Column("language", sa.Text(), server_default="en", nullable=False))
    op.add_column("notifications", sa.Column("read_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("participants", sa.Column("programme_id", sa.UUID(), nullable=True))
    op.add_column("participants", sa.Column("display_name", sa.Text(), nullable=True))
    op.add_column("participants", sa.Column("time_zone", sa.Text(), nullable=True))
    op.create_table(
        "preferences",
        sa.Column("participant_id", sa.UUID(), nullable=False),
        sa.Column("language", sa.Text(), nullable=True),
        sa.Column("email_off", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("participant_id"),
    )
    op.create_table(
        "deliveries",
        sa.Column("notification_id", sa.UUID(), nullable=False),
        sa.Column("recipient_id", sa.UUID(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("ambiguous_attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("state IN ('pending', 'sending', 'sent', 'failed', 'skipped')", name="deliveries_state"),
        sa.ForeignKeyConstraint(["notification_id"], ["notifications.id"]),
        sa.PrimaryKeyConstraint("notification_id"),
    )
    op.create_index("ix_deliveries_due", "deliveries", ["state", "next_attempt_at"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_deliveries_due", table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_table("preferences")
    op.drop_column("participants", "time_zone")
    op.drop_column("participants", "display_name")
    op.drop_column("participants", "programme_id")
    op.drop_column("notifications", "read_at")
    op.drop_column("notifications", "language")
    op.drop_column("notifications", "params")
