"""cohort end: cohorts.ended_at (CohortEnded), pairings.completed_because, requests may lapse

Revision ID: 0013
Revises: 0012

The values are written out, as in 0010: a migration stays as it was when later code changes.
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: Union[str, Sequence[str], None] = "0012"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

REQUEST_STATUSES = ["waiting", "pending", "accepted", "declined", "expired", "withdrawn", "cancelled"]


def _listed(values: list[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def upgrade() -> None:
    """Cohorts that ended before the upgrade are not known as ended until their CohortEnded is handled."""
    op.add_column("cohorts", sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("pairings", sa.Column("completed_because", sa.Text(), nullable=True))
    op.create_check_constraint("pairings_completed_because_known", "pairings", "completed_because IN ('programme_ended')")
    op.drop_constraint("requests_status_known", "requests", type_="check")
    op.create_check_constraint("requests_status_known", "requests", f"status IN ({_listed([*REQUEST_STATUSES, 'lapsed'])})")


def downgrade() -> None:
    op.drop_constraint("requests_status_known", "requests", type_="check")
    op.create_check_constraint("requests_status_known", "requests", f"status IN ({_listed(REQUEST_STATUSES)})")
    op.drop_constraint("pairings_completed_because_known", "pairings", type_="check")
    op.drop_column("pairings", "completed_because")
    op.drop_column("cohorts", "ended_at")
