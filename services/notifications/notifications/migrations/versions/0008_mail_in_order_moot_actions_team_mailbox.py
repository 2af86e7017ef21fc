"""mail in the order of the facts, moot actions, the programme team's mailbox

notifications: `occurred_at` (the source event's time: a person's mails go in this order) and
`action_key` (what the message asks for); `settled_actions` (what facts settled); deliveries: an
index of each recipient's unfinished mail; programmes: `team_mailbox`.

Revision ID: 0008
Revises: 0007

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: Union[str, Sequence[str], None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema. Messages recorded before keep their order: their fact's time is taken as when they were recorded."""
    op.add_column("notifications", sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE notifications SET occurred_at = recorded_at")
    op.alter_column("notifications", "occurred_at", nullable=False)
    op.add_column("notifications", sa.Column("action_key", sa.Text(), nullable=True))
    op.create_index(
        "ix_notifications_action_key",
        "notifications",
        ["action_key"],
        postgresql_where=sa.text("action_key IS NOT NULL"),
    )
    op.create_index(
        "ix_deliveries_unfinished_by_recipient",
        "deliveries",
        ["recipient_id"],
        postgresql_where=sa.text("state IN ('pending', 'claimed', 'sending')"),
    )
    op.create_table(
        "settled_actions",
        sa.Column("action_key", sa.Text(), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("action_key"),
    )
    op.add_column("programmes", sa.Column("team_mailbox", sa.Text(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("programmes", "team_mailbox")
    op.drop_table("settled_actions")
    op.drop_index("ix_deliveries_unfinished_by_recipient", table_name="deliveries")
    op.drop_index("ix_notifications_action_key", table_name="notifications")
    op.drop_column("notifications", "action_key")
    op.drop_column("notifications", "occurred_at")
