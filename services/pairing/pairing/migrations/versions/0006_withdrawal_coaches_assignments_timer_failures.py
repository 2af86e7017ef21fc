"""withdrawal, coaches, assignments, timer failures

Revision ID: 0006
Revises: 0005

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column('participants', sa.Column('coach_approved', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('participants', sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('selections', sa.Column('assignment_id', sa.UUID(), nullable=True))
    op.add_column('pairings', sa.Column('participant_withdrew', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('timers', sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
    op.add_column('timers', sa.Column('last_error', sa.Text(), nullable=True))
    op.add_column('timers', sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('timers', sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('timers_failed', 'timers', ['failed_at'], unique=False, postgresql_where=sa.text('failed_at IS NOT NULL'))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('timers_failed', table_name='timers', postgresql_where=sa.text('failed_at IS NOT NULL'))
    op.drop_column('timers', 'failed_at')
    op.drop_column('timers', 'next_attempt_at')
    op.drop_column('timers', 'last_error')
    op.drop_column('timers', 'attempts')
    op.drop_column('pairings', 'participant_withdrew')
    op.drop_column('selections', 'assignment_id')
    op.drop_column('participants', 'withdrawn_at')
    op.drop_column('participants', 'coach_approved')
