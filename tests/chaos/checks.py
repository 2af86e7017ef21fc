"""What must hold whatever failed, checked against Kafka (read without a group) and every database.

Each check says PASS or FAIL with its figures; a check whose subject the run never exercised
fails too (nothing passes by having nothing to look at). Consumers: `consumers.py`; mails:
`mails.py`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tests.chaos.faults import FaultResult
from tests.chaos.history import History, Record
from tests.chaos.stack import CONSUMERS, SERVICES, ChaosStack, handled_types
from tests.chaos.workload import Ledger


@dataclass
class Check:
    name: str
    passed: bool
    figures: str
    details: list[str] = field(default_factory=list)


@dataclass
class Databases:
    """What the checks read from the services' databases, once, after the system settled."""

    outbox: dict[str, list[dict[str, Any]]]  # service -> rows (event_id, position, published_at, event_type)
    inbox: set[tuple[str, str]]  # (consumer, event id), all services
    parked: set[tuple[str, str, int, int]]  # (consumer, topic, partition, offset)
    tables: dict[str, list[dict[str, Any]]]  # "<service>.<table>" -> rows


READ = {
    "pairing": ("participants", "pairings", "timers"),
    "scheduling": ("sessions",),
    "notifications": ("deliveries", "notifications"),
    "registration": ("participants",),
}


async def load_databases(stack: ChaosStack) -> Databases:
    outbox, inbox, parked, tables = {}, set(), set(), {}
    for service in SERVICES:
        conn = await stack.db(service)
        try:
            outbox[service] = [
                dict(r) for r in await conn.fetch("SELECT event_id, position, published_at, event_type FROM outbox")
            ]
            inbox |= {(r["consumer"], r["event_id"]) for r in await conn.fetch("SELECT consumer, event_id FROM inbox")}
            if await conn.fetchval("SELECT to_regclass('parked_records') IS NOT NULL"):
                rows = await conn.fetch('SELECT consumer, topic, partition, "offset" FROM parked_records')
                parked |= {(r["consumer"], r["topic"], r["partition"], r["offset"]) for r in rows}
            for table in READ.get(service, ()):
                # SELECT *: another engineer is changing some of these tables; read what is there.
                tables[f"{service}.{table}"] = [dict(r) for r in await conn.fetch(f"SELECT * FROM {table}")]
        finally:
            await conn.close()
    return Databases(outbox, inbox, parked, tables)


def _data(record: Record) -> dict[str, Any]:
    return record.event.get("data") or {} if record.event else {}


def acknowledged_events(ledger: Ledger, history: History) -> Check:
    index: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for record in history.events():
        for name, value in _data(record).items():
            if isinstance(value, str):
                index[record.short_type, name, value].add(record.event["id"])
    lost = []
    for ack in ledger.acks:
        found = set.intersection(*(index.get((ack.event, k, v), set()) for k, v in ack.data))
        if not found:
            lost.append(f"{ack.operation}: no {ack.event} with {dict(ack.data)}")
    by_operation = ", ".join(f"{op} {n}" for op, n in sorted(Counter(a.operation.rstrip("+") for a in ledger.acks).items()))
    return Check(
        "acknowledged events on Kafka",
        not lost and bool(ledger.acks),
        f"{len(ledger.acks)} events owed by acknowledged (2xx) operations ({by_operation}); lost {len(lost)}",
        lost[:10],
    )


def outboxes_published(dbs: Databases, history: History) -> Check:
    on_kafka = {r.event["id"] for r in history.events()}
    parts, problems = [], []
    for service, rows in dbs.outbox.items():
        unpublished = [r for r in rows if r["published_at"] is None]
        missing = [r for r in rows if r["event_id"] not in on_kafka]
        parts.append(f"{service} {len(rows)}")
        problems += [f"{service}: unpublished {r['event_type']} {r['event_id']}" for r in unpublished[:3]]
        problems += [f"{service}: published but not on Kafka {r['event_type']} {r['event_id']}" for r in missing[:3]]
    total = sum(len(rows) for rows in dbs.outbox.values())
    return Check(
        "every outbox row published and on Kafka",
        not problems and total > 0,
        f"outbox rows: {', '.join(parts)}; unpublished or missing on Kafka: {len(problems)}",
        problems,
    )


