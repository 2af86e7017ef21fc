"""parked records: the consumer's last resort for a record it can neither use nor dead-letter

Revision ID: 0006
Revises: 0005

"""

from typing import Sequence, Union

from together_events.tables import create_parked_records_table, drop_parked_records_table

revision: str = "0006"
down_revision: Union[str, Sequence[str], None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    create_parked_records_table()


def downgrade() -> None:
    drop_parked_records_table()
