"""The partners' records, each with who may read it (tag `records`).

| record | written by | read by |
| --- | --- | --- |
| feedback on a completed session (rating 1-5, comment) | each partner, once | its author |
| session notes | one partner | its author; the partner once the author shares them; NEVER the programme team |
| mentorship agreement (skills and goals, development plan, schedule) | either partner | both partners and the programme team |
| final assessment of the agreement's skills and goals | either partner | both partners and the programme team |
| pre-/post-programme survey | each participant, once of each kind (revisable) | its author; the programme team sees aggregates per programme |

Only scores travel in events: a feedback's rating (`FeedbackGiven`), a survey's (`SurveyAnswered`), and
how many of a final assessment's items were rated and met (`FinalAssessmentGiven`); no note, comment,
agreement, assessment item or survey comment ever does.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends, status

from scheduling import queries
from scheduling.api.models import (
    AgreementIn,
    AgreementOut,
    AssessmentIn,
    AssessmentOut,
    FeedbackIn,
    FeedbackOut,
    NoteChange,
    NoteIn,
    NoteOut,
    SurveyFigures,
    SurveyIn,
    SurveyOut,
    SurveySummary,
)
from scheduling.use_cases import outcomes, records
from together_contracts.scheduling import SurveyKind
from together_servicekit.auth import Principal, authenticated
from together_servicekit.runtime import Runtime, get_runtime

router = APIRouter(tags=["records"])


# Feedback --------------------------------------------------------------------------------------


@router.post("/sessions/{session_id}/feedback", status_code=status.HTTP_201_CREATED)
async def give_feedback(
    session_id: UUID, body: FeedbackIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> FeedbackOut:
    """Rate a completed session (once per partner). Rule: a partner."""
    given_at = await records.give_feedback(runtime, caller, session_id=session_id, rating=body.rating, comment=body.comment)
    return FeedbackOut(session_id=session_id, rating=body.rating, comment=body.comment, given_at=given_at)


@router.get("/sessions/{session_id}/feedback")
async def my_feedback(
    session_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> FeedbackOut:
    """The caller's own feedback on the session. Rule: a partner (their own only)."""
    return FeedbackOut.model_validate(await queries.my_feedback(runtime, caller, session_id))


# Notes -----------------------------------------------------------------------------------------


