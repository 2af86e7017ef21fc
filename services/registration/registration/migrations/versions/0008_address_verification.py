"""address verification: a registration is verified by a one-time link before others see it; one
registration per address and cohort among verified registrations only

Revision ID: 0008
Revises: 0007

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Registrations from before verification existed count as verified (at their registration)."""
    op.add_column('participants', sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE participants SET verified_at = registered_at")
    op.drop_constraint('participants_status_known', 'participants', type_='check')
    op.create_check_constraint(
        'participants_status_known', 'participants', "status IN ('unverified', 'active', 'waitlisted', 'withdrawn')"
    )
    op.create_check_constraint(
        'participants_verified_unless_unverified', 'participants',
        "status = 'withdrawn' OR (status = 'unverified') = (verified_at IS NULL)",
    )
    op.drop_constraint('participants_one_registration_per_cohort', 'participants', type_='unique')
    op.create_index(
        'participants_one_registration_per_address', 'participants', ['cohort_id', 'email'], unique=True,
        postgresql_where=sa.text('verified_at IS NOT NULL'),
    )
    op.create_table(
        'address_verifications',
        sa.Column('id', postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column('participant_id', postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column('email', sa.Text(), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.Text(), nullable=False),
        sa.Column('token_hash', sa.Text(), nullable=True),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'verified', 'cancelled')", name='address_verifications_status_known'
        ),
        sa.CheckConstraint(
            "(status = 'verified') = (verified_at IS NOT NULL)", name='address_verifications_verified_since'
        ),
        sa.ForeignKeyConstraint(['participant_id'], ['participants.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_index(
        op.f('ix_address_verifications_participant_id'), 'address_verifications', ['participant_id'], unique=False
    )
    op.create_index(
        'address_verifications_one_pending_per_participant', 'address_verifications', ['participant_id'], unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    """Unverified registrations are dropped: before this revision every row was a registration others saw."""
    op.drop_index('address_verifications_one_pending_per_participant', table_name='address_verifications')
    op.drop_index(op.f('ix_address_verifications_participant_id'), table_name='address_verifications')
    op.drop_table('address_verifications')
    op.execute(
        "DELETE FROM coach_credentials WHERE participant_id IN (SELECT id FROM participants WHERE verified_at IS NULL)"
    )
    op.execute("DELETE FROM participants WHERE verified_at IS NULL")
    op.drop_index('participants_one_registration_per_address', table_name='participants')
    op.create_unique_constraint('participants_one_registration_per_cohort', 'participants', ['cohort_id', 'email'])
    op.drop_constraint('participants_verified_unless_unverified', 'participants', type_='check')
    op.drop_constraint('participants_status_known', 'participants', type_='check')
    op.create_check_constraint(
        'participants_status_known', 'participants', "status IN ('active', 'waitlisted', 'withdrawn')"
    )
    op.drop_column('participants', 'verified_at')
