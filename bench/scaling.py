"""Replicas benchmark: 1, 2, 3 (and more) copies of a service share a backlog's partitions.

    make bench-scaling                      # EVENTS=1000 for a quicker run
    .venv/bin/python bench/scaling.py [--events N] [--services matching,notifications] [--replicas 1,2,3,4] [--json]

For each service and each replica count, on topics, a database and a consumer group of the run's
own (`benchscale<run><service><replicas>.`): it starts the replicas with the launcher (the real
service processes, one consumer group), waits until the group holds every replica and reads which
partitions each was assigned, then publishes a backlog of N `ProgrammeCreated` events (one
programme each, as registration's relay would: keyed by the programme, so they spread over the
partitions) and waits until the service's inbox holds them all. It prints, per run: replicas,
partitions of the topic, partitions per replica, events handled per second (N over the span
between the first and the last `inbox.processed_at`, one server's clock) and whether each event
was handled exactly once (inbox rows and the service's `programmes` rows against the ids
published: none missing, none twice). The reference is a plain aiokafka consumer group reading the
same kind of backlog without handling it. A consumer group hands each partition to one member:
with more replicas than partitions the extra ones get none and idle.
It prints figures and asserts none: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import jwt
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from together_contracts.registration import ProgrammeCreated, ProgrammeKind
from together_contracts.topics import declared_topics
from together_devtools import launcher
from together_events import Envelope, kafka_options
from together_events.topics import service_topic
from together_operator.access import NoAuthorizer, declared_acls, grant, revoke_namespace
from together_operator.provision import delete_topics, ensure_topics
from together_servicekit.settings import DEFAULT_KAFKA, DEFAULT_PG_DSN_BASE

KAFKA = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", DEFAULT_KAFKA)
PG = os.environ.get("PG_DSN_BASE", DEFAULT_PG_DSN_BASE).rstrip("/")
STATE = Path(__file__).resolve().parent.parent / ".run" / "bench-scaling"
PORTS = {"matching": 18302, "notifications": 18305}  # replicas on +10 each: 18302, 18312, ...
ISSUER, AUDIENCE = "https://identity.bench.together", "together"


@dataclass
class Run:
    service: str
    replicas: int
    partitions: int = 0
    assigned: list[int] = field(default_factory=list)  # partitions per replica, most first
    per_replica: list[int] = field(default_factory=list)  # events each replica's consumer handled, most first
    duplicates: int = 0  # records a replica found already in the inbox (handled before): skipped
    events: int = 0
    seconds: float = 0.0
    handled: int = 0  # inbox rows
    distinct: int = 0
    effects: int = 0  # rows in the service's programmes table
    missing: int = 0

    @property
    def per_second(self) -> float:
        return self.events / self.seconds if self.seconds else float("nan")

    @property
    def exactly_once(self) -> bool:
        # A redelivered record (after a rebalance) is no failure: the inbox finds it handled and skips it.
        return self.handled == self.distinct == self.effects == sum(self.per_replica) == self.events and not self.missing


def backlog(n: int) -> list[Envelope]:
    """N programmes created, as registration publishes them: one aggregate each."""
    now = datetime.now(UTC)
    envelopes = []
    for i in range(n):
        event = ProgrammeCreated(
            programme_id=uuid.uuid4(), name=f"Scaling {i}", kind=ProgrammeKind.mentoring, suggestions_per_mentee=5
        )
        envelopes.append(
            Envelope(
                id=str(uuid.uuid4()),
                source="/together/registration",
                type=event.event_type(),
                subject=event.aggregate_id(),
                time=now,
                aggregatetype=event.aggregate,
                sequence=1,
                correlationid=str(uuid.uuid4()),
                data=event.model_dump(mode="json"),
            )
        )
    return envelopes


async def publish(bootstrap: str, topic: str, envelopes: Sequence[Envelope]) -> None:
    producer = AIOKafkaProducer(**kafka_options(bootstrap), enable_idempotence=True, acks="all", linger_ms=5)
    await producer.start()
    try:
        for first in range(0, len(envelopes), 1000):
            acks = [
                await producer.send(topic, value=e.to_json_bytes(), key=e.subject.encode(), headers=e.kafka_headers())
                for e in envelopes[first : first + 1000]
            ]
            await asyncio.gather(*acks)
    finally:
        await producer.stop()


async def assignment(bootstrap: str, group: str, topic: str) -> dict[str, list[int]]:
    """Per member of a stable group, the partitions of `topic` it was given (no member while it rebalances)."""
    admin = AIOKafkaAdminClient(**kafka_options(bootstrap))
    await admin.start()
    try:
        (response,) = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    _, _, state, _, _, members, *_ = response.groups[0]
    if state != "Stable":
        return {}
    given = {}
    for member_id, _, _, _, raw in members:
        decoded = ConsumerProtocolMemberAssignment.decode(raw) if raw else None
        given[member_id] = [
            p for name, partitions in (decoded.assignment if decoded else []) if name == topic for p in partitions
        ]
    return given


async def wait_for(check, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout}s waiting for {what}; see {STATE / 'logs'}")
        await asyncio.sleep(0.1)


async def count_once(db: asyncpg.Connection, consumer: str, ids: set[str]) -> tuple[int, int, int, int]:
    """(inbox rows, distinct event ids, programmes rows, ids published but not in the inbox)."""
    rows = [r["event_id"] for r in await db.fetch("SELECT event_id FROM inbox WHERE consumer = $1", consumer)]
    effects = await db.fetchval("SELECT count(*) FROM programmes")
    return len(rows), len(set(rows)), effects, len(ids - set(rows))


async def consumer_figures(specs: Sequence[launcher.ServiceSpec], token: str) -> list[dict]:
    """Each replica's consumer figures from its /readyz (a service token sees them)."""
    async with httpx.AsyncClient(timeout=10, headers={"Authorization": f"Bearer {token}"}) as http:
        return [(await http.get(f"{spec.url()}/readyz")).json()["figures"]["consumer"] for spec in specs]


