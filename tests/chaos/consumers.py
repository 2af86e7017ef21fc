"""Checks of the consumers: none stuck, every poison record dealt with as its kind requires,
and every read model equal to one rebuilt from the topics."""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from collections import Counter, defaultdict
from pathlib import Path

from tests.chaos.checks import Check, Databases
from tests.chaos.history import History
from tests.chaos.poison import Poison
from tests.chaos.stack import BOOTSTRAP, CONSUMERS, INSTANCES, PG, REPO, STATE, ChaosStack, handled_types


def set_aside_by(history: History, dbs: Databases) -> dict[tuple[str, str, int, int], str]:
    """(consumer, source topic, partition, offset) -> where it was set aside: dlq, dlq_reduced or parked."""
    where: dict[tuple[str, str, int, int], str] = {}
    for record in history.records:
        h = record.headers
        if record.topic.endswith(".dlq") and "dlq_source_offset" in h:
            key = (
                h.get("dlq_consumer", ""),
                h.get("dlq_source_topic", ""),
                int(h["dlq_source_partition"]),
                int(h["dlq_source_offset"]),
            )
            where[key] = "dlq_reduced" if h.get("dlq_reduced") == "true" else "dlq"
    for key in dbs.parked:
        where.setdefault(key, "parked")
    return where


async def stuck_consumers(stack: ChaosStack, history: History, dbs: Databases) -> Check:
    readiness = await stack.all_ready()
    details = [f"{r.spec.label} not ready: {r.reasons()}" for r in readiness if not r.ok]
    aside = set_aside_by(history, dbs)
    by_place = {(r.topic, r.partition, r.offset): r for r in history.records}
    lagging = 0
    for service, topics in stack.topics.items():
        committed = await stack.committed(service)
        for tp, end in (await stack.end_offsets(topics)).items():
            at = committed.get(tp, 0)
            # Records left behind the group's offset are fine only if this consumer set each of them aside.
            left = [o for o in range(at, end) if (service, tp.topic, tp.partition, o) not in aside]
            if left:
                lagging += 1
                first = by_place.get((tp.topic, tp.partition, left[0]))
                what = f"{first.poison or first.short_type or 'record'}" if first else "record"
                details.append(f"{service} stuck on {tp.topic}[{tp.partition}] at offset {at} of {end} (first: {what})")
    return Check(
        "no stuck consumer",
        not details,
        f"{sum(r.ok for r in readiness)}/{len(readiness)} instances ready; {len(stack.topics)} groups, partitions behind: {lagging}",
        details[:10],
    )


def _counted_unknown(service: str, poison: Poison, figures: dict[str, Counter[str]]) -> bool:
    """Whether the service counted or logged the unknown type: its /readyz figures, else its logs."""
    if figures[service][f"{poison.topic}/{poison.event_type}"]:
        return True
    for log in (STATE / "logs").glob(f"{service}*.log"):
        with open(log, errors="replace") as lines:
            if any("unknown_type" in line and poison.event_type in line for line in lines):
                return True
    return False


async def unknown_type_figures(stack: ChaosStack) -> dict[str, Counter[str]]:
    figures: dict[str, Counter[str]] = defaultdict(Counter)
    for readiness in await stack.all_ready():
        counted = readiness.body.get("figures", {}).get("consumer", {}).get("unknown_types", {})
        if isinstance(counted, dict):
            figures[readiness.spec.name].update({k: int(v) for k, v in counted.items() if isinstance(v, int)})
    return figures


