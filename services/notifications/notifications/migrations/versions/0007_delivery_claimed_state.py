"""deliveries: a `claimed` state (a worker prepares the mail, short lease) before `sending` (DATA began)

Revision ID: 0007
Revises: 0006

"""

from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: Union[str, Sequence[str], None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

STATES = "('pending', 'claimed', 'sending', 'sent', 'failed', 'skipped')"
OLD_STATES = "('pending', 'sending', 'sent', 'failed', 'skipped')"


def upgrade() -> None:
    """Upgrade schema. Rows already `sending` keep the long lease: their SMTP exchange may have begun."""
    op.drop_constraint("deliveries_state", "deliveries", type_="check")
    op.create_check_constraint("deliveries_state", "deliveries", f"state IN {STATES}")


def downgrade() -> None:
    """Downgrade schema. A claim becomes `sending`, as the older code called it."""
    op.execute("UPDATE deliveries SET state = 'sending' WHERE state = 'claimed'")
    op.drop_constraint("deliveries_state", "deliveries", type_="check")
    op.create_check_constraint("deliveries_state", "deliveries", f"state IN {OLD_STATES}")
