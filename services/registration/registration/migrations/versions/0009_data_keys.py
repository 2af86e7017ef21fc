"""data keys: one random AES-256 key per participant, which seals their answers in events and is
deleted when the answers are erased (crypto-shredding, ADR 0008)

Revision ID: 0009
Revises: 0008

"""
import os
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Participants from before the keys get one each, unless their answers are erased already."""
    op.create_table(
        'data_keys',
        sa.Column('participant_id', postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column('key', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('octet_length(key) = 32', name='data_keys_256_bits'),
        sa.ForeignKeyConstraint(['participant_id'], ['participants.id']),
        sa.PrimaryKeyConstraint('participant_id'),
    )
    keys = sa.table(
        'data_keys',
        sa.column('participant_id', postgresql.UUID(as_uuid=True)),
        sa.column('key', sa.LargeBinary()),
        sa.column('created_at', sa.DateTime(timezone=True)),
    )
    connection = op.get_bind()
    ids = connection.execute(sa.text("SELECT id FROM participants WHERE NOT answers_erased")).scalars().all()
    if ids:
        now = connection.execute(sa.text("SELECT now()")).scalar_one()
        op.bulk_insert(keys, [{'participant_id': i, 'key': os.urandom(32), 'created_at': now} for i in ids])


def downgrade() -> None:
    op.drop_table('data_keys')
