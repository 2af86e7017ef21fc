"""Events published by the registration service on topic `together.registration`.

The topic is readable by other systems: it carries identifiers (participant ids,
and the person id: the pseudonymous subject at the identity provider), and the
public profile answers sealed per person (`registration_sealed`, ADR 0008); never
programme-team-only answers such as the email, nor free text (`registration_v2`: a credential's
rejection reason stays with registration). v1 of those events is kept here so history can be read.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field

from together_contracts.fields import INT32_MAX, MailboxAddress, TimeZoneName
from together_events.registry import CONTRACT_CONFIG, Event, register

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


class AppointmentType(StrEnum):
    fixed_term = "fixed_term"
    continuing = "continuing"
    permanent = "permanent"
    temporary = "temporary"
    consultant = "consultant"
    contractor = "contractor"
    intern = "intern"
    unv = "unv"


class PublicProfile(BaseModel):
    """The answers that are public: what matching and partners may see.

    Programme-team-only answers (email, index number, appointment type) never travel in an event."""

    model_config = CONTRACT_CONFIG

    display_name: str
    entity: str
    duty_station: str
    time_zone: TimeZoneName
    grade: str
    years_of_service: int = Field(ge=0, le=INT32_MAX)
    job_network: str
    languages: list[str]
    skills: list[str] = Field(default_factory=list)
    goals: list[str] = Field(default_factory=list)
    job_family: str | None = None
    gender: str | None = Field(
        default=None, description="As the participant states it; used for search filters and fairness reports."
    )
    favourite_activities: list[str] = Field(default_factory=list)
    expertise_areas: list[str] = Field(default_factory=list, description="Coaches: areas of coaching expertise.")
    bio: str | None = None
    linkedin_url: str | None = None


# What stands for a withdrawn participant's erased answers, in registration and in every copy kept by a subscriber.
ERASED_ANSWER = "(erased)"
ERASED_DISPLAY_NAME = "Withdrawn participant"
ERASED_TIME_ZONE = "UTC"


def erased_profile(grade: str, years_of_service: int) -> PublicProfile:
    """Placeholders for every personal answer; grade and years stay for the programme's statistics."""
    return PublicProfile(
        display_name=ERASED_DISPLAY_NAME,
        entity=ERASED_ANSWER,
        duty_station=ERASED_ANSWER,
        time_zone=ERASED_TIME_ZONE,
        grade=grade,
        years_of_service=years_of_service,
        job_network=ERASED_ANSWER,
        languages=[ERASED_ANSWER],
    )


class RoleRules(BaseModel):
    """Who may take one role in a programme, and how many partners they take."""

    model_config = CONTRACT_CONFIG

    appointment_types: list[AppointmentType] = Field(description="Eligible appointment types.")
    entities: list[str] | None = Field(
        default=None,
        description="The entities this role takes ('Secretariat' names all of its own); "
        "None: the programme's, the Secretariat and `ProgrammeRules.entities`.",
    )
    job_networks: list[str] | None = Field(default=None, description="Eligible job networks; None means any.")
    min_capacity: int | None = Field(
        default=None, le=INT32_MAX, description="Mentor/coach roles: the least partners one may offer to take."
    )
    max_capacity: int | None = Field(
        default=None, le=INT32_MAX, description="Mentor/coach roles: the most partners one may offer to take."
    )


class SessionPlan(BaseModel):
    """The programme's suggested rhythm of sessions."""

    model_config = CONTRACT_CONFIG

    period_months: int = Field(description="How long a pairing runs.", le=INT32_MAX)
    meeting_interval: str = Field(description="Suggested rhythm, e.g. 'twice a month', 'every 3 weeks', 'monthly'.")
    session_minutes: int | None = Field(default=None, le=INT32_MAX)
    agenda: list[str] = Field(default_factory=list, description="Named sessions in order, e.g. an introduction meeting.")


