"""waitlist order: when a participant joined the waitlist

Revision ID: 0004
Revises: 0003

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema. Rows already waiting keep their registration order."""
    op.add_column('participants', sa.Column('waitlisted_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE participants SET waitlisted_at = registered_at WHERE waitlisted")


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column('participants', 'waitlisted_at')
