"""Cohort-wide assignment: the optimum checked by independent solvers, stability by brute force, the report."""

from __future__ import annotations

import itertools
import uuid

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from matching.domain.assignment import NO_FREE_PLACE_LEFT, Edges, edges_of, optimal_assignment
from matching.domain.scoring.graph import CandidateGraph
from matching.domain.stable import mentee_preferences, stable_assignment


def random_graph(rng: np.random.Generator, mentees: int, mentors: int, k: int) -> tuple[CandidateGraph, np.ndarray]:
    """Candidates skewed towards popular mentors, some mentees with none; scores in hundredths."""
    popularity = rng.pareto(1.2, mentors) + 0.1
    cols, scores, why = [], [], []
    indptr = [0]
    for _ in range(mentees):
        n = 0 if rng.random() < 0.1 else int(rng.integers(1, min(k, mentors) + 1))
        chosen = rng.choice(mentors, size=n, replace=False, p=popularity / popularity.sum())
        cols.extend(chosen.tolist())
        scores.extend((rng.integers(0, 400, n) / 4).tolist())  # ties happen
        indptr.append(indptr[-1] + n)
        why.append("" if n else "no mentor with a free place shares a meeting language with you")
    graph = CandidateGraph(
        mentee_ids=[uuid.UUID(int=i + 1) for i in range(mentees)],
        mentor_ids=[uuid.UUID(int=10_000 + j) for j in range(mentors)],
        indptr=np.array(indptr, dtype=np.int64),
        mentor_index=np.array(cols, dtype=np.int32),
        score=np.array(scores, dtype=np.float32),
        no_candidate=why,
    )
    return graph, rng.integers(0, 3, mentors)


def random_choices(rng: np.random.Generator, graph: CandidateGraph) -> dict[uuid.UUID, list[uuid.UUID]]:
    choices = {}
    for i, mid in enumerate(graph.mentee_ids):
        if rng.random() < 0.6:
            mine = graph.mentor_index[graph.indptr[i] : graph.indptr[i + 1]]
            picked = rng.permutation(mine)[:5].tolist()
            # A choice outside the candidates (a hard rule excludes them): ignored.
            choices[mid] = [graph.mentor_ids[j] for j in picked] + [uuid.UUID(int=99_999)]
    return choices


def lapjv_optimum(edges: Edges, mentees: int, capacity: np.ndarray) -> int:
    """Independent of the engine's min-cost flow: scipy's sparse assignment (LAPJVsp) with a mentor
    of c free places as c slots, and a private "unpaired" column of weight 0 for each mentee."""
    slot_start = np.concatenate(([0], np.cumsum(capacity)))
    rows, cols, costs = [], [], []
    top = int(edges.weight.max(initial=0)) + 1
    for e in range(edges.mentee.size):
        j = int(edges.mentor[e])
        for slot in range(int(slot_start[j]), int(slot_start[j + 1])):
            rows.append(int(edges.mentee[e]))
            cols.append(slot)
            costs.append(top - int(edges.weight[e]))
    n_slots = int(slot_start[-1])
    rows += list(range(mentees))
    cols += [n_slots + i for i in range(mentees)]
    costs += [top] * mentees
    matrix = csr_matrix((np.array(costs, dtype=float), (rows, cols)), shape=(mentees, n_slots + mentees))
    r, c = min_weight_full_bipartite_matching(matrix)
    return round(float(top * mentees - matrix[r, c].sum()))


def brute_force_optimum(edges: Edges, mentees: int, capacity: np.ndarray) -> int:
    best = 0
    options = [[None] + [e for e in range(edges.mentee.size) if edges.mentee[e] == i] for i in range(mentees)]
    for pick in itertools.product(*options):
        chosen = [e for e in pick if e is not None]
        load = np.bincount(edges.mentor[chosen], minlength=capacity.size) if chosen else np.zeros(capacity.size)
        if np.all(load <= capacity):
            best = max(best, int(edges.weight[chosen].sum()) if chosen else 0)
    return best


