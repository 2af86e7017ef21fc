"""Registration's request and response bodies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal, get_args
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from registration.domain.credentials import CredentialStatus
from registration.domain.questionnaire import PREFERRED_LANGUAGES, Visibility
from together_contracts.registration import (
    AppointmentType,
    CredentialKind,
    ProgrammeKind,
    ProgrammeRules,
    PublicProfile,
    Role,
)
from together_servicekit.text import multiline, single_line

Name = Annotated[str, single_line(max_length=200)]
Word = Annotated[str, single_line(max_length=100)]
Text = Annotated[str, multiline(max_length=2000)]
# An address goes into a mail header: single_line refuses encoded words (=?...?=) in it too.
Email = Annotated[
    str,
    single_line(max_length=254),
    StringConstraints(pattern=r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$"),
]
IndexNumber = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9-]{1,20}$")]
LinkedInUrl = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=300, pattern=r"^https://([a-z]{2,3}\.)?linkedin\.com/[^\s\x00-\x1f\x7f]*$"
    ),
]
Capacity = Annotated[int, Field(ge=0, le=50)]
Words = Annotated[list[Word], Field(max_length=30)]
PreferredLanguage = Literal["en", "fr", "es"]
assert get_args(PreferredLanguage) == PREFERRED_LANGUAGES


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProgrammeIn(_Strict):
    name: Name
    kind: ProgrammeKind
    suggestions_per_mentee: int = Field(default=10, ge=1, le=50)
    rules: dict[str, Any] | None = Field(
        default=None,
        description="Overrides of the kind's default rules (see GET /programmes/{id}), merged key by key: "
        'e.g. {"roles": {"mentee": {"job_networks": ["LOGNET"]}}, "session_plan": {"period_months": 6}}.',
    )


class CohortIn(_Strict):
    name: Name
    registration_opens_on: date
    registration_closes_on: date
    starts_on: date
    ends_on: date
    places: int | None = Field(default=None, ge=1, le=100_000, description="Mentee/client places; beyond them, a waitlist.")


class Questionnaire(_Strict):
    """The questionnaire. `GET /questionnaire` says which answers are public and which programme-team only."""

    name: Name
    email: Email
    index_number: IndexNumber | None = None
    appointment_type: AppointmentType
    entity: Word
    duty_station: Word = Field(description="A duty station of GET /duty-stations, or another station's name.")
    time_zone: Word | None = Field(
        default=None,
        description="Follows from a listed duty station (leave it out); for another station, its IANA time zone, e.g. Africa/Nairobi.",
    )
    grade: Word = Field(description="G-1..G-7, NO-A..NO-D, FS-1..FS-7, P-1..P-5, D-1, D-2, ASG, USG")
    years_of_service: int = Field(ge=0, le=60)
    job_network: Word
    job_family: Word | None = None
    languages: list[Word] = Field(min_length=1, max_length=10)
    gender: Word | None = None
    skills: Words = Field(default_factory=list)
    goals: Words = Field(default_factory=list)
    favourite_activities: Words = Field(default_factory=list)
    expertise_areas: Words = Field(default_factory=list)
    linkedin_url: LinkedInUrl | None = None
    bio: Text | None = None
    preferred_language: PreferredLanguage = "en"
    roles: list[Role] = Field(min_length=1, max_length=2)
    mentor_capacity: Capacity | None = None
    coach_capacity: Capacity | None = None


class AnswerChanges(_Strict):
    """Any questionnaire answers to change; only those sent change. A required answer cannot be removed."""

    name: Name | None = None
    email: Email | None = None
    index_number: IndexNumber | None = None
    appointment_type: AppointmentType | None = None
    entity: Word | None = None
    duty_station: Word | None = None
    time_zone: Word | None = None
    grade: Word | None = None
    years_of_service: int | None = Field(default=None, ge=0, le=60)
    job_network: Word | None = None
    job_family: Word | None = None
    languages: list[Word] | None = Field(default=None, min_length=1, max_length=10)
    gender: Word | None = None
    skills: Words | None = None
    goals: Words | None = None
    favourite_activities: Words | None = None
    expertise_areas: Words | None = None
    linkedin_url: LinkedInUrl | None = None
    bio: Text | None = None
    preferred_language: PreferredLanguage | None = None
    roles: list[Role] | None = Field(default=None, min_length=1, max_length=2)
    mentor_capacity: Capacity | None = None
    coach_capacity: Capacity | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> AnswerChanges:
        if not self.model_fields_set:
            raise ValueError("send at least one answer to change")
        return self


class RoleGrantIn(_Strict):
    role: Role
    capacity: Capacity | None = Field(default=None, description="Mentor or coach: how many partners they take.")


class WithdrawalIn(_Strict):
    erase_answers: bool = Field(default=False, description="Erase personal answers, where the programme allows it.")


class RejectionIn(_Strict):
    reason: Text


class Created(BaseModel):
    id: UUID


class Registered(Created):
    """The same answer whether or not the address was registered already: the mail tells its owner."""

    status: Literal["unverified"] = Field(
        default="unverified",
        description="Registered, not yet seen by anyone else: follow the link mailed to the address (`POST /participants/verify`).",
    )


class VerifyIn(_Strict):
    token: Annotated[str, single_line(max_length=200)] = Field(description="The `token` of the link in the verification mail.")


class VerifiedOut(BaseModel):
    participant_id: UUID
    waitlisted: bool = Field(description="True when the cohort's places are taken: the mentee/client waits for one.")


class ResentOut(BaseModel):
    requested_at: datetime = Field(description="When the last verification mail was asked for.")
    next_possible_at: datetime = Field(description="Asked again before this, nothing new is sent.")


class VerificationMailOut(BaseModel):
    """For the notifications service: where the verification mail goes and what it says."""

    participant_id: UUID
    email: str
    display_name: str
    preferred_language: str
    cohort_name: str
    outcome: Literal["verify", "already_registered", "nothing_to_verify"] = Field(
        description=(
            "`verify`: mail `link`; `already_registered`: the address's owner registered it in the cohort, "
            "tell them so (no link); `nothing_to_verify`: verified, superseded or withdrawn since, send nothing."
        )
    )
    link: str | None = Field(description="A new one-time link (the previous one stops working); only for `verify`.")
    expires_at: datetime | None


class ProgrammeOut(BaseModel):
    id: UUID
    name: str
    kind: ProgrammeKind
    suggestions_per_mentee: int
    created_at: datetime
    rules: ProgrammeRules
    rules_changed_at: datetime | None


class CohortOut(BaseModel):
    id: UUID
    programme_id: UUID
    name: str
    registration_opens_on: date
    registration_closes_on: date
    starts_on: date
    ends_on: date
    places: int | None
    closed_at: datetime | None
    ended_at: datetime | None = Field(
        default=None, description="When the cohort ended (CohortEnded), after the end of `ends_on` in UTC."
    )


class DutyStationOut(BaseModel):
    name: str
    country: str | None = Field(description="ISO 3166-1 alpha-2 code of the country whose public holidays the station keeps.")
    subdivision: str | None = Field(description="Where the official calendar is regional: the ISO 3166-2 subdivision, e.g. GE.")
    time_zone: str = Field(description="The IANA time zone a participant at the station gets.")


class QuestionOut(BaseModel):
    name: str
    visibility: Visibility
    required: bool
    rule: str


class QuestionnaireOut(BaseModel):
    fields: list[QuestionOut]
    programme_rules: ProgrammeRules | None = Field(
        default=None, description="With ?programme_id=: that programme's eligibility rules, capacities and session plan."
    )


class AnswerOut(BaseModel):
    field: str
    value: Any
    visibility: Visibility


class ParticipantOut(BaseModel):
    """What anyone signed in may see: the public answers (each marked), roles, capacities and status."""

    id: UUID
    cohort_id: UUID
    programme_id: UUID
    roles: list[Role]
    mentor_capacity: int | None
    coach_capacity: int | None
    public_profile: PublicProfile
    registered_at: datetime
    status: Literal["unverified", "active", "waitlisted", "withdrawn"]
    waitlisted: bool
    coach_approved: bool
    admitted_at: datetime | None
    withdrawn_at: datetime | None
    answers_erased: bool
    answers: list[AnswerOut]


class ParticipantPrivateOut(ParticipantOut):
    """The participant themself and their programme team also see the team-only answers."""

    email: str = Field(
        description="The verified address (a new one replaces it once verified); before the first verification, the one given."
    )
    person_id: str
    verified_at: datetime | None = Field(description="When the address was first verified; null while others do not see them.")


class ChangedOut(BaseModel):
    changed: list[str] = Field(description="The answers that changed; none if every value sent was the same.")


class WithdrawnOut(BaseModel):
    answers_erased: bool


class ContactOut(BaseModel):
    participant_id: UUID
    email: str
    display_name: str
    preferred_language: str
    withdrawn: bool


class DataKeyOut(BaseModel):
    """A participant's data key (ADR 0008): it opens their profile in the v2 profile events."""

    participant_id: UUID
    alg: Literal["A256GCM"] = "A256GCM"
    key: str = Field(description="The 256-bit AES-GCM key, base64url. Keep it in memory only, a few minutes.")


class CredentialOut(BaseModel):
    id: UUID
    participant_id: UUID
    cohort_id: UUID
    display_name: str
    kind: CredentialKind
    reference: str | None
    file_name: str | None
    content_type: str | None
    size_bytes: int | None
    status: CredentialStatus
    submitted_at: datetime
    decided_at: datetime | None
    reason: str | None = Field(
        description="The programme team's reason for a rejection, in their words; kept here, never in an event (ADR 0008)."
    )
