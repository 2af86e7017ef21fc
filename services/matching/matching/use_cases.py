"""Matching's use cases: serving a mentee's suggestions, and proposing and accepting a cohort-wide
assignment. Each loads, asks the rules (`domain/`), saves and records its events in one transaction,
and checks who may act (ADR 0005). Reads are in `queries.py`."""

from __future__ import annotations

import asyncio
import uuid
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from matching.cohort_cache import CohortCache, mentee_side, visible
from matching.domain.proposal import AlreadyDecided, Method, Proposal, ProposalStatus, solve
from matching.domain.scoring.policy import Explanation, Person
from matching.domain.suggestions import suggestions
from matching.queries import candidate_in_cohort, load_proposal, mentee_of, require_team, visible_cohort
from matching.tables import assignments, candidates, mentor_pairings, preferences, served_suggestions
from together_contracts.matching_v2 import ServedSuggestion, SuggestionsServed
from together_contracts.registration import PublicProfile
from together_servicekit.auth import Principal
from together_servicekit.errors import Conflict
from together_servicekit.runtime import Runtime

# --- suggestions -------------------------------------------------------------------------------


async def suggest_mentors(
    runtime: Runtime, cache: CohortCache, caller: Principal, *, cohort_id: UUID, mentee_id: UUID, limit: int | None = None
) -> list[tuple[Explanation, str]]:
    """The top mentors for a mentee (with their display names) and every point's reason; recorded as `SuggestionsServed` for audit,
    with the mentors and scores only: the reasons quote both people's answers, so they stay in this API (ADR 0008).

    The list is the programme's `suggestions_per_mentee` long (fewer if `limit` asks). Rule: the mentee
    themself, or the team running the mentee's programme.
    """
    async with runtime.engine.begin() as conn:
        candidate = await candidate_in_cohort(conn, caller, cohort_id, mentee_id, "mentee")  # whoever sees it may ask
        mentee = mentee_of(candidate)
        view = await cache.view(conn, cohort_id)
        k = min(limit or view.suggestions_per_mentee, view.suggestions_per_mentee)
        shown = suggestions(mentee, view.mentors, view.index, view.policy, k)
        now = runtime.now()
        await runtime.record(
            conn,
            SuggestionsServed(
                mentee_id=mentee_id,
                cohort_id=cohort_id,
                suggestions=[ServedSuggestion(mentor_id=s.mentor_id, score=s.score) for s in shown],
                served_at=now,
            ),
        )
        if shown:
            await conn.execute(
                served_suggestions.insert(),
                [
                    {
                        "cohort_id": cohort_id,
                        "mentee_id": mentee_id,
                        "mentor_id": s.mentor_id,
                        "position": i,
                        "score": s.score,
                        "served_at": now,
                    }
                    for i, s in enumerate(shown, start=1)
                ],
            )
    return [(s, view.mentors[s.mentor_id].profile.display_name) for s in shown]


# --- cohort-wide assignment --------------------------------------------------------------------


async def _unpaired_mentees(conn: AsyncConnection, cohort_id: UUID) -> list[Person]:
    """The cohort's visible mentees and clients who are not in an active pairing."""
    in_a_pairing = sa.exists().where(
        mentor_pairings.c.mentee_id == candidates.c.participant_id, mentor_pairings.c.ended_at.is_(None)
    )
    rows = await conn.execute(
        sa.select(candidates.c.participant_id, candidates.c.profile)
        .where(candidates.c.cohort_id == cohort_id, mentee_side(), visible())
        .where(sa.not_(in_a_pairing))
        .order_by(candidates.c.participant_id)
    )
    return [Person(participant_id=r.participant_id, profile=PublicProfile.model_validate(r.profile)) for r in rows]


async def propose_assignment(
    runtime: Runtime, cache: CohortCache, caller: Principal, *, cohort_id: UUID, method: Method
) -> Proposal:
    """Propose a mentor for every unpaired mentee of the cohort at once, with a report; nothing is sent.
    Rule: the programme's team."""
    async with runtime.engine.connect() as conn:
        programme_id = (await visible_cohort(conn, caller, cohort_id)).programme_id
        require_team(caller, programme_id, "cohort-wide assignment")
        view = await cache.view(conn, cohort_id)
        mentees = await _unpaired_mentees(conn, cohort_id)
        choices = {
            r.mentee_id: list(r.ranked_mentor_ids)
            for r in await conn.execute(
                sa.select(preferences.c.mentee_id, preferences.c.ranked_mentor_ids).where(preferences.c.cohort_id == cohort_id)
            )
        }
    # Seconds of CPU for thousands of mentees: off the event loop (requests and the consumer go on), and
    # outside any transaction.
    pairs, report = await asyncio.to_thread(solve, view.index, view.mentors, view.policy, mentees, choices, method)
    proposal = Proposal(
        assignment_id=uuid.uuid4(),
        cohort_id=cohort_id,
        programme_id=programme_id,
        method=method,
        status=ProposalStatus.proposed,
        pairs=pairs,
        report=report,
        proposed_by=caller.subject,
        proposed_at=runtime.now(),
    )
    async with runtime.engine.begin() as conn:
        await conn.execute(
            assignments.insert().values(
                assignment_id=proposal.assignment_id,
                cohort_id=proposal.cohort_id,
                programme_id=proposal.programme_id,
                method=proposal.method.value,
                status=proposal.status.value,
                pairs=proposal.pairs,
                report=proposal.report,
                proposed_by=proposal.proposed_by,
                proposed_at=proposal.proposed_at,
            )
        )
    return proposal


async def accept_assignment(runtime: Runtime, caller: Principal, *, cohort_id: UUID, assignment_id: UUID) -> Proposal:
    """Accept a proposal once: it is published as `AssignmentAccepted` in the same transaction.
    Rule: the programme's team; 409 once accepted."""
    async with runtime.engine.begin() as conn:
        proposal = await load_proposal(conn, caller, cohort_id, assignment_id, lock=True)  # two accepts at once: one wins
        try:
            accepted = proposal.accept(by=caller.subject, at=runtime.now())
        except AlreadyDecided as exc:
            raise Conflict(str(exc)) from exc
        await conn.execute(
            assignments.update()
            .where(assignments.c.assignment_id == assignment_id)
            .values(status=proposal.status.value, accepted_by=proposal.accepted_by, accepted_at=proposal.accepted_at)
        )
        await runtime.record(conn, accepted)
    return proposal
