"""status checks: each status column holds one of the lifecycle's values

Revision ID: 0010
Revises: 0009

The values are the enums of `pairing/domain/model.py` (and `EndedBy` of the contract) at this revision,
written out: a migration stays as it was when later code changes.
"""

from typing import Sequence, Union

from alembic import op

revision: str = "0010"
down_revision: Union[str, Sequence[str], None] = "0009"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

CHECKS = [
    ("requests_status_known", "requests", "status", ["waiting", "pending", "accepted", "declined", "expired", "withdrawn", "cancelled"]),
    ("selections_status_known", "selections", "status", ["open", "paired", "exhausted", "ended", "closed"]),
    ("pairings_status_known", "pairings", "status", ["active", "ended"]),
    ("pairings_ended_by_known", "pairings", "ended_by", ["mentee", "mentor"]),
    ("timers_kind_known", "timers", "kind", ["reminder", "expiry"]),
    ("timers_outcome_known", "timers", "outcome", ["reminded", "expired", "moot"]),
]


def upgrade() -> None:
    for name, table, column, values in CHECKS:
        listed = ", ".join(f"'{value}'" for value in values)
        op.create_check_constraint(name, table, f"{column} IN ({listed})")


def downgrade() -> None:
    for name, table, _, _ in reversed(CHECKS):
        op.drop_constraint(name, table, type_="check")
