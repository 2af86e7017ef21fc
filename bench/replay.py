"""Replay benchmark: the operator tool's replay rate beside the raw aiokafka consume rate.

    .venv/bin/python bench/replay.py [--events N] [--rounds R] [--json]

In one run on one broker: creates topics of its own (`benchreplay<run>.together.*`),
publishes N realistic envelopes (default 100,000: the project's contracts, a mix of
types and subjects, ~1 KB each, as the outbox relay would), then reads them all back:

  raw       aiokafka alone: assign + seek, getmany, no parsing, nothing written;
  replay    `together-events replay`'s code path (replay_batches + write_records) writing
            JSON Lines to /dev/null: with a type filter, a subject filter, and none;
            and, for information, no filter written as CSV (which parses every value).

Both readers use the same consumer settings (together_operator.reading.CONSUMER_SETTINGS)
and are timed from consumer start to stop. Each measurement runs R times (default 3);
the median is shown. It prints figures and asserts none: timings depend on the machine.
The topics are deleted at the end, also on failure, Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import statistics
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaConsumer, TopicPartition

from together_contracts.matching_v2 import ServedSuggestion, SuggestionsServed
from together_contracts.notifications import NotificationRecorded
from together_contracts.pairing import PairingFormed, PreferencesSubmitted, RequestAccepted, RequestSent
from together_contracts.registration import GRADES, ParticipantRegistered, PublicProfile, Role
from together_contracts.scheduling import SessionScheduled
from together_contracts.topics import declared_topics
from together_events import Envelope, Event, build_producer, kafka_options
from together_events.topics import service_topic
from together_operator import Progress, Selection, replay_batches, resolve_types, write_records
from together_operator.provision import delete_topics, ensure_topics
from together_operator.reading import CONSUMER_SETTINGS, project_topics

KAFKA = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
STATIONS = [("Nairobi", "Africa/Nairobi", "UNEP"), ("New York", "America/New_York", "DESA"), ("Geneva", "Europe/Zurich", "OHCHR"),
            ("Bangkok", "Asia/Bangkok", "ESCAP"), ("Vienna", "Europe/Vienna", "UNODC"), ("Santiago", "America/Santiago", "ECLAC")]  # fmt: skip
LANGUAGES = ["English", "French", "Spanish", "Arabic", "Russian", "Chinese", "Portuguese", "Swahili"]
NETWORKS = ["DEVNET", "POLNET", "MGTNET", "ITECNET", "LEGALNET", "ECONET", "INFONET", "SAFETYNET"]
SKILLS = ["negotiation", "drafting", "project management", "budgeting", "data analysis", "public speaking",
          "team leadership", "procurement", "humanitarian coordination", "policy research", "mediation"]  # fmt: skip


class Generator:
    """Plausible events of one cohort: registrations, suggestions, requests, pairings, sessions, notifications."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.programme, self.cohort = uuid.uuid4(), uuid.uuid4()
        self.mentors: list[uuid.UUID] = []
        self.mentees: list[uuid.UUID] = []
        self.requests: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]] = []  # (request, mentee, mentor) not yet answered
        self.sequences: Counter[str] = Counter()
        self.clock = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
        self.watched = uuid.uuid4()  # a mentee who asks for suggestions again and again: the subject filter's target

    def registered(self) -> Event:
        rng, participant = self.rng, uuid.uuid4()
        role = rng.choice([Role.mentor, Role.mentee, Role.mentee])
        (self.mentors if role is Role.mentor else self.mentees).append(participant)
        station, zone, entity = rng.choice(STATIONS)
        profile = PublicProfile(
            display_name=f"Participant {len(self.mentors) + len(self.mentees)}", entity=entity, duty_station=station,
            time_zone=zone, grade=rng.choice(GRADES), years_of_service=rng.randint(0, 35), job_network=rng.choice(NETWORKS),
            languages=rng.sample(LANGUAGES, rng.randint(1, 3)), skills=rng.sample(SKILLS, rng.randint(2, 5)),
            goals=rng.sample(SKILLS, rng.randint(1, 4)),
        )  # fmt: skip
        return ParticipantRegistered(
            participant_id=participant, person_id=f"idp|{uuid.uuid4()}", cohort_id=self.cohort, programme_id=self.programme,
            roles=[role], mentor_capacity=rng.randint(1, 2) if role is Role.mentor else None, profile=profile,
            registered_at=self.clock,
        )  # fmt: skip

    def next_event(self) -> Event:
        rng = self.rng
        self.clock += timedelta(seconds=rng.randint(1, 30))
        if len(self.mentors) < 5 or len(self.mentees) < 5 or rng.random() < 0.3:
            return self.registered()
        mentee, mentor = rng.choice(self.mentees), rng.choice(self.mentors)
        kind = rng.random()
        if kind < 0.2:
            served = self.watched if rng.random() < 0.01 else mentee
            suggestions = [ServedSuggestion(mentor_id=m, score=round(rng.uniform(0, 6), 1))
                           for m in rng.sample(self.mentors, min(5, len(self.mentors)))]  # fmt: skip
            return SuggestionsServed(mentee_id=served, cohort_id=self.cohort, suggestions=suggestions, served_at=self.clock)
        if kind < 0.3:
            ranked = rng.sample(self.mentors, min(3, len(self.mentors)))
            return PreferencesSubmitted(
                selection_id=uuid.uuid4(), mentee_id=mentee, cohort_id=self.cohort, ranked_mentor_ids=ranked
            )
        if kind < 0.5 or not self.requests:
            request = uuid.uuid4()
            self.requests.append((request, mentee, mentor))
            return RequestSent(request_id=request, selection_id=uuid.uuid4(), mentee_id=mentee, mentor_id=mentor, cohort_id=self.cohort,
                               rank=rng.randint(1, 3), reached_mentor_at=self.clock, remind_at=self.clock + timedelta(days=2),
                               expires_at=self.clock + timedelta(days=4))  # fmt: skip
        if kind < 0.65:
            request, mentee, mentor = self.requests.pop(rng.randrange(len(self.requests)))
            return RequestAccepted(
                request_id=request, mentee_id=mentee, mentor_id=mentor, pairing_id=uuid.uuid4(), accepted_at=self.clock
            )
        if kind < 0.75:
            return PairingFormed(pairing_id=uuid.uuid4(), request_id=uuid.uuid4(), mentee_id=mentee, mentor_id=mentor, cohort_id=self.cohort,
                                 programme_id=self.programme, mentee_person_id=f"idp|{mentee}", mentor_person_id=f"idp|{mentor}",
                                 formed_at=self.clock)  # fmt: skip
        if kind < 0.85:
            return SessionScheduled(session_id=uuid.uuid4(), pairing_id=uuid.uuid4(), participant_ids=[mentee, mentor],
                                    starts_at=self.clock + timedelta(days=3), time_zone="Africa/Nairobi", duration_minutes=60)  # fmt: skip
        return NotificationRecorded(notification_id=uuid.uuid4(), recipient_id=mentor, kind="request_received",
                                    source_event_id=str(uuid.uuid4()), recorded_at=self.clock)  # fmt: skip

    def envelope(self, event: Event) -> Envelope:
        subject = event.aggregate_id()
        self.sequences[subject] += 1
        return Envelope(
            id=str(uuid.uuid4()), source=f"/together/{event.service}", type=event.event_type(), subject=subject, time=self.clock,
            aggregatetype=event.aggregate, sequence=self.sequences[subject], correlationid=str(uuid.uuid4()),
            causationid=str(uuid.uuid4()) if self.rng.random() < 0.5 else None, data=event.model_dump(mode="json"),
        )  # fmt: skip


