"""The questionnaire, and participants: registration, answers, roles, withdrawal, erasure, contact."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response, status

from registration import queries
from registration.api.models import (
    AnswerChanges,
    ChangedOut,
    ContactOut,
    DataKeyOut,
    ParticipantOut,
    ParticipantPrivateOut,
    Questionnaire,
    QuestionnaireOut,
    QuestionOut,
    Registered,
    RoleGrantIn,
    WithdrawalIn,
    WithdrawnOut,
)
from registration.domain.questionnaire import FIELDS
from registration.use_cases import erasure, participants
from together_contracts.words import Language
from together_servicekit.auth import Principal, authenticated
from together_servicekit.languages import caller_language
from together_servicekit.paging import Page, paged
from together_servicekit.runtime import Runtime, get_runtime

router = APIRouter(tags=["participants"])


@router.get("/questionnaire")
async def get_questionnaire(
    programme_id: UUID | None = Query(default=None, description="Add this programme's rules."),
    runtime: Runtime = Depends(get_runtime),
    _: Principal = Depends(authenticated),
) -> QuestionnaireOut:
    """Rule: anyone signed in. Each field with its visibility (public or programme_team) and rule."""
    fields = [QuestionOut(name=f.name, visibility=f.visibility, required=f.required, rule=f.rule) for f in FIELDS]
    if programme_id is None:
        return QuestionnaireOut(fields=fields)
    return QuestionnaireOut(fields=fields, programme_rules=await queries.programme_rules(runtime, programme_id))


@router.post("/cohorts/{cohort_id}/participants", status_code=status.HTTP_201_CREATED)
async def register(
    cohort_id: UUID,
    body: Questionnaire,
    runtime: Runtime = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
    language: Language = Depends(caller_language),
) -> Registered:
    """Rule: a participant registers themself; the registration belongs to the token's subject. It waits,
    seen by nobody else, until the link mailed to the address is followed; the answer is the same
    whether or not the address is registered already. Refusals of the window, the entity and the job
    network, and the 409 of a person registered already, are worded in the `Accept-Language`."""
    participant_id = await participants.register(
        runtime, caller=caller, cohort_id=cohort_id, answers=body.model_dump(mode="json"), language=language
    )
    return Registered(id=participant_id)


def _shaped(view: queries.ParticipantView) -> ParticipantPrivateOut | ParticipantOut:
    if view.insider:
        return ParticipantPrivateOut.model_validate(view.fields)
    return ParticipantOut.model_validate(view.fields)


@router.get("/cohorts/{cohort_id}/participants")
async def list_participants(
    cohort_id: UUID,
    page: Page = Depends(paged(default=100, maximum=500)),
    runtime: Runtime = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
) -> list[ParticipantPrivateOut]:
    """Rule: the team of the cohort's programme. The participants with every answer, in registration
    order, a page at a time (`limit`, `offset`)."""
    views = await queries.cohort_participants(runtime, cohort_id, caller, page)
    return [ParticipantPrivateOut.model_validate(view.fields) for view in views]


@router.get("/participants/{participant_id}")
async def get_participant(
    participant_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> ParticipantPrivateOut | ParticipantOut:
    """Rule: the participant and their programme team see every answer; anyone else signed in, the
    public answers. A coach whose credential is not approved is visible to themself and the team only."""
    return _shaped(await queries.participant(runtime, participant_id, caller))


@router.patch("/participants/{participant_id}")
async def change_answers(
    participant_id: UUID,
    body: AnswerChanges,
    runtime: Runtime = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
    language: Language = Depends(caller_language),
) -> ChangedOut:
    """Rule: the participant themself. While registration is open any answer (roles included),
    re-validated with every reason; after it closes, every answer but the roles (a role needs a grant)."""
    changes = body.model_dump(mode="json", include=body.model_fields_set)
    changed = await participants.change_answers(
        runtime, caller=caller, participant_id=participant_id, changes=changes, language=language
    )
    return ChangedOut(changed=changed)


@router.post("/participants/{participant_id}/roles", status_code=status.HTTP_204_NO_CONTENT)
async def grant_role(
    participant_id: UUID,
    body: RoleGrantIn,
    runtime: Runtime = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
    language: Language = Depends(caller_language),
) -> Response:
    """Rule: the team of the participant's programme, once registration has closed (409 before)."""
    await participants.grant_role(
        runtime, caller=caller, participant_id=participant_id, role=body.role, capacity=body.capacity, language=language
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/participants/{participant_id}/withdrawal")
async def withdraw(
    participant_id: UUID,
    body: WithdrawalIn | None = None,
    runtime: Runtime = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
) -> WithdrawnOut:
    """Rule: the participant themself or their programme team, at any time (409 if already withdrawn)."""
    erase = body.erase_answers if body is not None else False
    erased = await participants.withdraw(runtime, caller=caller, participant_id=participant_id, erase_answers=erase)
    return WithdrawnOut(answers_erased=erased)


@router.post("/participants/{participant_id}/erasure", status_code=status.HTTP_204_NO_CONTENT)
async def erase(
    participant_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> Response:
    """Rule: the participant themself or their programme team, once withdrawn (409 before, or if already
    erased; 422 where the programme keeps answers)."""
    await erasure.erase_answers(runtime, caller=caller, participant_id=participant_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/participants/{participant_id}/contact")
async def get_contact(
    participant_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> ContactOut:
    """Rule: the role `service` only (the notifications service addresses its mails with it)."""
    return ContactOut.model_validate(await queries.contact(runtime, participant_id, caller))


@router.get("/participants/{participant_id}/data-key")
async def get_data_key(
    participant_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> DataKeyOut:
    """Rule: a `service` token with the scope `registration:data-keys` only (the services that open the
    profiles sealed in events, ADR 0008). 404 alike for an unknown participant and an erased one."""
    return DataKeyOut.model_validate(await queries.data_key(runtime, participant_id, caller))
