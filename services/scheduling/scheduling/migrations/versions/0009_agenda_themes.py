"""agenda themes: each session keeps its agenda item's content, what it covers, beside its title

Revision ID: 0009
Revises: 0008

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: Union[str, Sequence[str], None] = "0008"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema. Sessions booked before keep their title and have no themes."""
    op.add_column(
        "sessions",
        sa.Column("agenda_themes", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("sessions", "agenda_themes")
