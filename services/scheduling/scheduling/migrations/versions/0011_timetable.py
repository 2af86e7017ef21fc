"""timetable: a cohort's timetable entries (a career week), and where each participant registered

Revision ID: 0011
Revises: 0010

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: Union[str, Sequence[str], None] = "0010"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# together_contracts.scheduling.TimetableEntryKind and TimetableLanguage, domain.timetable.EntryStatus.
KINDS = "('presentation', 'discussion', 'clinic')"
LANGUAGES = "('English', 'French', 'Spanish')"
STATUSES = "('published', 'cancelled')"
NIL = "00000000-0000-0000-0000-000000000000"  # the programme of pairings from before 0002: not a real one


def upgrade() -> None:
    """Upgrade schema.

    A participant's cohort and programme come with their registration events from now on. Rows from
    before are filled from their pairings where they have one (the partners of a pairing registered in
    its cohort); the others stay empty, so those participants read no timetable until registration
    publishes a change of theirs (README, runbook)."""
    op.add_column("participants", sa.Column("cohort_id", sa.UUID(), nullable=True))
    op.add_column("participants", sa.Column("programme_id", sa.UUID(), nullable=True))
    op.create_index(op.f("ix_participants_programme_id"), "participants", ["programme_id"], unique=False)
    op.execute(
        f"""
        UPDATE participants SET cohort_id = partners.cohort_id, programme_id = partners.programme_id
        FROM (
            SELECT mentee_id AS id, cohort_id, programme_id FROM pairings WHERE programme_id <> '{NIL}'
            UNION SELECT mentor_id, cohort_id, programme_id FROM pairings WHERE programme_id <> '{NIL}'
        ) AS partners
        WHERE participants.id = partners.id
        """
    )
    op.create_table(
        "timetable_entries",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("cohort_id", sa.UUID(), nullable=False),
        sa.Column("programme_id", sa.UUID(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("language", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("time_zone", sa.Text(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("calendar_sequence", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(f"kind IN {KINDS}", name="timetable_entries_kind"),
        sa.CheckConstraint(f"language IN {LANGUAGES}", name="timetable_entries_language"),
        sa.CheckConstraint(f"status IN {STATUSES}", name="timetable_entries_status"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_timetable_entries_cohort_id"), "timetable_entries", ["cohort_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_timetable_entries_cohort_id"), table_name="timetable_entries")
    op.drop_table("timetable_entries")
    op.drop_index(op.f("ix_participants_programme_id"), table_name="participants")
    op.drop_column("participants", "programme_id")
    op.drop_column("participants", "cohort_id")
