"""The order of a run: start the stack, tell the story while faults are injected one after
another, re-publish records and inject poison, let the system settle, check, print, stop."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import logging
import random
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from tests.chaos import checks as verdicts
from tests.chaos.checks import Check, load_databases
from tests.chaos.consumers import log_findings, poison_outcomes, rebuilds, stuck_consumers
from tests.chaos.faults import FaultResult, Faults
from tests.chaos.history import read_history
from tests.chaos.mails import deliveries_settled, mails_once
from tests.chaos.stack import BOOTSTRAP, INSTANCES, STATE, ChaosStack, service_topics
from tests.chaos.workload import Workload


@dataclass(frozen=True)
class Plan:
    name: str
    participants: int
    faults: tuple[str, ...]  # in order, each once the system recovered from the one before
    hold: float  # seconds a frozen broker stays frozen; a stopped database, half of it
    republish_per_topic: int
    recovery_timeout: float
    poison_timeout: float


FULL = Plan(
    "full", participants=300, hold=10, republish_per_topic=40, recovery_timeout=120, poison_timeout=150,
    faults=(
        "kill", "freeze broker", "kill", "stop postgres", "kill", "stop broker", "kill", "kill broker", "kill",
        "kill postgres", "kill",
    ),
)  # fmt: skip
SHORT = Plan(
    "short", participants=100, hold=6, republish_per_topic=15, recovery_timeout=90, poison_timeout=100,
    faults=("kill", "freeze broker", "stop postgres", "stop broker", "kill broker", "kill postgres"),
)  # fmt: skip


async def infrastructure_faults(faults: Faults, plan: Plan) -> None:
    """The plan's faults one after another; `kill` SIGKILLs a service instance (a different one each time)."""
    targets = iter(faults.rng.sample(INSTANCES, plan.faults.count("kill")))
    inject = {
        "kill": lambda: faults.kill_service(next(targets)),
        "freeze broker": lambda: faults.freeze_broker(plan.hold),
        "stop broker": lambda: faults.stop_broker(plan.hold / 2),
        "kill broker": faults.kill_broker,
        "stop postgres": lambda: faults.stop_postgres(plan.hold / 2),
        "kill postgres": lambda: faults.kill_postgres(plan.hold / 2),
    }
    await asyncio.sleep(2)  # registrations under way
    for fault in plan.faults:
        await inject[fault]()
        await asyncio.sleep(2)


async def run(plan: Plan, seed: int) -> int:
    began = time.monotonic()
    stack = ChaosStack(run=uuid.uuid4().hex[:6])
    print(f"chaos ({plan.name}, seed {seed}: --seed {seed} repeats it): own stack in {STATE}, Kafka {BOOTSTRAP}, "
          f"{len(INSTANCES)} service instances", flush=True)  # fmt: skip
    workload: Workload | None = None
    try:
        await stack.start()
        print(f"  [{time.monotonic() - began:6.1f}s] stack started", flush=True)
        workload = Workload(stack, seed)
        workload.started = began
        faults = Faults(stack, workload.clocks, began, plan.recovery_timeout, random.Random(seed))
        results = await exercise(plan, stack, workload, faults)
        print(f"  [{time.monotonic() - began:6.1f}s] checking", flush=True)
        results += await check(plan, stack, workload, faults)
        results += await rebuilds(stack, timeout=plan.poison_timeout)
        print_faults(faults.results)
        print_checks(results)
        print("\nWhat the services' logs say (per service: counts of telling events):")
        for line in log_findings():
            print(f"  {line}")
        failed = [c for c in results if not c.passed]
        print(f"\nchaos ({plan.name}): {len(results) - len(failed)} of {len(results)} checks passed; "
              f"wall-clock {time.monotonic() - began:.0f}s; logs in {STATE / 'logs'}")  # fmt: skip
        return 1 if failed else 0
    finally:
        if workload is not None:
            await workload.close()
        await stack.stop()
        await stack.close()


