"""completion retries

Revision ID: 0005
Revises: 0004

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = "0005"
down_revision: Union[str, Sequence[str], None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("sessions", sa.Column("completion_attempts", sa.Integer(), server_default="0", nullable=False))
    op.add_column("sessions", sa.Column("completion_retry_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("sessions", sa.Column("completion_error", sa.Text(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("sessions", "completion_error")
    op.drop_column("sessions", "completion_retry_at")
    op.drop_column("sessions", "completion_attempts")