def check_valid(graph: CandidateGraph, capacity: np.ndarray, pairs: dict) -> None:
    position = {mid: j for j, mid in enumerate(graph.mentor_ids)}
    load = np.zeros(capacity.size, dtype=np.int64)
    for i, mentee in enumerate(graph.mentee_ids):
        if mentee in pairs:
            j = position[pairs[mentee]]
            assert j in graph.mentor_index[graph.indptr[i] : graph.indptr[i + 1]], "paired outside the candidates"
            load[j] += 1
    assert np.all(load <= capacity)


@pytest.mark.parametrize("seed", range(30))
def test_optimal_equals_an_independent_sparse_assignment_solver(seed):
    rng = np.random.default_rng(seed)
    graph, capacity = random_graph(rng, mentees=int(rng.integers(5, 120)), mentors=int(rng.integers(2, 60)), k=8)
    choices = random_choices(rng, graph) if seed % 2 else None
    result = optimal_assignment(graph, capacity, choices)
    edges = edges_of(graph, choices)
    assert result.objective == lapjv_optimum(edges, len(graph.mentee_ids), capacity)
    check_valid(graph, capacity, result.pairs)


@pytest.mark.parametrize("seed", range(25))
def test_optimal_equals_brute_force_on_tiny_cohorts(seed):
    rng = np.random.default_rng(1000 + seed)
    graph, capacity = random_graph(rng, mentees=int(rng.integers(1, 7)), mentors=int(rng.integers(1, 4)), k=3)
    for choices in (None, random_choices(rng, graph)):
        result = optimal_assignment(graph, capacity, choices)
        assert result.objective == brute_force_optimum(edges_of(graph, choices), len(graph.mentee_ids), capacity)
        check_valid(graph, capacity, result.pairs)


def blocking_pairs(graph: CandidateGraph, capacity: np.ndarray, edges: Edges, pairs: dict) -> list[tuple[int, int]]:
    """Every (mentee, mentor) edge where the mentee prefers the mentor to what they got and the mentor
    has a free place or prefers the mentee to one they got."""
    mentor_pos = {mid: j for j, mid in enumerate(graph.mentor_ids)}
    pointers, order = mentee_preferences(edges, len(graph.mentee_ids))
    merit = {
        (int(edges.mentee[e]), int(edges.mentor[e])): (round(float(edges.score[e]) * 100), -int(edges.mentee[e]))
        for e in range(edges.mentee.size)
    }
    held: dict[int, list[int]] = {}
    for i, mentee in enumerate(graph.mentee_ids):
        if mentee in pairs:
            held.setdefault(mentor_pos[pairs[mentee]], []).append(i)
    found = []
    for i, mentee in enumerate(graph.mentee_ids):
        ranked = [int(edges.mentor[e]) for e in order[pointers[i] : pointers[i + 1]]]
        current = mentor_pos.get(pairs.get(mentee))
        better = ranked if current is None else ranked[: ranked.index(current)]
        for j in better:
            got = held.get(j, [])
            if len(got) < capacity[j] or any(merit[(i, j)] > merit[(other, j)] for other in got):
                found.append((i, j))
    return found


@pytest.mark.parametrize("seed", range(30))
def test_stable_assignment_has_no_blocking_pair(seed):
    rng = np.random.default_rng(2000 + seed)
    graph, capacity = random_graph(rng, mentees=int(rng.integers(3, 80)), mentors=int(rng.integers(2, 30)), k=6)
    choices = random_choices(rng, graph) if seed % 2 else None
    result = stable_assignment(graph, capacity, choices)
    check_valid(graph, capacity, result.pairs)
    assert blocking_pairs(graph, capacity, edges_of(graph, choices), result.pairs) == []
    # It is stable, so it is no better than the optimum of the same weights.
    assert result.objective <= optimal_assignment(graph, capacity, choices).objective


