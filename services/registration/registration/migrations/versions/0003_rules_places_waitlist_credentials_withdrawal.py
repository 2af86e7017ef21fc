"""programme rules, cohort places and closing, questionnaire answers, waitlist, coach credentials, withdrawal

Revision ID: 0003
Revises: 0002

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema. Existing programmes keep NULL rules: their kind's defaults apply."""
    op.add_column('programmes', sa.Column('rules', postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.add_column('programmes', sa.Column('rules_changed_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('cohorts', sa.Column('places', sa.Integer(), nullable=True))
    op.add_column('cohorts', sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('participants', sa.Column('index_number', sa.Text(), nullable=True))
    op.add_column('participants', sa.Column('appointment_type', sa.Text(), nullable=True))
    op.add_column('participants', sa.Column('preferred_language', sa.Text(), server_default='en', nullable=False))
    op.add_column('participants', sa.Column('coach_capacity', sa.Integer(), nullable=True))
    op.add_column('participants', sa.Column('coach_approved', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('participants', sa.Column('waitlisted', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('participants', sa.Column('admitted_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('participants', sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('participants', sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('participants', sa.Column('withdrawn_by', sa.Text(), nullable=True))
    op.add_column('participants', sa.Column('answers_erased', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        'coach_credentials',
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('participant_id', sa.UUID(), nullable=False),
        sa.Column('kind', sa.Text(), nullable=False),
        sa.Column('reference', sa.Text(), nullable=True),
        sa.Column('file_name', sa.Text(), nullable=True),
        sa.Column('content_type', sa.Text(), nullable=True),
        sa.Column('content', sa.LargeBinary(), nullable=True),
        sa.Column('size_bytes', sa.Integer(), nullable=True),
        sa.Column('confidentiality_accepted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.Text(), nullable=False),
        sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_by', sa.Text(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['participant_id'], ['participants.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_coach_credentials_participant_id'), 'coach_credentials', ['participant_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f('ix_coach_credentials_participant_id'), table_name='coach_credentials')
    op.drop_table('coach_credentials')
    for column in ('answers_erased', 'withdrawn_by', 'withdrawn_at', 'updated_at', 'admitted_at', 'waitlisted',
                   'coach_approved', 'coach_capacity', 'preferred_language', 'appointment_type', 'index_number'):
        op.drop_column('participants', column)
    op.drop_column('cohorts', 'closed_at')
    op.drop_column('cohorts', 'places')
    op.drop_column('programmes', 'rules_changed_at')
    op.drop_column('programmes', 'rules')