async def publish(prefix: str, n: int, seed: int) -> dict:
    """N envelopes on the prefix's topics, as the outbox relay sends them (batches of 500, then the acks)."""
    generator = Generator(random.Random(seed))
    producer = build_producer(KAFKA, client_id="bench-replay")
    await producer.start()
    sizes, types = [], Counter()
    started = time.perf_counter()
    try:
        for first in range(0, n, 500):
            acks = []
            for _ in range(first, min(n, first + 500)):
                event = generator.next_event()
                envelope = generator.envelope(event)
                value = envelope.to_json_bytes()
                sizes.append(len(value))
                types[event.event_type()] += 1
                topic = service_topic(event.service, prefix)
                acks.append(
                    await producer.send(topic, value=value, key=envelope.subject.encode(), headers=envelope.kafka_headers())
                )
            await asyncio.gather(*acks)
    finally:
        await producer.stop()
    return {
        "publish_s": time.perf_counter() - started,
        "mean_bytes": statistics.mean(sizes),
        "types": types,
        "watched": str(generator.watched),
        "watched_events": generator.sequences[str(generator.watched)],
    }


async def raw_consume(topics: list[str]) -> tuple[int, int]:
    """Every record of `topics` with aiokafka alone: (records, 0 written)."""
    consumer = AIOKafkaConsumer(**kafka_options(KAFKA), group_id=None, **CONSUMER_SETTINGS)
    await consumer.start()
    try:
        cluster = await consumer._client.fetch_all_metadata()  # as the replay does
        partitions = [TopicPartition(t, p) for t in topics for p in sorted(cluster.partitions_for_topic(t))]
        ends = await consumer.end_offsets(partitions)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        remaining, got = {tp for tp in partitions if ends[tp]}, 0
        while remaining:
            for tp, records in (await consumer.getmany(timeout_ms=1000, max_records=20_000)).items():
                got += len(records)
                if records[-1].offset + 1 >= ends[tp]:
                    remaining.discard(tp)
        return got, 0
    finally:
        await consumer.stop()


