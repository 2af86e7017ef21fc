"""Request and response bodies of scheduling's HTTP API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from scheduling.domain.times import MAX_OCCURRENCES, Frequency
from together_contracts.scheduling import TimetableEntryKind, TimetableLanguage
from together_servicekit.text import multiline, single_line

Comment = Annotated[str, multiline(4000, min_length=0)]
Note = Annotated[str, multiline(20000)]
DevelopmentPlan = Annotated[str, multiline(10000)]
Schedule = Annotated[str, multiline(2000)]
Item = Annotated[str, single_line(200)]


# Sessions and series ---------------------------------------------------------------------------


class BookingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    starts_at: datetime = Field(description="Local wall-clock start, without offset, e.g. 2026-12-01T13:00:00")
    time_zone: str = Field(
        min_length=1,
        max_length=64,
        description="IANA time zone of starts_at, e.g. America/New_York",
    )
    duration_minutes: int = Field(default=60, ge=15, le=480)


class HeldSessionIn(BaseModel):
    """A session the pair held outside the platform (Outlook, Teams, in person), recorded afterwards."""

    model_config = ConfigDict(extra="forbid")

    starts_at: datetime = Field(description="Local wall-clock start it was held at, without offset, e.g. 2026-12-01T13:00:00")
    time_zone: str = Field(min_length=1, max_length=64, description="IANA time zone of starts_at")
    duration_minutes: int = Field(ge=15, le=480, description="how long it lasted")
    plan_step: int | None = Field(
        default=None, ge=1, description="the session plan's step it counts for; none: the next open one"
    )


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    starts_at: datetime = Field(description="The new local wall-clock start, without offset")
    time_zone: str = Field(min_length=1, max_length=64, description="IANA time zone of starts_at")
    duration_minutes: int | None = Field(default=None, ge=15, le=480, description="None keeps the duration")


class SeriesIn(BookingIn):
    frequency: Frequency = Field(description="weekly (every `interval` weeks) or monthly (same day of the month)")
    interval: int = Field(default=1, ge=1, le=12, description="every N weeks or months")
    count: int | None = Field(default=None, ge=1, le=MAX_OCCURRENCES, description="how many occurrences")
    until: date | None = Field(default=None, description="the last local date an occurrence may fall on (give count or until)")


class LocalTimeOut(BaseModel):
    participant_id: UUID
    role: Literal["mentee", "mentor"]
    time_zone: str
    starts_at: datetime = Field(description="the start in this participant's zone (with its offset)")
    ends_at: datetime


class SessionOut(BaseModel):
    id: UUID
    pairing_id: UUID
    starts_at: datetime
    ends_at: datetime
    time_zone: str = Field(description="the organiser's zone, the one the session was booked in")
    duration_minutes: int
    status: str = Field(description="scheduled, completed or cancelled")
    completed_at: datetime | None
    cancelled_at: datetime | None
    series_id: UUID | None
    plan_step: int | None
    agenda_title: str | None
    agenda_themes: list[str] = Field(description="the agenda item's content: the themes the session covers")
    held_elsewhere: bool = Field(description="held outside the platform and recorded afterwards (no invitation)")
    calendar_sequence: int
    local_times: list[LocalTimeOut] = Field(description="the start and end as each partner sees them, in their own zone")


class PlannedOut(BaseModel):
    step: int
    title: str
    minutes: int
    themes: list[str] = Field(description="the agenda content: the themes the session covers")
    state: Literal["open", "booked", "done"]
    session_id: UUID | None


class PlanOut(BaseModel):
    programme_kind: str
    period_months: int
    meeting_interval: str
    minimum_sessions: int
    sessions: list[PlannedOut]


class Created(BaseModel):
    id: UUID


# Records ---------------------------------------------------------------------------------------


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rating: int = Field(ge=1, le=5)
    comment: Comment = ""


class FeedbackOut(FeedbackIn):
    model_config = ConfigDict(extra="ignore")
    session_id: UUID
    given_at: datetime


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Note
    shared: bool = Field(default=False, description="true: the partner may read it too")


class NoteChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Note | None = None
    shared: bool | None = None


class NoteOut(BaseModel):
    id: UUID
    session_id: UUID
    mine: bool
    text: str
    shared: bool
    written_at: datetime
    updated_at: datetime


class AgreementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    skills_and_goals: list[Item] = Field(min_length=1, max_length=20)
    development_plan: DevelopmentPlan
    schedule: Schedule


class AgreementOut(AgreementIn):
    model_config = ConfigDict(extra="ignore")
    pairing_id: UUID
    updated_at: datetime


class ItemRating(BaseModel):
    model_config = ConfigDict(extra="forbid")
    skill_or_goal: Item
    rating: int = Field(ge=1, le=5, description="how far it was reached: 1 not at all .. 5 fully")
    comment: Comment = ""


class AssessmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ratings: list[ItemRating] = Field(min_length=1, max_length=20)
    summary: Comment = ""


class AssessmentOut(AssessmentIn):
    model_config = ConfigDict(extra="ignore")
    pairing_id: UUID
    updated_at: datetime


class SurveyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    confidence: int = Field(ge=1, le=5, description="confidence in the skills and goals the programme is about")
    satisfaction: int | None = Field(default=None, ge=1, le=5, description="post-programme only: satisfaction with it")
    comment: Comment = ""


class SurveyOut(SurveyIn):
    model_config = ConfigDict(extra="ignore")
    kind: str
    submitted_at: datetime


class SurveyFigures(BaseModel):
    answers: int
    mean_confidence: float | None
    mean_satisfaction: float | None


class SurveySummary(BaseModel):
    programme_id: UUID
    pre: SurveyFigures
    post: SurveyFigures


# Reverse mentoring and on-the-job learning ------------------------------------------------------

GroundRulesText = Annotated[str, multiline(10000)]
Facet = Annotated[str, multiline(2000)]
Need = Annotated[str, single_line(500)]


class GroundRulesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: GroundRulesText = Field(description="the ground rules; a new text is a new version, agreed by nobody yet")


class AgreeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(ge=1, description="the version agreed to: it must be the current one (409 current_version)")


class MissingOut(BaseModel):
    field: str
    rule: str
    message: str


class GroundRulesOut(BaseModel):
    pairing_id: UUID
    text: str | None = Field(description="null: none proposed yet")
    version: int = Field(description="0 before the first proposal, then +1 per new text")
    proposed_by: UUID | None
    proposed_at: datetime | None
    agreed_by: list[UUID] = Field(description="the partners who agreed to the current version")
    agreed_at: datetime | None = Field(description="when both had agreed to the current version")


class RealGoal(BaseModel):
    model_config = ConfigDict(extra="forbid")
    relevant: Facet
    experimental: Facet
    aspirational: Facet
    learning_based: Facet


class RealGoalsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    goals: list[RealGoal] = Field(min_length=1, max_length=10)


class PartnerGoalsOut(BaseModel):
    participant_id: UUID
    role: Literal["mentee", "mentor"]
    goals: list[RealGoal] = Field(description="empty: not set yet")
    set_at: datetime | None


class RealGoalsOut(BaseModel):
    pairing_id: UUID
    partners: list[PartnerGoalsOut]


class ReverseMentoringOut(BaseModel):
    pairing_id: UUID
    plan_ends_at: datetime | None = Field(description="three calendar months after the pairing was formed")
    ground_rules: GroundRulesOut
    real_goals: RealGoalsOut
    missing_before_first_session: list[MissingOut] = Field(description="empty once the first session may be booked")


class MicroNeedsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    needs: list[Need] = Field(min_length=1, max_length=30)


class SmartGoal(BaseModel):
    model_config = ConfigDict(extra="forbid")
    specific: Facet
    measurable: Facet
    achievable: Facet
    relevant: Facet
    time_bound: Facet


class SmartGoalsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    goals: list[SmartGoal] = Field(min_length=1, max_length=10)


class PlanStepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    step: Facet
    due_on: date = Field(description="on or after the pairing's formation, in order of the steps")


class LearningPlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    steps: list[PlanStepIn] = Field(min_length=1, max_length=30)


class StepAssessmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    step: int = Field(ge=1, description="the step's number in the plan, from 1")
    outcome: Literal["met", "partly", "not_met"]
    comment: Comment = ""


class PlanAssessmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    steps: list[StepAssessmentIn] = Field(min_length=1, max_length=30, description="each step of the plan, once")
    worked: bool = Field(description="did the plan work, overall")
    comment: Comment = ""


class LearningRecordOut(BaseModel):
    pairing_id: UUID
    micro_needs: list[str] | None
    smart_goals: list[SmartGoal] | None
    plan: list[PlanStepIn] | None
    assessment: PlanAssessmentIn | None
    updated_by: UUID | None
    updated_at: datetime | None


# Timetables ------------------------------------------------------------------------------------


class TimetableEntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, single_line(200)]
    kind: TimetableEntryKind = Field(description="presentation (Pres), discussion (PD: a panel discussion) or clinic")
    language: TimetableLanguage = Field(description="English (E), French (F) or Spanish (S)")
    starts_at: datetime = Field(description="Local wall-clock start, without offset, e.g. 2027-05-03T13:00:00")
    time_zone: str = Field(min_length=1, max_length=64, description="IANA time zone of starts_at, e.g. America/New_York")
    duration_minutes: int = Field(default=60, ge=15, le=480)


class ZoneTimesOut(BaseModel):
    column: str = Field(description="New York, Europe, Nairobi, Bangkok; the zone's name for the reader's own")
    time_zone: str
    starts_at: datetime = Field(description="the start in this zone (with its offset)")
    ends_at: datetime
    start_day: int = Field(description="the start's day against the New York date (`day`): 0, +1 the next day, -1 the day before")
    end_day: int
    text: str = Field(description="as the timetable prints it: 14:00-15:00, 00:00(+1)-01:00(+1)")


class TimetableEntryOut(BaseModel):
    id: UUID
    title: str
    kind: TimetableEntryKind
    language: TimetableLanguage
    label: str = Field(description="as the timetable prints it: Pres (E) - <title>")
    starts_at: datetime
    ends_at: datetime
    time_zone: str = Field(description="the zone the start was entered in")
    duration_minutes: int
    calendar_sequence: int
    day: date = Field(description="the start's date in New York: the timetable's day heading, which the day marks count from")
    yours: ZoneTimesOut | None = Field(description="in the reader's zone (null for a team member with no zone and no ?tz=)")
    columns: list[ZoneTimesOut] = Field(description="New York, Europe (Geneva), Nairobi, Bangkok")


class TimetableOut(BaseModel):
    cohort_id: UUID
    programme_id: UUID
    time_zone: str | None = Field(description="the reader's zone: ?tz=, else their registration's")
    entries: list[TimetableEntryOut] = Field(description="the entries still on, by start")