async def one_run(run: Run, events: int, tag: str, auth: dict[str, str], token: str, timeout: float) -> None:
    """Replicas on a backlog of their own: namespace, database and consumer group made for this run only."""
    service, namespace = run.service, f"benchscale{tag}{run.service}{run.replicas}."
    database = f"bench_scaling_{tag}_{service}_{run.replicas}"
    topic = service_topic("registration", namespace)
    specs = launcher.replicas(launcher.ServiceSpec(service, PORTS[service]), run.replicas, port_step=10)
    topics = declared_topics(namespace)
    run.partitions = next(t.partitions for t in topics if t.name == topic)
    await admin_sql(f"CREATE DATABASE {database}")
    try:
        await ensure_topics(KAFKA, topics)
        with contextlib.suppress(NoAuthorizer):
            await grant(KAFKA, declared_acls(namespace))
        env = {
            f"{service.upper()}_DATABASE_URL": f"{PG}/{database}", "KAFKA_BOOTSTRAP_SERVERS": KAFKA,
            "TOGETHER_TOPIC_NAMESPACE": namespace, "TOGETHER_LOG_LEVEL": "WARNING", "TOGETHER_CLOCK_MODE": "system", **auth,
        }  # fmt: skip
        for spec in specs:
            (STATE / "logs" / f"{spec.label}.log").unlink(missing_ok=True)
        await asyncio.to_thread(launcher.start, specs, state=STATE, extra_env=env)
        group = f"{namespace}{service}"

        async def everyone_assigned() -> bool:
            given = await assignment(KAFKA, group, topic)
            run.assigned = sorted((len(p) for p in given.values()), reverse=True)
            return len(given) == run.replicas and sum(run.assigned) >= run.partitions

        await wait_for(everyone_assigned, f"{run.replicas} replicas in group {group}", 60)
        envelopes = backlog(events)
        ids = {e.id for e in envelopes}
        await publish(KAFKA, topic, envelopes)
        db = await asyncpg.connect(f"{PG}/{database}")
        try:

            async def drained() -> bool:
                return bool(await db.fetchval("SELECT count(*) FROM inbox WHERE consumer = $1", service) >= events)

            await wait_for(drained, f"{service} to handle {events} events", timeout)
            await asyncio.sleep(1)  # a duplicate handled late would show in the counts
            span = await db.fetchval("SELECT extract(epoch FROM max(processed_at) - min(processed_at)) FROM inbox")
            run.events, run.seconds = events, float(span)
            run.handled, run.distinct, run.effects, run.missing = await count_once(db, service, ids)
            figures = await consumer_figures(specs, token)
            run.per_replica = sorted((f["handled"] for f in figures), reverse=True)
            run.duplicates = sum(f["duplicates"] for f in figures)
        finally:
            await db.close()
    finally:
        await asyncio.to_thread(launcher.stop, specs, state=STATE)
        await admin_sql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        await delete_topics(KAFKA, [t.name for t in topics])
        with contextlib.suppress(NoAuthorizer):
            await revoke_namespace(KAFKA, namespace)


