"""rules where the request is made: the participants' answers the hard rules read, and the programmes' rules

Revision ID: 0012
Revises: 0011

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema. Existing participants get nulls (not known: not checked until their next profile event);
    programmes (from 0011) get their rules from their next ProgrammeCreated / ProgrammeRulesChanged read (see the
    README's runbook)."""
    op.add_column('programmes', sa.Column('rules', postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.add_column('participants', sa.Column('grade', sa.Text(), nullable=True))
    op.add_column('participants', sa.Column('years_of_service', sa.Integer(), nullable=True))
    op.add_column('participants', sa.Column('languages', postgresql.ARRAY(sa.Text()), nullable=True))
    op.add_column('participants', sa.Column('entity', sa.Text(), nullable=True))
    op.add_column('participants', sa.Column('job_network', sa.Text(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column('participants', 'job_network')
    op.drop_column('participants', 'entity')
    op.drop_column('participants', 'languages')
    op.drop_column('participants', 'years_of_service')
    op.drop_column('participants', 'grade')
    op.drop_column('programmes', 'rules')
