"""Pairing's own tables: its read model of participants, and the request lifecycle."""

from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from pairing.domain.calendar import HolidayChange
from pairing.domain.model import PairingStatus, RequestStatus, SelectionStatus, TimerKind, TimerOutcome
from together_contracts.pairing import CompletedBecause, EndedBy
from together_events.tables import define_backbone_tables


def one_of(column: str, values: type[StrEnum], name: str) -> sa.CheckConstraint:
    """The column holds one of the enum's values (or is null): the database refuses any other text."""
    listed = ", ".join(f"'{value}'" for value in values)
    return sa.CheckConstraint(f"{column} IN ({listed})", name=name)


metadata = sa.MetaData()
define_backbone_tables(metadata)

# Built from registration's participant events; a mentor's row is locked while capacity is decided.
# The mentor side is a mentor or an approved coach, the mentee side a mentee or a client.
participants = sa.Table(
    "participants",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("person_id", sa.Text, nullable=False),  # the identity provider's subject: who acts as this participant
    sa.Column("programme_id", UUID(as_uuid=True), nullable=False),  # whose team may look on
    sa.Column("cohort_id", UUID(as_uuid=True), nullable=False),
    sa.Column("roles", ARRAY(sa.Text), nullable=False),
    sa.Column("capacity", sa.Integer, nullable=False, server_default="0"),  # mentor_capacity + coach_capacity
    sa.Column("active_pairings", sa.Integer, nullable=False, server_default="0"),
    sa.Column("time_zone", sa.Text, nullable=False),
    sa.Column("duty_station", sa.Text),  # whose holidays count for a mentor; NULL: not stated since migration 0011
    sa.Column("coach_approved", sa.Boolean, nullable=False, server_default=sa.false()),  # a coach is requestable once approved
    sa.Column("withdrawn_at", sa.DateTime(timezone=True)),  # left the cohort: neither requested nor requesting
    sa.Column("waitlisted", sa.Boolean, nullable=False, server_default=sa.false()),  # waits for a place: requests nobody yet
    # The public answers the hard rules of a request read (`domain/pair_rules.py`), copied from the opened profile.
    # Null for participants registered before migration 0011, until their next profile event: not checked meanwhile.
    sa.Column("grade", sa.Text),
    sa.Column("years_of_service", sa.Integer),
    sa.Column("languages", ARRAY(sa.Text)),
    sa.Column("entity", sa.Text),
    sa.Column("job_network", sa.Text),
)

