"""statuses: a cohort's and a participant's status columns, and CHECK constraints on every status

Revision ID: 0006
Revises: 0005

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema. Statuses are read from the columns that held them (closed_at, waitlisted, withdrawn_at)."""
    op.add_column('cohorts', sa.Column('status', sa.Text(), nullable=True))
    op.execute("UPDATE cohorts SET status = CASE WHEN closed_at IS NULL THEN 'open' ELSE 'closed' END")
    op.alter_column('cohorts', 'status', nullable=False)
    op.create_check_constraint('cohorts_status_known', 'cohorts', "status IN ('open', 'closed')")
    op.create_check_constraint('cohorts_closed_when_closed_at', 'cohorts', "(status = 'closed') = (closed_at IS NOT NULL)")

    op.add_column('participants', sa.Column('status', sa.Text(), nullable=True))
    op.execute(
        "UPDATE participants SET status = CASE WHEN withdrawn_at IS NOT NULL THEN 'withdrawn' "
        "WHEN waitlisted THEN 'waitlisted' ELSE 'active' END"
    )
    op.execute(
        "UPDATE participants SET waitlisted_at = CASE WHEN status = 'waitlisted' "
        "THEN coalesce(waitlisted_at, registered_at) END"
    )
    op.alter_column('participants', 'status', nullable=False)
    op.drop_column('participants', 'waitlisted')
    op.create_check_constraint(
        'participants_status_known', 'participants', "status IN ('active', 'waitlisted', 'withdrawn')"
    )
    op.create_check_constraint(
        'participants_withdrawn_by_known', 'participants', "withdrawn_by IN ('participant', 'programme_team')"
    )
    op.create_check_constraint(
        'participants_waitlisted_since', 'participants', "(status = 'waitlisted') = (waitlisted_at IS NOT NULL)"
    )
    op.create_check_constraint(
        'participants_withdrawn_since', 'participants', "(status = 'withdrawn') = (withdrawn_at IS NOT NULL)"
    )

    op.create_check_constraint(
        'coach_credentials_status_known', 'coach_credentials', "status IN ('pending', 'approved', 'rejected')"
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_constraint('coach_credentials_status_known', 'coach_credentials', type_='check')
    for name in ('participants_withdrawn_since', 'participants_waitlisted_since', 'participants_withdrawn_by_known',
                 'participants_status_known'):
        op.drop_constraint(name, 'participants', type_='check')
    op.add_column('participants', sa.Column('waitlisted', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute("UPDATE participants SET waitlisted = (status = 'waitlisted')")
    op.drop_column('participants', 'status')
    op.drop_constraint('cohorts_closed_when_closed_at', 'cohorts', type_='check')
    op.drop_constraint('cohorts_status_known', 'cohorts', type_='check')
    op.drop_column('cohorts', 'status')
