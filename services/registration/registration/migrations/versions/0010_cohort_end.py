"""cohort end: ended_at, set with CohortEnded after the end of ends_on, and the cohort ender's attempts

Revision ID: 0010
Revises: 0009

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Cohorts whose end date passed before the upgrade end on the ender's first pass (CohortEnded then)."""
    op.add_column('cohorts', sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('cohorts', sa.Column('end_attempts', sa.Integer(), server_default='0', nullable=False))
    op.add_column('cohorts', sa.Column('end_error', sa.Text(), nullable=True))
    op.add_column('cohorts', sa.Column('end_retry_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('cohorts', sa.Column('end_failed_at', sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint('cohorts_ended_only_closed', 'cohorts', "ended_at IS NULL OR status = 'closed'")


def downgrade() -> None:
    op.drop_constraint('cohorts_ended_only_closed', 'cohorts', type_='check')
    op.drop_column('cohorts', 'end_failed_at')
    op.drop_column('cohorts', 'end_retry_at')
    op.drop_column('cohorts', 'end_error')
    op.drop_column('cohorts', 'end_attempts')
    op.drop_column('cohorts', 'ended_at')