def test_the_optimum_may_be_unstable_and_the_check_sees_it():
    # A likes mentor 0 (10) over mentor 1 (9); B can only have mentor 0 (9). Mentor 0 prefers A.
    graph = small_graph([[(0, 10.0), (1, 9.0)], [(0, 9.0)]], mentors=2)
    capacity = np.array([1, 1])
    a, b = graph.mentee_ids
    optimal, stable = optimal_assignment(graph, capacity), stable_assignment(graph, capacity)
    assert optimal.pairs == {a: graph.mentor_ids[1], b: graph.mentor_ids[0]}
    assert stable.pairs == {a: graph.mentor_ids[0]}
    assert stable.unpaired == {b: NO_FREE_PLACE_LEFT}
    assert blocking_pairs(graph, capacity, edges_of(graph), optimal.pairs) == [(0, 0)]
    assert optimal.total_score == 18.0 and stable.total_score == 10.0


def small_graph(rows: list[list[tuple[int, float]]], mentors: int) -> CandidateGraph:
    indptr = np.cumsum([0] + [len(r) for r in rows])
    return CandidateGraph(
        mentee_ids=[uuid.UUID(int=i + 1) for i in range(len(rows))],
        mentor_ids=[uuid.UUID(int=100 + j) for j in range(mentors)],
        indptr=indptr.astype(np.int64),
        mentor_index=np.array([j for r in rows for j, _ in r], dtype=np.int32),
        score=np.array([s for r in rows for _, s in r], dtype=np.float32),
        no_candidate=["" if r else "no mentor with a free place is more experienced than you" for r in rows],
    )


def test_ranked_choices_count_and_why_mentees_stay_unpaired():
    m = [uuid.UUID(int=100 + j) for j in range(4)]
    graph = small_graph(
        [
            [(0, 9.0), (1, 5.0), (2, 1.0)],  # mentee 1
            [(0, 8.0), (1, 7.0)],  # mentee 2
            [(0, 3.0)],  # mentee 3: only mentor 0, who is taken
            [],  # mentee 4: no candidate at all
            [(3, 2.0)],  # mentee 5
        ],
        mentors=4,
    )
    capacity = np.array([1, 1, 1, 2])
    mentee = graph.mentee_ids
    # Mentee 1 ranks mentor 2 first, then mentor 0; mentee 2 ranks mentor 0 first; mentee 5 ranks mentor 3 fifth.
    choices = {mentee[0]: [m[2], m[0]], mentee[1]: [m[0]], mentee[4]: [m[1], m[1], m[1], m[1], m[3]]}
    for result in (optimal_assignment(graph, capacity, choices), stable_assignment(graph, capacity, choices)):
        assert result.pairs == {mentee[0]: m[2], mentee[1]: m[0], mentee[4]: m[3]}, result.method
        # Mentee 5's first four choices are not candidates (ignored); mentor 3 counts as the 5th.
        assert result.choice_counts == (2, 0, 0, 0, 1), result.method
        assert result.total_score == pytest.approx(1.0 + 8.0 + 2.0)
        assert result.unpaired == {
            mentee[2]: NO_FREE_PLACE_LEFT,
            mentee[3]: "no mentor with a free place is more experienced than you",
        }


def test_choice_ranks_count_first_to_fifth():
    graph = small_graph([[(j, 1.0) for j in range(5)] for _ in range(5)], mentors=5)
    mentors = graph.mentor_ids
    choices = {mid: [mentors[(i + r) % 5] for r in range(5)] for i, mid in enumerate(graph.mentee_ids)}
    # Every mentee's r-th choice is a different mentor: all can have their first.
    result = optimal_assignment(graph, np.ones(5, dtype=np.int64), choices)
    assert result.choice_counts == (5, 0, 0, 0, 0)
    # One mentor only: the mentee who ranked them first gets them.
    only = optimal_assignment(graph, np.array([1, 0, 0, 0, 0]), choices)
    assert sum(only.choice_counts) == 1 and only.choice_counts[0] == 1
    assert len(only.unpaired) == 4 and set(only.unpaired.values()) == {NO_FREE_PLACE_LEFT}
    # Mentors 0 and 1 with two places each: four are paired, and the counts are those of the pairs.
    two = optimal_assignment(graph, np.array([2, 2, 0, 0, 0]), choices)
    counts_by_hand = [0] * 5
    for mid in graph.mentee_ids:
        if mid in two.pairs:
            counts_by_hand[choices[mid].index(two.pairs[mid])] += 1
    assert two.choice_counts == tuple(counts_by_hand)
    assert sum(two.choice_counts) == 4


