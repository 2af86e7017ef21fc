"""Cohort-wide assignment: the programme team proposes, reviews and accepts (use cases).

A proposal runs the engine (`assignment.py`, `stable.py`) on the cohort's candidate graph: every mentee
or client of the cohort who is not in a pairing, against every mentor or coach with a free place, with
the mentees' own ranked choices (learnt from pairing's PreferencesSubmitted) where they made them. It is
stored with its report. Accepting it publishes `AssignmentAccepted`; pairing sends each pair's request
through its ordinary lifecycle.
"""

from __future__ import annotations

import asyncio
import uuid
from enum import StrEnum
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from matching.assignment import optimal_assignment
from matching.cohort_cache import MENTEE_ROLES, CohortCache, CohortView, visible
from matching.scoring import Person, explain
from matching.stable import stable_assignment
from matching.tables import assignments, candidates, mentor_pairings, preferences
from matching.use_cases import cohort_programme, require_team
from together_events.contracts.matching import AssignedPair, AssignmentAccepted
from together_events.contracts.registration import GRADES, PublicProfile
from together_servicekit.auth import Principal
from together_servicekit.errors import Conflict, NotFound
from together_servicekit.runtime import Runtime

# Each mentee's best candidates the solvers choose among. A ranked choice outside them gets no bonus.
CANDIDATES_PER_MENTEE = 50


class Method(StrEnum):
    optimal = "optimal"  # the largest total score, ranked choices first
    stable = "stable"  # mentee-proposing deferred acceptance: no pair would both rather swap


SOLVERS = {Method.optimal: optimal_assignment, Method.stable: stable_assignment}


async def propose(runtime: Runtime, cache: CohortCache, caller: Principal, *, cohort_id: UUID, method: Method) -> Row:
    async with runtime.engine.connect() as conn:
        programme_id = await cohort_programme(conn, cohort_id)
        require_team(caller, programme_id, "cohort-wide assignment")
        view = await cache.view(conn, cohort_id)
        in_a_pairing = sa.exists().where(
            mentor_pairings.c.mentee_id == candidates.c.participant_id, mentor_pairings.c.ended_at.is_(None)
        )
        rows = (
            await conn.execute(
                sa.select(candidates.c.participant_id, candidates.c.profile)
                .where(candidates.c.cohort_id == cohort_id, candidates.c.roles.overlap(list(MENTEE_ROLES)), visible())
                .where(sa.not_(in_a_pairing))
                .order_by(candidates.c.participant_id)
            )
        ).all()
        mentees, unknown_grade = [], []
        for r in rows:
            profile = PublicProfile.model_validate(r.profile)
            (mentees if profile.grade in GRADES else unknown_grade).append(
                Person(participant_id=r.participant_id, profile=profile)
            )
        choices = {
            r.mentee_id: list(r.ranked_mentor_ids)
            for r in await conn.execute(
                sa.select(preferences.c.mentee_id, preferences.c.ranked_mentor_ids).where(preferences.c.cohort_id == cohort_id)
            )
        }
    # Seconds of CPU for thousands of mentees: off the event loop (requests and the consumer go on), and
    # outside any transaction.
    pairs, report = await asyncio.to_thread(solve, view, mentees, choices, method)
    report["mentees"] += len(unknown_grade)
    report["unmatched"] += [
        {"mentee_id": str(m.participant_id), "reason": f"your grade {m.profile.grade!r} is not one matching knows"}
        for m in unknown_grade
    ]
    async with runtime.engine.begin() as conn:
        proposal = (
            await conn.execute(
                assignments.insert()
                .values(
                    assignment_id=uuid.uuid4(),
                    cohort_id=cohort_id,
                    programme_id=programme_id,
                    method=method.value,
                    status="proposed",
                    pairs=pairs,
                    report=report,
                    proposed_by=caller.subject,
                    proposed_at=runtime.now(),
                )
                .returning(*assignments.c)
            )
        ).one()
    return proposal


