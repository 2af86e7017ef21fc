"""search document: the searchable public answers as a stored tsvector with a GIN index

Revision ID: 0004
Revises: 0003

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# As `matching.tables.SEARCH_DOCUMENT` at this revision (a migration keeps its own copy).
SEARCH_DOCUMENT = (
    "to_tsvector('simple'::regconfig, coalesce(profile ->> 'skills', '') || ' ' || "
    "coalesce(profile ->> 'expertise_areas', '') || ' ' || coalesce(profile ->> 'bio', ''))"
)
revision: str = "0004"
down_revision: Union[str, Sequence[str], None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # A generated column: PostgreSQL fills it for existing rows and keeps it current on every write.
    op.add_column("candidates", sa.Column("search_document", postgresql.TSVECTOR(), sa.Computed(SEARCH_DOCUMENT, persisted=True)))
    op.create_index("ix_candidates_search_document", "candidates", ["search_document"], postgresql_using="gin")


def downgrade() -> None:
    op.drop_index("ix_candidates_search_document", table_name="candidates")
    op.drop_column("candidates", "search_document")
