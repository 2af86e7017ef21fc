"""sessions and series: CHECK constraints on status and frequency, exactly the values of the domain's enums

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

# domain.sessions.SessionStatus, domain.series.SeriesStatus and domain.times.Frequency; the code has never written other values.
SESSION_STATUSES = "('scheduled', 'completed', 'cancelled')"
SERIES_STATUSES = "('scheduled', 'cancelled', 'ended')"
FREQUENCIES = "('weekly', 'monthly')"


def upgrade() -> None:
    """Upgrade schema."""
    op.create_check_constraint("sessions_status", "sessions", f"status IN {SESSION_STATUSES}")
    op.create_check_constraint("series_status", "series", f"status IN {SERIES_STATUSES}")
    op.create_check_constraint("series_frequency", "series", f"frequency IN {FREQUENCIES}")


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_constraint("series_frequency", "series", type_="check")
    op.drop_constraint("series_status", "series", type_="check")
    op.drop_constraint("sessions_status", "sessions", type_="check")
