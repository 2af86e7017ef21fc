"""outcome asks: surveys per participant, what each participant is asked with its reminder, and the
days off its reminder skips (the participant's duty station, the programme's official-holidays choice,
the team's days per cohort and station)

Revision ID: 0013
Revises: 0012

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0013"
down_revision: Union[str, Sequence[str], None] = "0012"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# together_contracts.scheduling.SurveyKind and OutcomeKind.
SURVEY_KINDS = "('pre', 'post')"
OUTCOME_KINDS = "('pre_survey', 'post_survey', 'final_assessment')"


def upgrade() -> None:
    """Upgrade schema.

    A survey was kept per pairing and author; it is now per participant (the pre survey is asked at
    registration, before any pairing). Each answer moves to the partner who gave it (the author's
    participant id in that pairing), with the pairing's cohort; where one participant answered the
    same kind in two pairings, the later answer is kept, as the last answer counts. Nothing was asked
    before this migration: `outcome_asks` starts empty (README, runbook).

    The participants' duty stations, the programmes' official-holidays choice and the team's days come
    with their events from now on: rows from before have none (weekends only) until the next event of
    theirs, or a rebuild of the read model (README, runbook)."""
    op.add_column("participants", sa.Column("duty_station", sa.Text(), nullable=True))
    op.add_column(
        "programmes", sa.Column("official_holidays", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.create_table(
        "station_holidays",
        sa.Column("cohort_id", sa.UUID(), nullable=False),
        sa.Column("duty_station", sa.Text(), nullable=False),
        sa.Column("days_added", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("days_removed", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("cohort_id", "duty_station"),
    )
    op.create_table(
        "participant_surveys",
        sa.Column("participant_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("cohort_id", sa.UUID(), nullable=False),
        sa.Column("programme_id", sa.UUID(), nullable=False),
        sa.Column("confidence", sa.Integer(), nullable=False),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"kind IN {SURVEY_KINDS}", name="participant_surveys_kind"),
        sa.PrimaryKeyConstraint("participant_id", "kind"),
    )
    op.create_index(op.f("ix_participant_surveys_programme_id"), "participant_surveys", ["programme_id"], unique=False)
    op.execute(
        """
        INSERT INTO participant_surveys
            (participant_id, kind, cohort_id, programme_id, confidence, satisfaction, comment, submitted_at)
        SELECT DISTINCT ON (participant_id, kind)
            participant_id, kind, cohort_id, programme_id, confidence, satisfaction, comment, submitted_at
        FROM (
            SELECT CASE WHEN s.author_person_id = p.mentee_person_id THEN p.mentee_id ELSE p.mentor_id END
                       AS participant_id,
                   s.kind, p.cohort_id, s.programme_id, s.confidence, s.satisfaction, s.comment, s.submitted_at
            FROM surveys s JOIN pairings p ON p.id = s.pairing_id
        ) AS answers
        ORDER BY participant_id, kind, submitted_at DESC
        """
    )
    op.drop_index(op.f("ix_surveys_programme_id"), table_name="surveys")
    op.drop_table("surveys")
    op.create_table(
        "outcome_asks",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("participant_id", sa.UUID(), nullable=False),
        sa.Column("cohort_id", sa.UUID(), nullable=False),
        sa.Column("pairing_id", sa.UUID(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("remind_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminder_attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("reminder_retry_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminder_error", sa.Text(), nullable=True),
        sa.Column("reminder_failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(f"kind IN {OUTCOME_KINDS}", name="outcome_asks_kind"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "uq_outcome_asks_survey",
        "outcome_asks",
        ["participant_id", "kind"],
        unique=True,
        postgresql_where=sa.text("kind <> 'final_assessment'"),
    )
    op.create_index(
        "uq_outcome_asks_assessment",
        "outcome_asks",
        ["participant_id", "pairing_id"],
        unique=True,
        postgresql_where=sa.text("kind = 'final_assessment'"),
    )
    op.create_index(
        "ix_outcome_asks_due",
        "outcome_asks",
        ["remind_at"],
        unique=False,
        postgresql_where=sa.text("answered_at IS NULL AND reminded_at IS NULL"),
    )


def downgrade() -> None:
    """Downgrade schema. Surveys go back to the participant's first pairing in their cohort; a survey
    of a participant never paired (a pre survey answered at registration) has no place there and is lost."""
    op.drop_index("ix_outcome_asks_due", table_name="outcome_asks")
    op.drop_index("uq_outcome_asks_assessment", table_name="outcome_asks")
    op.drop_index("uq_outcome_asks_survey", table_name="outcome_asks")
    op.drop_table("outcome_asks")
    op.create_table(
        "surveys",
        sa.Column("pairing_id", sa.UUID(), nullable=False),
        sa.Column("author_person_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("programme_id", sa.UUID(), nullable=False),
        sa.Column("confidence", sa.Integer(), nullable=False),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["pairing_id"], ["pairings.id"]),
        sa.PrimaryKeyConstraint("pairing_id", "author_person_id", "kind"),
    )
    op.create_index(op.f("ix_surveys_programme_id"), "surveys", ["programme_id"], unique=False)
    op.execute(
        """
        INSERT INTO surveys (pairing_id, author_person_id, kind, programme_id, confidence, satisfaction, comment, submitted_at)
        SELECT DISTINCT ON (s.participant_id, s.kind)
            p.id, CASE WHEN p.mentee_id = s.participant_id THEN p.mentee_person_id ELSE p.mentor_person_id END,
            s.kind, s.programme_id, s.confidence, s.satisfaction, s.comment, s.submitted_at
        FROM participant_surveys s
        JOIN pairings p ON s.participant_id IN (p.mentee_id, p.mentor_id) AND p.cohort_id = s.cohort_id
        ORDER BY s.participant_id, s.kind, p.formed_at
        """
    )
    op.drop_index(op.f("ix_participant_surveys_programme_id"), table_name="participant_surveys")
    op.drop_table("participant_surveys")
    op.drop_table("station_holidays")
    op.drop_column("programmes", "official_holidays")
    op.drop_column("participants", "duty_station")