class ProgrammeRules(BaseModel):
    """A programme's rules as data. Defaults of each kind reproduce the seeds."""

    model_config = CONTRACT_CONFIG

    roles: dict[Role, RoleRules] = Field(description="The roles this programme has, and who may take each.")
    meeting_languages: list[str] = Field(description="Languages meetings may be held in.")
    entities: list[str] = Field(
        default_factory=list,
        description="Entities whose staff may take part beside the Secretariat's (e.g. ITC, ISA), in every role "
        "without a list of its own; empty, as in events from before it: the Secretariat only (`together_contracts.eligibility`).",
    )
    session_plan: SessionPlan
    matching_weights: dict[str, float] = Field(
        default_factory=dict, description="Overrides of the matching service's factor weights, by factor name."
    )
    cross_entity_preferred: bool = Field(default=True, description="Matching prefers partners from another entity.")
    cross_duty_station_preferred: bool = Field(default=False, description="Matching prefers partners at another duty station.")
    answers_erasable: bool = Field(
        default=True, description="A participant who withdraws may have their personal answers erased (placeholders kept)."
    )
    team_mailbox: MailboxAddress | None = Field(
        default=None,
        description="The programme team's functional mailbox (e.g. mentoring@un.org), published like the programme's "
        "own pages, never a person's address: the team is mailed there, e.g. when a pairing ends early. None: not set.",
    )
    official_holidays: bool = Field(
        default=False,
        description="The official public holidays of each mentor's duty station (its country's calendar) count like "
        "weekends for request deadlines, besides the days the programme team adds or removes.",
    )


class _RegistrationEvent(Event):
    service = "registration"


@register
class ProgrammeCreated(_RegistrationEvent):
    """A programme team created a programme of one kind."""

    aggregate = "programme"
    programme_id: UUID
    name: str
    kind: ProgrammeKind
    suggestions_per_mentee: int = Field(ge=0, le=INT32_MAX)
    rules: ProgrammeRules | None = Field(
        default=None, description="The programme's rules; None in events from before rules existed."
    )


@register
class ProgrammeRulesChanged(_RegistrationEvent):
    """The programme team changed a programme's rules (eligibility, capacities, session plan, matching weights)."""

    aggregate = "programme"
    programme_id: UUID
    rules: ProgrammeRules
    changed_at: AwareDatetime


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
    places: int | None = Field(
        default=None, le=INT32_MAX, description="Mentee/client places; None means unlimited. Beyond them, a waitlist."
    )


@register
class CohortClosed(_RegistrationEvent):
    """A cohort's registration window closed: new registrations are refused; adding a role needs a grant."""

    aggregate = "cohort"
    cohort_id: UUID
    programme_id: UUID
    closed_at: AwareDatetime


@register
class AddressVerificationRequested(_RegistrationEvent):
    """A participant's e-mail address waits for verification: at registration, when they change it, or
    when they ask for the link again. The notifications service mails the address a one-time link,
    which it asks registration for when it sends (never the address, never the link: neither is in
    any event). Until the address is verified nobody else hears of the registration: it is published
    as `ParticipantRegistered` then."""

    aggregate = "participant"
    participant_id: UUID
    cohort_id: UUID
    programme_id: UUID
    verification_id: UUID = Field(description="The verification the mail is for; a later one supersedes it.")
    requested_at: AwareDatetime


@register
class ParticipantRegistered(_RegistrationEvent):
    """A person registered in a cohort and verified their e-mail address, with their roles and public
    profile: from now on they are visible (suggestions, requests, messages).

    Retired for privacy (ADR 0008): no longer published, v2 seals the profile; kept so history can be read."""

    aggregate = "participant"
    participant_id: UUID
    person_id: str = Field(
        description="The person's identity at the identity provider (the token subject); one person may register in several cohorts."
    )
    cohort_id: UUID
    programme_id: UUID
    roles: list[Role]
    mentor_capacity: int | None = Field(
        default=None, le=INT32_MAX, description="How many mentees a mentor takes; None for other roles."
    )
    profile: PublicProfile
    registered_at: AwareDatetime
    coach_capacity: int | None = Field(
        default=None, le=INT32_MAX, description="How many clients a coach takes; None for other roles."
    )
    waitlisted: bool = Field(default=False, description="True when the cohort's places were taken: the mentee/client waits.")
    coach_approved: bool = Field(
        default=False, description="Coaches: visible to clients and matching only once their credential is approved."
    )


class _ParticipantState(_RegistrationEvent):
    """The participant's full public state after a change, so a consumer needs no earlier event to apply it."""

    aggregate = "participant"
    participant_id: UUID
    person_id: str
    cohort_id: UUID
    programme_id: UUID
    roles: list[Role]
    mentor_capacity: int | None = Field(default=None, le=INT32_MAX)
    coach_capacity: int | None = Field(default=None, le=INT32_MAX)
    profile: PublicProfile
    waitlisted: bool = Field(default=False, description="True while the mentee/client waits for a place in the cohort.")