def duplicates(
    history: History, dbs: Databases, faults: list[FaultResult], republished: set[tuple[str, int, int]], timeout: float
) -> Check:
    copies: dict[str, list[Record]] = defaultdict(list)
    for record in history.events():
        copies[record.event["id"]].append(record)
    duplicated = {eid: rs for eid, rs in copies.items() if len(rs) > 1}
    windows = [f.window_ms(timeout) for f in faults]
    handlers = {service: set(handled_types(service)) for service in CONSUMERS}
    by_suite = by_system = outside = unabsorbed = 0
    details = []
    for eid, records in duplicated.items():
        records.sort(key=lambda r: (r.timestamp_ms, r.offset))
        if len({(r.value, r.key) for r in records}) > 1:
            details.append(f"event id {eid} reused for different records")
        for extra in records[1:]:
            if (extra.topic, extra.partition, extra.offset) in republished:
                by_suite += 1
                continue
            by_system += 1
            if not any(start <= extra.timestamp_ms <= end for start, end in windows):
                outside += 1
                details.append(f"{extra.short_type} {eid} published again at {extra.timestamp_ms} ms, in no fault's window")
        for service, types in handlers.items():
            if records[0].event["type"] in types and (service, eid) not in dbs.inbox:
                unabsorbed += 1
                details.append(
                    f"{service} never handled {records[0].short_type} {eid}, though it was delivered {len(records)} times"
                )
    told = Counter(
        (d.get("source_event_id"), d.get("recipient_id"), d.get("kind"))
        for d in map(_data, history.distinct("NotificationRecorded").values())
    )
    twice = [key for key, n in told.items() if n > 1]
    details += [f"notified twice: {key}" for key in twice[:5]]
    return Check(
        "duplicates only at least once, absorbed by every consumer",
        not details and bool(republished),
        f"{len(duplicated)} event ids on Kafka more than once: {by_suite} copies re-published by the suite, "
        f"{by_system} by the system ({outside} outside a fault's window); not absorbed {unabsorbed}; "
        f"notifications recorded twice for one (event, person, kind): {len(twice)}",
        details[:10],
    )