async def exercise(plan: Plan, stack: ChaosStack, workload: Workload, faults: Faults) -> list[Check]:
    """The story and the trickle under the infrastructure faults, then the record faults."""
    await workload.open_programme()
    stop_trickle, faults_done = asyncio.Event(), asyncio.Event()
    trickle = asyncio.create_task(workload.trickle(stop_trickle))

    async def stories() -> None:
        """The story again, in a new cohort with fewer people, until every infrastructure fault was injected."""
        for round_ in range(5):
            await workload.story(round_, plan.participants if round_ == 0 else plan.participants // 3)
            if faults_done.is_set():
                return

    async def infrastructure() -> None:
        try:
            await infrastructure_faults(faults, plan)
        finally:
            faults_done.set()

    try:
        _, infra = await asyncio.gather(stories(), infrastructure(), return_exceptions=True)
        problems = workload.problems + ([f"faults: {infra!r}"] if isinstance(infra, BaseException) else [])
        await faults.republish(plan.republish_per_topic)
        await faults.inject_poison(plan.poison_timeout)
    finally:
        stop_trickle.set()
        await trickle
    settled, problem = await stack.healthy(plan.recovery_timeout, drained=True)
    mails_settled, states = await deliveries_settled(stack, 60)
    workload.say(f"settled: {'yes' if settled is not None else 'NO: ' + problem}; deliveries {dict(states)}")
    return [
        Check("the story was told to its end", not problems, "story and faults ran to their ends" if not problems else "stopped early", problems),
        Check("the system settled", settled is not None, f"healthy after the last fault: {settled is not None}; real participants' deliveries final: {mails_settled} {dict(states)}", [problem] if problem else []),
    ]  # fmt: skip


async def check(plan: Plan, stack: ChaosStack, workload: Workload, faults: Faults) -> list[Check]:
    history = await read_history(BOOTSTRAP, service_topics() + [f"{t}.dlq" for t in service_topics()])
    dbs = await load_databases(stack)
    timeout = plan.recovery_timeout
    return [
        verdicts.exercised(workload.ledger, history),
        verdicts.acknowledged_events(workload.ledger, history),
        verdicts.outboxes_published(dbs, history),
        verdicts.duplicates(history, dbs, faults.results, faults.republished, timeout),
        verdicts.sequences(history),
        verdicts.capacity(history, dbs),
        verdicts.timers(history, dbs, workload.clocks.now("pairing"), workload.clocks.now("scheduling")),
        mails_once(dbs),
        await stuck_consumers(stack, history, dbs),
        await poison_outcomes(stack, faults.poison, history, dbs),
        verdicts.recoveries(faults.results),
    ]


def print_faults(results: list[FaultResult]) -> None:
    print("\nFaults (recovery: from injection until every instance is ready, every outbox published, every group caught up):")
    print(f"  {'fault':<24} {'target':<16} {'at':>7} {'held':>7} {'recovery':>9}  note")
    for f in results:
        recovery = f"{f.recovery:.1f}s" if f.recovery is not None else "NONE"
        print(f"  {f.name:<24} {f.target:<16} {f.injected_at:>6.0f}s {f.held:>6.1f}s {recovery:>9}  {f.note}"[:220])
        if f.recovery is None:
            print(f"  {'':<24} still wrong: {f.problem}"[:400])


def print_checks(results: list[Check]) -> None:
    print("\nChecks:")
    for c in results:
        print(f"  {'PASS' if c.passed else 'FAIL'}  {c.name}: {c.figures}")
        for line in c.details:
            print(f"          - {line}"[:400])


@contextlib.contextmanager
def only_run() -> Iterator[None]:
    """One chaos run at a time on this machine: a second would fight the first for its ports and state."""
    STATE.parent.mkdir(parents=True, exist_ok=True)
    with open(STATE.parent / "chaos.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            sys.exit(f"another chaos run holds {STATE.parent / 'chaos.lock'}")
        yield


def main() -> None:
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # the suite's own clients, while the broker is down
    parser = argparse.ArgumentParser(prog="python -m tests.chaos", description=__doc__)
    parser.add_argument("--short", action="store_true", help="the short version (CI): fewer people and faults, a few minutes")
    parser.add_argument(
        "--seed", type=int, help="the people, the instances killed, the records copied (default: a new one each run)"
    )
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(100_000)
    with only_run():
        status = asyncio.run(run(SHORT if args.short else FULL, seed))
    sys.exit(status)
