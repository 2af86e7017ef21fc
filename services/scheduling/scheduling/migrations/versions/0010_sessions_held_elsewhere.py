"""sessions held elsewhere: a session the pair held outside the platform, recorded afterwards, completed at once

Revision ID: 0010
Revises: 0009

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = "0010"
down_revision: Union[str, Sequence[str], None] = "0009"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema. Every session before was booked here."""
    op.add_column("sessions", sa.Column("held_elsewhere", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    """Downgrade schema. Recorded sessions stay, as completed sessions that look booked."""
    op.drop_column("sessions", "held_elsewhere")
