"""Scheduling's own tables: what it learnt from events, the sessions and series booked, the
partners' records (feedback, notes, agreement, assessment, surveys), each with who may read it, what
each participant is asked at the start and end of a cohort, and the cohorts' timetables."""

from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from scheduling.domain.series import SeriesStatus
from scheduling.domain.sessions import SessionStatus
from scheduling.domain.times import Frequency
from scheduling.domain.timetable import EntryStatus
from together_contracts.scheduling import OutcomeKind, SurveyKind, TimetableEntryKind, TimetableLanguage
from together_events.tables import define_backbone_tables


def one_of(column: str, values: type[StrEnum], name: str) -> sa.CheckConstraint:
    """The column holds one of the enum's values."""
    return sa.CheckConstraint(f"{column} IN ({', '.join(repr(v.value) for v in values)})", name=name)


metadata = sa.MetaData()
define_backbone_tables(metadata)

pairings = sa.Table(
    "pairings",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("mentee_id", UUID(as_uuid=True), nullable=False),
    sa.Column("mentor_id", UUID(as_uuid=True), nullable=False),
    sa.Column("cohort_id", UUID(as_uuid=True), nullable=False),
    sa.Column("programme_id", UUID(as_uuid=True), nullable=False),  # whose team sees session counts and dates
    sa.Column("mentee_person_id", sa.Text, nullable=False),  # the partners' identities: who may book
    sa.Column("mentor_person_id", sa.Text, nullable=False),
    sa.Column("ended_at", sa.DateTime(timezone=True)),  # from PairingEnded (or a partner's withdrawal): no more bookings
    sa.Column("formed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("request_id", UUID(as_uuid=True)),  # the request that formed it: its engagement sizes a networking plan
)

# Read models from registration and pairing: the programme's kind and plan, the partners' names and zones.
programmes = sa.Table(
    "programmes",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("session_plan", JSONB),  # ProgrammeRules.session_plan; None: the kind's default plan
    # ProgrammeRules.official_holidays: a duty station's public holidays count like weekends for reminders.
    sa.Column("official_holidays", sa.Boolean, nullable=False, server_default=sa.false()),
)

cohorts = sa.Table(
    "cohorts",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("programme_id", UUID(as_uuid=True), nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
)

participants = sa.Table(
    "participants",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("person_id", sa.Text, nullable=False, index=True),
    sa.Column("display_name", sa.Text, nullable=False),
    sa.Column("time_zone", sa.Text, nullable=False),  # public profile: each partner sees times in their own zone
    sa.Column("withdrawn_at", sa.DateTime(timezone=True)),
    # Where they registered: who is in a programme and reads its timetable. None for rows from before 0011.
    sa.Column("cohort_id", UUID(as_uuid=True)),
    sa.Column("programme_id", UUID(as_uuid=True), index=True),
    sa.Column("duty_station", sa.Text),  # public profile: where they work, whose holidays their reminders skip
)

request_engagements = sa.Table(
    "request_engagements",
    metadata,
    sa.Column("request_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("engagement", sa.Text, nullable=False),  # networking_meetings | mentoring_relationship
)

series = sa.Table(
    "series",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("pairing_id", UUID(as_uuid=True), sa.ForeignKey("pairings.id"), nullable=False, index=True),
    sa.Column("organiser_id", UUID(as_uuid=True), nullable=False),
    sa.Column("local_start", sa.DateTime(timezone=False), nullable=False),  # wall-clock time in time_zone
    sa.Column("time_zone", sa.Text, nullable=False),
    sa.Column("duration_minutes", sa.Integer, nullable=False),
    sa.Column("frequency", sa.Text, nullable=False),
    sa.Column("interval", sa.Integer, nullable=False),
    sa.Column("count", sa.Integer),
    sa.Column("until", sa.Date),
    sa.Column("rrule", sa.Text, nullable=False),
    sa.Column("agenda_title", sa.Text, nullable=False),
    sa.Column("calendar_sequence", sa.Integer, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    one_of("frequency", Frequency, "series_frequency"),
    one_of("status", SeriesStatus, "series_status"),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column(
        "pairing_id",
        UUID(as_uuid=True),
        sa.ForeignKey("pairings.id"),
        nullable=False,
        index=True,
    ),
    sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("time_zone", sa.Text, nullable=False),
    sa.Column("duration_minutes", sa.Integer, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("completed_at", sa.DateTime(timezone=True)),
    # The completion sweep looks for scheduled sessions whose end has passed.
    sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("organiser_id", UUID(as_uuid=True)),  # None for sessions from before it was kept: the mentee
    sa.Column("series_id", UUID(as_uuid=True), sa.ForeignKey("series.id"), index=True),
    sa.Column("recurrence_id", sa.DateTime(timezone=True)),  # an occurrence: its start as the series first set it
    sa.Column("plan_step", sa.Integer),  # the session plan's agenda item
    sa.Column("agenda_title", sa.Text),
    sa.Column("agenda_themes", JSONB, nullable=False, server_default="[]"),  # the agenda item's content (list of strings)
    sa.Column("calendar_sequence", sa.Integer, nullable=False, server_default="0"),
    sa.Column("cancelled_at", sa.DateTime(timezone=True)),
    # Held outside the platform and recorded afterwards, completed at once: no invitation was ever sent.
    sa.Column("held_elsewhere", sa.Boolean, nullable=False, server_default=sa.false()),
    # A completion that raised is retried later with back-off, so one bad row never stalls the others;
    # after its last attempt it is set aside (failed_at, the session stays scheduled) with its reason.
    sa.Column("completion_attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("completion_retry_at", sa.DateTime(timezone=True)),
    sa.Column("completion_error", sa.Text),
    sa.Column("completion_failed_at", sa.DateTime(timezone=True)),
    one_of("status", SessionStatus, "sessions_status"),
)

# Feedback on a completed session: the comment stays here (never in an event). Readable by its author.
feedback = sa.Table(
    "feedback",
    metadata,
    sa.Column("session_id", UUID(as_uuid=True), sa.ForeignKey("sessions.id"), primary_key=True),
    sa.Column("participant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("rating", sa.Integer, nullable=False),
    sa.Column("comment", sa.Text, nullable=False),
    sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
)

# Session notes: the author's; the partner reads them once shared; the programme team NEVER.
notes = sa.Table(
    "notes",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("session_id", UUID(as_uuid=True), sa.ForeignKey("sessions.id"), nullable=False, index=True),
    sa.Column("author_person_id", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("shared", sa.Boolean, nullable=False),
    sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# The mentorship agreement and the final assessment: both partners and the programme team read them.
agreements = sa.Table(
    "agreements",
    metadata,
    sa.Column("pairing_id", UUID(as_uuid=True), sa.ForeignKey("pairings.id"), primary_key=True),
    sa.Column("skills_and_goals", JSONB, nullable=False),  # list of strings
    sa.Column("development_plan", sa.Text, nullable=False),
    sa.Column("schedule", sa.Text, nullable=False),
    sa.Column("updated_by", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

assessments = sa.Table(
    "assessments",
    metadata,
    sa.Column("pairing_id", UUID(as_uuid=True), sa.ForeignKey("pairings.id"), primary_key=True),
    sa.Column("ratings", JSONB, nullable=False),  # [{"skill_or_goal", "rating" 1-5, "comment"}], the agreement's items
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("updated_by", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# Pre- and post-programme surveys, one of each per participant (a registration in a cohort): the author
# reads theirs; the programme team reads aggregates; only the scores travel (`SurveyAnswered`).
participant_surveys = sa.Table(
    "participant_surveys",
    metadata,
    sa.Column("participant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("kind", sa.Text, primary_key=True),  # pre | post
    sa.Column("cohort_id", UUID(as_uuid=True), nullable=False),
    sa.Column("programme_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("confidence", sa.Integer, nullable=False),  # 1-5
    sa.Column("satisfaction", sa.Integer),  # 1-5, post only
    sa.Column("comment", sa.Text, nullable=False),
    sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
    one_of("kind", SurveyKind, "participant_surveys_kind"),
)

# What each participant is asked (a survey, a pairing's final assessment), once; the row is its reminder's
# timer: due at remind_at while neither answered nor reminded.
outcome_asks = sa.Table(
    "outcome_asks",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("participant_id", UUID(as_uuid=True), nullable=False),
    sa.Column("cohort_id", UUID(as_uuid=True), nullable=False),
    sa.Column("pairing_id", UUID(as_uuid=True)),  # the final assessment and post survey: the pairing whose end asked it
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("remind_at", sa.DateTime(timezone=True)),  # None: answered before it was asked
    sa.Column("reminded_at", sa.DateTime(timezone=True)),
    sa.Column("answered_at", sa.DateTime(timezone=True)),
    # A reminder that raised is retried with back-off, then set aside with its reason (as sessions' completion).
    sa.Column("reminder_attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("reminder_retry_at", sa.DateTime(timezone=True)),
    sa.Column("reminder_error", sa.Text),
    sa.Column("reminder_failed_at", sa.DateTime(timezone=True)),
    one_of("kind", OutcomeKind, "outcome_asks_kind"),
    # Once each: a survey per participant, the final assessment per partner and pairing.
    sa.Index(
        "uq_outcome_asks_survey",
        "participant_id",
        "kind",
        unique=True,
        postgresql_where=sa.text("kind <> 'final_assessment'"),
    ),
    sa.Index(
        "uq_outcome_asks_assessment",
        "participant_id",
        "pairing_id",
        unique=True,
        postgresql_where=sa.text("kind = 'final_assessment'"),
    ),
    sa.Index("ix_outcome_asks_due", "remind_at", postgresql_where=sa.text("answered_at IS NULL AND reminded_at IS NULL")),
)

# Read model from pairing's HolidaysChanged: the programme team's days added to and official holidays
# removed from a duty station's calendar, per cohort (ISO dates). Reminders skip them as pairing's deadlines do.
station_holidays = sa.Table(
    "station_holidays",
    metadata,
    sa.Column("cohort_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("duty_station", sa.Text, primary_key=True),
    sa.Column("days_added", JSONB, nullable=False),
    sa.Column("days_removed", JSONB, nullable=False),
)

# Reverse mentoring: the ground rules (versioned; each partner's last agreed version) and each partner's REAL
# goals ([{"relevant", "experimental", "aspirational", "learning_based"}]). The partners write, the team reads.
reverse_mentoring_records = sa.Table(
    "reverse_mentoring_records",
    metadata,
    sa.Column("pairing_id", UUID(as_uuid=True), sa.ForeignKey("pairings.id"), primary_key=True),
    sa.Column("ground_rules", sa.Text),
    sa.Column("ground_rules_version", sa.Integer, nullable=False),  # 0: none proposed yet
    sa.Column("proposed_by", UUID(as_uuid=True)),
    sa.Column("proposed_at", sa.DateTime(timezone=True)),
    sa.Column("mentee_agreed_version", sa.Integer),
    sa.Column("mentor_agreed_version", sa.Integer),
    sa.Column("agreed_at", sa.DateTime(timezone=True)),  # both agreed to the current version
    sa.Column("mentee_goals", JSONB),
    sa.Column("mentee_goals_set_at", sa.DateTime(timezone=True)),
    sa.Column("mentor_goals", JSONB),
    sa.Column("mentor_goals_set_at", sa.DateTime(timezone=True)),
)

# On-the-job learning: micro-needs (list of text), SMART goals ([{"specific", "measurable", "achievable",
# "relevant", "time_bound"}]), the plan ([{"step", "due_on"}]) and its assessment ({"steps": [{"step", "outcome",
# "comment"}], "worked", "comment"}). The partners write, the team reads.
learning_records = sa.Table(
    "learning_records",
    metadata,
    sa.Column("pairing_id", UUID(as_uuid=True), sa.ForeignKey("pairings.id"), primary_key=True),
    sa.Column("micro_needs", JSONB),
    sa.Column("smart_goals", JSONB),
    sa.Column("plan", JSONB),
    sa.Column("assessment", JSONB),
    sa.Column("updated_by", UUID(as_uuid=True)),
    sa.Column("updated_at", sa.DateTime(timezone=True)),
)

# A cohort's timetable (a career week), published by the programme team: everyone in the programme reads it.
timetable_entries = sa.Table(
    "timetable_entries",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("cohort_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("programme_id", UUID(as_uuid=True), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("language", sa.Text, nullable=False),
    sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("time_zone", sa.Text, nullable=False),  # the zone the start was entered in: the calendar's TZID
    sa.Column("duration_minutes", sa.Integer, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("calendar_sequence", sa.Integer, nullable=False),
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("cancelled_at", sa.DateTime(timezone=True)),
    one_of("kind", TimetableEntryKind, "timetable_entries_kind"),
    one_of("language", TimetableLanguage, "timetable_entries_language"),
    one_of("status", EntryStatus, "timetable_entries_status"),
)

# The tables built purely from events: `together-events rebuild` rebuilds and compares them (the rest is booked through the API).
READ_MODEL = (pairings, programmes, cohorts, participants, request_engagements, station_holidays)
