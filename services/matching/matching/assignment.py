"""Cohort-wide assignment of mentees to mentors on the candidate graph. No I/O.

Two methods, same input (a `CandidateGraph` from `CohortIndex.top_all`, each mentor's free places,
the mentees' ranked choices if they have made them) and the same report (`Assignment`):

- `optimal_assignment`: the assignment with the largest total weight, mentors within capacity,
  each mentee at most one mentor. The weight of a pair is, in integer hundredths of a point (so two
  solvers agree exactly): its score, plus `choice_weight x (6 - r)` points when the mentor is the
  mentee's r-th choice (1st +25 by default, 5th +5: a ranked choice outweighs any score, a higher
  choice outweighs a lower one), plus one hundredth (a pair beats no pair when the score is 0).
  Mentees whose best candidate is uncontested are settled first (`settle_uncontested`); the rest is
  solved exactly as a sparse linear assignment (scipy's LAPJVsp) on capacity-expanded slots: a
  mentor with c free places is c slots, each slot filled by a mentee or left empty (weight 0).
- `stable_assignment` (stable.py): mentee-proposing deferred acceptance, hospitals/residents style.

The report: total score (scores only, without choice bonuses), how many mentees got their 1st..5th
choice, and each unpaired mentee with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

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
    objective: int  # what the method maximised, in hundredths of a point (optimal method)
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
        for i, mid in enumerate(graph.mentee_ids):
            ranked = choices.get(mid)
            if not ranked:
                continue
            lo, hi = graph.indptr[i], graph.indptr[i + 1]
            where = {int(mentor[e]): e for e in range(lo, hi)}
            for r, chosen in enumerate(ranked[:CHOICES], start=1):
                e = where.get(mentor_pos.get(chosen, -1))
                if e is not None and rank[e] == 0:
                    rank[e] = r
    bonus = np.where(rank > 0, np.round(choice_weight * (CHOICES + 1 - rank.astype(np.float64)) * SCALE), 0)
    weight = np.round(score * SCALE).astype(np.int64) + bonus.astype(np.int64) + 1
    return Edges(mentee=mentee, mentor=mentor, score=score, choice_rank=rank, weight=weight)


def report(
    method: str,
    graph: CandidateGraph,
    edges: Edges,
    chosen: np.ndarray,
    capacity: np.ndarray,
    objective: int | None = None,
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
        else:
            unpaired[graph.mentee_ids[i]] = "your candidate mentors with a free place preferred other mentees"
    return Assignment(
        method=method,
        pairs={graph.mentee_ids[int(edges.mentee[e])]: graph.mentor_ids[int(edges.mentor[e])] for e in chosen},
        total_score=float(edges.score[chosen].sum()),
        objective=int(edges.weight[chosen].sum()) if objective is None else objective,
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
    """Positions of the edges of a maximum-weight capacitated assignment."""
    fixed, rest, places = settle_uncontested(edges, mentees, np.asarray(capacity, dtype=np.int64))
    sub = Edges(edges.mentee[rest], edges.mentor[rest], edges.score[rest], edges.choice_rank[rest], edges.weight[rest])
    return np.sort(np.concatenate((fixed, rest[_assign(sub, mentees, places)])))


def settle_uncontested(edges: Edges, mentees: int, capacity: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs that some optimal assignment contains, found without solving, and what is left.

    A mentor is uncontested when every mentee who has them as a candidate fits in their free places.
    A mentee whose best edge (or one of equally best) leads to an uncontested mentor can take it: in
    any optimal assignment that mentor has room for them, and moving them there loses nothing.
    Settled mentees leave, which uncontests more mentors; repeat. Returns (settled edge positions,
    remaining edge positions, remaining places)."""
    places = capacity.copy()
    alive = np.ones(edges.mentee.size, dtype=bool)
    settled: list[np.ndarray] = []
    while True:
        live = np.flatnonzero(alive)
        if live.size == 0:
            break
        mentee, mentor, weight = edges.mentee[live], edges.mentor[live], edges.weight[live]
        demand = np.bincount(mentor, minlength=places.size)
        best = np.full(mentees, np.iinfo(np.int64).min)
        np.maximum.at(best, mentee, weight)
        candidates = live[(weight == best[mentee]) & (demand[mentor] <= places[mentor])]
        if candidates.size == 0:
            break
        # One edge per mentee (the first of equally good ones).
        _, first = np.unique(edges.mentee[candidates], return_index=True)
        take = candidates[first]
        settled.append(take)
        np.subtract.at(places, edges.mentor[take], 1)
        gone = np.zeros(mentees, dtype=bool)
        gone[edges.mentee[take]] = True
        alive &= ~gone[edges.mentee]
    fixed = np.concatenate(settled) if settled else np.zeros(0, dtype=np.int64)
    return fixed, np.flatnonzero(alive), places


def _assign(edges: Edges, mentees: int, capacity: np.ndarray) -> np.ndarray:
    if edges.mentee.size == 0:
        return np.zeros(0, dtype=np.int64)
    # A mentor needs no more slots than mentees who could take them.
    demand = np.bincount(edges.mentor, minlength=capacity.size)
    slots = np.minimum(np.asarray(capacity, dtype=np.int64), demand)
    slot_start = np.concatenate(([0], np.cumsum(slots)))
    copies = slots[edges.mentor]
    edge_of_copy = np.repeat(np.arange(edges.mentee.size), copies)
    copy_no = np.arange(edge_of_copy.size) - np.repeat(np.cumsum(copies) - copies, copies)
    n_slots = int(slot_start[-1])
    if n_slots == 0:
        return np.zeros(0, dtype=np.int64)
    top = int(edges.weight.max()) + 1
    # Every slot is filled exactly once: by a mentee (each at most once) or by its own "empty" column.
    # Costs are `top - weight` (positive, as the solver wants): the least cost is the most weight.
    # Slots as rows, not mentees, is the orientation the solver is fast in (10x on 20,000 mentees).
    rows = np.concatenate((slot_start[edges.mentor[edge_of_copy]] + copy_no, np.arange(n_slots)))
    cols = np.concatenate((edges.mentee[edge_of_copy], mentees + np.arange(n_slots)))
    cost = np.concatenate(((top - edges.weight[edge_of_copy]).astype(np.float64), np.full(n_slots, float(top))))
    matrix = csr_matrix((cost, (rows, cols)), shape=(n_slots, mentees + n_slots))
    slot_ind, mentee_ind = min_weight_full_bipartite_matching(matrix)
    taken = mentee_ind < mentees
    slot_ind, mentee_ind = slot_ind[taken], mentee_ind[taken]
    mentor_of_slot = np.repeat(np.arange(capacity.size), slots)
    # Back from (mentee, slot) to the edge (mentee, mentor): edges sorted by (mentee, mentor).
    key = edges.mentee * capacity.size + edges.mentor
    order = np.argsort(key, kind="stable")
    found = np.searchsorted(key[order], mentee_ind * capacity.size + mentor_of_slot[slot_ind])
    return order[found]
