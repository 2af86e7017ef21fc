"""Pipeline benchmark: registrations through registration → outbox → Kafka → matching.

    make bench
    KAFKA_BOOTSTRAP_SERVERS=... PG_DSN_BASE=... .venv/bin/python bench/pipeline.py [--registrations N] [--messages M] [--json]

Starts its own registration and matching processes on fresh databases, topics and
consumer group, POSTs N synthetic people's registrations (`together_synthetic`; the HTTP
registration rate), asks for each accepted one's verification link as the notifications
service does when it mails it (`registration:contacts` service token; not measured: no mail
is sent), then, measured, each person follows their link: the verification is what publishes
`ParticipantRegistered`. It waits until matching's read model holds every verified person and
reports the HTTP rates, end-to-end throughput from the first verification, and commit→consume
lag per `ParticipantRegistered`; then it measures raw aiokafka produce/consume on a temporary
topic of the same broker.
It prints figures and asserts none: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import signal
import socket
import statistics
import tempfile
import time
import uuid
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import httpx
import jwt
import numpy as np
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from together_contracts import registration_sealed
from together_contracts.registration import AppointmentType
from together_contracts.topics import declared_topics
from together_devtools import launcher
from together_events import kafka_options
from together_events.topics import Topic
from together_operator.access import NoAuthorizer, declared_acls, grant, revoke_namespace
from together_operator.provision import delete_topics, ensure_topics
from together_servicekit.settings import DEFAULT_KAFKA, DEFAULT_PG_DSN_BASE
from together_synthetic import Participant, generate_cohort
from together_synthetic.vocabulary import ENTITIES, LANGUAGES

KAFKA = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", DEFAULT_KAFKA)
PG = os.environ.get("PG_DSN_BASE", DEFAULT_PG_DSN_BASE).rstrip("/")
STATE = Path(__file__).resolve().parent.parent / ".run" / "bench"
SPECS = (launcher.ServiceSpec("registration", 18201), launcher.ServiceSpec("matching", 18202))
REGISTERED = registration_sealed.ParticipantRegistered.event_type()  # the version registration publishes
VERIFICATION_REQUESTED = "together.registration.AddressVerificationRequested.v1"

ISSUER, AUDIENCE = "https://identity.bench.together", "together"
# Every appointment type a programme may accept (consultants, contractors, interns and UNVs never are),
# mentees from any job network, meetings in every language the generator speaks, every entity it names: the synthetic
# people are refused only for what no programme accepts, and those refusals are counted apart.
NEVER_ELIGIBLE = {"consultant", "contractor", "intern", "unv"}
ACCEPTABLE = [t.value for t in AppointmentType if t.value not in NEVER_ELIGIBLE]
OPEN_TO_ALL = {
    "roles": {"mentor": {"appointment_types": ACCEPTABLE}, "mentee": {"appointment_types": ACCEPTABLE, "job_networks": None}},
    "meeting_languages": list(LANGUAGES),
    "entities": list(ENTITIES),  # every entity the generator names, beside the Secretariat's own
}


class Signer:
    """The bench's own identity provider: a key made for the run, trusted by its services only."""

    def __init__(self, directory: Path) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_key_file = directory / "bench-public-key.pem"
        self.public_key_file.write_bytes(
            self.key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )

    def headers(self, subject: str, role: str, programmes: list[str] | None = None, scope: str = "") -> dict[str, str]:
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": subject, "iat": now, "exp": now + 3 * 3600, "roles": [role]}
        if programmes:
            claims["programmes"] = programmes
        if scope:
            claims["scope"] = scope
        return {"Authorization": "Bearer " + jwt.encode(claims, self.key, algorithm="RS256")}


def synthetic_people(seed: int, n: int) -> list[Participant]:
    """N distinct synthetic people in a shuffled order, about 6 mentees to 3 mentors to 1 in both roles."""
    cohort = generate_cohort(seed, mentors=math.ceil(n * 0.4), mentees=math.ceil(n * 0.7))  # 10% of mentors in both
    rows = np.random.default_rng(seed).permutation(len(cohort))[:n]  # rows run mentors, both, mentees: mix them
    return [cohort.participant(int(row)) for row in rows]