async def poison_outcomes(stack: ChaosStack, poison: list[Poison], history: History, dbs: Databases) -> Check:
    aside = set_aside_by(history, dbs)
    unknown = await unknown_type_figures(stack)
    handles = {service: set(handled_types(service)) for service in CONSUMERS}
    outcomes: Counter[str] = Counter()
    # (kind, field, what happened, what should have) -> the event types and the consumers it happened with
    wrong: dict[tuple[str, str, str, str], tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    by_kind: Counter[str] = Counter()
    for p in poison:
        for service, topics in stack.topics.items():
            if p.topic not in topics:
                continue
            set_aside = aside.get((service, p.topic, p.partition, p.offset))
            handled = bool(p.event_id) and (service, p.event_id) in dbs.inbox
            outcome = set_aside or ("handled" if handled else "skipped")
            outcomes[outcome] += 1
            concerned = p.envelope or p.event_type in handles[service]
            if p.kind == "unknown_type":
                good = (outcome == "skipped" and _counted_unknown(service, p, unknown)) or outcome.startswith(("dlq", "parked"))
                outcome, expected = "skipped without counting it" if outcome == "skipped" else outcome, "skipped and counted"
            elif not concerned:
                good, expected = outcome == "skipped", "skipped"  # a type this consumer does not handle is none of its business
            else:
                good, expected = outcome.startswith(("dlq", "parked")), "set aside"
            if not good:
                types, services = wrong[p.kind, p.detail if p.event_type else p.label, outcome, expected]
                types.add(p.event_type.split(".")[-2] if p.event_type.count(".") >= 3 else p.topic)
                services.add(service)
                by_kind[p.kind] += 1
    kinds = Counter(p.kind for p in poison)
    return Check(
        "poison records dealt with",
        not wrong and bool(poison),
        f"{len(poison)} records ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))}); outcomes per consuming group: "
        + ", ".join(f"{k} {n}" for k, n in sorted(outcomes.items()))
        + f"; not as expected: {sum(by_kind.values())}"
        + (f" ({', '.join(f'{k} {n}' for k, n in sorted(by_kind.items()))})" if by_kind else ""),
        [
            f"{kind} {field}: {outcome}, expected {expected}, in {', '.join(sorted(types))} by {', '.join(sorted(services))}"
            for (kind, field, outcome, expected), (types, services) in sorted(wrong.items())
        ][:40],
    )


async def rebuilds(stack: ChaosStack, timeout: float) -> list[Check]:
    two_at_a_time = asyncio.Semaphore(2)

    async def limited(service: str) -> Check:
        async with two_at_a_time:
            return await rebuild(stack, service, timeout)

    return list(await asyncio.gather(*(limited(service) for service in CONSUMERS)))


async def rebuild(stack: ChaosStack, service: str, timeout: float) -> Check:
    """`together-events rebuild` into a fresh database, compared with the live one (exit 0: equal)."""
    name = f"read model of {service} equal to a rebuild"
    fresh = await stack.create_database(f"rebuilt_{service}")
    command = [
        str(REPO / ".venv" / "bin" / "together-events"), "rebuild", "--bootstrap", BOOTSTRAP, "--namespace", "",
        "--service", service, "--database-url", fresh, "--compare-with", f"{PG}/{service}", "--sample", "5",
    ]  # fmt: skip
    began = time.monotonic()
    # The service's handlers open sealed profiles with data keys from registration, as the service does (ADR 0008).
    prefix = f"{service.upper()}_"
    keys = {
        k: v
        for k, v in stack.service_env().items()
        if k.startswith(prefix) and k.endswith(("REGISTRATION_URL", "TOKEN_SOURCE", "SERVICE_TOKEN"))
    }
    process = await asyncio.create_subprocess_exec(
        *command, env={**os.environ, **keys}, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        return Check(name, False, f"the rebuild did not end within {timeout:.0f}s")
    lines = [line for line in out.decode(errors="replace").splitlines() if line.strip()]
    summary = [line for line in lines if line.startswith("rebuilt ") or "read model:" in line]
    # A table's verdict line, and its differences (indented); not the dead letters or the handlers' log lines.
    different = [line.strip() for line in lines if "DIFFERENT" in line or (line.startswith("  ") and "dead letter" not in line)]
    different += err.decode(errors="replace").splitlines()[-3:]  # why it could not run, if it could not
    equal = process.returncode == 0
    figures = f"{'; '.join(summary) or 'no comparison'} ({time.monotonic() - began:.0f}s, exit {process.returncode})"
    return Check(name, equal, figures, [] if equal else different[-8:])


def log_findings() -> list[str]:
    """What the services' logs say went wrong, per service: counts of the telling events, and first examples."""
    telling = (
        "background.crashed", "event.handler_failed", "event.dead_lettered", "dead_letter.fallback",
        "dead_letter.nowhere_to_write", "event.retrying", "event.unknown_type_skipped", "consumer.waiting_for_database",
        "http.unexpected_error", "http.unavailable", "job.attempt_failed", "job.failed",
        "outbox.publish_failed", "mail.ambiguous_attempt", "mail.failed",
    )  # fmt: skip
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    examples: dict[tuple[str, str], str] = {}
    for spec in INSTANCES:
        path = STATE / "logs" / f"{spec.label}.log"
        for line in _lines(path):
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            name = entry.get("event", "")
            if name in telling:
                counts[spec.name][name] += 1
                examples.setdefault((spec.name, name), _gist(entry))
    out = []
    for service in sorted(counts):
        out.append(f"{service}: " + ", ".join(f"{name} x{n}" for name, n in counts[service].most_common()))
        for name in (
            "background.crashed",
            "event.handler_failed",
            "http.unexpected_error",
            "job.failed",
            "dead_letter.nowhere_to_write",
        ):
            if examples.get((service, name)):
                out.append(f"    first {name}: {examples[service, name]}")
    return out


def _gist(entry: dict[str, object]) -> str:
    """The exception line of a log entry's traceback (or its error field), without SQLAlchemy's footers."""
    text = str(entry.get("error") or entry.get("reason") or entry.get("exception") or "")
    lines = [line for line in text.splitlines() if re.match(r"^[\w.]+(Error|Exception|Exit)\b", line)]
    return (lines[-1] if lines else text.splitlines()[-1] if text else "")[:300]


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return []
