"""Cohort-wide assignment of mentees to mentors on the candidate graph. No I/O.

Two methods, same input (a `CandidateGraph` from `CohortIndex.top_all`, each mentor's free places,
the mentees' ranked choices if they have made them) and the same report (`Assignment`):

- `optimal_assignment`: the assignment with the largest total weight, mentors within capacity,
  each mentee at most one mentor. The weight of a pair is, in integer hundredths of a point (so two
  solvers agree exactly): its score, plus `choice_weight x (6 - r)` points when the mentor is the
  mentee's r-th choice (1st +25 by default, 5th +5: a ranked choice outweighs any score, a higher
  choice outweighs a lower one), plus one hundredth (a pair beats no pair when the score is 0).
  Solved exactly as a min-cost flow (OR-Tools): each mentee with a candidate supplies one unit,
  mentee -> candidate mentor -> sink, the mentor's arc to the sink carrying their free places, and
  an "unpaired" arc from each mentee to the sink.
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

from matching.domain.scoring.graph import CandidateGraph

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
        who, whom, r = _choice_positions(graph, choices)
        if who.size:
            edge = _edge_positions(graph.indptr, mentor, who, whom)
            found = edge >= 0
            best = np.full(mentee.size, CHOICES + 1, dtype=np.int64)
            np.minimum.at(best, edge[found], r[found])  # a mentor ranked twice counts at the higher place
            rank = np.where(best <= CHOICES, best, 0).astype(np.int8)
    bonus = np.where(rank > 0, np.round(choice_weight * (CHOICES + 1 - rank.astype(np.float64)) * SCALE), 0)
    weight = np.round(score * SCALE).astype(np.int64) + bonus.astype(np.int64) + 1
    return Edges(mentee=mentee, mentor=mentor, score=score, choice_rank=rank, weight=weight)


def _choice_positions(graph: CandidateGraph, choices: Mapping[UUID, Sequence[UUID]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mentee position, mentor position, rank 1..5) of each ranked choice of a mentee and mentor in
    the graph. Keyed by the ids' integers: hashing a UUID runs Python code, an int's does not."""
    mentor_pos = {mid.int: j for j, mid in enumerate(graph.mentor_ids)}
    mentee_pos = {mid.int: i for i, mid in enumerate(graph.mentee_ids)}
    who: list[int] = []
    whom: list[int] = []
    rank: list[int] = []
    for chooser, ranked in choices.items():
        i = mentee_pos.get(chooser.int)
        if i is None:
            continue
        for r, mid in enumerate(ranked[:CHOICES], start=1):
            j = mentor_pos.get(mid.int)
            if j is not None:
                who.append(i)
                whom.append(j)
                rank.append(r)
    return np.array(who, dtype=np.int64), np.array(whom, dtype=np.int64), np.array(rank, dtype=np.int64)


def _edge_positions(indptr: np.ndarray, mentor: np.ndarray, who: np.ndarray, whom: np.ndarray) -> np.ndarray:
    """The position of edge (who[c], whom[c]) for each c, -1 where it is no edge. Walks all the
    mentees' candidate lists (contiguous in the CSR arrays) in step, one candidate a round, dropping
    the pairs found: ranked choices are mostly among the first candidates, so few rounds, and no
    sort of the whole graph."""
    edge = np.full(who.size, -1, dtype=np.int64)
    pending = np.arange(who.size)
    at = indptr[who].astype(np.int64)
    end = indptr[who + 1]
    while pending.size:
        alive = at < end[pending]
        pending, at = pending[alive], at[alive]
        hit = mentor[at] == whom[pending]
        edge[pending[hit]] = at[hit]
        pending, at = pending[~hit], at[~hit] + 1
    return edge


def report(
    method: str,
    graph: CandidateGraph,
    edges: Edges,
    chosen: np.ndarray,
    capacity: np.ndarray,
) -> Assignment:
    """The assignment given by the chosen edge positions, and why the others got no mentor."""
    chosen = np.asarray(chosen, dtype=np.int64)
    mentees = len(graph.mentee_ids)
    paired = np.zeros(mentees, dtype=bool)
    paired[edges.mentee[chosen]] = True
    load = np.bincount(edges.mentor[chosen], minlength=len(graph.mentor_ids))
    # Per edge: its mentor has no place left; per mentee: every candidate's mentor is full.
    full = load[edges.mentor] >= np.asarray(capacity)[edges.mentor]
    degree = np.diff(graph.indptr)
    open_places = np.bincount(edges.mentee, weights=~full, minlength=mentees)
    unpaired: dict[UUID, str] = {}
    for i in np.flatnonzero(~paired).tolist():
        if degree[i] == 0:
            unpaired[graph.mentee_ids[i]] = graph.no_candidate[i] or "no candidate mentor"
        elif open_places[i] == 0:
            unpaired[graph.mentee_ids[i]] = NO_FREE_PLACE_LEFT
        else:  # neither method leaves this (a free place would take them); said plainly should it happen
            unpaired[graph.mentee_ids[i]] = "your candidate mentors with a free place preferred other mentees"
    mentee_ids, mentor_ids = graph.mentee_ids, graph.mentor_ids
    ranks = np.bincount(edges.choice_rank[chosen], minlength=CHOICES + 1)
    return Assignment(
        method=method,
        pairs={
            mentee_ids[i]: mentor_ids[j]
            for i, j in zip(edges.mentee[chosen].tolist(), edges.mentor[chosen].tolist(), strict=True)
        },
        total_score=float(edges.score[chosen].sum()),
        objective=int(edges.weight[chosen].sum()),
        choice_counts=tuple(int(n) for n in ranks[1 : CHOICES + 1]),
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

    A min-cost flow: each mentee with a candidate supplies one unit, sent to a candidate mentor (cost
    -weight) and on to the sink (up to the mentor's free places), or straight to the sink (unpaired,
    cost 0). Supplies on the mentee nodes rather than a source with an arc to each: fewer arcs, the
    same optimum. All arcs are added in one vectorised call. OR-Tools' cost-scaling solver; on
    realistic cohorts (popular mentors, most mentees competing) it beats augmenting-path assignment
    solvers, whose paths grow long under contention."""
    m = edges.mentee.size
    if m == 0:
        return np.zeros(0, dtype=np.int64)
    capacity = np.asarray(capacity, dtype=np.int64)
    mentors = capacity.size
    sink = mentees + mentors
    has_candidate = np.bincount(edges.mentee, minlength=mentees) > 0
    waiting = np.flatnonzero(has_candidate).astype(np.int32)
    tails = np.concatenate((edges.mentee.astype(np.int32), waiting, np.arange(mentees, sink, dtype=np.int32)))
    heads = np.concatenate(
        (
            (mentees + edges.mentor).astype(np.int32),
            np.full(waiting.size, sink, dtype=np.int32),
            np.full(mentors, sink, dtype=np.int32),
        )
    )
    capacities = np.concatenate((np.ones(m + waiting.size, dtype=np.int64), capacity))
    costs = np.concatenate((-edges.weight, np.zeros(waiting.size + mentors, dtype=np.int64)))
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:mentees] = has_candidate
    supplies[sink] = -waiting.size
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    flow.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status}")
    # Arcs are numbered in the order added: the first m are the graph's edges.
    return np.flatnonzero(flow.flows(np.arange(m, dtype=np.int32)) > 0)