def replaying(topics: list[str], selection: Selection, fmt: str = "jsonl") -> Callable[[], Awaitable[tuple[int, int]]]:
    """The code path of `together-events replay --format <fmt> --output /dev/null`."""
    sink = open(os.devnull, "wb")  # open for the whole run: the bench is one short process

    async def run() -> tuple[int, int]:
        progress = Progress()
        batches = replay_batches(KAFKA, topics, selection=selection, progress=progress)
        async with contextlib.aclosing(batches):
            written = await write_records(batches, sink, fmt)
        return progress.read, written

    return run


async def measure(readers: dict[str, Callable[[], Awaitable[tuple[int, int]]]], rounds: int) -> dict[str, dict]:
    """Each reader once per round, in turn, so a change of load on a shared machine touches them all alike."""
    times: dict[str, list[float]] = {label: [] for label in readers}
    counts: dict[str, tuple[int, int]] = {}
    for round_ in range(1, rounds + 1):
        print(f"  round {round_} of {rounds}", flush=True)
        for label, reader in readers.items():
            started = time.perf_counter()
            counts[label] = await reader()
            times[label].append(time.perf_counter() - started)
    figures = {}
    for label, (read, written) in counts.items():
        seconds = statistics.median(times[label])
        figures[label] = {
            "s": seconds,
            "read": read,
            "written": written,
            "read_per_s": read / seconds,
            "written_per_s": written / seconds,
        }
    return figures


def report(args: argparse.Namespace, published: dict, figures: dict[str, dict], load: float) -> None:
    raw = figures["raw"]["read_per_s"]
    print()
    print(f"broker {KAFKA}; {os.cpu_count()} CPUs, load average at start {load:.2f}; median of {args.rounds} rounds")
    print(f"published {args.events:,} envelopes, mean {published['mean_bytes']:,.0f} B, in {published['publish_s']:.1f} s; "
          f"{len(published['types'])} types")  # fmt: skip
    print()
    print(
        f"{'reader (raw: aiokafka alone, no parsing)':<40} {'read/s':>12} {'written/s':>12} {'written':>9} {'seconds':>8} {'vs raw':>7}"
    )
    for label, f in figures.items():
        print(f"{label:<40} {f['read_per_s']:>12,.0f} {f['written_per_s']:>12,.0f} {f['written']:>9,} {f['s']:>8.2f} "
              f"{f['read_per_s'] / raw:>7.2f}")  # fmt: skip
    print("\nvs raw = events read per second / raw aiokafka records per second (target: at least 0.5 for JSON Lines).")
    if args.json:
        print(
            json.dumps(
                {"events": args.events, "cpus": os.cpu_count(), "load": load, "mean_bytes": published["mean_bytes"], **figures}
            )
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000, metavar="N", help="envelopes to publish (default 100,000)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each measurement; the median is shown (default 3)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    args = parser.parse_args()

    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, asyncio.current_task().cancel)
    run, load = uuid.uuid4().hex[:8], os.getloadavg()[0]
    prefix = f"benchreplay{run}."
    declared = list(declared_topics(prefix))
    topics = project_topics(prefix)
    print(f"bench run {run}: topics {prefix}together.*; publishing {args.events:,} envelopes", flush=True)
    await ensure_topics(KAFKA, declared)
    try:
        published = await publish(prefix, args.events, args.seed)
        request_sent = resolve_types(["RequestSent"])
        watched = Selection(subjects=frozenset([published["watched"]]))
        readers = {
            "raw": lambda: raw_consume(topics),
            f"replay --type RequestSent ({published['types'][RequestSent.event_type()]:,})": replaying(
                topics, Selection(request_sent)
            ),
            f"replay --subject <mentee> ({published['watched_events']})": replaying(topics, watched),
            "replay, no filter": replaying(topics, Selection()),
            "replay, no filter, CSV (parses values)": replaying(topics, Selection(), "csv"),
        }
        figures = await measure(readers, args.rounds)
    finally:
        await delete_topics(KAFKA, [t.name for t in declared])
    report(args, published, figures, load)


if __name__ == "__main__":
    asyncio.run(main())