def sequences(history: History) -> Check:
    seqs: dict[tuple[str, str], dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    for record in history.events():
        seqs[record.topic, record.event["subject"]][record.event["sequence"]].add(record.event["id"])
    gaps, conflicts = [], []
    for (topic, subject), by_seq in seqs.items():
        if sorted(by_seq) != list(range(1, len(by_seq) + 1)):
            gaps.append(f"{topic} {subject}: sequences {sorted(by_seq)[:10]}")
        conflicts += [f"{topic} {subject}: sequence {s} on {len(ids)} events" for s, ids in by_seq.items() if len(ids) > 1]
    events = sum(len(ids) for by_seq in seqs.values() for ids in by_seq.values())
    return Check(
        "sequences gapless, one event per number",
        not gaps and not conflicts and events > 0,
        f"{len(seqs)} aggregates, {events} events; gaps {len(gaps)}, two events on one number {len(conflicts)}",
        (gaps + conflicts)[:10],
    )


def capacity(history: History, dbs: Databases) -> Check:
    # In the database: active pairings per mentor against the capacity, and the counter kept beside them.
    participants = {str(p["id"]): p for p in dbs.tables["pairing.participants"]}
    active = Counter(str(p["mentor_id"]) for p in dbs.tables["pairing.pairings"] if p["status"] == "active")
    details = [
        f"mentor {m}: {n} active pairings, capacity {participants[m]['capacity']}"
        for m, n in active.items()
        if m in participants and n > participants[m]["capacity"]
    ]
    details += [
        f"mentor {m}: active_pairings {p['active_pairings']} but {active.get(m, 0)} active pairings"
        for m, p in participants.items()
        if p["active_pairings"] != active.get(m, 0)
    ]
    # From the events, in the order pairing recorded them (its outbox position).
    position = {r["event_id"]: r["position"] for r in dbs.outbox["pairing"]}
    capacity_of: dict[str, int] = {}
    for record in sorted(history.events("together.registration"), key=lambda r: (r.timestamp_ms, r.offset)):
        data = _data(record)
        if record.short_type in ("ParticipantRegistered", "ParticipantProfileUpdated", "ParticipantRoleGranted"):
            capacity_of[data["participant_id"]] = (data.get("mentor_capacity") or 0) + (data.get("coach_capacity") or 0)
    mentor_of, running, peak = {}, Counter(), Counter()
    changes = [*history.distinct("PairingFormed").values(), *history.distinct("PairingEnded").values()]
    for record in sorted(changes, key=lambda r: position.get(r.event["id"], 1 << 62)):
        data = _data(record)
        if record.short_type == "PairingFormed":
            mentor_of[data["pairing_id"]] = data["mentor_id"]
            running[data["mentor_id"]] += 1
            peak[data["mentor_id"]] = max(peak[data["mentor_id"]], running[data["mentor_id"]])
        elif data["pairing_id"] in mentor_of:
            running[mentor_of[data["pairing_id"]]] -= 1
    over = [
        f"mentor {m}: {n} pairings at once in the events, capacity {capacity_of.get(m)}"
        for m, n in peak.items()
        if n > capacity_of.get(m, 0)
    ]
    formed = len(history.distinct("PairingFormed"))
    return Check(
        "capacity never exceeded",
        not details and not over and formed > 0,
        f"{len(peak)} mentors with pairings, {formed} formed, {len(history.distinct('PairingEnded'))} ended; "
        f"over capacity: database {len(details)}, events replayed {len(over)}",
        (details + over)[:10],
    )


def timers(history: History, dbs: Databases, pairing_now: datetime, scheduling_now: datetime) -> Check:
    details = []

    def once(short_type: str, *keys: str) -> Counter[tuple[Any, ...]]:
        counted = Counter(tuple(_data(r).get(k) for k in keys) for r in history.distinct(short_type).values())
        details.extend(f"{short_type} {key} fired {n} times" for key, n in counted.items() if n > 1)
        return counted

    reminders, expiries = once("RequestReminderDue", "request_id"), once("RequestExpired", "request_id")
    completions = once("SessionCompleted", "session_id")
    once("NextSessionReminderDue", "pairing_id", "after_session_id")
    once("CohortClosed", "cohort_id")
    rows = dbs.tables["pairing.timers"]
    outcomes = Counter(r.get("outcome") for r in rows if r.get("fired_at") is not None)
    slack = timedelta(seconds=10)
    lost = [r for r in rows if r.get("fired_at") is None and r.get("failed_at") is None and r["due_at"] <= pairing_now - slack]
    failed = [r for r in rows if r.get("failed_at") is not None]
    details += [f"timer {r['kind']} of request {r['request_id']} due {r['due_at']} never fired" for r in lost[:5]]
    details += [f"timer {r['kind']} of request {r['request_id']} failed: {r.get('last_error')}" for r in failed[:5]]
    if outcomes["reminded"] != len(reminders) or outcomes["expired"] != len(expiries):
        details.append(
            f"timers fired as reminded {outcomes['reminded']} / expired {outcomes['expired']}, but on Kafka "
            f"{len(reminders)} RequestReminderDue / {len(expiries)} RequestExpired"
        )
    sessions = dbs.tables["scheduling.sessions"]
    overdue = [s for s in sessions if s["status"] == "scheduled" and s["ends_at"] <= scheduling_now - slack]
    details += [f"session {s['id']} ended {s['ends_at']} but never completed" for s in overdue[:5]]
    exercised = len(reminders) and len(expiries) and len(completions)
    if not exercised:
        details.append("the run fired no reminder, no expiry or no session completion: nothing to check")
    return Check(
        "each timer fired once",
        not details,
        f"pairing timers {len(rows)}: fired {sum(outcomes.values())} ({', '.join(f'{k} {n}' for k, n in sorted(outcomes.items(), key=str))}), "
        f"due and unfired {len(lost)}, failed {len(failed)}; sessions completed {len(completions)}, overdue {len(overdue)}",
        details[:10],
    )


def recoveries(faults: list[FaultResult]) -> Check:
    stuck = [f"{f.name} ({f.target}) at {f.injected_at:.0f}s: {f.problem}" for f in faults if f.recovery is None]
    # A fault that was never injected proves nothing about recovering from it.
    missed = [f"{f.name} ({f.target}) at {f.injected_at:.0f}s: {f.note}" for f in faults if f.note.startswith("FAILED")]
    return Check(
        "every fault injected and recovered from",
        not stuck and not missed and bool(faults),
        f"{len(faults)} faults, {len(faults) - len(missed)} injected, {len(faults) - len(stuck)} recovered",
        stuck + missed,
    )


def exercised(ledger: Ledger, history: History) -> Check:
    wanted = (
        "registration",
        "verification",
        "answers changed",
        "suggestions",
        "preferences",
        "accept",
        "decline",
        "session",
        "feedback",
        "withdrawal",
        "assignment",
    )
    done = ledger.operations()
    missing = [op for op in wanted if not done[op]]
    return Check(
        "the workload exercised every operation",
        not missing,
        ", ".join(f"{op} {done[op]}" for op in wanted)
        + f"; HTTP: {', '.join(f'{k} {n}' for k, n in sorted(ledger.calls.items()))}",
        [f"no acknowledged {op}" for op in missing],
    )
