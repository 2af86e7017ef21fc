"""Matching engine benchmark: suggestions, the cohort's candidate graph and cohort-wide assignment.

    make bench-matching                      # default sizes (about two minutes on 2 cores)
    .venv/bin/python bench/matching/engine.py [--quick] [--seed S] [--only NAME,...] [--library-mentees N]

Needs nothing running: pure computation on synthetic cohorts (`together_synthetic`, mentoring
programme defaults, 10% of people both mentor and mentee). Each part runs in its own child process,
so its peak RSS (`ru_maxrss`) is its own. It prints figures beside the reference solvers' on the
same input (`anchors.py`) and asserts nothing; timings depend on the machine and its load.

Parts (sizes with --quick in brackets):
  suggestions  one mentee's top 10 among 20,000 mentors [2,000], with and without the reasons
               (explain for the 10 shown): p50/p95/p99 over 300 mentees
  candidates   top 50 for every mentee, 20,000 mentees x 12,000 mentors [2,000 x 1,200]
  assignment   on that candidate graph with ranked choices (60% of mentees rank 5 of their top 10):
               our optimum (built on OR-Tools' min-cost flow) beside OR-Tools alone and scipy's
               LAPJVsp on the capacity-expanded graph (objectives must be equal), our stable
               assignment beside the `matching` library's hospitals/residents solver (pairs must be
               equal; the library runs on the first 2,000 [1,000] mentees' subgraph: it takes
               seconds there already), and each method's report
  cohort       a whole cohort of 77,000 participants [7,700] end to end: profiles, index, candidate
               graph, optimal and stable assignment, reports
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import anchors

from matching.domain.assignment import Assignment, Edges, edges_of, optimal_assignment
from matching.domain.scoring.graph import CandidateGraph
from matching.domain.scoring.index import CohortIndex
from matching.domain.scoring.policy import Person, explain, policy_for
from matching.domain.stable import mentee_preferences, stable_assignment, stable_edges
from together_contracts.registration import ProgrammeKind
from together_synthetic import generate_cohort

T = TypeVar("T")
POLICY = policy_for(ProgrammeKind.mentoring)
K = 50


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(call: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def people(seed: int, mentors: int, mentees: int) -> tuple[list[Person], list[Person]]:
    """Synthetic mentors and mentees as matching knows them; a person in both roles has one id."""
    cohort = generate_cohort(seed, mentors, mentees)
    ids = {}

    def person(p, giver: bool) -> Person:
        pid = ids.setdefault(p.row, uuid.UUID(int=p.row + 1))
        return Person(pid, p.profile(), capacity=(p.mentor_capacity or 1) if giver else 0)

    return [person(p, True) for p in cohort.mentors], [person(p, False) for p in cohort.mentees]


def ranked_choices(graph: CandidateGraph, seed: int) -> dict[uuid.UUID, list[uuid.UUID]]:
    """60% of mentees rank 5 of their 10 best suggestions, better ones more likely first."""
    rng = np.random.default_rng(seed)
    choices = {}
    for i, mentee in enumerate(graph.mentee_ids):
        lo, hi = graph.indptr[i], min(graph.indptr[i + 1], graph.indptr[i] + 10)
        if hi - lo < 5 or rng.random() >= 0.6:
            continue
        weights = 1.0 / np.arange(1, hi - lo + 1)
        picked = rng.choice(hi - lo, size=5, replace=False, p=weights / weights.sum())
        choices[mentee] = [graph.mentor_ids[graph.mentor_index[lo + j]] for j in picked]
    return choices


def describe(result: Assignment, mentees: int, places: int) -> str:
    reasons = Counter(result.unpaired.values())
    lines = [
        f"    paired {len(result.pairs):,} of {mentees:,} ({places - len(result.pairs):,} places left: no unpaired mentee has those mentors among their {K} candidates)"
        f"; total score {result.total_score:,.2f}; objective {result.objective:,}",
        "    choices met: "
        + ", ".join(f"{r}: {n:,}" for r, n in zip(("1st", "2nd", "3rd", "4th", "5th"), result.choice_counts, strict=True)),
        f"    unpaired {len(result.unpaired):,}" + "".join(f"\n      {n:>7,}  {why}" for why, n in reasons.most_common()),
    ]
    return "\n".join(lines)


def percentiles(samples: list[float]) -> str:
    q = statistics.quantiles(samples, n=100)
    return f"p50 {q[49] * 1000:6.2f} ms   p95 {q[94] * 1000:6.2f} ms   p99 {q[98] * 1000:6.2f} ms"


# -- parts (each in its own process) ---------------------------------------------------------------


def part_suggestions(seed: int, quick: bool, library_mentees: int | None = None) -> None:
    n = 2_000 if quick else 20_000
    mentors, mentees = people(seed, n, 300)
    before = peak_mb()
    seconds, index = timed(lambda: CohortIndex.build(mentors, POLICY))
    print(f"  index of {len(index):,} mentors with a free place: built in {seconds:.2f} s ({index.width} feature columns)")
    by_id = {m.participant_id: m for m in mentors}
    for mentee in mentees[:20]:
        index.top(mentee, 10)  # warm-up
    plain, explained = [], []
    for mentee in mentees:
        start = time.perf_counter()
        top = index.top(mentee, 10)
        plain.append(time.perf_counter() - start)
        [explain(mentee, by_id[mid], POLICY) for mid, _ in top]
        explained.append(time.perf_counter() - start)
    print(f"  top 10 among {n:,} mentors        {percentiles(plain)}   (target p95 < 20 ms)")
    print(f"  top 10 and their reasons          {percentiles(explained)}")
    print(f"  peak RSS {peak_mb():,.0f} MB (before the index: {before:,.0f} MB, the cohort's profiles included)")


def candidate_graph(seed: int, quick: bool) -> tuple[list[Person], CohortIndex, CandidateGraph]:
    n_mentors, n_mentees = (1_200, 2_000) if quick else (12_000, 20_000)
    mentors, mentees = people(seed, n_mentors, n_mentees)
    before = peak_mb()
    build, index = timed(lambda: CohortIndex.build(mentors, POLICY))
    seconds, graph = timed(lambda: index.top_all(mentees, K))
    after = peak_mb()
    empty = sum(1 for why in graph.no_candidate if why)
    print(f"  {n_mentees:,} mentees x {len(index):,} mentors with a free place, top {K}")
    print(
        f"  index built in {build:.2f} s; candidate graph in {seconds:.2f} s (target < 3 s): {graph.edges:,} edges, {empty:,} mentees without a candidate"
    )
    print(f"  peak RSS {after:,.0f} MB (before: {before:,.0f} MB, the cohort's profiles; target < 1 GB)")
    return mentees, index, graph


def part_candidates(seed: int, quick: bool, library_mentees: int | None = None) -> None:
    candidate_graph(seed, quick)


def part_assignment(seed: int, quick: bool, library_mentees: int | None = None) -> None:
    library_mentees = library_mentees or (1_000 if quick else 2_000)
    mentees, index, graph = candidate_graph(seed, quick)
    capacity = index.free_places
    choices = ranked_choices(graph, seed)
    print(f"  {len(choices):,} mentees ranked 5 choices; {int(capacity.sum()):,} free places\n")
    seconds, ours = timed(lambda: optimal_assignment(graph, capacity, choices))
    edges = edges_of(graph, choices)
    ort_seconds, ort = anchors.or_tools(edges, len(graph.mentee_ids), capacity)
    slots_seconds, slots = anchors.scipy_slots(edges, len(graph.mentee_ids), capacity)
    rows_seconds, rows = anchors.scipy_expanded(edges, len(graph.mentee_ids), capacity)

    def verdict(objective: int) -> str:
        return "EQUAL" if objective == ours.objective else "DIFFERENT"

    print("  optimal assignment (integer weights: score + choice bonus, hundredths of a point)")
    print(f"    ours (model + OR-Tools min-cost flow)  {seconds:6.2f} s   objective {ours.objective:,}   (target < 1.5 s)")
    print(f"    OR-Tools min-cost flow alone           {ort_seconds:6.2f} s   objective {ort:,}   {verdict(ort)}")
    print(f"    scipy LAPJVsp, slots as rows           {slots_seconds:6.2f} s   objective {slots:,}   {verdict(slots)}")
    print(f"    scipy LAPJVsp, mentees as rows         {rows_seconds:6.2f} s   objective {rows:,}   {verdict(rows)}")
    print(describe(ours, len(mentees), int(capacity.sum())))

    seconds, stable = timed(lambda: stable_assignment(graph, capacity, choices))
    print("\n  stable assignment (mentee-proposing; mentees: choices then score; mentors: score)")
    print(f"    ours (deferred acceptance)             {seconds:6.2f} s   objective {stable.objective:,}")
    # The library on the subgraph of the first mentees (it builds a Python object per player and
    # preference and recurses per proposal: minutes at full size); ours again on the same subgraph.
    few = min(library_mentees, len(graph.mentee_ids))
    keep = edges.mentee < few
    sub = Edges(edges.mentee[keep], edges.mentor[keep], edges.score[keep], edges.choice_rank[keep], edges.weight[keep])
    sub_seconds, sub_pairs = timed(lambda: stable_edges(sub, few, capacity))
    pointers, order = mentee_preferences(sub, few)
    resident_prefs = [sub.mentor[order[pointers[i] : pointers[i + 1]]].tolist() for i in range(few)]
    merit = np.round(sub.score * 100).astype(np.int64)
    by_mentor = np.lexsort((sub.mentee, -merit, sub.mentor))
    starts = np.searchsorted(sub.mentor[by_mentor], np.arange(capacity.size + 1))
    hospital_prefs = [sub.mentee[by_mentor[starts[j] : starts[j + 1]]].tolist() for j in range(capacity.size)]
    hr = anchors.hospital_residents(resident_prefs, hospital_prefs, capacity.tolist(), timeout=900)
    print(f"    on the first {few:,} mentees' subgraph ({sub.mentee.size:,} edges):")
    print(f"      ours                                 {sub_seconds:6.2f} s")
    if isinstance(hr, str):
        print(f"      `matching` HospitalResident          {hr}")
    else:
        ours_pairs = sorted([int(sub.mentee[e]), int(sub.mentor[e])] for e in sub_pairs)
        same = "SAME PAIRS" if ours_pairs == hr["pairs"] else "DIFFERENT PAIRS"
        print(
            f"      `matching` HospitalResident          {hr['solve_seconds']:6.2f} s   (+{hr['build_seconds']:.2f} s to build the game)   {same}"
        )
    print(describe(stable, len(mentees), int(capacity.sum())))
    print(f"\n  peak RSS {peak_mb():,.0f} MB")


def part_cohort(seed: int, quick: bool, library_mentees: int | None = None) -> None:
    # 77,000 people, 12 mentors for 20 mentees, 10% of the mentors also mentees.
    n_mentors, n_mentees = (3_000, 5_000) if quick else (30_000, 50_000)
    total = time.perf_counter()
    seconds, (mentors, mentees) = timed(lambda: people(seed, n_mentors, n_mentees))
    participants = len({m.participant_id for m in mentors} | {m.participant_id for m in mentees})
    print(
        f"  {participants:,} participants ({len(mentors):,} mentors, {len(mentees):,} mentees): profiles generated in {seconds:.2f} s"
    )
    engine = time.perf_counter()
    stages = []
    seconds, index = timed(lambda: CohortIndex.build(mentors, POLICY))
    stages.append(("index", seconds))
    seconds, graph = timed(lambda: index.top_all(mentees, K))
    stages.append((f"candidate graph ({graph.edges:,} edges)", seconds))
    choices = ranked_choices(graph, seed)
    seconds, optimal = timed(lambda: optimal_assignment(graph, index.free_places, choices))
    stages.append(("optimal assignment", seconds))
    seconds, stable = timed(lambda: stable_assignment(graph, index.free_places, choices))
    stages.append(("stable assignment", seconds))
    engine = time.perf_counter() - engine
    for name, seconds in stages:
        print(f"    {name:40s} {seconds:6.2f} s")
    print(f"  engine end to end {engine:.2f} s; with generating the profiles {time.perf_counter() - total:.2f} s (target < 30 s)")
    print("  optimal:")
    print(describe(optimal, len(mentees), int(index.free_places.sum())))
    print("  stable:")
    print(describe(stable, len(mentees), int(index.free_places.sum())))
    print(f"  peak RSS {peak_mb():,.0f} MB (target < 4 GB)")


PARTS = {
    "suggestions": part_suggestions,
    "candidates": part_candidates,
    "assignment": part_assignment,
    "cohort": part_cohort,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes: a smoke run")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", default=",".join(PARTS), help="comma-separated parts: " + ", ".join(PARTS))
    parser.add_argument(
        "--library-mentees",
        type=int,
        default=None,
        help="mentees whose subgraph the matching library solves (default 2,000; 20,000 takes about 10 minutes)",
    )
    args = parser.parse_args()
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in PARTS]
    if unknown:
        parser.error(f"unknown part(s): {', '.join(unknown)}")
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    print(
        f"matching engine benchmark{' (quick: a tenth of the sizes; the targets are for the default sizes)' if args.quick else ''}: seed {args.seed}, load average {' '.join(load)}"
    )
    context = multiprocessing.get_context("spawn")
    for name in chosen:
        print(f"\n== {name}")
        child = context.Process(target=PARTS[name], args=(args.seed, args.quick, args.library_mentees))
        child.start()
        child.join()
        if child.exitcode != 0:
            print(f"  {name} failed (exit code {child.exitcode})")


if __name__ == "__main__":
    main()
