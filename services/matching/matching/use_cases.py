"""Matching's use cases."""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa

from matching import domain
from matching.tables import candidates, mentor_pairings
from together_events.contracts.matching import ServedSuggestion, SuggestionsServed
from together_events.contracts.registration import PublicProfile, Role
from together_servicekit.auth import Forbidden, Principal
from together_servicekit.errors import NotFound, invalid
from together_servicekit.runtime import Runtime

DEFAULT_LIMIT = 10


async def suggest_mentors(
    runtime: Runtime, caller: Principal, *, cohort_id: UUID, mentee_id: UUID, limit: int = DEFAULT_LIMIT
) -> list[domain.Suggestion]:
    """The top mentors for a mentee, with reasons; recorded as `SuggestionsServed` for audit.

    Rule: the mentee themself, or the team running the mentee's programme.
    """
    async with runtime.engine.begin() as conn:
        mentee = (
            await conn.execute(
                sa.select(candidates).where(
                    candidates.c.participant_id == mentee_id,
                    candidates.c.cohort_id == cohort_id,
                )
            )
        ).first()
        if mentee is None:
            raise NotFound("mentee in this cohort", mentee_id)
        if not caller.is_person(mentee.person_id) and not caller.runs(mentee.programme_id):
            raise Forbidden("suggestions are for the mentee and their programme team only")
        if Role.mentee.value not in mentee.roles:
            raise invalid(
                "mentee_id",
                "has_mentee_role",
                "this participant did not register as a mentee",
            )
        active = (
            sa.select(sa.func.count())
            .where(mentor_pairings.c.mentor_id == candidates.c.participant_id, mentor_pairings.c.ended_at.is_(None))
            .scalar_subquery()
            .label("active_pairings")
        )
        rows = (
            await conn.execute(
                sa.select(candidates, active).where(
                    candidates.c.cohort_id == cohort_id, candidates.c.roles.contains([Role.mentor.value])
                )
            )
        ).all()
        mentors = [
            domain.Candidate(
                participant_id=row.participant_id,
                profile=PublicProfile.model_validate(row.profile),
                capacity=row.capacity,
                active_pairings=row.active_pairings,
            )
            for row in rows
        ]
        suggestions = domain.rank(mentee_id, PublicProfile.model_validate(mentee.profile), mentors, limit)
        await runtime.record(
            conn,
            SuggestionsServed(
                mentee_id=mentee_id,
                cohort_id=cohort_id,
                suggestions=[ServedSuggestion(mentor_id=s.mentor_id, score=s.score, reasons=s.reasons) for s in suggestions],
                served_at=runtime.now(),
            ),
        )
    return suggestions
