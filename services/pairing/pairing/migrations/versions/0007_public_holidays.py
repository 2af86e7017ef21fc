"""public holidays

Revision ID: 0007
Revises: 0006

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('holidays',
    sa.Column('cohort_id', sa.UUID(), nullable=False),
    sa.Column('time_zone', sa.Text(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('cohort_id', 'time_zone', 'day')
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('holidays')
