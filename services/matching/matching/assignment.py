"""Cohort-wide assignment of mentees to mentors on the candidate graph. No I/O.

Two methods, same input (a `CandidateGraph` from `CohortIndex.top_all`, each mentor's free places,
the mentees' ranked choices if they have made them) and the same report (`Assignment`):

- `optimal_assignment`: the assignment with the largest total weight, mentors within capacity,
  each mentee at most one mentor. The weight of a pair is, in integer hundredths of a point (so two
  solvers agree exactly): its score, plus `choice_weight x (6 - r)` points when the mentor is the
  mentee's r-th choice (1st +25 by default, 5th +5: a ranked choice outweighs any score, a higher
  choice outweighs a lower one), plus one hundredth (a pair beats no pair when the score is 0).
  Solved exactly as a min-cost flow (OR-Tools): source -> mentee -> candidate mentor -> sink, the
  mentor's arc to the sink carrying their free places, and an "unpaired" arc from each mentee.
- `stable_assignment` (stable.py): mentee-proposing deferred acceptance, hospitals/residents style.

The report: total score (scores only, without choice bonuses), how many mentees got their 1st..5th
choice, and each unpaired mentee with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID

import numpy as np
from ortools.graph.python import min_cost_flow

from matching.scoring import CandidateGraph

SCALE = 100  # weights in integer hundredths of a point
CHOICES = 5
DEFAULT_CHOICE_WEIGHT = 5.0

NO_FREE_PLACE_LEFT = "all your candidate mentors were full"


@dataclass(frozen=True)
class Assignment:
    method: str
    pairs: dict[UUID, UUID]  # mentee -> mentor
    total_score: float  # sum of the pairs' scores (choice bonuses not included)
    objective: int  # the pairs' weight (score + choice bonus + 0.01), in hundredths of a point: what the optimum maximises
    choice_counts: tuple[int, ...]  # [r-1]: mentees paired with their r-th choice, r = 1..5
    unpaired: dict[UUID, str]  # mentee -> why


@dataclass(frozen=True)
class Edges:
    """The candidate graph as flat edge arrays with integer weights."""

    mentee: np.ndarray  # int64, edge -> mentee position
    mentor: np.ndarray  # int64, edge -> mentor position
    score: np.ndarray  # float64
    choice_rank: np.ndarray  # int8, 1..5, 0 when not a ranked choice
    weight: np.ndarray  # int64, hundredths of a point


def edges_of(
    graph: CandidateGraph,
    choices: Mapping[UUID, Sequence[UUID]] | None = None,
    choice_weight: float = DEFAULT_CHOICE_WEIGHT,
) -> Edges:
    """The graph's edges with their integer weights. A ranked choice that is not an edge of the graph
    (excluded by a hard rule, or not among the candidates) gets no bonus: it is not a candidate."""
    counts = np.diff(graph.indptr)
    mentee = np.repeat(np.arange(len(graph.mentee_ids), dtype=np.int64), counts)
    mentor = graph.mentor_index.astype(np.int64)
    score = graph.score.astype(np.float64)
    rank = np.zeros(mentee.size, dtype=np.int8)
    if choices:
        mentor_pos = {mid: j for j, mid in enumerate(graph.mentor_ids)}
        mentee_pos = {mid: i for i, mid in enumerate(graph.mentee_ids)}
        chosen = [
            (mentee_pos[who], mentor_pos[mid], r)
            for who, ranked in choices.items()
            if who in mentee_pos
            for r, mid in enumerate(ranked[:CHOICES], start=1)
            if mid in mentor_pos
        ]
        if chosen:
            who, whom, r = np.array(chosen, dtype=np.int64).T
            # Find each choice among the edges by (mentee, mentor); a choice that is no edge is dropped.
            key = mentee * len(graph.mentor_ids) + mentor
            order = np.argsort(key, kind="stable")
            wanted = who * len(graph.mentor_ids) + whom
            at = np.minimum(np.searchsorted(key[order], wanted), key.size - 1)
            found = key[order][at] == wanted
            best = np.full(mentee.size, CHOICES + 1, dtype=np.int64)
            np.minimum.at(best, order[at[found]], r[found])  # a mentor ranked twice counts at the higher place
            rank = np.where(best <= CHOICES, best, 0).astype(np.int8)
    bonus = np.where(rank > 0, np.round(choice_weight * (CHOICES + 1 - rank.astype(np.float64)) * SCALE), 0)
    weight = np.round(score * SCALE).astype(np.int64) + bonus.astype(np.int64) + 1
    return Edges(mentee=mentee, mentor=mentor, score=score, choice_rank=rank, weight=weight)


def report(
    method: str,
    graph: CandidateGraph,
    edges: Edges,
    chosen: np.ndarray,
    capacity: np.ndarray,
) -> Assignment:
    """The assignment given by the chosen edge positions, and why the others got no mentor."""
    chosen = np.asarray(chosen, dtype=np.int64)
    paired = np.zeros(len(graph.mentee_ids), dtype=bool)
    paired[edges.mentee[chosen]] = True
    load = np.bincount(edges.mentor[chosen], minlength=len(graph.mentor_ids))
    ranks = edges.choice_rank[chosen]
    unpaired: dict[UUID, str] = {}
    for i in np.flatnonzero(~paired):
        lo, hi = graph.indptr[i], graph.indptr[i + 1]
        if lo == hi:
            unpaired[graph.mentee_ids[i]] = graph.no_candidate[i] or "no candidate mentor"
        elif np.all(load[edges.mentor[lo:hi]] >= capacity[edges.mentor[lo:hi]]):
            unpaired[graph.mentee_ids[i]] = NO_FREE_PLACE_LEFT
        else:  # neither method leaves this (a free place would take them); said plainly should it happen
            unpaired[graph.mentee_ids[i]] = "your candidate mentors with a free place preferred other mentees"
    return Assignment(
        method=method,
        pairs={graph.mentee_ids[int(edges.mentee[e])]: graph.mentor_ids[int(edges.mentor[e])] for e in chosen},
        total_score=float(edges.score[chosen].sum()),
        objective=int(edges.weight[chosen].sum()),
        choice_counts=tuple(int(np.count_nonzero(ranks == r)) for r in range(1, CHOICES + 1)),
        unpaired=unpaired,
    )


def optimal_assignment(
    graph: CandidateGraph,
    capacity: np.ndarray,
    choices: Mapping[UUID, Sequence[UUID]] | None = None,
    choice_weight: float = DEFAULT_CHOICE_WEIGHT,
) -> Assignment:
    """The maximum-weight assignment within capacities (exact, integer weights)."""
    edges = edges_of(graph, choices, choice_weight)
    chosen = optimal_edges(edges, len(graph.mentee_ids), capacity)
    return report("optimal", graph, edges, chosen, capacity)


def optimal_edges(edges: Edges, mentees: int, capacity: np.ndarray) -> np.ndarray:
    """Positions of the edges of a maximum-weight capacitated assignment (exact: integer weights).

    A min-cost flow: source -> each mentee (1) -> a candidate mentor (cost -weight) -> sink (the
    mentor's free places), or mentee -> sink directly (unpaired, cost 0). OR-Tools' cost-scaling
    solver; on realistic cohorts (popular mentors, most mentees competing) it beats augmenting-path
    assignment solvers, whose paths grow long under contention."""
    if edges.mentee.size == 0:
        return np.zeros(0, dtype=np.int64)
    capacity = np.asarray(capacity, dtype=np.int64)
    mentors = capacity.size
    source, sink = mentees + mentors, mentees + mentors + 1
    m = edges.mentee.size
    tails = np.concatenate((edges.mentee, np.full(mentees, source), np.arange(mentees), mentees + np.arange(mentors)))
    heads = np.concatenate((mentees + edges.mentor, np.arange(mentees), np.full(mentees, sink), np.full(mentors, sink)))
    capacities = np.concatenate((np.ones(m + 2 * mentees, dtype=np.int64), capacity))
    costs = np.concatenate((-edges.weight, np.zeros(2 * mentees + mentors, dtype=np.int64)))
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails.astype(np.int32), heads.astype(np.int32), capacities, costs)
    flow.set_node_supply(source, mentees)
    flow.set_node_supply(sink, -mentees)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status}")
    return np.flatnonzero(flow.flows(np.arange(m)) > 0)
