"""The partners' records: feedback, session notes, the mentorship agreement and final assessment. Each
is written by a partner (ADR 0005); only the rating of feedback and the final assessment's counts are
published. The surveys: `outcomes`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

from scheduling import repository
from scheduling.access import require_partner, visible_note, visible_pairing, visible_session
from scheduling.domain.records import check_assessment, feedback_given
from scheduling.use_cases import outcomes
from together_servicekit.auth import Forbidden, Principal
from together_servicekit.errors import Conflict
from together_servicekit.runtime import Runtime

AGREEMENT_WRITERS = "the partners write the agreement and assessment; the partners and the programme team read them"


async def give_feedback(runtime: Runtime, caller: Principal, *, session_id: UUID, rating: int, comment: str) -> datetime:
    """Rate a completed session, once per partner; the comment stays here. Returns when it was given."""
    now = runtime.now()
    async with runtime.engine.begin() as conn:
        session, pairing = await visible_session(conn, caller, session_id, lock=True)
        giver = require_partner(caller, pairing, "only the partners give feedback on their sessions")
        given = feedback_given(session, pairing, giver=giver, rating=rating, now=now)
        if not await repository.add_feedback(conn, session_id, giver, rating, comment, now):
            raise Conflict("you have already given feedback on this session")
        await runtime.record(conn, given)
    return now


async def write_note(runtime: Runtime, caller: Principal, *, session_id: UUID, text: str, shared: bool) -> dict[str, Any]:
    """A note on a session, private unless shared with the partner. Returns the note."""
    now = runtime.now()
    async with runtime.engine.begin() as conn:
        _, pairing = await visible_session(conn, caller, session_id)
        require_partner(caller, pairing, "only the partners write session notes")
        note = {
            "id": uuid.uuid4(),
            "session_id": session_id,
            "author_person_id": caller.subject,
            "text": text,
            "shared": shared,
            "written_at": now,
            "updated_at": now,
        }
        await repository.add_note(conn, note)
    return note


async def change_note(
    runtime: Runtime, caller: Principal, *, note_id: UUID, text: str | None, shared: bool | None
) -> dict[str, Any]:
    """Edit a note, or share or unshare it: its author only. Returns the note as changed."""
    now = runtime.now()
    async with runtime.engine.begin() as conn:
        note = await visible_note(conn, caller, note_id, lock=True)
        if note.author_person_id != caller.subject:
            raise Forbidden("only its author changes or shares a note")  # the partner who reads it once shared
        changes = {name: value for name, value in (("text", text), ("shared", shared)) if value is not None}
        return await repository.change_note(conn, note_id, {**changes, "updated_at": now})


async def write_agreement(
    runtime: Runtime, caller: Principal, *, pairing_id: UUID, skills_and_goals: list[str], development_plan: str, schedule: str
) -> datetime:
    """Write or revise the mentorship agreement. Returns when."""
    now = runtime.now()
    values = {
        "skills_and_goals": skills_and_goals,
        "development_plan": development_plan,
        "schedule": schedule,
        "updated_by": caller.subject,
        "updated_at": now,
    }
    async with runtime.engine.begin() as conn:
        pairing = await visible_pairing(conn, caller, pairing_id)
        require_partner(caller, pairing, AGREEMENT_WRITERS)
        await repository.save_agreement(conn, pairing_id, values)
    return now


async def write_assessment(
    runtime: Runtime, caller: Principal, *, pairing_id: UUID, ratings: list[dict[str, Any]], summary: str
) -> datetime:
    """The final assessment: one rating for each skill and goal of the agreement, no other; its scores are
    published (`FinalAssessmentGiven`) and the giver's ask is answered. Returns when."""
    now = runtime.now()
    async with runtime.engine.begin() as conn:
        pairing = await visible_pairing(conn, caller, pairing_id)
        require_partner(caller, pairing, AGREEMENT_WRITERS)
        check_assessment(await repository.agreed_items(conn, pairing_id), [r["skill_or_goal"] for r in ratings])
        values = {"ratings": ratings, "summary": summary, "updated_by": caller.subject, "updated_at": now}
        await repository.save_assessment(conn, pairing_id, values)
        giver = pairing.participant_of(caller.subject)
        await outcomes.assessment_answered(runtime, conn, pairing, giver, [r["rating"] for r in ratings], now)
    return now
