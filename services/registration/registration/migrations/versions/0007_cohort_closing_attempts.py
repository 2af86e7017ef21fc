"""cohort closing attempts: a closure that fails is retried later with back-off, then set aside as failed with its reason

Revision ID: 0007
Revises: 0006

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column('cohorts', sa.Column('close_attempts', sa.Integer(), server_default='0', nullable=False))
    op.add_column('cohorts', sa.Column('close_error', sa.Text(), nullable=True))
    op.add_column('cohorts', sa.Column('close_retry_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('cohorts', sa.Column('close_failed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column('cohorts', 'close_failed_at')
    op.drop_column('cohorts', 'close_retry_at')
    op.drop_column('cohorts', 'close_error')
    op.drop_column('cohorts', 'close_attempts')