def solve(view: CohortView, mentees: list[Person], choices: dict[UUID, list[UUID]], method: Method) -> tuple[list, dict]:
    """The engine's assignment of these mentees: the proposal's pairs (with reasons) and its report."""
    graph = view.index.top_all(mentees, CANDIDATES_PER_MENTEE)
    result = SOLVERS[method](graph, view.index.free_places, choices)
    by_id = {m.participant_id: m for m in mentees}
    pairs = []
    for mentee_id, mentor_id in sorted(result.pairs.items(), key=lambda p: str(p[0])):
        explained = explain(by_id[mentee_id], view.mentors[mentor_id], view.policy)
        ranked = choices.get(mentee_id, [])
        pairs.append(
            {
                "mentee_id": str(mentee_id),
                "mentor_id": str(mentor_id),
                "score": explained.score,
                "choice": ranked.index(mentor_id) + 1 if mentor_id in ranked else None,
                "reasons": explained.reasons,
            }
        )
    report = {
        "mentees": len(mentees),
        "paired": len(pairs),
        "total_score": result.total_score,
        "choices": {str(r): n for r, n in enumerate(result.choice_counts, start=1)},
        "unmatched": [
            {"mentee_id": str(m), "reason": why} for m, why in sorted(result.unpaired.items(), key=lambda p: str(p[0]))
        ],
    }
    return pairs, report


async def _proposal(conn: AsyncConnection, cohort_id: UUID, assignment_id: UUID, *, lock: bool = False) -> Row:
    query = sa.select(assignments).where(assignments.c.assignment_id == assignment_id, assignments.c.cohort_id == cohort_id)
    row = (await conn.execute(query.with_for_update() if lock else query)).first()
    if row is None:
        raise NotFound("assignment in this cohort", assignment_id)
    return row


async def proposals(runtime: Runtime, caller: Principal, *, cohort_id: UUID) -> list[Row]:
    """The cohort's proposals, newest first."""
    async with runtime.engine.connect() as conn:
        require_team(caller, await cohort_programme(conn, cohort_id), "cohort-wide assignment")
        return list(
            (
                await conn.execute(
                    sa.select(assignments)
                    .where(assignments.c.cohort_id == cohort_id)
                    .order_by(assignments.c.proposed_at.desc(), assignments.c.assignment_id)
                )
            ).all()
        )


async def review(runtime: Runtime, caller: Principal, *, cohort_id: UUID, assignment_id: UUID) -> Row:
    async with runtime.engine.connect() as conn:
        row = await _proposal(conn, cohort_id, assignment_id)
    require_team(caller, row.programme_id, "cohort-wide assignment")
    return row


async def accept(runtime: Runtime, caller: Principal, *, cohort_id: UUID, assignment_id: UUID) -> Row:
    """Accept a proposal once: it is published as `AssignmentAccepted` in the same transaction."""
    async with runtime.engine.begin() as conn:
        row = await _proposal(conn, cohort_id, assignment_id, lock=True)  # two accepts at once: one wins
        require_team(caller, row.programme_id, "cohort-wide assignment")
        if row.status != "proposed":
            raise Conflict(f"this assignment was already {row.status}")
        now = runtime.now()
        accepted = (
            await conn.execute(
                assignments.update()
                .where(assignments.c.assignment_id == assignment_id)
                .values(status="accepted", accepted_by=caller.subject, accepted_at=now)
                .returning(*assignments.c)
            )
        ).one()
        await runtime.record(
            conn,
            AssignmentAccepted(
                assignment_id=assignment_id,
                cohort_id=cohort_id,
                programme_id=row.programme_id,
                pairs=[AssignedPair(mentee_id=p["mentee_id"], mentor_id=p["mentor_id"], score=p["score"]) for p in row.pairs],
                accepted_at=now,
            ),
        )
    return accepted