selections = sa.Table(
    "selections",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("mentee_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("cohort_id", UUID(as_uuid=True), nullable=False),
    sa.Column("ranked_mentor_ids", ARRAY(UUID(as_uuid=True)), nullable=False),
    sa.Column("engagement", sa.Text),  # networking programmes: networking_meetings | mentoring_relationship
    sa.Column("status", sa.Text, nullable=False),  # open | paired | exhausted | ended | closed (the mentee left)
    sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("assignment_id", UUID(as_uuid=True)),  # set when it came from an accepted assignment (matching)
    one_of("status", SelectionStatus, "selections_status_known"),
)

requests = sa.Table(
    "requests",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column(
        "selection_id",
        UUID(as_uuid=True),
        sa.ForeignKey("selections.id"),
        nullable=False,
    ),
    sa.Column("mentee_id", UUID(as_uuid=True), nullable=False),
    sa.Column("mentor_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("cohort_id", UUID(as_uuid=True), nullable=False),
    sa.Column("rank", sa.Integer, nullable=False),
    # waiting (queued behind the mentor's pending request) | pending | accepted | declined | expired | withdrawn
    # | cancelled (its mentee or mentor left the cohort) | lapsed (the cohort ended first)
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reached_mentor_at", sa.DateTime(timezone=True)),
    sa.Column("remind_at", sa.DateTime(timezone=True)),
    sa.Column("expires_at", sa.DateTime(timezone=True)),
    sa.Column("answered_at", sa.DateTime(timezone=True)),  # accepted, declined, expired, withdrawn, cancelled or lapsed
    sa.UniqueConstraint("selection_id", "rank", name="requests_one_per_rank"),
    one_of("status", RequestStatus, "requests_status_known"),
    # The rule book's "a mentor sees ONE request at a time", enforced by the database too.
    sa.Index(
        "requests_one_pending_per_mentor",
        "mentor_id",
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    ),
)

pairings = sa.Table(
    "pairings",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column(
        "request_id",
        UUID(as_uuid=True),
        sa.ForeignKey("requests.id"),
        nullable=False,
        unique=True,
    ),
    sa.Column("mentee_id", UUID(as_uuid=True), nullable=False),
    sa.Column("mentor_id", UUID(as_uuid=True), nullable=False),
    sa.Column("cohort_id", UUID(as_uuid=True), nullable=False),
    sa.Column("status", sa.Text, nullable=False),  # active | ended
    sa.Column("formed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ended_at", sa.DateTime(timezone=True)),
    sa.Column("ended_by", sa.Text),  # mentee | mentor
    sa.Column("participant_withdrew", sa.Boolean, nullable=False, server_default=sa.false()),  # ended_by's side left
    # Free text stays here, never in an event: the partner reads the message, the team the note.
    sa.Column("message_to_partner", sa.Text),
    sa.Column("note_to_programme_team", sa.Text),
    # Ended by running to its end (the cohort ended: programme_ended), not early; then ended_by is null.
    sa.Column("completed_because", sa.Text),
    one_of("status", PairingStatus, "pairings_status_known"),
    one_of("ended_by", EndedBy, "pairings_ended_by_known"),
    one_of("completed_because", CompletedBecause, "pairings_completed_because_known"),
)

# Durable timers: a request's reminder and expiry, due at instants computed when it reached the
# mentor. Workers claim due rows with FOR UPDATE SKIP LOCKED, one per transaction, and mark them
# fired in the transaction of their effect: no timer fires twice, and a crash loses none.
timers = sa.Table(
    "timers",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("request_id", UUID(as_uuid=True), sa.ForeignKey("requests.id"), nullable=False, index=True),
    sa.Column("kind", sa.Text, nullable=False),  # reminder | expiry
    sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("fired_at", sa.DateTime(timezone=True)),
    sa.Column("outcome", sa.Text),  # reminded | expired | moot (the request was answered first)
    # A timer whose effect raised: retried with backoff; after MAX_ATTEMPTS it is failed and left for the team.
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True)),
    sa.Column("failed_at", sa.DateTime(timezone=True)),
    sa.UniqueConstraint("request_id", "kind", name="timers_one_per_kind"),
    one_of("kind", TimerKind, "timers_kind_known"),
    one_of("outcome", TimerOutcome, "timers_outcome_known"),
    sa.Index("timers_due", "due_at", postgresql_where=sa.text("fired_at IS NULL")),
    sa.Index("timers_failed", "failed_at", postgresql_where=sa.text("failed_at IS NOT NULL")),
)

# From CohortOpened: the programme kind decides who may end a pairing (coaching: either side).
# From CohortEnded: when it ended; nothing new happens in it after.
cohorts = sa.Table(
    "cohorts",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("programme_id", UUID(as_uuid=True), nullable=False),
    sa.Column("programme_kind", sa.Text, nullable=False),
    sa.Column("ended_at", sa.DateTime(timezone=True)),
)

# Mentees who asked to be told when a mentor has a place again; told once, then forgotten.
followers = sa.Table(
    "followers",
    metadata,
    sa.Column("mentor_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("mentee_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("followed_at", sa.DateTime(timezone=True), nullable=False),
)

# From ProgrammeCreated and ProgrammeRulesChanged: whether a programme counts its mentors' official holidays,
# and the meeting languages and eligibility a request is checked against.
programmes = sa.Table(
    "programmes",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("official_holidays", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("rules", JSONB),  # ProgrammeRules; null for a programme from before rules existed
)

# The programme team's changes to a duty station's calendar in a cohort: a day added counts like a weekend,
# an official holiday removed counts as a working day (`domain/calendar.py`).
holiday_changes = sa.Table(
    "holiday_changes",
    metadata,
    sa.Column("cohort_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("duty_station", sa.Text, primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("change", sa.Text, nullable=False),  # added | removed
    one_of("change", HolidayChange, "holiday_changes_change_known"),
)

# The tables built purely from events: `together-events rebuild` rebuilds and compares them
# (participants without active_pairings, which pairing's own use cases count).
READ_MODEL = (participants, cohorts, programmes)
