"""Registration's own tables (adapters room). Nothing outside this service reads them."""

from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from registration.domain.cohort import CohortStatus
from registration.domain.credentials import CredentialStatus
from registration.domain.participant import ParticipantStatus, WithdrawnBy
from registration.domain.verification import VerificationStatus
from together_events.tables import define_backbone_tables


def one_of(column: str, values: type[StrEnum], name: str) -> sa.CheckConstraint:
    """The column holds one of the enum's values (NULL aside)."""
    return sa.CheckConstraint(f"{column} IN ({', '.join(repr(v.value) for v in values)})", name=name)


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
    sa.Column("status", sa.Text, nullable=False),  # CohortStatus
    sa.Column("closed_at", sa.DateTime(timezone=True)),  # set once, with CohortClosed
    # The cohort closer's failed attempts (the shared job poller): tried again at close_retry_at, set aside at close_failed_at.
    sa.Column("close_attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("close_error", sa.Text),
    sa.Column("close_retry_at", sa.DateTime(timezone=True)),
    sa.Column("close_failed_at", sa.DateTime(timezone=True)),
    sa.Column("ended_at", sa.DateTime(timezone=True)),  # set once, with CohortEnded, after the end of ends_on (UTC)
    # The cohort ender's failed attempts, as the closer's above.
    sa.Column("end_attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("end_error", sa.Text),
    sa.Column("end_retry_at", sa.DateTime(timezone=True)),
    sa.Column("end_failed_at", sa.DateTime(timezone=True)),
    one_of("status", CohortStatus, "cohorts_status_known"),
    sa.CheckConstraint("(status = 'closed') = (closed_at IS NOT NULL)", name="cohorts_closed_when_closed_at"),
    sa.CheckConstraint("ended_at IS NULL OR status = 'closed'", name="cohorts_ended_only_closed"),
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
    # ParticipantStatus: active (a mentee or client among them holds a place), waitlisted, withdrawn.
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("admitted_at", sa.DateTime(timezone=True)),  # when a place came to the waitlisted
    sa.Column("waitlisted_at", sa.DateTime(timezone=True)),  # the waitlist's order: first waiting, first admitted
    sa.Column("updated_at", sa.DateTime(timezone=True)),
    sa.Column("withdrawn_at", sa.DateTime(timezone=True)),
    sa.Column("withdrawn_by", sa.Text),  # WithdrawnBy
    sa.Column("answers_erased", sa.Boolean, nullable=False, server_default=sa.false()),
    # When the address was first verified: from then on others see them. NULL while unverified (and for
    # one who withdrew before verifying); rows from before verification existed got registered_at.
    sa.Column("verified_at", sa.DateTime(timezone=True)),
    one_of("status", ParticipantStatus, "participants_status_known"),
    one_of("withdrawn_by", WithdrawnBy, "participants_withdrawn_by_known"),
    sa.CheckConstraint("(status = 'waitlisted') = (waitlisted_at IS NOT NULL)", name="participants_waitlisted_since"),
    sa.CheckConstraint("(status = 'withdrawn') = (withdrawn_at IS NOT NULL)", name="participants_withdrawn_since"),
    sa.CheckConstraint(
        "status = 'withdrawn' OR (status = 'unverified') = (verified_at IS NULL)", name="participants_verified_unless_unverified"
    ),
    sa.UniqueConstraint("cohort_id", "person_id", name="participants_one_registration_per_person"),
    # One registration per address and cohort, among verified ones: an unverified registration may name
    # any address (whose it is shows only when its owner follows the link), so it never blocks the owner.
    sa.Index(
        "participants_one_registration_per_address",
        "cohort_id",
        "email",
        unique=True,
        postgresql_where=sa.text("verified_at IS NOT NULL"),
    ),
)

# One random data key per participant (AES-256-GCM): their answers in events are sealed with it (ADR
# 0008). Created with the registration, deleted in the transaction that erases the answers: from then
# on every copy of their answers on every topic stays shut. Handed only to services with the scope
# `registration:data-keys`; never in an event, never in a log.
data_keys = sa.Table(
    "data_keys",
    metadata,
    sa.Column("participant_id", UUID(as_uuid=True), sa.ForeignKey("participants.id"), primary_key=True),
    sa.Column("key", sa.LargeBinary(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("octet_length(key) = 32", name="data_keys_256_bits"),
)

# An address waiting to be verified by a one-time link (registration.domain.verification): the address
# given at registration, or a new one the participant changed to. Only the latest link's hash is kept.
address_verifications = sa.Table(
    "address_verifications",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("participant_id", UUID(as_uuid=True), sa.ForeignKey("participants.id"), nullable=False, index=True),
    sa.Column("email", sa.Text, nullable=False),  # a team-only answer like the participant's: erased with them
    sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("status", sa.Text, nullable=False),  # VerificationStatus
    sa.Column("token_hash", sa.Text, unique=True),  # SHA-256 of the latest link's token; NULL before a mail asked and once final
    sa.Column("expires_at", sa.DateTime(timezone=True)),  # of the latest link
    sa.Column("verified_at", sa.DateTime(timezone=True)),
    one_of("status", VerificationStatus, "address_verifications_status_known"),
    sa.CheckConstraint("(status = 'verified') = (verified_at IS NOT NULL)", name="address_verifications_verified_since"),
    sa.Index(
        "address_verifications_one_pending_per_participant",
        "participant_id",
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    ),
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
    sa.Column("status", sa.Text, nullable=False),  # CredentialStatus
    sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("decided_at", sa.DateTime(timezone=True)),
    sa.Column("decided_by", sa.Text),
    sa.Column("reason", sa.Text),
    one_of("status", CredentialStatus, "coach_credentials_status_known"),
)

# Registration consumes no events: nothing here is built from them.
READ_MODEL: tuple[sa.Table, ...] = ()
