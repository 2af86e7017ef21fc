"""Synthetic cohort benchmark: how fast and how big the generator is at the sizes we test at.

    .venv/bin/python bench/synthetic.py [--seed S] [--rounds R] [--json]

Needs nothing running. For each size it prints the median wall time of R runs (default 5) of
the columnar form (`generate_cohort(...).columns()`: no per-person objects), the peak memory
Python allocated during one run (tracemalloc, which numpy reports to) and the columns' size;
then, once, the per-person forms for the whole population (questionnaire dicts) and for
10,000 people (PublicProfile). It prints figures and asserts none: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import TypeVar

from together_synthetic import SyntheticCohort, generate_coaching_cohort, generate_cohort

T = TypeVar("T")

SIZES: list[tuple[str, Callable[[int], SyntheticCohort]]] = [
    ("77,000 participants (30,000 mentors + 47,000 mentees)", lambda seed: generate_cohort(seed, 30_000, 47_000, both=0.0)),
    ("20,000 mentees x 12,000 mentors (10% both)", lambda seed: generate_cohort(seed, 12_000, 20_000)),
    ("coaching: 2,000 coaches + 8,000 clients", lambda seed: generate_coaching_cohort(seed, 2_000, 8_000)),
]


def timed(call: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def peak_bytes(call: Callable[[], object]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="also print one JSON line with the figures")
    args = parser.parse_args()

    figures: dict[str, dict[str, float]] = {}
    generate_cohort(args.seed, 10, 10)  # warm-up: imports and first allocations
    for label, make in SIZES:
        seconds = [timed(lambda make=make: make(args.seed).columns())[0] for _ in range(args.rounds)]
        cohort = make(args.seed)
        figures[label] = {
            "people": len(cohort),
            "columns_s_median": statistics.median(seconds),
            "columns_s_min": min(seconds),
            "peak_mib": peak_bytes(lambda make=make: make(args.seed)) / 2**20,
            "columns_mib": cohort.columns().nbytes / 2**20,
        }

    cohort = generate_cohort(args.seed, 30_000, 47_000, both=0.0)
    questionnaire_s, answers = timed(lambda: [p.questionnaire() for p in cohort.participants()])
    some = cohort.participants()[:10_000]
    profile_s, _ = timed(lambda: [p.profile() for p in some])
    per_person = {"questionnaires_77000_s": questionnaire_s, "profiles_10000_s": profile_s, "questionnaires": len(answers)}
    max_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"Synthetic cohorts (seed {args.seed}, median of {args.rounds} runs)\n")
    print(f"{'size':<58} {'people':>8} {'columns s':>10} {'min s':>7} {'peak MiB':>9} {'cols MiB':>9}")
    for label, f in figures.items():
        print(
            f"{label:<58} {f['people']:>8,} {f['columns_s_median']:>10.3f} {f['columns_s_min']:>7.3f} "
            f"{f['peak_mib']:>9.1f} {f['columns_mib']:>9.1f}"
        )
    print(
        f"\nper-person forms: 77,000 questionnaire dicts in {questionnaire_s:.2f} s; 10,000 PublicProfiles in {profile_s:.2f} s"
    )
    print(f"process peak resident memory (everything above): {max_rss_mib:.0f} MiB")
    if args.json:
        print(json.dumps({"sizes": figures, "per_person": per_person, "max_rss_mib": max_rss_mib}))


if __name__ == "__main__":
    main()