def test_a_ranked_choice_outweighs_any_score():
    graph = small_graph([[(0, 14.0), (1, 0.0)]], mentors=2)
    result = optimal_assignment(graph, np.array([1, 1]), {graph.mentee_ids[0]: [graph.mentor_ids[1]]})
    assert result.pairs == {graph.mentee_ids[0]: graph.mentor_ids[1]}
    assert result.total_score == 0.0
    assert result.choice_counts == (1, 0, 0, 0, 0)


@pytest.mark.parametrize("seed", range(5))
def test_choice_ranks_are_found_on_the_mentees_own_candidates_only(seed):
    """Each edge's rank by definition: the first place at which its mentee ranked its mentor among
    their first five; a ranked mentor who is another mentee's candidate only, a mentor ranked twice,
    a choice beyond the fifth and a chooser outside the graph."""
    rng = np.random.default_rng(seed)
    graph, _ = random_graph(rng, mentees=40, mentors=15, k=8)
    choices = {
        mid: [graph.mentor_ids[j] for j in rng.integers(0, 15, size=int(rng.integers(1, 8)))]
        for mid in graph.mentee_ids
        if rng.random() < 0.8
    }
    choices[uuid.UUID(int=77_777)] = graph.mentor_ids[:5]
    edges = edges_of(graph, choices)
    expected = []
    for i, mid in enumerate(graph.mentee_ids):
        ranked = choices.get(mid, [])[:5]
        for j in graph.mentor_index[graph.indptr[i] : graph.indptr[i + 1]]:
            mentor = graph.mentor_ids[j]
            expected.append(ranked.index(mentor) + 1 if mentor in ranked else 0)
    assert edges.choice_rank.tolist() == expected
    assert any(expected)


@pytest.mark.parametrize("seed", range(5))
def test_stable_equals_gale_shapley_by_hand(seed):
    """The mentee-optimal stable assignment is unique: a plain round-based Gale-Shapley agrees."""
    rng = np.random.default_rng(3000 + seed)
    graph, capacity = random_graph(rng, mentees=50, mentors=12, k=5)
    edges = edges_of(graph)
    pointers, order = mentee_preferences(edges, len(graph.mentee_ids))
    prefs = {i: [int(edges.mentor[e]) for e in order[pointers[i] : pointers[i + 1]]] for i in range(len(graph.mentee_ids))}
    merit = {
        (int(edges.mentee[e]), int(edges.mentor[e])): (round(float(edges.score[e]) * 100), -int(edges.mentee[e]))
        for e in range(edges.mentee.size)
    }
    holding: dict[int, list[int]] = {j: [] for j in range(capacity.size)}
    nxt = dict.fromkeys(prefs, 0)
    changed = True
    while changed:
        changed = False
        for i in prefs:
            if any(i in h for h in holding.values()) or nxt[i] >= len(prefs[i]):
                continue
            j = prefs[i][nxt[i]]
            nxt[i] += 1
            holding[j] = sorted([*holding[j], i], key=lambda x, j=j: merit[(x, j)], reverse=True)[: capacity[j]]
            changed = True
    by_hand = {graph.mentee_ids[i]: graph.mentor_ids[j] for j, held in holding.items() for i in held}
    assert stable_assignment(graph, capacity).pairs == by_hand
