"""completion failed: after its last attempt a completion that keeps failing is set aside with its reason, no longer claimed

Revision ID: 0008
Revises: 0007

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: Union[str, Sequence[str], None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("sessions", sa.Column("completion_failed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Downgrade schema. A session set aside is retried again, as the older code did."""
    op.drop_column("sessions", "completion_failed_at")