def registrations(people: list[Participant], signer: Signer, run: str) -> list[tuple[dict, dict]]:
    """(questionnaire, participant token headers) per person; the subject is the row, one per person."""
    return [(p.questionnaire(), signer.headers(f"bench-{run}-{p.row}", "participant")) for p in people]


def load_summary(people: list[Participant]) -> dict:
    roles = Counter("both" if len(p.roles) == 2 else p.roles[0] for p in people)
    return {
        "mentors_only": roles["mentor"], "mentees_only": roles["mentee"], "both": roles["both"],
        "time_zones": len({p.time_zone for p in people}), "languages": len({lang for p in people for lang in p.languages}),
        "appointment_never_eligible": sum(p.appointment_type not in ACCEPTABLE for p in people),
    }  # fmt: skip


def percentiles(values: list[float], qs: tuple[float, ...] = (0.5, 0.95, 0.99, 1.0)) -> dict[str, float]:
    ordered = sorted(values) or [float("nan")]
    return {("max" if q == 1 else f"p{round(q * 100)}"): ordered[round(q * (len(ordered) - 1))] for q in qs}


async def until(check, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout}s waiting for {what}; see {STATE / 'logs'}")
        await asyncio.sleep(0.05)


async def admin_sql(*statements: str) -> None:
    conn = await asyncpg.connect(f"{PG}/postgres")
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def post_all(
    http: httpx.AsyncClient, requests: list[tuple[str, dict, dict]], concurrency: int
) -> tuple[list[tuple[float, dict, dict]], list, list]:
    """POST every (url, body, headers) with `concurrency` requests in flight; return ((latency, answer,
    headers) of each 2xx, the rules each 422 names, other failures)."""
    queue, succeeded, refused, failures = iter(requests), [], [], []

    async def worker() -> None:
        for url, body, headers in queue:  # one shared iterator: each body is taken by exactly one worker
            started = time.perf_counter()
            try:
                response = await http.post(url, json=body, headers=headers)
            except httpx.HTTPError as exc:
                failures.append(repr(exc))
                continue
            if response.is_success:
                succeeded.append((time.perf_counter() - started, response.json(), headers))
            elif response.status_code == 422:  # a refusal by the programme's rules: the service worked
                refused.append([detail["rule"] for detail in response.json()["error"]["details"]])
            else:
                failures.append(f"{response.status_code} {response.text[:300]}")

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return succeeded, refused, failures


