"""Registration's own tables (adapters room). Nothing outside this service reads them."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from together_events.tables import define_backbone_tables

metadata = sa.MetaData()
define_backbone_tables(metadata)

programmes = sa.Table(
    "programmes",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("suggestions_per_mentee", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    # ProgrammeRules as JSON; NULL for programmes from before rules existed: their kind's defaults apply.
    sa.Column("rules", JSONB),
    sa.Column("rules_changed_at", sa.DateTime(timezone=True)),
)

cohorts = sa.Table(
    "cohorts",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column(
        "programme_id",
        UUID(as_uuid=True),
        sa.ForeignKey("programmes.id"),
        nullable=False,
    ),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("registration_opens_on", sa.Date, nullable=False),
    sa.Column("registration_closes_on", sa.Date, nullable=False),
    sa.Column("starts_on", sa.Date, nullable=False),
    sa.Column("ends_on", sa.Date, nullable=False),
    sa.Column("places", sa.Integer),  # mentee/client places; NULL: unlimited
    sa.Column("closed_at", sa.DateTime(timezone=True)),  # set once, with CohortClosed
)

participants = sa.Table(
    "participants",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("cohort_id", UUID(as_uuid=True), sa.ForeignKey("cohorts.id"), nullable=False),
    sa.Column("person_id", sa.Text, nullable=False, index=True),  # the identity provider's subject
    sa.Column("email", sa.Text, nullable=False),
    sa.Column("roles", ARRAY(sa.Text), nullable=False),
    sa.Column("mentor_capacity", sa.Integer),
    sa.Column("public_profile", JSONB, nullable=False),
    sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
    # Programme-team-only answers (with email above); never in an event.
    sa.Column("index_number", sa.Text),
    sa.Column("appointment_type", sa.Text),  # NULL for registrations from before it was asked
    sa.Column("preferred_language", sa.Text, nullable=False, server_default="en"),
    sa.Column("coach_capacity", sa.Integer),
    sa.Column("coach_approved", sa.Boolean, nullable=False, server_default=sa.false()),
    # Waiting for one of the cohort's places; admitted_at says when a place came.
    sa.Column("waitlisted", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("admitted_at", sa.DateTime(timezone=True)),
    sa.Column("waitlisted_at", sa.DateTime(timezone=True)),  # the waitlist's order: first waiting, first admitted
    sa.Column("updated_at", sa.DateTime(timezone=True)),
    sa.Column("withdrawn_at", sa.DateTime(timezone=True)),
    sa.Column("withdrawn_by", sa.Text),  # 'participant' or 'programme_team'
    sa.Column("answers_erased", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.UniqueConstraint("cohort_id", "email", name="participants_one_registration_per_cohort"),
    sa.UniqueConstraint("cohort_id", "person_id", name="participants_one_registration_per_person"),
)

# A coach's credential: an uploaded file (checked PDF, PNG or JPEG) or a reference, with the
# confidentiality commitment; the programme team approves or rejects it with a reason.
coach_credentials = sa.Table(
    "coach_credentials",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("participant_id", UUID(as_uuid=True), sa.ForeignKey("participants.id"), nullable=False, index=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("reference", sa.Text),
    sa.Column("file_name", sa.Text),
    sa.Column("content_type", sa.Text),
    sa.Column("content", sa.LargeBinary),  # NULL for a reference, and once erased
    sa.Column("size_bytes", sa.Integer),
    sa.Column("confidentiality_accepted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("status", sa.Text, nullable=False),  # pending, approved, rejected
    sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("decided_at", sa.DateTime(timezone=True)),
    sa.Column("decided_by", sa.Text),
    sa.Column("reason", sa.Text),
)

# Registration consumes no events: nothing here is built from them.
READ_MODEL: tuple[sa.Table, ...] = ()