@router.post("/sessions/{session_id}/notes", status_code=status.HTTP_201_CREATED)
async def write_note(
    session_id: UUID, body: NoteIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> NoteOut:
    """Write a note on a session; private unless `shared`. Rule: a partner (never the programme team)."""
    note = await records.write_note(runtime, caller, session_id=session_id, text=body.text, shared=body.shared)
    return NoteOut.model_validate({**note, "mine": True})


@router.get("/sessions/{session_id}/notes")
async def read_notes(
    session_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> list[NoteOut]:
    """The caller's notes on the session and those the partner shared. Rule: a partner; the
    programme team gets 403 (it sees the session, never its notes)."""
    return [NoteOut.model_validate(note) for note in await queries.notes_of_session(runtime, caller, session_id)]


@router.patch("/notes/{note_id}")
async def change_note(
    note_id: UUID, body: NoteChange, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> NoteOut:
    """Edit a note, or share / unshare it with the partner. Rule: its author."""
    note = await records.change_note(runtime, caller, note_id=note_id, text=body.text, shared=body.shared)
    return NoteOut.model_validate({**note, "mine": True})


# Agreement and assessment ----------------------------------------------------------------------


@router.put("/pairings/{pairing_id}/agreement")
async def write_agreement(
    pairing_id: UUID, body: AgreementIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> AgreementOut:
    """Write or revise the mentorship agreement. Rule: a partner."""
    updated_at = await records.write_agreement(
        runtime,
        caller,
        pairing_id=pairing_id,
        skills_and_goals=body.skills_and_goals,
        development_plan=body.development_plan,
        schedule=body.schedule,
    )
    return AgreementOut(pairing_id=pairing_id, updated_at=updated_at, **body.model_dump())


@router.get("/pairings/{pairing_id}/agreement")
async def read_agreement(
    pairing_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> AgreementOut:
    """The mentorship agreement. Rule: a partner, or the programme's team."""
    return AgreementOut.model_validate(await queries.agreement(runtime, caller, pairing_id))


@router.put("/pairings/{pairing_id}/assessment")
async def write_assessment(
    pairing_id: UUID, body: AssessmentIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> AssessmentOut:
    """The final assessment: one rating for each skill and goal of the agreement, no other. Rule: a partner."""
    updated_at = await records.write_assessment(
        runtime, caller, pairing_id=pairing_id, ratings=[r.model_dump() for r in body.ratings], summary=body.summary
    )
    return AssessmentOut(pairing_id=pairing_id, updated_at=updated_at, **body.model_dump())


@router.get("/pairings/{pairing_id}/assessment")
async def read_assessment(
    pairing_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> AssessmentOut:
    """The final assessment. Rule: a partner, or the programme's team."""
    return AssessmentOut.model_validate(await queries.assessment(runtime, caller, pairing_id))


# Surveys ---------------------------------------------------------------------------------------


@router.put("/participants/{participant_id}/surveys/{kind}")
async def answer_survey(
    participant_id: UUID,
    kind: SurveyKind,
    body: SurveyIn,
    runtime: Runtime = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
) -> SurveyOut:
    """Answer (or revise) one's pre- or post-programme survey; the scores are published (`SurveyAnswered`).
    Rule: the participant themself (their programme's team: 403)."""
    submitted_at = await outcomes.answer_survey(
        runtime,
        caller,
        participant_id=participant_id,
        kind=kind,
        confidence=body.confidence,
        satisfaction=body.satisfaction,
        comment=body.comment,
    )
    return SurveyOut(kind=kind.value, submitted_at=submitted_at, **body.model_dump())


@router.get("/participants/{participant_id}/surveys/{kind}")
async def my_survey(
    participant_id: UUID,
    kind: SurveyKind,
    runtime: Runtime = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
) -> SurveyOut:
    """The participant's own answers. Rule: the participant themself (their programme's team: 403)."""
    return SurveyOut.model_validate(await queries.my_survey(runtime, caller, participant_id, kind.value))


@router.put("/pairings/{pairing_id}/surveys/{kind}")
async def answer_survey_in_pairing(
    pairing_id: UUID,
    kind: SurveyKind,
    body: SurveyIn,
    runtime: Runtime = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
) -> SurveyOut:
    """The same as `PUT /participants/{participant_id}/surveys/{kind}` for the caller's participant in the
    pairing (kept for existing clients). Rule: a partner, for themself."""
    submitted_at = await outcomes.answer_survey_in_pairing(
        runtime,
        caller,
        pairing_id=pairing_id,
        kind=kind,
        confidence=body.confidence,
        satisfaction=body.satisfaction,
        comment=body.comment,
    )
    return SurveyOut(kind=kind.value, submitted_at=submitted_at, **body.model_dump())


@router.get("/pairings/{pairing_id}/surveys/{kind}")
async def my_survey_in_pairing(
    pairing_id: UUID,
    kind: SurveyKind,
    runtime: Runtime = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
) -> SurveyOut:
    """The caller's own answers, as their participant in the pairing. Rule: the author only (the partner:
    404, none of theirs; the team: 403)."""
    return SurveyOut.model_validate(await queries.my_survey_in_pairing(runtime, caller, pairing_id, kind.value))


@router.get("/programmes/{programme_id}/survey-summary")
async def survey_summary(
    programme_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> SurveySummary:
    """Aggregates of a programme's surveys (counts and means; no single answer). Rule: its programme team."""
    by_kind = await queries.survey_summary(runtime, caller, programme_id)
    return SurveySummary(
        programme_id=programme_id,
        pre=SurveyFigures.model_validate(by_kind["pre"], from_attributes=True),
        post=SurveyFigures.model_validate(by_kind["post"], from_attributes=True),
    )
