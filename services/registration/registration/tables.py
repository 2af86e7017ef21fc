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
    sa.UniqueConstraint("cohort_id", "email", name="participants_one_registration_per_cohort"),
    sa.UniqueConstraint("cohort_id", "person_id", name="participants_one_registration_per_person"),
)

# Registration consumes no events: nothing here is built from them.
READ_MODEL: tuple[sa.Table, ...] = ()
