"""Matching API benchmark: what one request costs at cohort sizes of a few thousand mentors.

    .venv/bin/python bench/matching/service_requests.py [--sizes 1000,5000] [--requests 100] [--json]

Needs PostgreSQL (PG_DSN_BASE), not Kafka: the use cases run in-process on a fresh database
(`bench_matching_api_<run>`, dropped at the end) whose read model is filled through matching's own
event handlers from a synthetic cohort (`together_synthetic`, seed 7, 1.5 mentees per mentor).
Events the use cases record stay in the outbox.

Per size it prints the median and 95th percentile of:
  view build      loading the cohort (every visible mentor) and building its CohortIndex: what a
                  request pays after an event changed the cohort, or with no cache at all
  suggestions     GET suggestions (10, with reasons, SuggestionsServed recorded) with the cohort
                  cached, and with the cache emptied before each request
  search          by name (the team), and ranked by score for a mentee, with a filter and free text
  why-not         one mentee and mentor
  fairness        the cohort's fairness report
and once: a cohort-wide assignment (optimal and stable). It asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

import asyncpg

from matching import queries, use_cases
from matching.cohort_cache import CohortCache, load
from matching.consumers import handlers
from matching.domain.proposal import Method
from matching.settings import MatchingSettings
from together_contracts.registration import CohortOpened, ParticipantRegistered, ProgrammeCreated, ProgrammeKind, Role
from together_events.outbox import OutboxRelay
from together_servicekit.auth import Principal
from together_servicekit.auth import Role as CallerRole
from together_servicekit.clock import SystemClock
from together_servicekit.db import make_engine, migrate
from together_servicekit.runtime import Runtime
from together_servicekit.settings import DEFAULT_PG_DSN_BASE
from together_synthetic import generate_cohort

TEAM = Principal("bench-team", frozenset({CallerRole.programme_team}), frozenset({"*"}))


async def timed(work: Callable[[], Awaitable[object]], rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        await work()
        times.append((time.perf_counter() - start) * 1000)
    return times


def figures(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {"median_ms": round(statistics.median(ordered), 2), "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 2)}


async def seed(runtime: Runtime, mentors: int) -> tuple[uuid.UUID, list[ParticipantRegistered], list[ParticipantRegistered]]:
    cohort_id, programme_id = uuid.uuid4(), uuid.uuid4()
    synthetic = generate_cohort(7, mentors, int(mentors * 1.5), both=0.0)
    today = date.today()
    at = datetime.now(UTC)
    events: list = [
        ProgrammeCreated(programme_id=programme_id, name="bench", kind=ProgrammeKind.mentoring, suggestions_per_mentee=10),
        CohortOpened(cohort_id=cohort_id, programme_id=programme_id, programme_kind=ProgrammeKind.mentoring, name="bench",
                     registration_opens_on=today, registration_closes_on=today + timedelta(days=10),
                     starts_on=today + timedelta(days=20), ends_on=today + timedelta(days=140)),
    ]  # fmt: skip
    people = {"mentor": [], "mentee": []}
    for role, group in (("mentor", synthetic.mentors), ("mentee", synthetic.mentees)):
        for person in group:
            event = ParticipantRegistered(
                participant_id=uuid.uuid4(), person_id=f"bench-{uuid.uuid4().hex[:8]}", cohort_id=cohort_id,
                programme_id=programme_id, roles=[Role(role)], mentor_capacity=person.mentor_capacity or 2 if role == "mentor" else None,
                profile=person.profile(), registered_at=at,
            )  # fmt: skip
            people[role].append(event)
            events.append(event)
    applied = handlers(runtime)
    for start in range(0, len(events), 1000):
        async with runtime.engine.begin() as conn:
            for event in events[start : start + 1000]:
                await applied[type(event)](conn, event, None)
    return cohort_id, people["mentor"], people["mentee"]


async def measure(runtime: Runtime, mentors: int, rounds: int) -> dict:
    started = time.perf_counter()
    cohort_id, mentor_events, mentee_events = await seed(runtime, mentors)
    result: dict = {
        "mentors": len(mentor_events),
        "mentees": len(mentee_events),
        "seed_s": round(time.perf_counter() - started, 1),
    }

    async def build() -> None:
        async with runtime.engine.connect() as conn:
            await load(conn, cohort_id)

    result["view_build"] = figures(await timed(build, max(5, rounds // 10)))

    cache = CohortCache()
    mentees = iter(mentee_events * 2)

    async def suggest() -> None:
        await use_cases.suggest_mentors(runtime, cache, TEAM, cohort_id=cohort_id, mentee_id=next(mentees).participant_id)

    await suggest()  # builds the view once
    result["suggestions_cached"] = figures(await timed(suggest, rounds))

    async def suggest_uncached() -> None:
        cache._views.clear()
        await suggest()

    result["suggestions_uncached"] = figures(await timed(suggest_uncached, max(5, rounds // 10)))

    async def search_by_name() -> None:
        filters = queries.SearchFilters(language="English", text="manag")
        await queries.search_mentors(runtime, cache, TEAM, cohort_id=cohort_id, filters=filters, limit=20, offset=0)

    result["search_by_name"] = figures(await timed(search_by_name, rounds))
    asker = mentee_events[0]
    mentee = Principal(asker.person_id, frozenset({CallerRole.participant}))

    async def search_ranked() -> None:
        filters = queries.SearchFilters(language="English", text="manag")
        await queries.search_mentors(runtime, cache, mentee, cohort_id=cohort_id, filters=filters, limit=20, offset=0)

    result["search_ranked"] = figures(await timed(search_ranked, rounds))
    mentor_ids = iter(m.participant_id for m in mentor_events * 2)

    async def why_not() -> None:
        await queries.why_not_suggested(
            runtime, cache, TEAM, cohort_id=cohort_id, mentee_id=asker.participant_id, mentor_id=next(mentor_ids)
        )

    result["why_not"] = figures(await timed(why_not, rounds))
    for method in Method:
        start = time.perf_counter()
        proposal = await use_cases.propose_assignment(runtime, cache, TEAM, cohort_id=cohort_id, method=method)
        result[f"assignment_{method.value}"] = {
            "ms": round((time.perf_counter() - start) * 1000, 1),
            "paired": proposal.report["paired"],
            "total_score": round(proposal.report["total_score"], 1),
        }

    async def fairness() -> None:
        await queries.fairness_report(runtime, TEAM, cohort_id=cohort_id)

    result["fairness"] = figures(await timed(fairness, max(5, rounds // 10)))
    return result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,5000", help="mentors per cohort, comma-separated")
    parser.add_argument("--requests", type=int, default=100, help="requests per measurement")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    base = os.environ.get("PG_DSN_BASE", DEFAULT_PG_DSN_BASE)
    name = f"bench_matching_api_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(f"{base}/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{base.replace('postgresql://', 'postgresql+asyncpg://', 1)}/{name}"
    try:
        await asyncio.to_thread(migrate, "matching", url)
        settings = MatchingSettings(database_url=url)
        engine = make_engine(url)
        runtime = Runtime(settings=settings, engine=engine, clock=SystemClock(), producer=None,
                          relay=OutboxRelay(engine, None, name="bench"))  # fmt: skip
        results = [await measure(runtime, int(size), args.requests) for size in args.sizes.split(",")]
        await engine.dispose()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for r in results:
        print(f"\n{r['mentors']} mentors, {r['mentees']} mentees (read model seeded through the handlers in {r['seed_s']} s)")
        for key in (
            "view_build",
            "suggestions_cached",
            "suggestions_uncached",
            "search_by_name",
            "search_ranked",
            "why_not",
            "fairness",
        ):
            print(f"  {key:22} median {r[key]['median_ms']:8.2f} ms   p95 {r[key]['p95_ms']:8.2f} ms")
        for method in ("optimal", "stable"):
            a = r[f"assignment_{method}"]
            print(f"  assignment {method:11} {a['ms']:8.1f} ms   {a['paired']} paired, total score {a['total_score']}")


if __name__ == "__main__":
    asyncio.run(main())