async def post_scheduled(
    http: httpx.AsyncClient, requests: list[tuple[str, dict, dict]], rate: float
) -> tuple[list[tuple[float, dict, dict]], list, list, dict]:
    """Open loop: POST request i at `start + i / rate` whatever the earlier answers' speed, so a slow answer
    delays no later request, and measure each latency from its scheduled time, not from when it left
    (a late send counts as latency: no coordinated omission). Returns what `post_all` does, and the schedule's
    figures: the achieved sending rate and how late the sends left."""
    succeeded, refused, failures, late = [], [], [], []

    async def one(url: str, body: dict, headers: dict, scheduled: float) -> None:
        late.append(time.perf_counter() - scheduled)
        try:
            response = await http.post(url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            failures.append(repr(exc))
            return
        if response.is_success:
            succeeded.append((time.perf_counter() - scheduled, response.json(), headers))
        elif response.status_code == 422:
            refused.append([detail["rule"] for detail in response.json()["error"]["details"]])
        else:
            failures.append(f"{response.status_code} {response.text[:300]}")

    tasks, start = [], time.perf_counter()
    try:
        for i, (url, body, headers) in enumerate(requests):
            scheduled = start + i / rate
            await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
            tasks.append(asyncio.create_task(one(url, body, headers, scheduled)))
        sent_s = time.perf_counter() - start
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
    schedule = {
        "sent_per_s": (len(requests) - 1) / sent_s if len(requests) > 1 and sent_s > 0 else float("nan"),
        "send_late_ms": percentiles([s * 1000 for s in late], (0.5, 0.99, 1.0)),
    }
    return succeeded, refused, failures, schedule


async def register_all(
    http: httpx.AsyncClient, url: str, requests: list[tuple[dict, dict]], concurrency: int
) -> tuple[list[tuple[float, dict, dict]], list, list]:
    """POST every (questionnaire, participant headers) to `url`; see `post_all`."""
    return await post_all(http, [(url, body, headers) for body, headers in requests], concurrency)


async def verification_links(
    http: httpx.AsyncClient,
    reg_db: asyncpg.Connection,
    registered: list[tuple[float, dict, dict]],
    service: dict,
    concurrency: int,
) -> list[tuple[str, dict, dict]]:
    """What the notifications service does as it mails each verification link: reads the verification
    requested (here from registration's outbox, which its relay publishes) and asks registration for
    the mail's link with its `registration:contacts` token. Returns each person's verification request:
    (url, body, the person's headers)."""
    rows = await reg_db.fetch(
        "SELECT aggregate_id, envelope->'data'->>'verification_id' AS verification FROM outbox WHERE event_type = $1",
        VERIFICATION_REQUESTED,
    )
    verification_of = {row["aggregate_id"]: row["verification"] for row in rows}
    asked = [(f"/address-verifications/{verification_of[answer['id']]}/link", {}, person) for _, answer, person in registered]
    mails, _, failures = await post_all(http, [(url, body, service) for url, body, _ in asked], concurrency)
    if failures or len(mails) != len(asked):
        raise RuntimeError(f"verification links: {len(mails)} of {len(asked)}; {failures[:3]}")
    person_of = {answer["id"]: person for _, answer, person in registered}
    token_of = {mail["participant_id"]: mail["link"].partition("#token=")[2] for _, mail, _ in mails}
    return [("/participants/verify", {"token": token}, person_of[participant]) for participant, token in token_of.items()]


async def candidates(db: asyncpg.Connection, cohort: str) -> int:
    return await db.fetchval("SELECT count(*) FROM candidates WHERE cohort_id = $1", uuid.UUID(cohort))


async def drive(
    args: argparse.Namespace,
    run: str,
    reg: str,
    dbs: tuple[asyncpg.Connection, asyncpg.Connection],
    signer: Signer,
    figures: dict,
) -> str:
    """Programme, cohort, warm-up, then the measured registrations and verifications; return the
    measured cohort's id."""
    reg_db, matching_db = dbs
    in_flight = args.concurrency if not args.rate else max(args.concurrency, 512)  # open loop: never queue in the pool
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    async with httpx.AsyncClient(base_url=reg, timeout=60, limits=limits) as http:
        team = signer.headers(f"bench-team-{run}", "programme_team", programmes=["*"])
        notifications = signer.headers(f"bench-notifications-{run}", "service", scope="registration:contacts")

        async def create(path: str, body: dict) -> str:
            response = await http.post(path, json=body, headers=team)
            response.raise_for_status()
            return response.json()["id"]

        today = date.today()  # the bench's services run on the system clock
        window = {
            "registration_opens_on": str(today - timedelta(days=7)), "registration_closes_on": str(today + timedelta(days=7)),
            "starts_on": str(today + timedelta(days=14)), "ends_on": str(today + timedelta(days=120)),
        }  # fmt: skip
        programme = await create("/programmes", {"name": f"Bench {run}", "kind": "mentoring", "rules": OPEN_TO_ALL})
        warmup = await create(f"/programmes/{programme}/cohorts", {"name": f"Warm-up {run}", **window})
        cohort = await create(f"/programmes/{programme}/cohorts", {"name": f"Bench {run}", **window})

        # Warm-up (own cohort and people, not counted): pools filled, consumer group joined before the clock starts.
        warm, _, failures = await register_all(
            http, f"/cohorts/{warmup}/participants", registrations(synthetic_people(args.seed + 1, 32), signer, run), 8
        )
        if failures or not warm:
            raise RuntimeError(f"warm-up registrations failed: {failures[:3]}")
        verified, _, failures = await post_all(http, await verification_links(http, reg_db, warm, notifications, 8), 8)
        if failures or len(verified) != len(warm):
            raise RuntimeError(f"warm-up verifications failed: {failures[:3]}")
        await until(lambda: _at_least(matching_db, warmup, len(warm)), "the warm-up registrations to reach matching")

        people = synthetic_people(args.seed, args.registrations)
        figures["people"] = load_summary(people)
        requests = registrations(people, signer, run)  # built (and tokens signed) before the clock starts
        started = time.perf_counter()
        if args.rate:
            posts = [(f"/cohorts/{cohort}/participants", body, headers) for body, headers in requests]
            registered, refused, failures, figures["register_schedule"] = await post_scheduled(http, posts, args.rate)
        else:
            registered, refused, failures = await register_all(
                http, f"/cohorts/{cohort}/participants", requests, args.concurrency
            )
        http_s = time.perf_counter() - started
        # Nobody is visible yet: matching hears of a person when they follow the link of their verification mail.
        verifications = await verification_links(http, reg_db, registered, notifications, args.concurrency)
        started = time.perf_counter()
        posting = asyncio.create_task(
            post_scheduled(http, verifications, args.rate) if args.rate else post_all(http, verifications, args.concurrency)
        )
        e2e = verify_s = None
        try:
            while True:  # poll matching's read model until it holds every verified registration
                await asyncio.sleep(0.02)
                seen = await candidates(matching_db, cohort)
                if not posting.done():
                    continue
                verify_s = verify_s or time.perf_counter() - started
                if seen >= len(posting.result()[0]):
                    e2e = time.perf_counter() - started
                    break
                if time.perf_counter() - started - verify_s > args.timeout:
                    break
        finally:
            posting.cancel()  # on failure or interruption: no request outlives the client
    verified, _, verify_failures = posting.result()[:3]
    if args.rate:
        figures["verify_schedule"] = posting.result()[3]
    failures += verify_failures
    for failure in sorted(set(failures))[:5]:
        print(f"  failed request: {failure}")
    latencies, verify_latencies = [s for s, _, _ in registered], [s for s, _, _ in verified]
    figures.update(accepted=len(registered), verified=len(verified), failed=len(failures), in_read_model=seen)
    figures.update(http_s=http_s, verify_s=verify_s, e2e_s=e2e)
    figures["refused"] = len(refused)
    figures["refused_by_rule"] = dict(Counter(rule for rules in refused for rule in rules).most_common())
    figures["http_rps"] = len(registered) / http_s
    figures["http_latency_ms"] = percentiles([s * 1000 for s in latencies], (0.5, 0.95, 0.99))
    figures["verify_rps"] = len(verified) / verify_s
    figures["verify_latency_ms"] = percentiles([s * 1000 for s in verify_latencies], (0.5, 0.95, 0.99))
    figures["e2e_per_s"] = len(verified) / e2e if e2e else None
    return cohort


async def _at_least(db: asyncpg.Connection, cohort: str, n: int) -> bool:
    return await candidates(db, cohort) >= n


async def lags(dbs: dict[str, str], cohort: str, figures: dict) -> None:
    """Per event: matching's inbox.processed_at - registration's outbox.created_at, one server's clock."""
    reg_db, matching_db = await asyncpg.connect(f"{PG}/{dbs['registration']}"), await asyncpg.connect(f"{PG}/{dbs['matching']}")
    try:
        outbox = await reg_db.fetch(
            "SELECT event_id, created_at, published_at, length(envelope::text) AS size FROM outbox"
            " WHERE event_type = $1 AND envelope->'data'->>'cohort_id' = $2",
            REGISTERED,
            cohort,
        )
        # The inbox is keyed by the consumer's stable name, not the group; the database is this run's alone.
        inbox = dict(await matching_db.fetch("SELECT event_id, min(processed_at) FROM inbox GROUP BY event_id"))
    finally:
        await reg_db.close()
        await matching_db.close()
    lag = [(inbox[r["event_id"]] - r["created_at"]).total_seconds() * 1000 for r in outbox if r["event_id"] in inbox]
    pickup = [(r["published_at"] - r["created_at"]).total_seconds() * 1000 for r in outbox if r["published_at"]]
    figures["events"] = {"outbox": len(outbox), "consumed": len(lag), "unpublished": len(outbox) - len(pickup)}
    figures["event_bytes_mean"] = statistics.fmean(r["size"] for r in outbox) if outbox else 0
    figures["lag_ms"] = percentiles(lag)
    figures["relay_pickup_ms"] = percentiles(pickup)


async def grant_namespace(namespace: str) -> None:
    with contextlib.suppress(NoAuthorizer):  # a broker without ACLs needs none
        await grant(KAFKA, declared_acls(namespace))


async def pipeline(args: argparse.Namespace, run: str, dbs: dict[str, str], namespace: str, figures: dict) -> None:
    # Matching's consumer group is its namespace's (`bench<run>.matching`): the one its principal is granted.
    env = {
        "REGISTRATION_DATABASE_URL": f"{PG}/{dbs['registration']}", "MATCHING_DATABASE_URL": f"{PG}/{dbs['matching']}",
        "KAFKA_BOOTSTRAP_SERVERS": KAFKA,
        "TOGETHER_TOPIC_NAMESPACE": namespace, "TOGETHER_LOG_LEVEL": "WARNING", "TOGETHER_CLOCK_MODE": "system",
    }  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-auth-") as keys:
        # The services trust the bench's own key (no identity provider to start, none of a demo's to share).
        signer = Signer(Path(keys))
        auth = {"TOGETHER_AUTH_PUBLIC_KEY_FILE": str(signer.public_key_file), "TOGETHER_AUTH_ISSUER": ISSUER}
        # Matching opens the sealed profiles with data keys it asks registration for, with a token of the bench's.
        key_token = signer.headers(f"bench-{run}-matching", "service", scope="registration:data-keys")
        auth |= {"MATCHING_TOKEN_SOURCE": "static", "MATCHING_SERVICE_TOKEN": key_token["Authorization"].removeprefix("Bearer ")}
        urls = await asyncio.to_thread(
            launcher.start, SPECS, state=STATE, extra_env={**env, **auth, "TOGETHER_AUTH_AUDIENCE": AUDIENCE}
        )
        reg_db, matching_db = (
            await asyncpg.connect(f"{PG}/{dbs['registration']}"),
            await asyncpg.connect(f"{PG}/{dbs['matching']}"),
        )
        try:
            cohort = await drive(args, run, urls["registration"], (reg_db, matching_db), signer, figures)
        finally:
            await reg_db.close()
            await matching_db.close()
    await lags(dbs, cohort, figures)


async def raw_kafka(args: argparse.Namespace, run: str, figures: dict) -> None:
    """The broker and client alone, on a temporary topic: the ceiling if Kafka were the limit."""
    topic, m = f"bench.raw.{run}", args.messages
    await ensure_topics(KAFKA, [Topic(topic, 3)])
    try:
        filler = "x" * max(0, args.message_bytes - 30)
        producer = AIOKafkaProducer(**kafka_options(KAFKA), enable_idempotence=True, acks="all", linger_ms=5)
        await producer.start()
        try:
            for partition in range(3):  # leaders elected and producer id assigned before the clock starts
                await producer.send_and_wait(topic, b"warm-up", key=b"warm-up", partition=partition)
            started = time.perf_counter()
            for first in range(0, m, 1000):  # send a batch, then await its acks, as the outbox relay does
                acks = [
                    await producer.send(topic, key=f"k{i}".encode(), value=f'{{"seq":{i:>9},"f":"{filler}"}}'.encode())
                    for i in range(first, min(m, first + 1000))
                ]
                await asyncio.gather(*acks)
            figures["raw_produce_s"] = time.perf_counter() - started
        finally:
            await producer.stop()
        group = f"bench-raw-{run}"
        consumer = AIOKafkaConsumer(
            topic, **kafka_options(KAFKA), group_id=group, auto_offset_reset="earliest", enable_auto_commit=False
        )
        await consumer.start()  # joins the group; the clock starts after
        try:
            started, got = time.perf_counter(), 0
            while got < m + 3:  # the M messages and 3 warm-ups; commit after each batch, as the services' consumer does
                batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
                got += sum(len(records) for records in batches.values())
                if batches:
                    await consumer.commit()
                if time.perf_counter() - started > args.timeout:
                    raise RuntimeError(f"consumed {got} of {m} raw messages in {args.timeout}s")
            figures["raw_consume_s"] = time.perf_counter() - started
        finally:
            await consumer.stop()
    finally:
        await delete_topics(KAFKA, [topic])
    figures["raw_produce_per_s"] = m / figures["raw_produce_s"]
    figures["raw_consume_per_s"] = m / figures["raw_consume_s"]
    figures["raw_combined_per_s"] = m / (figures["raw_produce_s"] + figures["raw_consume_s"])


def ms(d: dict) -> str:
    return "  ".join(f"{k} {v:,.1f}" for k, v in d.items())


def schedule_rows(what: str, schedule: dict | None) -> list[tuple[str, str]]:
    """The open loop's own figures: did the bench keep its schedule?"""
    if schedule is None:
        return []
    return [
        (f"  {what} sent (achieved rate)", f"{schedule['sent_per_s']:,.1f} per s"),
        ("  sends late on schedule ms", ms(schedule["send_late_ms"])),
    ]


def report(args: argparse.Namespace, figures: dict, load: float) -> None:
    f, ev, people = figures, figures["events"], figures["people"]
    refusals = ", ".join(f"{rule} x{n}" for rule, n in f["refused_by_rule"].items()) or "none"
    # Services of a `make demo` stack do not see the bench's topics, but they share the CPUs.
    others = [s.name for s in launcher.SERVICES if launcher.running_pid(launcher.state_dir(), s)]
    e2e = f"{f['e2e_per_s']:,.1f} verifications/s  ({f['e2e_s']:.2f} s)" if f["e2e_s"] else "n/a: not all events arrived"
    rows = [
        ("Environment", ""),
        ("  Kafka / PostgreSQL", f"{KAFKA}  /  {PG.rsplit('@', 1)[-1]}"),
        ("  CPUs / load average at start", f"{os.cpu_count()} / {load:.2f}"),
        (
            ("  N registrations / open loop at", f"{args.registrations} / {args.rate:g} per s (each phase)")
            if args.rate
            else ("  N registrations / in flight", f"{args.registrations} / {args.concurrency}")
        ),
        (
            "  synthetic people (seed)",
            f"{people['mentors_only']} mentors only, {people['mentees_only']} mentees only, {people['both']} both ({args.seed})",
        ),
        ("  their time zones / languages", f"{people['time_zones']} / {people['languages']}"),
        ("  M raw messages / value size", f"{args.messages} / {args.message_bytes} B"),
        ("  other Together services running", ", ".join(others) + " (own topics; share the CPUs)" if others else "none"),
        ("Registration → matching", ""),
        ("  HTTP 201 / failed", f"{f['accepted']} / {f['failed']}"),
        ("  HTTP 422 refused by the rules", f"{f['refused']}  ({refusals})"),
        ("  expected: never-eligible appointments", f"{people['appointment_never_eligible']} (whatever a programme says)"),
        ("  HTTP registration rate", f"{f['http_rps']:,.1f} req/s  ({f['http_s']:.2f} s)"),
        ("  HTTP latency ms", ms(f["http_latency_ms"])),
        *schedule_rows("registrations", f.get("register_schedule")),
        ("  HTTP 200 verified (link followed)", f"{f['verified']} of {f['accepted']}"),
        ("  HTTP verification rate", f"{f['verify_rps']:,.1f} req/s  ({f['verify_s']:.2f} s)"),
        ("  HTTP verification latency ms", ms(f["verify_latency_ms"])),
        *schedule_rows("verifications", f.get("verify_schedule")),
        ("  end-to-end, from the first verification", e2e),
        ("  in matching's read model", f"{f['in_read_model']} of {f['verified']}"),
        ("  events in outbox / consumed / unpublished", f"{ev['outbox']} / {ev['consumed']} / {ev['unpublished']}"),
        ("  mean event size", f"{f['event_bytes_mean']:,.0f} B (envelope JSON)"),
        ("  lag commit→consume ms", ms(f["lag_ms"])),
        ("  of which outbox→relay pickup ms", ms(f["relay_pickup_ms"])),
        ("Raw aiokafka (3 partitions, idempotent, acks=all)", ""),
        ("  produce", f"{f['raw_produce_per_s']:,.0f} msgs/s  ({f['raw_produce_s']:.2f} s)"),
        ("  consume (consumer group)", f"{f['raw_consume_per_s']:,.0f} msgs/s  ({f['raw_consume_s']:.2f} s)"),
        ("  produce then consume", f"{f['raw_combined_per_s']:,.0f} msgs/s"),
    ]
    print()
    for label, value in rows:
        print(f"{label:<44} {value}")
    if args.rate:
        print(
            "\nOpen loop: each request is sent at its scheduled time whatever the earlier answers' speed; its latency runs"
            "\nfrom the scheduled time, so a late send counts against it (no coordinated omission)."
        )
    print(
        "\nLag = matching's inbox.processed_at - registration's outbox.created_at, both on the same PostgreSQL server's clock."
        "\nper ParticipantRegistered: created_at is clock_timestamp() at the outbox insert, the verifying transaction's last statement"
        "\nbut its notification; processed_at is now() in matching's handling transaction, before its handler runs."
        "\nRelay pickup = outbox.published_at (now() in the relay's transaction) - created_at."
    )
    if args.json:
        print(json.dumps({"n": args.registrations, "m": args.messages, "cpus": os.cpu_count(), "load": load, **figures}))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--registrations", type=int, default=2000, metavar="N")
    parser.add_argument("--concurrency", type=int, default=32, help="registrations in flight (default 32)")
    parser.add_argument(
        "--rate",
        type=float,
        metavar="R",
        help="open loop: send R registrations (then R verifications) per second on a fixed schedule, for --duration",
    )
    parser.add_argument("--duration", type=float, default=20, help="seconds of each open-loop phase (default 20)")
    parser.add_argument("--messages", type=int, default=50_000, metavar="M", help="raw aiokafka messages (default 50,000)")
    parser.add_argument("--message-bytes", type=int, default=300, help="raw message value size (default 300)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for the pipeline to drain")
    parser.add_argument("--seed", type=int, default=7, help="the synthetic cohort's seed (default 7)")
    parser.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    args = parser.parse_args()
    if args.rate:
        args.registrations = max(2, round(args.rate * args.duration))

    # A leftover bench process, or another server on our ports, would be measured instead of ours.
    for spec in SPECS:
        if launcher.running_pid(STATE, spec):
            raise SystemExit(
                f"a bench {spec.name} is still running: TOGETHER_STATE_DIR={STATE} python -m {launcher.__name__} stop"
            )
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", spec.port)) == 0:
                raise SystemExit(f"port {spec.port} is taken; the bench's {spec.name} needs it")
        (STATE / "logs" / f"{spec.name}.log").unlink(missing_ok=True)  # the launcher appends: one run per log

    # SIGTERM cancels like Ctrl-C does, so the finally below still stops the services and drops the databases.
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, asyncio.current_task().cancel)
    run, load = uuid.uuid4().hex[:8], os.getloadavg()[0]
    dbs = {"registration": f"bench_registration_{run}", "matching": f"bench_matching_{run}"}
    print(f"bench run {run}: databases {', '.join(dbs.values())}, topics bench{run}.*; logs in {STATE / 'logs'}", flush=True)
    # Topics of its own: a running demo neither handles the bench's events nor feeds it its own history.
    namespace, figures = f"bench{run}.", {}
    topics = list(declared_topics(namespace))
    await admin_sql(*(f"CREATE DATABASE {name}" for name in dbs.values()))
    try:
        await ensure_topics(KAFKA, topics)
        await grant_namespace(namespace)  # the launcher runs each service as its own principal
        await pipeline(args, run, dbs, namespace, figures)
    finally:
        await asyncio.to_thread(launcher.stop, SPECS, state=STATE)
        await admin_sql(*(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)" for name in dbs.values()))
        await delete_topics(KAFKA, [t.name for t in topics])
        with contextlib.suppress(NoAuthorizer):
            await revoke_namespace(KAFKA, namespace)
    await raw_kafka(args, run, figures)
    report(args, figures, load)


if __name__ == "__main__":
    asyncio.run(main())
