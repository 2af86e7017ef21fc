"""Mentee-proposing stable assignment (deferred acceptance, hospitals/residents style). No I/O.

Preferences, from the candidate graph:
- a mentee prefers their ranked choices, in their order, then the other candidates by score (ties by
  mentor position, i.e. mentor id);
- a mentor prefers mentees by the pair's score (ties by mentee position).
Each free mentee proposes to the next mentor on their list; a mentor keeps the best proposals up
to their free places and releases the worst. The result is the mentee-optimal stable assignment: no
mentee and mentor would both rather be paired together than with what they got.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from uuid import UUID

import numpy as np

from matching.domain.assignment import CHOICES, DEFAULT_CHOICE_WEIGHT, SCALE, Assignment, Edges, edges_of, report
from matching.domain.scoring.graph import CandidateGraph


def mentee_preferences(edges: Edges, mentees: int) -> tuple[np.ndarray, np.ndarray]:
    """Edge positions in each mentee's order of preference, as CSR (pointers, edges)."""
    choice_first = np.where(edges.choice_rank > 0, edges.choice_rank, CHOICES + 1)
    order = np.lexsort((edges.mentor, -np.round(edges.score * SCALE), choice_first, edges.mentee))
    pointers = np.searchsorted(edges.mentee[order], np.arange(mentees + 1))
    return pointers, order


def stable_edges(edges: Edges, mentees: int, capacity: np.ndarray) -> np.ndarray:
    """Positions of the edges of the mentee-optimal stable assignment."""
    pointers, order = mentee_preferences(edges, mentees)
    prefs = order.tolist()
    ends = pointers[1:].tolist()
    nxt = pointers[:-1].tolist()
    mentor = edges.mentor.tolist()
    merit = np.round(edges.score * SCALE).astype(np.int64).tolist()  # how the mentor ranks the mentee
    places = np.asarray(capacity, dtype=np.int64).tolist()
    held: dict[int, list[tuple[int, int, int]]] = {}  # mentor -> min-heap of (merit, -mentee, edge): worst on top
    free = [i for i in range(mentees - 1, -1, -1) if nxt[i] < ends[i]]
    while free:
        i = free.pop()
        while nxt[i] < ends[i]:
            e = prefs[nxt[i]]
            nxt[i] += 1
            j = mentor[e]
            if places[j] <= 0:
                continue
            offer = (merit[e], -i, e)
            kept = held.setdefault(j, [])
            if len(kept) < places[j]:
                heapq.heappush(kept, offer)
                break
            if offer > kept[0]:
                released = heapq.heapreplace(kept, offer)
                free.append(-released[1])
                break
    return np.array(sorted(e for kept in held.values() for _, _, e in kept), dtype=np.int64)


def stable_assignment(
    graph: CandidateGraph,
    capacity: np.ndarray,
    choices: Mapping[UUID, Sequence[UUID]] | None = None,
    choice_weight: float = DEFAULT_CHOICE_WEIGHT,
) -> Assignment:
    """The mentee-optimal stable assignment, reported like the optimal one (its `objective` is the
    same weight the optimal method maximises, for comparison)."""
    edges = edges_of(graph, choices, choice_weight)
    chosen = stable_edges(edges, len(graph.mentee_ids), capacity)
    return report("stable", graph, edges, chosen, capacity)
