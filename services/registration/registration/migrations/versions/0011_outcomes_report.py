"""outcomes report: the refusals registration counts (RegistrationRefused), and the read model built from
pairing's and scheduling's events (pairings, sessions held, surveys, final assessments), ADR 0011

Revision ID: 0011
Revises: 0010

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Refusals before this one were not kept: the report counts those from now on."""
    op.create_table(
        'registration_refusals',
        sa.Column('id', postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column('cohort_id', postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column('failed_rules', postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column('refused_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('entity', sa.Text(), nullable=False),
        sa.Column('grade_band', sa.Text(), nullable=False),
        sa.Column('gender', sa.Text(), nullable=False),
        sa.Column('duty_station', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_registration_refusals_cohort_id', 'registration_refusals', ['cohort_id'])
    op.create_table(
        'outcome_pairings',
        sa.Column('pairing_id', postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column('cohort_id', postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column('mentee_id', postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column('mentor_id', postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column('formed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('state', sa.Text(), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('early_end', sa.Text(), nullable=True),
        sa.CheckConstraint("state IN ('open', 'completed', 'ended_early')", name='outcome_pairings_state_known'),
        sa.CheckConstraint(
            "early_end IN ('mentee_ended', 'mentor_ended', 'mentee_withdrew', 'mentor_withdrew')",
            name='outcome_pairings_early_end_known',
        ),
        sa.CheckConstraint(
            "(state = 'ended_early') = (early_end IS NOT NULL)", name='outcome_pairings_early_end_when_ended_early'
        ),
        sa.PrimaryKeyConstraint('pairing_id'),
    )
    op.create_index('ix_outcome_pairings_cohort_id', 'outcome_pairings', ['cohort_id'])
    op.create_table(
        'outcome_sessions',
        sa.Column('session_id', postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column('pairing_id', postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column('completed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('session_id'),
    )
    op.create_index('ix_outcome_sessions_pairing_id', 'outcome_sessions', ['pairing_id'])
    op.create_table(
        'outcome_surveys',
        sa.Column('participant_id', postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column('survey', sa.Text(), nullable=False),
        sa.Column('cohort_id', postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column('confidence', sa.Integer(), nullable=False),
        sa.Column('satisfaction', sa.Integer(), nullable=True),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('participant_id', 'survey'),
    )
    op.create_index('ix_outcome_surveys_cohort_id', 'outcome_surveys', ['cohort_id'])
    op.create_table(
        'outcome_assessments',
        sa.Column('pairing_id', postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column('participant_id', postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column('cohort_id', postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column('items_rated', sa.Integer(), nullable=False),
        sa.Column('items_met', sa.Integer(), nullable=False),
        sa.Column('given_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('pairing_id', 'participant_id'),
    )
    op.create_index('ix_outcome_assessments_cohort_id', 'outcome_assessments', ['cohort_id'])


def downgrade() -> None:
    op.drop_index('ix_outcome_assessments_cohort_id', table_name='outcome_assessments')
    op.drop_table('outcome_assessments')
    op.drop_index('ix_outcome_surveys_cohort_id', table_name='outcome_surveys')
    op.drop_table('outcome_surveys')
    op.drop_index('ix_outcome_sessions_pairing_id', table_name='outcome_sessions')
    op.drop_table('outcome_sessions')
    op.drop_index('ix_outcome_pairings_cohort_id', table_name='outcome_pairings')
    op.drop_table('outcome_pairings')
    op.drop_index('ix_registration_refusals_cohort_id', table_name='registration_refusals')
    op.drop_table('registration_refusals')
