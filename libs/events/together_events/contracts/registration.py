"""Events published by the registration service on topic `together.registration`.

The topic is readable by other systems: it carries identifiers (participant ids,
and the person id: the pseudonymous subject at the identity provider) and public
profile answers, never programme-team-only answers such as the email.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from together_events.registry import Event, register

# The grade vocabulary, in order of seniority: categories G < NO < FS < P < D < ASG < USG,
# and within a category by number or letter.
GRADES: tuple[str, ...] = (
    *(f"G-{n}" for n in range(1, 8)),
    *(f"NO-{c}" for c in "ABCD"),
    *(f"FS-{n}" for n in range(1, 8)),
    *(f"P-{n}" for n in range(1, 6)),
    "D-1",
    "D-2",
    "ASG",
    "USG",
)


def grade_rank(grade: str) -> int:
    """Seniority of a grade: higher is more senior. ValueError for an unknown grade."""
    return GRADES.index(grade)


class ProgrammeKind(StrEnum):
    mentoring = "mentoring"
    networking_mentoring = "networking_mentoring"
    coaching = "coaching"
    reverse_mentoring = "reverse_mentoring"
    on_the_job_learning = "on_the_job_learning"


class Role(StrEnum):
    mentor = "mentor"
    mentee = "mentee"
    coach = "coach"
    client = "client"


class PublicProfile(BaseModel):
    """The answers a participant marked public: what matching and partners may see."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    display_name: str
    entity: str
    duty_station: str
    time_zone: str
    grade: str
    years_of_service: int
    job_network: str
    languages: list[str]
    skills: list[str] = Field(default_factory=list)
    goals: list[str] = Field(default_factory=list)


class _RegistrationEvent(Event):
    service = "registration"


@register
class ProgrammeCreated(_RegistrationEvent):
    """A programme team created a programme of one kind."""

    aggregate = "programme"
    programme_id: UUID
    name: str
    kind: ProgrammeKind
    suggestions_per_mentee: int


@register
class CohortOpened(_RegistrationEvent):
    """A cohort of a programme was set up, with its registration window and its dates."""

    aggregate = "cohort"
    cohort_id: UUID
    programme_id: UUID
    programme_kind: ProgrammeKind
    name: str
    registration_opens_on: date
    registration_closes_on: date
    starts_on: date
    ends_on: date


@register
class ParticipantRegistered(_RegistrationEvent):
    """A person registered in a cohort, with their roles and public profile."""

    aggregate = "participant"
    participant_id: UUID
    person_id: str = Field(
        description="The person's identity at the identity provider (the token subject); one person may register in several cohorts."
    )
    cohort_id: UUID
    programme_id: UUID
    roles: list[Role]
    mentor_capacity: int | None = Field(default=None, description="How many mentees a mentor takes; None for other roles.")
    profile: PublicProfile
    registered_at: AwareDatetime
