"""proposals and nominations: offers awaiting their receiver's answer, and their durable timers

Revision ID: 0014
Revises: 0013

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0014'
down_revision: Union[str, Sequence[str], None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema. New tables only: no existing row changes."""
    op.create_table('offers',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('cohort_id', sa.UUID(), nullable=False),
    sa.Column('mentee_id', sa.UUID(), nullable=False),
    sa.Column('mentor_id', sa.UUID(), nullable=False),
    sa.Column('made_by', sa.Text(), nullable=False),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('remind_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('pairing_id', sa.UUID(), nullable=True),
    sa.CheckConstraint("kind IN ('proposal', 'nomination')", name='offers_kind_known'),
    sa.CheckConstraint("status IN ('pending', 'accepted', 'declined', 'expired', 'withdrawn')", name='offers_status_known'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_offers_mentee_id'), 'offers', ['mentee_id'], unique=False)
    op.create_index(op.f('ix_offers_mentor_id'), 'offers', ['mentor_id'], unique=False)
    op.create_index('offers_one_pending_per_mentee', 'offers', ['mentee_id'], unique=True, postgresql_where=sa.text("status = 'pending'"))
    op.create_table('offer_timers',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('offer_id', sa.UUID(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('fired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('reminder', 'expiry')", name='offer_timers_kind_known'),
    sa.CheckConstraint("outcome IN ('reminded', 'expired', 'moot')", name='offer_timers_outcome_known'),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('offer_id', 'kind', name='offer_timers_one_per_kind')
    )
    op.create_index(op.f('ix_offer_timers_offer_id'), 'offer_timers', ['offer_id'], unique=False)
    op.create_index('offer_timers_due', 'offer_timers', ['due_at'], unique=False, postgresql_where=sa.text('fired_at IS NULL'))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('offer_timers_due', table_name='offer_timers', postgresql_where=sa.text('fired_at IS NULL'))
    op.drop_index(op.f('ix_offer_timers_offer_id'), table_name='offer_timers')
    op.drop_table('offer_timers')
    op.drop_index('offers_one_pending_per_mentee', table_name='offers', postgresql_where=sa.text("status = 'pending'"))
    op.drop_index(op.f('ix_offers_mentor_id'), table_name='offers')
    op.drop_index(op.f('ix_offers_mentee_id'), table_name='offers')
    op.drop_table('offers')
