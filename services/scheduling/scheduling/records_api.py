"""The partners' records, each with who may read it (entrypoints and their small use cases).

| record | written by | read by |
| --- | --- | --- |
| feedback on a completed session (rating 1-5, comment) | each partner, once | its author |
| session notes | one partner | its author; the partner once the author shares them; NEVER the programme team |
| mentorship agreement (skills and goals, development plan, schedule) | either partner | both partners and the programme team |
| final assessment of the agreement's skills and goals | either partner | both partners and the programme team |
| pre-/post-programme survey | each partner | its author; the programme team sees aggregates per programme |

Only the rating of feedback travels in an event (`FeedbackGiven`); no note, comment, agreement,
assessment or survey answer ever does.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal
from uuid import UUID

import sqlalchemy as sa
from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from scheduling import use_cases
from scheduling.tables import agreements, assessments, feedback, notes, sessions, surveys
from together_events.contracts.scheduling import FeedbackGiven
from together_servicekit.auth import Forbidden, Principal, authenticated
from together_servicekit.errors import Conflict, DomainError, NotFound, Violation
from together_servicekit.runtime import Runtime, get_runtime
from together_servicekit.text import multiline_text, plain_text

router = APIRouter(tags=["records"])

Comment = multiline_text(4000, min_length=0)
Item = plain_text(200)


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rating: int = Field(ge=1, le=5)
    comment: Comment = ""  # type: ignore[valid-type]


class FeedbackOut(FeedbackIn):
    model_config = ConfigDict(extra="ignore")
    session_id: UUID
    given_at: datetime


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: multiline_text(20000)  # type: ignore[valid-type]
    shared: bool = Field(default=False, description="true: the partner may read it too")


class NoteChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: multiline_text(20000) | None = None  # type: ignore[valid-type]
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
    skills_and_goals: list[Item] = Field(min_length=1, max_length=20)  # type: ignore[valid-type]
    development_plan: multiline_text(10000)  # type: ignore[valid-type]
    schedule: multiline_text(2000)  # type: ignore[valid-type]


class AgreementOut(AgreementIn):
    model_config = ConfigDict(extra="ignore")
    pairing_id: UUID
    updated_at: datetime


class ItemRating(BaseModel):
    model_config = ConfigDict(extra="forbid")
    skill_or_goal: Item  # type: ignore[valid-type]
    rating: int = Field(ge=1, le=5, description="how far it was reached: 1 not at all .. 5 fully")
    comment: Comment = ""  # type: ignore[valid-type]


class AssessmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ratings: list[ItemRating] = Field(min_length=1, max_length=20)
    summary: Comment = ""  # type: ignore[valid-type]


class AssessmentOut(AssessmentIn):
    model_config = ConfigDict(extra="ignore")
    pairing_id: UUID
    updated_at: datetime


class SurveyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    confidence: int = Field(ge=1, le=5, description="confidence in the skills and goals the programme is about")
    satisfaction: int | None = Field(default=None, ge=1, le=5, description="post-programme only: satisfaction with it")
    comment: Comment = ""  # type: ignore[valid-type]


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


async def _session_and_pairing(conn: AsyncConnection, session_id: UUID, *, lock: bool = False) -> tuple[sa.Row, sa.Row]:
    query = sa.select(sessions).where(sessions.c.id == session_id)
    row = (await conn.execute(query.with_for_update() if lock else query)).first()
    if row is None:
        raise NotFound("session", session_id)
    return row, await use_cases.load_pairing(conn, row.pairing_id)


def _partner_only(caller: Principal, pairing: sa.Row, what: str) -> None:
    if not use_cases.is_partner(caller, pairing):
        raise Forbidden(f"only the partners {what}")


# Feedback --------------------------------------------------------------------------------------


@router.post("/sessions/{session_id}/feedback", status_code=status.HTTP_201_CREATED)
async def give_feedback(
    session_id: UUID, body: FeedbackIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> FeedbackOut:
    """Rate a completed session (once per partner). Rule: a partner."""
    now = runtime.now()
    async with runtime.engine.begin() as conn:
        row, pairing = await _session_and_pairing(conn, session_id, lock=True)
        _partner_only(caller, pairing, "give feedback on their sessions")
        if row.status != "completed":
            raise Conflict(f"feedback is given on a completed session; this one is {row.status}")
        giver = use_cases.participant_of(caller, pairing)
        inserted = await conn.execute(
            insert(feedback)
            .values(session_id=session_id, participant_id=giver, rating=body.rating, comment=body.comment, given_at=now)
            .on_conflict_do_nothing()
        )
        if inserted.rowcount == 0:
            raise Conflict("you have already given feedback on this session")
        await runtime.record(
            conn,
            FeedbackGiven(session_id=session_id, pairing_id=pairing.id, participant_id=giver, rating=body.rating, given_at=now),
        )
    return FeedbackOut(session_id=session_id, rating=body.rating, comment=body.comment, given_at=now)


@router.get("/sessions/{session_id}/feedback")
async def my_feedback(
    session_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> FeedbackOut:
    """The caller's own feedback on the session. Rule: a partner (their own only)."""
    async with runtime.engine.connect() as conn:
        _, pairing = await _session_and_pairing(conn, session_id)
        _partner_only(caller, pairing, "read their own feedback")
        row = (
            await conn.execute(
                sa.select(feedback).where(
                    feedback.c.session_id == session_id, feedback.c.participant_id == use_cases.participant_of(caller, pairing)
                )
            )
        ).first()
        if row is None:
            raise NotFound("feedback of yours on session", session_id)
        return FeedbackOut.model_validate(dict(row._mapping))