@register
class ParticipantProfileUpdated(_ParticipantState):
    """A participant changed answers (roles and capacities included).

    Retired for privacy (ADR 0008): no longer published, v2 seals the profile; kept so history can be read."""

    changed: list[str] = Field(description="Names of the public answers that changed, e.g. ['languages', 'mentor_capacity'].")
    updated_at: AwareDatetime


@register
class ParticipantRoleGranted(_ParticipantState):
    """After registration closed, the programme team granted a participant another role.

    Retired for privacy (ADR 0008): no longer published, v2 seals the profile; kept so history can be read."""

    granted_role: Role
    granted_at: AwareDatetime


@register
class ParticipantAdmitted(_RegistrationEvent):
    """A waitlisted participant got a place in the cohort."""

    aggregate = "participant"
    participant_id: UUID
    cohort_id: UUID
    programme_id: UUID
    admitted_at: AwareDatetime


class CredentialKind(StrEnum):
    icf_certificate = "icf_certificate"
    icf_training_50_hours = "icf_training_50_hours"


@register
class CoachCredentialSubmitted(_RegistrationEvent):
    """A coach submitted a credential and accepted the confidentiality commitment. The file never travels."""

    aggregate = "participant"
    participant_id: UUID
    cohort_id: UUID
    programme_id: UUID
    credential_id: UUID
    kind: CredentialKind
    submitted_at: AwareDatetime


@register
class CoachCredentialApproved(_RegistrationEvent):
    """The programme team approved a coach's credential: the coach is now visible to clients and matching."""

    aggregate = "participant"
    participant_id: UUID
    person_id: str
    cohort_id: UUID
    programme_id: UUID
    credential_id: UUID
    approved_at: AwareDatetime


@register
class CoachCredentialRejected(_RegistrationEvent):
    """The programme team rejected a coach's credential, with the reason the coach is given.

    Retired for privacy (ADR 0008): no longer published, v2 leaves the reason (free text) with registration;
    kept so history can be read."""

    aggregate = "participant"
    participant_id: UUID
    person_id: str
    cohort_id: UUID
    programme_id: UUID
    credential_id: UUID
    reason: str
    rejected_at: AwareDatetime


@register
class ParticipantWithdrawn(_RegistrationEvent):
    """A participant left the cohort. Pairing withdraws their requests and ends their pairings;
    matching stops suggesting them; scheduling cancels their future sessions."""

    aggregate = "participant"
    participant_id: UUID
    person_id: str
    cohort_id: UUID
    programme_id: UUID
    withdrawn_at: AwareDatetime
    answers_erased: bool = Field(description="True when the participant's personal answers were erased at their request.")


@register
class ParticipantAnswersErased(_RegistrationEvent):
    """A withdrawn participant's personal answers were erased at their request (at withdrawal or later).
    Registration keeps placeholders; subscribers holding copies of the public profile erase theirs."""

    aggregate = "participant"
    participant_id: UUID
    person_id: str
    cohort_id: UUID
    programme_id: UUID
    erased_at: AwareDatetime


@register
class RegistrationRefused(_RegistrationEvent):
    """Somebody asked to join a cohort and a rule of the programme refused them: counted in the cohort's
    outcomes report. About no one: nothing says who it was (a refused person never became a participant)."""

    aggregate = "cohort"
    cohort_id: UUID
    programme_id: UUID
    failed_rules: list[str] = Field(
        min_length=1, description="the rules that refused, as the 422 names them: appointment_type, entity, job_network, ..."
    )
    refused_at: AwareDatetime


@register
class CohortEnded(_RegistrationEvent):
    """A cohort reached its end date (`ends_on`, at the end of that day in UTC). Pairing completes the
    pairings still open (`PairingCompleted`, reason `programme_ended`) and lets the requests still open
    lapse; scheduling asks both partners of each pairing for the final assessment and the post-programme
    survey. Once per cohort."""

    aggregate = "cohort"
    cohort_id: UUID
    programme_id: UUID
    ends_on: date
    ended_at: AwareDatetime
