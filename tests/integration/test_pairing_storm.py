"""A storm over one cohort on the real database: nothing in pairing deadlocks.

Rounds of concurrent work over shared mentors and mentees: accepts and declines, participants
leaving (mentees and mentors), capacities raised and lowered (a mentor lowered to full releases the
requests waiting for them: RequestWithdrawn), pairings ended, new preferences, an accepted
assignment, and expiries (the clock travels and two deadline workers fire at once).

Then: no call answered 503 `try_again` (nor anything unexpected), no event handler raised, no timer
failed, and PostgreSQL logged no `deadlock detected` for this database while the test ran. After
every round each mentor holds no more pairings than their capacity, and their counter equals them;
at the end each request has at most one final event, the one its status says.

Registration's and matching's events go through pairing's own handlers, each in a transaction of
its own as the consumer handles one, so that several land at once (as with several replicas); the
broker takes no part in the locks they take.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
import sqlalchemy as sa

from pairing.deadline_worker import deadline_worker
from pairing.tables import pairings, participants, requests, selections
from tests.apps import client, service_app
from tests.integration.test_pairing_participants import World
from tests.stack import REPO
from together_contracts.matching import AssignedPair, AssignmentAccepted
from together_contracts.registration import Role
from together_events import Event
from together_events.tables import outbox_table

pytestmark = pytest.mark.integration

SEED = 20261203
MENTORS, MENTEES, ROUNDS = 12, 48, 20
FINAL_EVENT = {
    "accepted": "RequestAccepted",
    "declined": "RequestDeclined",
    "expired": "RequestExpired",
    "withdrawn": "RequestWithdrawn",
    "cancelled": "RequestCancelled",
}
EXPECTED_OUTCOMES = {
    "accept 200", "accept 409",  # 409: answered, expired or cancelled first, or the mentor is full
    "decline 204", "decline 409",
    "end 204", "end 409",  # 409: the pairing ended by a withdrawal first
    "submit 201", "submit 422",  # 422: a chosen mentor filled up or left meanwhile, or the mentee left
    "mentee withdrawal ok", "mentor withdrawal ok", "capacity change ok", "assignment ok",
    "timer reminded", "timer expired", "timer moot",
}  # fmt: skip


@pytest.fixture
async def world(stack, create_database, signer):
    async with service_app("pairing", await create_database("storm"), stack.kafka_bootstrap, signer) as (app, runtime):
        async with client(app) as http:
            yield World(http, runtime, signer)


@dataclass
class Snapshot:
    capacity: dict[uuid.UUID, int]  # mentors still in the cohort
    active: dict[uuid.UUID, int]  # their active pairings
    withdrawn: set[uuid.UUID]
    pending: list[sa.Row]  # (id, mentor_id)
    pairings: list[sa.Row]  # active: (id, mentee_id)
    busy_mentees: set[uuid.UUID]  # with an open selection or an active pairing


async def snapshot(world: World, broken: list[str]) -> Snapshot:
    """The cohort now. Adds to `broken` a mentor holding more pairings than their capacity, or counting
    other than they hold; a mentee with two mentors."""
    async with world.runtime.engine.connect() as conn:
        people = (await conn.execute(sa.select(participants))).all()
        active = (await conn.execute(sa.select(pairings).where(pairings.c.status == "active"))).all()
        pending = (await conn.execute(sa.select(requests.c.id, requests.c.mentor_id).where(requests.c.status == "pending"))).all()
        open_ = set((await conn.execute(sa.select(selections.c.mentee_id).where(selections.c.status == "open"))).scalars())
    held = Counter(p.mentor_id for p in active)
    for person in people:
        if person.active_pairings != held[person.id]:
            broken.append(f"{person.id}: counts {person.active_pairings} pairings, holds {held[person.id]}")
        if "mentor" in person.roles and person.withdrawn_at is None and held[person.id] > person.capacity:
            broken.append(f"mentor {person.id}: holds {held[person.id]} pairings, capacity {person.capacity}")
    if len({p.mentee_id for p in active}) != len(active):
        broken.append("a mentee holds two pairings")
    return Snapshot(
        capacity={p.id: p.capacity for p in people if "mentor" in p.roles and p.withdrawn_at is None},
        active=dict(held),
        withdrawn={p.id for p in people if p.withdrawn_at is not None},
        pending=list(pending),
        pairings=list(active),
        busy_mentees=open_ | {p.mentee_id for p in active},
    )


def postgres_log() -> Path | None:
    """The server log of the PostgreSQL that deploy/postgres.sh runs on this machine (the tests' stack
    when it started it, or when the environment points at it); None for containers."""
    state = Path(os.environ.get("TOGETHER_STATE_DIR", REPO / ".run"))
    location = state / "postgres.location"  # where the cluster lives when the state folder is out of its reach
    log = (Path(location.read_text().strip()) if location.exists() else state / "postgres") / "postgres.log"
    return log if log.exists() else None


def deadlocks_logged(log: Path, since: int, database: str) -> list[str]:
    """`deadlock detected` lines written after byte `since` by sessions on `database`
    (deploy/postgres.sh's log_line_prefix names the database: `... user@database ERROR: ...`)."""
    with log.open("rb") as file:
        file.seek(since)
        appended = file.read().decode(errors="replace")
    return [line for line in appended.splitlines() if "deadlock detected" in line and f"@{database} " in line]


async def deadlocks_counted(pg_dsn_base: str, database: str) -> int:
    """PostgreSQL's own count for the database, once its sessions have ended (each reports on exit)."""
    admin = await asyncpg.connect(f"{pg_dsn_base}/postgres")
    try:
        for _ in range(100):
            if not await admin.fetchval("SELECT count(*) FROM pg_stat_activity WHERE datname = $1", database):
                break
            await asyncio.sleep(0.1)
        return await admin.fetchval("SELECT coalesce(sum(deadlocks), 0) FROM pg_stat_database WHERE datname = $1", database)
    finally:
        await admin.close()


async def test_a_storm_of_answers_withdrawals_capacity_changes_and_expiries_never_deadlocks(world, stack):
    rng, tally, broken = random.Random(SEED), Counter(), []
    database = world.runtime.engine.url.database
    log = postgres_log()
    log_start = log.stat().st_size if log else 0
    started = time.monotonic()

    async def call(kind: str, method: str, url: str, person: uuid.UUID, **body: object) -> None:
        response = await world.http.request(method, url, headers=world.as_(person), **body)
        tally[f"{kind} {response.status_code}"] += 1

    async def handle(kind: str, event: Event) -> None:
        try:
            await world.apply(event)  # one event, one transaction: as the consumer handles it
        except sa.exc.DBAPIError as exc:
            tally[f"{kind} {getattr(exc.orig, 'sqlstate', None) or type(exc.orig).__name__}"] += 1
            return
        tally[f"{kind} ok"] += 1

    async def fire() -> None:
        for outcome in await deadline_worker(world.runtime).run_due():
            tally[f"timer {outcome}"] += 1  # `failed_attempt` when a timer's transaction raised

    def submit(mentee: uuid.UUID, mentors: list[uuid.UUID]):
        url, body = f"/cohorts/{world.id}/mentees/{mentee}/preferences", {"mentor_ids": [str(m) for m in mentors]}
        return call("submit", "POST", url, mentee, json=body)

    mentors = [await world.join(Role.mentor, capacity=rng.choice([1, 2])) for _ in range(MENTORS)]
    mentees = [await world.join(Role.mentee) for _ in range(MENTEES)]
    for mentee in mentees[: MENTEES * 3 // 4]:  # the rest choose during the storm
        await submit(mentee, rng.sample(mentors, 4))

    for round_ in range(ROUNDS):
        now = await snapshot(world, broken)
        live_mentors = [m for m in mentors if m not in now.withdrawn]
        free_mentors = [m for m in live_mentors if now.active.get(m, 0) < now.capacity[m]]
        live_mentees = [m for m in mentees if m not in now.withdrawn]
        free_mentees = [m for m in live_mentees if m not in now.busy_mentees]
        rng.shuffle(free_mentees)
        resized = set(rng.sample(live_mentors, min(2, len(live_mentors))))
        work = []
        for request in now.pending:  # half are left to expire; a resized mentor only declines (see below)
            verb = rng.choice(["accept", "accept", "decline", None, None, None])
            if verb == "accept" and request.mentor_id in resized:
                verb = "decline"  # so that no pairing outgrows the new capacity
            if verb:
                work.append(call(verb, "POST", f"/requests/{request.id}/{verb}", request.mentor_id))
        for mentor in resized:
            held, was = now.active.get(mentor, 0), now.capacity[mentor]
            lowest = max(held, 1)  # never below the pairings held
            choices = [c for c in range(lowest, lowest + 3) if c != was]
            work.append(handle("capacity change", world.updated(mentor, mentor_capacity=rng.choice(choices))))
        for pairing in rng.sample(now.pairings, min(2, len(now.pairings))):
            body = {"message_to_partner": "Thank you, I would like another mentor."}
            work.append(call("end", "POST", f"/pairings/{pairing.id}/end", pairing.mentee_id, json=body))
        for mentee in free_mentees[:4]:
            if free_mentors:
                work.append(submit(mentee, rng.sample(free_mentors, min(3, len(free_mentors)))))
        if round_ % 2 and free_mentors and free_mentees[4:]:
            pairs = [AssignedPair(mentee_id=m, mentor_id=rng.choice(free_mentors), score=0.5) for m in free_mentees[4:6]]
            work.append(
                handle(
                    "assignment",
                    AssignmentAccepted(
                        assignment_id=uuid.uuid4(), cohort_id=world.id, programme_id=world.programme,
                        accepted_at=datetime.now(UTC), pairs=pairs,
                    ),
                )
            )  # fmt: skip
        work.append(handle("mentee withdrawal", world.withdrawn(rng.choice(live_mentees))))
        if round_ % 4 == 3:
            work.append(handle("mentor withdrawal", world.withdrawn(rng.choice(live_mentors))))
        world.runtime.clock.travel(timedelta(hours=rng.choice([24, 36, 48])))
        work += [fire(), fire()]
        rng.shuffle(work)
        await asyncio.gather(*work)

    await snapshot(world, broken)  # the invariants, once more after the last round
    async with world.runtime.engine.connect() as conn:
        statuses = dict((await conn.execute(sa.select(requests.c.id, requests.c.status))).all())
        final_events = Counter(
            (uuid.UUID(envelope["subject"]), event_type.split(".")[2])
            for event_type, envelope in await conn.execute(
                sa.select(outbox_table.c.event_type, outbox_table.c.envelope).where(
                    outbox_table.c.event_type.in_([f"together.pairing.{e}.v1" for e in FINAL_EVENT.values()])
                )
            )
        )
    await world.runtime.engine.dispose()  # its sessions end, and report their deadlocks as they do
    counted = await deadlocks_counted(stack.pg_dsn_base, database)
    logged = deadlocks_logged(log, log_start, database) if log else []
    seconds = time.monotonic() - started
    operations = sum(n for kind, n in tally.items() if not kind.startswith("timer"))
    print(
        f"\nstorm: {operations} operations and {tally.total() - operations} timers in {seconds:.1f} s over "
        f"{len(statuses)} requests; deadlocks: {counted} counted, {len(logged)} logged ({log or 'no server log here'}); "
        f"invariants broken: {len(broken)}\nrequests by status: {dict(Counter(statuses.values()).most_common())}\n"
        + "\n".join(f"  {kind}: {n}" for kind, n in sorted(tally.items()))
    )

    assert {kind: n for kind, n in tally.items() if kind not in EXPECTED_OUTCOMES} == {}, "no 503 try_again, no failure"
    assert logged == [], "PostgreSQL logged no deadlock in this database during the storm"
    assert broken == [], "after every round, no mentor beyond their capacity and every counter right"
    assert counted == 0
    for (request_id, event), n in final_events.items():
        assert n == 1 and FINAL_EVENT.get(statuses[request_id]) == event, f"{request_id}: {n} {event}, {statuses[request_id]}"
    ended = {request_id for request_id, _ in final_events}
    assert len(ended) == sum(final_events.values()), "at most one final event per request"
    assert ended == {r for r, status in statuses.items() if status in FINAL_EVENT}, "each final status has its event"
    assert set(FINAL_EVENT) <= set(statuses.values()), "the storm reached every final state"
    assert {"capacity change ok", "mentor withdrawal ok", "end 204", "assignment ok"} <= set(tally)