# Notes -----------------------------------------------------------------------------------------

_NOTES_RULE = "the author and, once shared, the partner read session notes; the programme team never does"


@router.post("/sessions/{session_id}/notes", status_code=status.HTTP_201_CREATED)
async def write_note(
    session_id: UUID, body: NoteIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> NoteOut:
    """Write a note on a session; private unless `shared`. Rule: a partner (never the programme team)."""
    now = runtime.now()
    note_id = uuid.uuid4()
    async with runtime.engine.begin() as conn:
        _, pairing = await _session_and_pairing(conn, session_id)
        _partner_only(caller, pairing, "write session notes")
        await conn.execute(
            notes.insert().values(
                id=note_id,
                session_id=session_id,
                author_person_id=caller.subject,
                text=body.text,
                shared=body.shared,
                written_at=now,
                updated_at=now,
            )
        )
    return NoteOut(
        id=note_id, session_id=session_id, mine=True, text=body.text, shared=body.shared, written_at=now, updated_at=now
    )


@router.get("/sessions/{session_id}/notes")
async def read_notes(
    session_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> list[NoteOut]:
    """The caller's notes on the session and those the partner shared. Rule: a partner; the
    programme team gets 403 whatever its scope."""
    async with runtime.engine.connect() as conn:
        _, pairing = await _session_and_pairing(conn, session_id)
        if not use_cases.is_partner(caller, pairing):
            raise Forbidden(_NOTES_RULE)
        rows = await conn.execute(
            sa.select(notes)
            .where(
                notes.c.session_id == session_id,
                sa.or_(notes.c.author_person_id == caller.subject, notes.c.shared.is_(True)),
            )
            .order_by(notes.c.written_at, notes.c.id)
        )
        return [NoteOut.model_validate({**dict(r._mapping), "mine": r.author_person_id == caller.subject}) for r in rows]


@router.patch("/notes/{note_id}")
async def change_note(
    note_id: UUID, body: NoteChange, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> NoteOut:
    """Edit a note, or share / unshare it with the partner. Rule: its author."""
    now = runtime.now()
    async with runtime.engine.begin() as conn:
        row = (await conn.execute(sa.select(notes).where(notes.c.id == note_id).with_for_update())).first()
        if row is None:
            raise NotFound("note", note_id)
        _, pairing = await _session_and_pairing(conn, row.session_id)
        if not (use_cases.is_partner(caller, pairing) and row.author_person_id == caller.subject):
            raise Forbidden("only its author changes or shares a note")
        changes = {k: v for k, v in body.model_dump(exclude_none=True).items()}
        updated = (
            await conn.execute(notes.update().where(notes.c.id == note_id).values(**changes, updated_at=now).returning(*notes.c))
        ).one()
    return NoteOut.model_validate({**dict(updated._mapping), "mine": True})


# Agreement and assessment ----------------------------------------------------------------------


async def _agreement_pairing(conn: AsyncConnection, pairing_id: UUID, caller: Principal, *, write: bool) -> sa.Row:
    pairing = await use_cases.load_pairing(conn, pairing_id)
    if use_cases.is_partner(caller, pairing):
        return pairing
    if not write and caller.runs(pairing.programme_id):
        return pairing
    raise Forbidden("the partners write the agreement and assessment; the partners and the programme team read them")


@router.put("/pairings/{pairing_id}/agreement")
async def write_agreement(
    pairing_id: UUID, body: AgreementIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> AgreementOut:
    """Write or revise the mentorship agreement. Rule: a partner."""
    now = runtime.now()
    values = {**body.model_dump(), "updated_by": caller.subject, "updated_at": now}
    async with runtime.engine.begin() as conn:
        await _agreement_pairing(conn, pairing_id, caller, write=True)
        await conn.execute(
            insert(agreements)
            .values(pairing_id=pairing_id, **values)
            .on_conflict_do_update(index_elements=["pairing_id"], set_=values)
        )
    return AgreementOut(pairing_id=pairing_id, updated_at=now, **body.model_dump())


@router.get("/pairings/{pairing_id}/agreement")
async def read_agreement(
    pairing_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> AgreementOut:
    """The mentorship agreement. Rule: a partner, or the programme's team."""
    async with runtime.engine.connect() as conn:
        await _agreement_pairing(conn, pairing_id, caller, write=False)
        row = (await conn.execute(sa.select(agreements).where(agreements.c.pairing_id == pairing_id))).first()
        if row is None:
            raise NotFound("agreement of pairing", pairing_id)
        return AgreementOut.model_validate(dict(row._mapping))


@router.put("/pairings/{pairing_id}/assessment")
async def write_assessment(
    pairing_id: UUID, body: AssessmentIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> AssessmentOut:
    """The final assessment: one rating for each skill and goal of the agreement, no other. Rule: a partner."""
    now = runtime.now()
    async with runtime.engine.begin() as conn:
        await _agreement_pairing(conn, pairing_id, caller, write=True)
        agreed = (
            await conn.execute(sa.select(agreements.c.skills_and_goals).where(agreements.c.pairing_id == pairing_id))
        ).scalar()
        if agreed is None:
            raise Conflict("write the mentorship agreement first: the assessment rates its skills and goals")
        rated = [r.skill_or_goal for r in body.ratings]
        problems = [
            Violation("ratings", "same_as_agreement", f"'{item}' is in the agreement but not rated")
            for item in agreed
            if item not in rated
        ]
        problems += [
            Violation("ratings", "same_as_agreement", f"'{item}' is not a skill or goal of the agreement")
            for item in rated
            if item not in agreed
        ]
        problems += [
            Violation("ratings", "once_each", f"'{item}' is rated more than once")
            for item in sorted(set(rated))
            if rated.count(item) > 1
        ]
        if problems:
            raise DomainError("the assessment rates exactly the agreement's skills and goals", problems, code="invalid_input")
        values = {
            "ratings": [r.model_dump() for r in body.ratings],
            "summary": body.summary,
            "updated_by": caller.subject,
            "updated_at": now,
        }
        await conn.execute(
            insert(assessments)
            .values(pairing_id=pairing_id, **values)
            .on_conflict_do_update(index_elements=["pairing_id"], set_=values)
        )
    return AssessmentOut(pairing_id=pairing_id, updated_at=now, **body.model_dump())


@router.get("/pairings/{pairing_id}/assessment")
async def read_assessment(
    pairing_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> AssessmentOut:
    """The final assessment. Rule: a partner, or the programme's team."""
    async with runtime.engine.connect() as conn:
        await _agreement_pairing(conn, pairing_id, caller, write=False)
        row = (await conn.execute(sa.select(assessments).where(assessments.c.pairing_id == pairing_id))).first()
        if row is None:
            raise NotFound("assessment of pairing", pairing_id)
        return AssessmentOut.model_validate(dict(row._mapping))


# Surveys ---------------------------------------------------------------------------------------


@router.put("/pairings/{pairing_id}/surveys/{kind}")
async def answer_survey(
    pairing_id: UUID,
    kind: Literal["pre", "post"],
    body: SurveyIn,
    runtime: Runtime = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
) -> SurveyOut:
    """Answer (or revise) the pre- or post-programme survey. Rule: a partner, for themself."""
    now = runtime.now()
    async with runtime.engine.begin() as conn:
        pairing = await use_cases.load_pairing(conn, pairing_id)
        _partner_only(caller, pairing, "answer the programme's surveys")
        if kind == "pre" and body.satisfaction is not None:
            raise DomainError(
                "satisfaction is asked after the programme",
                [Violation("satisfaction", "post_only", "satisfaction is asked in the post-programme survey only")],
                code="invalid_input",
            )
        values = {**body.model_dump(), "programme_id": pairing.programme_id, "submitted_at": now}
        await conn.execute(
            insert(surveys)
            .values(pairing_id=pairing_id, author_person_id=caller.subject, kind=kind, **values)
            .on_conflict_do_update(index_elements=["pairing_id", "author_person_id", "kind"], set_=values)
        )
    return SurveyOut(kind=kind, submitted_at=now, **body.model_dump())


@router.get("/pairings/{pairing_id}/surveys/{kind}")
async def my_survey(
    pairing_id: UUID,
    kind: Literal["pre", "post"],
    runtime: Runtime = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
) -> SurveyOut:
    """The caller's own answers. Rule: the author only (the partner and the team get 403)."""
    async with runtime.engine.connect() as conn:
        pairing = await use_cases.load_pairing(conn, pairing_id)
        _partner_only(caller, pairing, "read their own survey answers; the programme team reads aggregates")
        row = (
            await conn.execute(
                sa.select(surveys).where(
                    surveys.c.pairing_id == pairing_id, surveys.c.author_person_id == caller.subject, surveys.c.kind == kind
                )
            )
        ).first()
        if row is None:
            raise NotFound(f"{kind}-programme survey of yours in pairing", pairing_id)
        return SurveyOut.model_validate(dict(row._mapping))


@router.get("/programmes/{programme_id}/survey-summary")
async def survey_summary(
    programme_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> SurveySummary:
    """Aggregates of a programme's surveys (counts and means; no single answer). Rule: its programme team."""
    if not caller.runs(programme_id):
        raise Forbidden("only the programme's team reads its survey results")
    async with runtime.engine.connect() as conn:
        rows = {
            row.kind: row
            for row in await conn.execute(
                sa.select(
                    surveys.c.kind,
                    sa.func.count().label("answers"),
                    sa.func.avg(surveys.c.confidence).label("confidence"),
                    sa.func.avg(surveys.c.satisfaction).label("satisfaction"),
                )
                .where(surveys.c.programme_id == programme_id)
                .group_by(surveys.c.kind)
            )
        }

    def figures(kind: str) -> SurveyFigures:
        row = rows.get(kind)
        if row is None:
            return SurveyFigures(answers=0, mean_confidence=None, mean_satisfaction=None)
        return SurveyFigures(
            answers=row.answers,
            mean_confidence=round(float(row.confidence), 2),
            mean_satisfaction=round(float(row.satisfaction), 2) if row.satisfaction is not None else None,
        )

    return SurveySummary(programme_id=programme_id, pre=figures("pre"), post=figures("post"))
