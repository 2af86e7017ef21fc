"""Registration's HTTP API (entrypoints room)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import sqlalchemy as sa
from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from registration import credentials, use_cases
from registration.credentials import CredentialStatus, Upload
from registration.questionnaire import FIELDS, PREFERRED_LANGUAGES, TEAM_ONLY, VISIBILITY, Visibility
from registration.settings import RegistrationSettings
from registration.tables import coach_credentials, cohorts, participants, programmes
from together_events.contracts.registration import (
    AppointmentType,
    CredentialKind,
    ProgrammeKind,
    ProgrammeRules,
    PublicProfile,
    Role,
)
from together_servicekit.auth import Forbidden, Principal, authenticated, require
from together_servicekit.auth import Role as AuthRole
from together_servicekit.errors import DomainError, NotFound, Violation
from together_servicekit.runtime import Runtime, get_runtime
from together_servicekit.text import NO_CONTROL_CHARACTERS, multiline_text, plain_text

router = APIRouter()

Name = plain_text(max_length=200)
Word = plain_text(max_length=100)
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=254, pattern=r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$"
    ),
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
assert PreferredLanguage.__args__ == PREFERRED_LANGUAGES  # type: ignore[attr-defined]
# Answers that may not be removed by a change (required in the questionnaire).
_REQUIRED = frozenset(f.name for f in FIELDS if f.required)


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
    duty_station: Word
    time_zone: Word = Field(description="IANA time zone of the duty station, e.g. America/New_York")
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
    bio: multiline_text(max_length=2000) | None = None  # type: ignore[valid-type]
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
    bio: multiline_text(max_length=2000) | None = None  # type: ignore[valid-type]
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
    reason: multiline_text(max_length=2000)  # type: ignore[valid-type]


class Created(BaseModel):
    id: UUID


class Registered(Created):
    waitlisted: bool = Field(description="True when the cohort's places are taken: the mentee/client waits for one.")


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
    status: Literal["active", "waitlisted", "withdrawn"]
    waitlisted: bool
    coach_approved: bool
    admitted_at: datetime | None
    withdrawn_at: datetime | None
    answers_erased: bool
    answers: list[AnswerOut]


class ParticipantPrivateOut(ParticipantOut):
    """The participant themself and their programme team also see the team-only answers."""

    email: str
    person_id: str


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
    reason: str | None


# --- programmes and cohorts -------------------------------------------------------------------


@router.post("/programmes", status_code=status.HTTP_201_CREATED, tags=["programmes"])
async def create_programme(
    body: ProgrammeIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> Created:
    """Rule: a programme team member whose scope is every programme ('*')."""
    if not caller.runs("*") or "*" not in caller.programmes:
        raise Forbidden("creating a programme needs the role programme_team with scope '*'")
    programme_id = await use_cases.create_programme(
        runtime,
        name=body.name,
        kind=body.kind,
        suggestions_per_mentee=body.suggestions_per_mentee,
        rules_override=body.rules,
    )
    return Created(id=programme_id)


@router.get("/programmes/{programme_id}", tags=["programmes"])
async def get_programme(
    programme_id: UUID, runtime: Runtime = Depends(get_runtime), _: Principal = Depends(authenticated)
) -> ProgrammeOut:
    """Rule: anyone signed in (a programme's name, kind and rules are public)."""
    row = await _one(runtime, programmes, programme_id, "programme")
    return ProgrammeOut.model_validate({**row, "rules": use_cases.rules_of(row["kind"], row["rules"])})


@router.patch("/programmes/{programme_id}/rules", tags=["programmes"])
async def change_rules(
    programme_id: UUID,
    body: dict[str, Any],
    runtime: Runtime = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
) -> ProgrammeRules:
    """Rule: the programme's own team. The body is merged over the current rules (as at creation)."""
    if not caller.runs(programme_id):
        raise Forbidden("only the team running this programme changes its rules")
    return await use_cases.change_rules(runtime, programme_id=programme_id, override=body)


@router.post("/programmes/{programme_id}/cohorts", status_code=status.HTTP_201_CREATED, tags=["cohorts"])
async def open_cohort(
    programme_id: UUID, body: CohortIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> Created:
    """Rule: the programme's own team."""
    if not caller.runs(programme_id):
        raise Forbidden("only the team running this programme opens its cohorts")
    cohort_id = await use_cases.open_cohort(
        runtime,
        programme_id=programme_id,
        name=body.name,
        opens=body.registration_opens_on,
        closes=body.registration_closes_on,
        starts=body.starts_on,
        ends=body.ends_on,
        places=body.places,
    )
    return Created(id=cohort_id)


@router.get("/cohorts/{cohort_id}", tags=["cohorts"])
async def get_cohort(
    cohort_id: UUID, runtime: Runtime = Depends(get_runtime), _: Principal = Depends(authenticated)
) -> CohortOut:
    """Rule: anyone signed in (dates and windows are public)."""
    return CohortOut.model_validate(await _one(runtime, cohorts, cohort_id, "cohort"))


@router.post("/cohorts/{cohort_id}/closure", tags=["cohorts"])
async def close_cohort(
    cohort_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> CohortOut:
    """Rule: the programme's own team. Closes registration now (409 if already closed); the
    cohort closer does the same on its own once the window has passed."""
    await use_cases.close_cohort_now(runtime, cohort_id=cohort_id, caller=caller)
    return CohortOut.model_validate(await _one(runtime, cohorts, cohort_id, "cohort"))


# --- the questionnaire and participants ------------------------------------------------------


@router.get("/questionnaire", tags=["participants"])
async def get_questionnaire(
    programme_id: UUID | None = Query(default=None, description="Add this programme's rules."),
    runtime: Runtime = Depends(get_runtime),
    _: Principal = Depends(authenticated),
) -> QuestionnaireOut:
    """Rule: anyone signed in. Each field with its visibility (public or programme_team) and rule."""
    fields = [QuestionOut(name=f.name, visibility=f.visibility, required=f.required, rule=f.rule) for f in FIELDS]
    if programme_id is None:
        return QuestionnaireOut(fields=fields)
    row = await _one(runtime, programmes, programme_id, "programme")
    return QuestionnaireOut(fields=fields, programme_rules=use_cases.rules_of(row["kind"], row["rules"]))


@router.post("/cohorts/{cohort_id}/participants", status_code=status.HTTP_201_CREATED, tags=["participants"])
async def register(
    cohort_id: UUID, body: Questionnaire, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> Registered:
    """Rule: a participant registers themself; the registration belongs to the token's subject."""
    require(caller, AuthRole.participant)
    participant_id, waitlisted = await use_cases.register_participant(
        runtime, cohort_id=cohort_id, person_id=caller.subject, answers=body.model_dump(mode="json")
    )
    return Registered(id=participant_id, waitlisted=waitlisted)


async def _participant(runtime: Runtime, participant_id: UUID) -> dict[str, Any]:
    async with runtime.engine.connect() as conn:
        row = (
            (
                await conn.execute(
                    sa.select(participants, cohorts.c.programme_id)
                    .join(cohorts, cohorts.c.id == participants.c.cohort_id)
                    .where(participants.c.id == participant_id)
                )
            )
            .mappings()
            .first()
        )
    if row is None:
        raise NotFound("participant", participant_id)
    return dict(row)


def _view(row: dict[str, Any], insider: bool) -> ParticipantPrivateOut | ParticipantOut:
    """A participant as the caller may see them: every answer for insiders, the public ones otherwise."""
    answers = [
        AnswerOut(field=name, value=value, visibility=VISIBILITY[name])
        for name, value in use_cases.answers_of(row).items()
        if insider or name not in TEAM_ONLY
    ]
    state = "withdrawn" if row["withdrawn_at"] else "waitlisted" if row["waitlisted"] else "active"
    view = {**row, "status": state, "answers": answers}
    return ParticipantPrivateOut.model_validate(view) if insider else ParticipantOut.model_validate(view)


@router.get("/cohorts/{cohort_id}/participants", tags=["participants"])
async def list_participants(
    cohort_id: UUID,
    runtime: Runtime = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
) -> list[ParticipantPrivateOut]:
    """Rule: the team of the cohort's programme. Every participant with every answer, in registration order."""
    cohort = await _one(runtime, cohorts, cohort_id, "cohort")
    if not caller.runs(cohort["programme_id"]):
        raise Forbidden("only the team running this programme lists its participants")
    async with runtime.engine.connect() as conn:
        rows = (
            await conn.execute(
                sa.select(participants, cohorts.c.programme_id)
                .join(cohorts, cohorts.c.id == participants.c.cohort_id)
                .where(participants.c.cohort_id == cohort_id)
                .order_by(participants.c.registered_at, participants.c.id)
            )
        ).mappings()
        return [_view(dict(row), insider=True) for row in rows]  # type: ignore[misc]


@router.get("/participants/{participant_id}", tags=["participants"])
async def get_participant(
    participant_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> ParticipantPrivateOut | ParticipantOut:
    """Rule: the participant and their programme team see every answer; anyone else signed in, the
    public answers. A coach whose credential is not approved is visible to themself and the team only."""
    row = await _participant(runtime, participant_id)
    insider = caller.is_person(row["person_id"]) or caller.runs(row["programme_id"])
    if not insider and Role.coach.value in row["roles"] and not row["coach_approved"]:
        raise NotFound("participant", participant_id)
    return _view(row, insider)


@router.patch("/participants/{participant_id}", tags=["participants"])
async def change_answers(
    participant_id: UUID,
    body: AnswerChanges,
    runtime: Runtime = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
) -> ChangedOut:
    """Rule: the participant themself. While registration is open any answer (roles included),
    re-validated with every reason; after it closes, every answer but the roles (a role needs a grant)."""
    changes = body.model_dump(mode="json", include=body.model_fields_set)
    removed = [
        Violation(name, "required", f"'{name}' cannot be removed")
        for name, v in changes.items()
        if v is None and name in _REQUIRED
    ]
    if removed:
        raise DomainError("the change is refused: " + "; ".join(v.message for v in removed), removed)
    changed = await use_cases.update_answers(runtime, participant_id=participant_id, caller=caller, changes=changes)
    return ChangedOut(changed=changed)


@router.post("/participants/{participant_id}/roles", status_code=status.HTTP_204_NO_CONTENT, tags=["participants"])
async def grant_role(
    participant_id: UUID, body: RoleGrantIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> Response:
    """Rule: the team of the participant's programme, once registration has closed (409 before)."""
    await use_cases.grant_role(runtime, participant_id=participant_id, caller=caller, role=body.role, capacity=body.capacity)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/participants/{participant_id}/withdrawal", tags=["participants"])
async def withdraw(
    participant_id: UUID,
    body: WithdrawalIn | None = None,
    runtime: Runtime = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
) -> WithdrawnOut:
    """Rule: the participant themself or their programme team, at any time (409 if already withdrawn)."""
    erase = body.erase_answers if body is not None else False
    erased = await use_cases.withdraw(runtime, participant_id=participant_id, caller=caller, erase_answers=erase)
    return WithdrawnOut(answers_erased=erased)


@router.post("/participants/{participant_id}/erasure", status_code=status.HTTP_204_NO_CONTENT, tags=["participants"])
async def erase(
    participant_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> Response:
    """Rule: the participant themself or their programme team, once withdrawn (409 before, or if already
    erased; 422 where the programme keeps answers)."""
    await use_cases.erase_answers(runtime, participant_id=participant_id, caller=caller)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/participants/{participant_id}/contact", tags=["participants"])
async def get_contact(
    participant_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> ContactOut:
    """Rule: the role `service` only (the notifications service addresses its mails with it)."""
    require(caller, AuthRole.service)
    row = await _participant(runtime, participant_id)
    return ContactOut(
        participant_id=row["id"],
        email=row["email"],
        display_name=row["public_profile"]["display_name"],
        preferred_language=row["preferred_language"],
        withdrawn=row["withdrawn_at"] is not None,
    )


# --- coach credentials -----------------------------------------------------------------------

CREDENTIAL_UPLOAD_PATH = r"/participants/[^/]+/credentials"


@router.post("/participants/{participant_id}/credentials", status_code=status.HTTP_201_CREATED, tags=["credentials"])
async def submit_credential(
    participant_id: UUID,
    kind: Annotated[CredentialKind, Form(description="icf_certificate or icf_training_50_hours")],
    confidentiality_accepted: Annotated[bool, Form(description="The coach accepts the confidentiality commitment.")] = False,
    reference: Annotated[
        str | None, Form(max_length=500, pattern=NO_CONTROL_CHARACTERS, description="e.g. an ICF credential number or URL")
    ] = None,
    file: Annotated[UploadFile | None, File(description="PDF, PNG or JPEG")] = None,
    runtime: Runtime = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
) -> Created:
    """Rule: the coach themself (multipart form). A file or a reference, and the commitment."""
    settings: RegistrationSettings = runtime.settings  # type: ignore[assignment]
    upload = None
    if file is not None:
        content = await file.read(settings.credential_max_bytes + 1)
        upload = Upload(file_name=(file.filename or "credential")[:200], declared_type=file.content_type or "", content=content)
    credential_id = await credentials.submit(
        runtime,
        participant_id=participant_id,
        caller=caller,
        kind=kind,
        upload=upload,
        reference=reference.strip() if reference else None,
        confidentiality_accepted=confidentiality_accepted,
        max_bytes=settings.credential_max_bytes,
    )
    return Created(id=credential_id)


@router.get("/programmes/{programme_id}/credentials", tags=["credentials"])
async def list_credentials(
    programme_id: UUID,
    status_: CredentialStatus | None = Query(default=CredentialStatus.pending, alias="status"),
    runtime: Runtime = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
) -> list[CredentialOut]:
    """Rule: the programme's own team. Pending credentials by default, oldest first."""
    if not caller.runs(programme_id):
        raise Forbidden("only the team running this programme reviews its coaches' credentials")
    query = (
        sa.select(
            coach_credentials,
            participants.c.cohort_id,
            participants.c.public_profile["display_name"].astext.label("display_name"),
        )
        .join(participants, participants.c.id == coach_credentials.c.participant_id)
        .join(cohorts, cohorts.c.id == participants.c.cohort_id)
        .where(cohorts.c.programme_id == programme_id)
        .order_by(coach_credentials.c.submitted_at, coach_credentials.c.id)
    )
    if status_ is not None:
        query = query.where(coach_credentials.c.status == status_.value)
    async with runtime.engine.connect() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return [CredentialOut.model_validate(dict(row)) for row in rows]


async def _credential(runtime: Runtime, credential_id: UUID) -> dict[str, Any]:
    async with runtime.engine.connect() as conn:
        row = (
            (
                await conn.execute(
                    sa.select(coach_credentials, cohorts.c.programme_id, participants.c.person_id)
                    .join(participants, participants.c.id == coach_credentials.c.participant_id)
                    .join(cohorts, cohorts.c.id == participants.c.cohort_id)
                    .where(coach_credentials.c.id == credential_id)
                )
            )
            .mappings()
            .first()
        )
    if row is None:
        raise NotFound("credential", credential_id)
    return dict(row)


@router.get(
    "/credentials/{credential_id}/file",
    tags=["credentials"],
    response_class=Response,
    responses={200: {"content": {t: {} for t in credentials.SIGNATURES}, "description": "The file as uploaded"}},
)
async def download_credential(
    credential_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> Response:
    """Rule: the programme's team, and the coach themself. 404 for a reference-only (or erased) credential."""
    row = await _credential(runtime, credential_id)
    if not (caller.runs(row["programme_id"]) or caller.is_person(row["person_id"])):
        raise Forbidden("only the programme team and the coach read a credential")
    if row["content"] is None:
        raise NotFound("credential file", credential_id)
    return Response(
        content=row["content"],
        media_type=row["content_type"],
        headers={"Content-Disposition": f'attachment; filename="credential-{credential_id}"'},
    )


@router.post("/credentials/{credential_id}/approval", status_code=status.HTTP_204_NO_CONTENT, tags=["credentials"])
async def approve_credential(
    credential_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> Response:
    """Rule: the programme's own team; the coach becomes visible to clients and matching."""
    await credentials.decide(runtime, credential_id=credential_id, caller=caller, approve=True, reason=None)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/credentials/{credential_id}/rejection", status_code=status.HTTP_204_NO_CONTENT, tags=["credentials"])
async def reject_credential(
    credential_id: UUID, body: RejectionIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> Response:
    """Rule: the programme's own team, with the reason the coach is given."""
    await credentials.decide(runtime, credential_id=credential_id, caller=caller, approve=False, reason=body.reason)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def _one(runtime: Runtime, table: sa.Table, key: UUID, what: str) -> dict:
    async with runtime.engine.connect() as conn:
        row = (await conn.execute(sa.select(table).where(table.c.id == key))).mappings().first()
    if row is None:
        raise NotFound(what, key)
    return dict(row)
