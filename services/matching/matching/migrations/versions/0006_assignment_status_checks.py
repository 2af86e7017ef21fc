"""assignments: CHECK constraints on method and status, exactly the values of the proposal's enums

Revision ID: 0006
Revises: 0005

"""

from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: Union[str, Sequence[str], None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# domain.proposal.Method and ProposalStatus; the code has never written other values.
METHODS = "('optimal', 'stable')"
STATUSES = "('proposed', 'accepted')"


def upgrade() -> None:
    """Upgrade schema."""
    op.create_check_constraint("assignments_method", "assignments", f"method IN {METHODS}")
    op.create_check_constraint("assignments_status", "assignments", f"status IN {STATUSES}")


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_constraint("assignments_status", "assignments", type_="check")
    op.drop_constraint("assignments_method", "assignments", type_="check")
