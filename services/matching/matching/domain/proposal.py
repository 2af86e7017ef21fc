"""A cohort-wide assignment proposal: what the engine proposes, and its one transition. No I/O.

The programme team proposes (the engine runs on the cohort's candidate graph: `assignment.py`,
`stable.py`), reviews the pairs with their report, and accepts once: accepting produces
`AssignmentAccepted`, which pairing turns into requests through its ordinary lifecycle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypedDict
from uuid import UUID

from matching.domain.assignment import optimal_assignment
from matching.domain.scoring.index import CohortIndex
from matching.domain.scoring.policy import Person, Policy, explain
from matching.domain.stable import stable_assignment
from together_contracts.matching import AssignedPair, AssignmentAccepted
from together_contracts.registration import GRADES

# Each mentee's best candidates the solvers choose among. A ranked choice outside them gets no bonus.
CANDIDATES_PER_MENTEE = 50


class Method(StrEnum):
    optimal = "optimal"  # the largest total score, ranked choices first
    stable = "stable"  # mentee-proposing deferred acceptance: no pair would both rather swap


class ProposalStatus(StrEnum):
    proposed = "proposed"
    accepted = "accepted"


SOLVERS = {Method.optimal: optimal_assignment, Method.stable: stable_assignment}


class ProposedPair(TypedDict):
    mentee_id: str
    mentor_id: str
    score: float
    choice: int | None  # which of the mentee's ranked choices the mentor was (1-5), if any
    reasons: list[str]


class Unmatched(TypedDict):
    mentee_id: str
    reason: str


class Report(TypedDict):
    mentees: int
    paired: int
    total_score: float
    choices: dict[str, int]  # "1".."5": how many mentees got that choice
    unmatched: list[Unmatched]


class AlreadyDecided(Exception):
    """The proposal is no longer open to acceptance."""


@dataclass
class Proposal:
    """The aggregate: a proposal's pairs and report, and whether and by whom it was accepted."""

    assignment_id: UUID
    cohort_id: UUID
    programme_id: UUID
    method: Method
    status: ProposalStatus
    pairs: list[ProposedPair]
    report: Report
    proposed_by: str
    proposed_at: datetime
    accepted_by: str | None = None
    accepted_at: datetime | None = None

    def accept(self, by: str, at: datetime) -> AssignmentAccepted:
        """Accept once; the pairs go to pairing as `AssignmentAccepted`."""
        if self.status is not ProposalStatus.proposed:
            raise AlreadyDecided(f"this assignment was already {self.status}")
        self.status, self.accepted_by, self.accepted_at = ProposalStatus.accepted, by, at
        return AssignmentAccepted(
            assignment_id=self.assignment_id,
            cohort_id=self.cohort_id,
            programme_id=self.programme_id,
            pairs=[AssignedPair(mentee_id=p["mentee_id"], mentor_id=p["mentor_id"], score=p["score"]) for p in self.pairs],
            accepted_at=at,
        )


def solve(
    index: CohortIndex,
    mentors: Mapping[UUID, Person],
    policy: Policy,
    mentees: Sequence[Person],
    choices: Mapping[UUID, list[UUID]],
    method: Method,
) -> tuple[list[ProposedPair], Report]:
    """The engine's assignment of these mentees: the proposal's pairs, with their reasons, and its
    report. A mentee whose grade matching does not know is left out of the engine, with the reason."""
    unknown_grade = [m for m in mentees if m.profile.grade not in GRADES]
    mentees = [m for m in mentees if m.profile.grade in GRADES]
    graph = index.top_all(mentees, CANDIDATES_PER_MENTEE)
    result = SOLVERS[method](graph, index.free_places, choices)
    by_id = {m.participant_id: m for m in mentees}
    pairs: list[ProposedPair] = []
    for mentee_id, mentor_id in sorted(result.pairs.items(), key=lambda p: str(p[0])):
        explained = explain(by_id[mentee_id], mentors[mentor_id], policy)
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
    unmatched: list[Unmatched] = [
        {"mentee_id": str(m), "reason": why} for m, why in sorted(result.unpaired.items(), key=lambda p: str(p[0]))
    ]
    unmatched += [
        {"mentee_id": str(m.participant_id), "reason": f"your grade {m.profile.grade!r} is not one matching knows"}
        for m in unknown_grade
    ]
    report: Report = {
        "mentees": len(mentees) + len(unknown_grade),
        "paired": len(pairs),
        "total_score": result.total_score,
        "choices": {str(r): n for r, n in enumerate(result.choice_counts, start=1)},
        "unmatched": unmatched,
    }
    return pairs, report