async def raw_consume(events: int, tag: str) -> float:
    """The reference: a plain aiokafka consumer group reading the same backlog, handling nothing."""
    namespace = f"benchscale{tag}raw."
    topics = declared_topics(namespace)
    topic = service_topic("registration", namespace)
    await ensure_topics(KAFKA, topics)
    try:
        await publish(KAFKA, topic, backlog(events))
        consumer = AIOKafkaConsumer(
            topic, **kafka_options(KAFKA), group_id=f"{namespace}raw", auto_offset_reset="earliest", enable_auto_commit=False
        )
        await consumer.start()
        try:
            first, got = 0.0, 0
            while got < events:  # from the first record to the last, as the services' rate is taken
                batches = await consumer.getmany(timeout_ms=1000, max_records=500)
                got += sum(len(records) for records in batches.values())
                if batches:
                    first = first or time.perf_counter()
                    await consumer.commit()
            return events / (time.perf_counter() - first)
        finally:
            await consumer.stop()
    finally:
        await delete_topics(KAFKA, [t.name for t in topics])


async def admin_sql(statement: str) -> None:
    conn = await asyncpg.connect(f"{PG}/postgres")
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def report(runs: list[Run], raw_per_s: float, load: float, events: int) -> None:
    print(f"\n{events} ProgrammeCreated events per run; {os.cpu_count()} CPUs, load average {load:.2f} at start")
    print(f"reference: plain aiokafka consumer group, no handling: {raw_per_s:,.0f} events/s\n")
    header = (
        f"{'service':<14} {'replicas':>8} {'partitions':>10}  {'partitions each':<16} {'events each':<18} {'events/s':>9}"
        "  handled exactly once"
    )
    print(header)
    print("-" * len(header))
    for r in runs:
        shares = "/".join(str(n) for n in r.assigned) or "?"
        idle = sum(1 for n in r.assigned if n == 0)
        once = "yes" if r.exactly_once else "NO"
        each = "/".join(str(n) for n in r.per_replica)
        detail = f"{once} ({r.handled} in inbox, {r.effects} effects, {r.missing} missing, {r.duplicates} redelivered)"
        print(f"{r.service:<14} {r.replicas:>8} {r.partitions:>10}  {shares:<16} {each:<18} {r.per_second:>9,.1f}  {detail}")
        if idle:
            print(f"{'':<36}{idle} replica(s) idle: a consumer group gives each partition to one member")
    print(
        "\npartitions each: of the backlog's topic, from the consumer group's description; events each: the replicas' own"
        "\ncounts (/readyz); both most first. events/s: the backlog over the span of the service's inbox.processed_at."
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=2000, metavar="N", help="backlog per run (default 2000)")
    parser.add_argument("--services", default="matching,notifications", help="of matching, notifications")
    parser.add_argument("--replicas", default="1,2,3,4", help="replica counts to run (default 1,2,3,4: 4 > 3 partitions)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for a backlog to drain")
    parser.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    args = parser.parse_args()
    services = [s for s in args.services.split(",") if s]
    if unknown := set(services) - set(PORTS):
        raise SystemExit(f"--services: {', '.join(sorted(unknown))} not one of {', '.join(PORTS)}")
    logging.getLogger("aiokafka").setLevel(logging.ERROR)  # a new topic's leaders are elected as the first sends retry
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, asyncio.current_task().cancel)
    (STATE / "logs").mkdir(parents=True, exist_ok=True)
    tag, load = uuid.uuid4().hex[:6], os.getloadavg()[0]
    print(f"bench run {tag}: logs in {STATE / 'logs'}", flush=True)
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="bench-auth-") as keys:
        # The services trust a key made for the run.
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = Path(keys) / "bench-public-key.pem"
        public.write_bytes(
            key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": f"bench-{tag}", "iat": now, "exp": now + 3 * 3600, "roles": ["service"]}
        token = jwt.encode(claims, key, algorithm="RS256")  # for the replicas' figures on /readyz
        auth = {"TOGETHER_AUTH_PUBLIC_KEY_FILE": str(public), "TOGETHER_AUTH_ISSUER": ISSUER, "TOGETHER_AUTH_AUDIENCE": AUDIENCE}
        for service in services:
            for count in (int(n) for n in args.replicas.split(",")):
                run = Run(service, count)
                print(f"  {service} x{count} ...", flush=True)
                await one_run(run, args.events, tag, auth, token, args.timeout)
                runs.append(run)
    raw = await raw_consume(args.events, tag)
    report(runs, raw, load, args.events)
    if args.json:
        figures = [{**r.__dict__, "per_second": r.per_second, "exactly_once": r.exactly_once} for r in runs]
        print(json.dumps({"events": args.events, "raw_per_s": raw, "cpus": os.cpu_count(), "load": load, "runs": figures}))


if __name__ == "__main__":
    asyncio.run(main())
