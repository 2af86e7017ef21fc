"""The operator's tool (`together-events`) on the real broker and database.

One scripted history is published to topics of this module's own namespace, with known
Kafka timestamps (in the past: brokers refuse timestamps far in the future), then read
back by replay, story, verify and rebuild.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import create_async_engine

from tests.kafka_tools import group_caught_up, read_topic, wait_until
from tests.stack import REPO, Stack
from together_contracts.matching_v2 import ServedSuggestion, SuggestionsServed
from together_contracts.notifications import NotificationRecorded
from together_contracts.pairing import (
    PairingFormed,
    PreferencesSubmitted,
    RequestAccepted,
    RequestDeclined,
    RequestSent,
)
from together_contracts.registration import CohortOpened, ParticipantRegistered, ProgrammeCreated, PublicProfile, Role
from together_contracts.scheduling import CompletedBy, SessionCompleted, SessionScheduled
from together_contracts.topics import declared_topics
from together_events import Envelope, Event, EventConsumer, Topic, build_producer, dead_letter_topic
from together_events.topics import service_topic
from together_operator import (
    Selection,
    UnknownType,
    Window,
    project_topics,
    replay,
    replay_batches,
    resolve_types,
    story,
    verify,
    write_records,
)
from together_operator.output import CSV_COLUMNS
from together_operator.provision import delete_topics, ensure_topics
from together_operator.rebuild import RebuildError, compare, rebuild
from together_operator.story import chapter_line
from together_servicekit.db import migrate

pytestmark = pytest.mark.integration

RUN = uuid.uuid4().hex[:8]
NS = f"opcli{RUN}."
TOPICS = project_topics(NS)
REGISTRATION, MATCHING, PAIRING = (service_topic(s, NS) for s in ("registration", "matching", "pairing"))
BROKEN = f"{NS}verify.broken"  # a history with a gap, a duplicate, a redelivered copy and bad records
SKEWED = f"{NS}replay.skewed"  # one partition whose timestamps go back and forth (several producers, mirrored records)
SKEWED_MINUTES = (0, 10, 30, 20, 5, 25, 40)  # by offset: 30 is forward-dated, 5 back-dated
BASE = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return BASE + timedelta(minutes=minutes)


def ms(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)  # exact: no float rounding


@dataclass(frozen=True)
class Published:
    topic: str
    envelope: Envelope | None
    timestamp: datetime
    partition: int
    offset: int


class History:
    """Publishes envelopes as the outbox would, numbering each aggregate's events per topic."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self.producer = producer
        self.sequences: Counter[tuple[str, str]] = Counter()
        self.published: list[Published] = []

    def envelope(self, event: Event, time: datetime, topic: str, data: dict | None = None) -> Envelope:
        self.sequences[(topic, event.aggregate_id())] += 1
        return Envelope(
            id=str(uuid.uuid4()), source=f"/together/{event.service}", type=event.event_type(), subject=event.aggregate_id(),
            time=time, aggregatetype=event.aggregate, sequence=self.sequences[(topic, event.aggregate_id())],
            correlationid=str(uuid.uuid4()), data=data if data is not None else event.model_dump(mode="json"),
        )  # fmt: skip

    async def send(self, topic: str, envelope: Envelope, timestamp: datetime) -> Envelope:
        sent = await self.producer.send_and_wait(
            topic, value=envelope.to_json_bytes(), key=envelope.subject.encode(), headers=envelope.kafka_headers(),
            timestamp_ms=ms(timestamp),
        )  # fmt: skip
        self.published.append(Published(topic, envelope, timestamp, sent.partition, sent.offset))
        return envelope

    async def publish(self, event: Event, minutes: float, data: dict | None = None) -> Envelope:
        topic = service_topic(event.service, NS)
        return await self.send(topic, self.envelope(event, at(minutes), topic, data), at(minutes))

    def between(self, start: datetime, end: datetime) -> set[str]:
        return {p.envelope.id for p in self.published if p.envelope and start <= p.timestamp < end and p.topic in TOPICS}


@dataclass(frozen=True)
class Story:
    history: History
    request: str  # R1: sent, accepted, paired
    sent: Envelope
    accepted: Envelope
    formed: Envelope
    other_sent: Envelope  # R2's RequestSent: noise
    mentor: str
    old_format: Envelope  # a registration from before person_id: breaks today's contract


def profile(name: str, zone: str = "Africa/Nairobi") -> PublicProfile:
    return PublicProfile(display_name=name, entity="UNEP", duty_station="Nairobi", time_zone=zone, grade="P-3",
                         years_of_service=6, job_network="DEVNET", languages=["English", "French"], skills=["drafting"])  # fmt: skip


@pytest.fixture(scope="module")
async def topics(stack: Stack) -> AsyncIterator[list[str]]:
    created = [*declared_topics(NS), Topic(BROKEN, 1), Topic(SKEWED, 1)]
    await ensure_topics(stack.kafka_bootstrap, created)
    yield TOPICS
    await delete_topics(stack.kafka_bootstrap, [t.name for t in created])


@pytest.fixture(scope="module")
async def producer(stack: Stack) -> AsyncIterator[AIOKafkaProducer]:
    producer = build_producer(stack.kafka_bootstrap, client_id=f"opcli-{RUN}")
    await producer.start()
    yield producer
    await producer.stop()


@pytest.fixture(scope="module")
async def history(topics, producer) -> Story:
    h = History(producer)
    programme, cohort = uuid.uuid4(), uuid.uuid4()
    mentee, mentor, other_mentor, other_mentee, old = (uuid.uuid4() for _ in range(5))
    await h.publish(
        ProgrammeCreated(programme_id=programme, name="Mentoring 2025", kind="mentoring", suggestions_per_mentee=3), 0
    )
    await h.publish(CohortOpened(cohort_id=cohort, programme_id=programme, programme_kind="mentoring", name="Spring",
                                 registration_opens_on=BASE.date(), registration_closes_on=BASE.date() + timedelta(days=10),
                                 starts_on=BASE.date() + timedelta(days=20), ends_on=BASE.date() + timedelta(days=200)), 1)  # fmt: skip
    people = [(mentee, "mentee", None), (mentor, "mentor", 2), (other_mentor, "mentor", 1), (other_mentee, "mentee", None)]
    for minute, (participant, role, capacity) in enumerate(people, start=2):
        await h.publish(ParticipantRegistered(participant_id=participant, person_id=f"person-{participant}", cohort_id=cohort,
                                              programme_id=programme, roles=[Role(role)], mentor_capacity=capacity,
                                              profile=profile(f"{role} {minute}"), registered_at=at(minute)), minute)  # fmt: skip
    registration = ParticipantRegistered(participant_id=old, person_id="x", cohort_id=cohort, programme_id=programme,
                                         roles=[Role.mentee], profile=profile("before person ids"), registered_at=at(6))  # fmt: skip
    old_format = await h.publish(
        registration, 6, data={k: v for k, v in registration.model_dump(mode="json").items() if k != "person_id"}
    )
    await h.publish(SuggestionsServed(mentee_id=mentee, cohort_id=cohort, served_at=at(10), suggestions=[
        ServedSuggestion(mentor_id=mentor, score=3.0), ServedSuggestion(mentor_id=other_mentor, score=1.0)]), 10)  # fmt: skip
    selection, other_selection, request, other_request, pairing, session = (uuid.uuid4() for _ in range(6))
    await h.publish(
        PreferencesSubmitted(
            selection_id=selection, mentee_id=mentee, cohort_id=cohort, ranked_mentor_ids=[mentor, other_mentor]
        ),
        12,
    )
    await h.publish(
        PreferencesSubmitted(
            selection_id=other_selection, mentee_id=other_mentee, cohort_id=cohort, ranked_mentor_ids=[other_mentor]
        ),
        13,
    )
    deadlines = {"reached_mentor_at": at(14), "remind_at": at(14) + timedelta(days=2), "expires_at": at(14) + timedelta(days=4)}
    sent = await h.publish(
        RequestSent(
            request_id=request, selection_id=selection, mentee_id=mentee, mentor_id=mentor, cohort_id=cohort, rank=1, **deadlines
        ),
        14,
    )
    other_sent = await h.publish(RequestSent(request_id=other_request, selection_id=other_selection, mentee_id=other_mentee,
                                             mentor_id=other_mentor, cohort_id=cohort, rank=1, **deadlines), 15)  # fmt: skip
    # Noise that mentions the request's event, or the request id inside a longer string: not about the request.
    await h.publish(NotificationRecorded(notification_id=uuid.uuid4(), recipient_id=mentor, kind="request_received",
                                         source_event_id=sent.id, recorded_at=at(16)), 16)  # fmt: skip
    await h.publish(NotificationRecorded(notification_id=uuid.uuid4(), recipient_id=mentor, kind="other",
                                         source_event_id=f"copy-of-{request}", recorded_at=at(17)), 17)  # fmt: skip
    # Published out of time order (formed first): the story sorts by the events' time.
    formed = await h.publish(PairingFormed(pairing_id=pairing, request_id=request, mentee_id=mentee, mentor_id=mentor, cohort_id=cohort,
                                           programme_id=programme, mentee_person_id=f"person-{mentee}", mentor_person_id=f"person-{mentor}",
                                           formed_at=at(20.5)), 20.5)  # fmt: skip
    accepted = await h.publish(
        RequestAccepted(request_id=request, mentee_id=mentee, mentor_id=mentor, pairing_id=pairing, accepted_at=at(20)), 20
    )
    await h.publish(
        RequestDeclined(request_id=other_request, mentee_id=other_mentee, mentor_id=other_mentor, declined_at=at(22)), 22
    )
    both = [mentee, mentor]
    await h.publish(SessionScheduled(session_id=session, pairing_id=pairing, participant_ids=both, starts_at=at(60 * 24),
                                     time_zone="Africa/Nairobi", duration_minutes=60), 30)  # fmt: skip
    await h.publish(SessionCompleted(session_id=session, pairing_id=pairing, participant_ids=both, completed_at=at(60 * 25),
                                     completed_by=CompletedBy.marked_done), 40)  # fmt: skip
    return Story(h, str(request), sent, accepted, formed, other_sent, str(mentor), old_format)


async def collected(stack: Stack, topics: list[str], window: Window = Window(), selection: Selection = Selection()) -> list:
    return [record async for record in replay(stack.kafka_bootstrap, topics, window, selection)]


def ids(records: list) -> list[str]:
    return [json.loads(r.value)["id"] for r in records]


def cli(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    command = [str(REPO / ".venv" / "bin" / "together-events"), *args, "--bootstrap", stack.kafka_bootstrap]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


# --- replay -----------------------------------------------------------------------------


async def test_replay_by_offset_range_reads_those_offsets_of_every_partition(stack, history):
    everything = await read_topic(stack.kafka_bootstrap, REGISTRATION)
    expected = {(r.partition, r.offset) for r in everything if 1 <= r.offset < 3}
    assert expected, "the history should put three registrations on at least one partition"

    replayed = await collected(stack, [REGISTRATION], Window(from_offset=1, to_offset=3))

    assert {(r.partition, r.offset) for r in replayed} == expected
    assert len(replayed) == len(expected)


async def test_replay_by_time_range_uses_the_record_timestamps(stack, history):
    h = history.history
    window = Window(from_time=at(5), to_time=at(20))  # half-open: the record at 20:00 is left out

    replayed = await collected(stack, TOPICS, window)

    assert set(ids(replayed)) == h.between(at(5), at(20))
    assert history.accepted.id not in ids(replayed)  # at(20) exactly
    assert history.sent.id in ids(replayed)
    later = await collected(stack, TOPICS, Window(from_time=at(30)))
    assert set(ids(later)) == h.between(at(30), at(10_000))
    assert len(later) == 2  # the session's two events


@pytest.fixture(scope="module")
async def skewed(topics, producer) -> list[Published]:
    h = History(producer)
    for minutes in SKEWED_MINUTES:
        event = ProgrammeCreated(programme_id=uuid.uuid4(), name="p", kind="coaching", suggestions_per_mentee=3)
        await h.send(SKEWED, h.envelope(event, at(minutes), SKEWED), at(minutes))
    assert [p.offset for p in h.published] == list(range(len(SKEWED_MINUTES)))
    return h.published


def offsets_between(published: list[Published], start: datetime | None, end: datetime | None) -> list[int]:
    return [p.offset for p in published if (start is None or start <= p.timestamp) and (end is None or p.timestamp < end)]


async def test_a_time_window_holds_exactly_the_records_timestamped_in_it_whatever_their_order(stack, skewed):
    windows = [
        (None, at(15)),  # the back-dated record (5) comes after a later one (30): still in
        (at(3), at(8)),  # only the back-dated record
        (at(15), at(28)),  # 20 and 25, on both sides of the back-dated record
        (at(22), None),  # 30 (forward-dated, before 20) and 25 and 40
        (at(25), at(31)),
        (at(20), at(30)),  # half-open: 30 left out
        (at(20) + timedelta(microseconds=1), at(30)),  # a record at 20:00.000 is before 20:00.000001
    ]
    for start, end in windows:
        replayed = await collected(stack, [SKEWED], Window(from_time=start, to_time=end))
        assert [r.offset for r in replayed] == offsets_between(skewed, start, end), (start, end)
        assert set(ids(replayed)) == {skewed[o].envelope.id for o in offsets_between(skewed, start, end)}

    command_line = [
        ("2025-03-01T09:00", "2025-03-01T09:15", [0, 1, 4]),  # offsets, as written in the JSON Lines
        ("2025-03-01T09:15", "2025-03-01T09:28+00:00", [3, 5]),
    ]
    for start, end, expected in command_line:
        command = await asyncio.to_thread(cli, stack, "replay", "--topic", SKEWED, "--from-time", start, "--to-time", end)
        assert command.returncode == 0, command.stderr
        assert [json.loads(line)["offset"] for line in command.stdout.splitlines()] == expected


async def test_replay_filters_by_type_and_by_subject(stack, history):
    sent_only = await collected(stack, TOPICS, selection=Selection(resolve_types(["RequestSent"])))
    assert sorted(ids(sent_only)) == sorted([history.sent.id, history.other_sent.id])

    about_request = await collected(stack, TOPICS, selection=Selection(subjects=frozenset([history.request])))
    assert sorted(ids(about_request)) == sorted([history.sent.id, history.accepted.id])  # PairingFormed's subject is the pairing

    both = Selection(resolve_types(["together.pairing.RequestAccepted.v1", "RequestSent.v1"]), frozenset([history.request]))
    assert sorted(ids(await collected(stack, TOPICS, selection=both))) == sorted([history.sent.id, history.accepted.id])
    with pytest.raises(UnknownType):
        resolve_types(["RequestSnet"])


async def test_jsonl_and_csv_output(stack, history):
    selection = Selection(subjects=frozenset([history.request]))
    out = io.BytesIO()
    written = await write_records(replay_batches(stack.kafka_bootstrap, TOPICS, selection=selection), out, "jsonl")
    lines = [json.loads(line) for line in out.getvalue().decode().splitlines()]
    assert written == len(lines) == 2
    by_id = {line["event"]["id"]: line for line in lines}
    sent = by_id[history.sent.id]
    assert set(sent) == {"topic", "partition", "offset", "timestamp", "key", "event"}
    assert (sent["topic"], sent["key"], sent["timestamp"]) == (PAIRING, history.request, ms(at(14)))
    assert Envelope.model_validate(sent["event"]) == history.sent

    out = io.BytesIO()
    await write_records(replay_batches(stack.kafka_bootstrap, TOPICS, selection=selection), out, "csv")
    rows = list(csv.reader(io.StringIO(out.getvalue().decode())))
    assert tuple(rows[0]) == CSV_COLUMNS
    row = {name: value for name, value in zip(CSV_COLUMNS, next(r for r in rows[1:] if history.accepted.id in r), strict=True)}
    assert (row["topic"], row["type"], row["subject"], row["sequence"]) == (
        PAIRING,
        RequestAccepted.event_type(),
        history.request,
        "2",
    )
    assert row["time"] == history.accepted.model_dump(mode="json")["time"]
    assert json.loads(row["data"]) == history.accepted.data


# --- story ------------------------------------------------------------------------------


async def test_the_story_of_a_request_is_its_events_in_time_order_and_nothing_else(stack, history):
    chapters = await story(stack.kafka_bootstrap, history.request.upper(), TOPICS)  # any spelling of the uuid

    assert [c.event["id"] for c in chapters] == [history.sent.id, history.accepted.id, history.formed.id]
    assert [c.event["type"] for c in chapters] == [t.event_type() for t in (RequestSent, RequestAccepted, PairingFormed)]
    line = chapter_line(chapters[2])
    assert line.startswith(f"{history.formed.model_dump(mode='json')['time']}  {PAIRING}  {PairingFormed.event_type()}")
    assert f"request_id={history.request}" in line and "seq=1" in line


async def test_the_story_of_a_mentor_spans_the_topics(stack, history):
    chapters = await story(stack.kafka_bootstrap, history.mentor, TOPICS)
    topics = {c.topic for c in chapters}
    assert topics == {REGISTRATION, MATCHING, PAIRING, service_topic("scheduling", NS), service_topic("notifications", NS)}
    assert [c.time for c in chapters] == sorted(c.time for c in chapters)


# --- verify -----------------------------------------------------------------------------


async def test_verify_passes_a_sound_history_but_for_a_record_that_breaks_its_contract(stack, history):
    report = await verify(stack.kafka_bootstrap, TOPICS)

    assert report.records == len(history.history.published)
    assert [(f.kind, f.subject) for f in report.errors] == [("contract", history.old_format.subject)]
    assert "person_id" in report.errors[0].detail
    assert report.notes == []


async def publish_broken_history(producer: AIOKafkaProducer) -> dict[str, str]:
    h = History(producer)
    gap, duplicate, copied = (str(uuid.uuid4()) for _ in range(3))

    def created(programme: str, minutes: float) -> Envelope:
        event = ProgrammeCreated(programme_id=programme, name="p", kind="coaching", suggestions_per_mentee=3)
        return h.envelope(event, at(minutes), BROKEN)

    first, _never_sent, third = created(gap, 1), created(gap, 2), created(gap, 3)
    for envelope in (first, third):  # the second never made it: a gap
        await h.send(BROKEN, envelope, at(1))
    one = created(duplicate, 1)
    await h.send(BROKEN, one, at(2))
    await h.send(BROKEN, one.model_copy(update={"id": str(uuid.uuid4())}), at(2))  # another event, same number
    copy = created(copied, 1)
    await h.send(BROKEN, copy, at(3))
    await h.send(BROKEN, copy, at(3))  # the outbox published it twice: a note
    await producer.send_and_wait(BROKEN, value=b"\x00not json", key=b"junk", timestamp_ms=ms(at(4)))
    unknown = created(str(uuid.uuid4()), 5).model_copy(update={"type": "together.registration.ProgrammeRenamed.v1"})
    await h.send(BROKEN, unknown, at(5))
    return {"gap": gap, "duplicate": duplicate, "copied": copied, "unknown": unknown.subject}


@pytest.fixture(scope="module")
async def broken(topics, producer) -> dict[str, str]:
    return await publish_broken_history(producer)


async def test_verify_reports_a_gap_a_duplicate_and_bad_records_and_notes_a_redelivered_copy(stack, broken):
    report = await verify(stack.kafka_bootstrap, [BROKEN])

    assert not report.ok
    assert sorted((f.kind, f.subject) for f in report.errors) == sorted(
        [("gap", broken["gap"]), ("duplicate", broken["duplicate"]), ("malformed", "junk"), ("unknown type", broken["unknown"])]
    )
    [gap] = [f for f in report.errors if f.kind == "gap"]
    assert "sequence 2 missing" in gap.detail
    assert [(f.kind, f.subject) for f in report.notes] == [("redelivered copy", broken["copied"])]
    assert report.summary().startswith("FAILED: 8 records on 1 topics, 4 aggregates; 4 errors")


async def test_jsonl_keeps_a_record_that_is_not_json_as_raw_text(stack, broken):
    out = io.BytesIO()
    await write_records(replay_batches(stack.kafka_bootstrap, [BROKEN], selection=Selection(subjects=frozenset(["junk"]))), out)
    [line] = [json.loads(line) for line in out.getvalue().splitlines()]
    assert (line["event"], line["raw"], line["key"]) == (None, "\x00not json", "junk")


async def test_the_command_line_verifies_and_replays(stack, broken, history):
    checked = await asyncio.to_thread(cli, stack, "verify", "--topic", BROKEN)
    assert checked.returncode == 1, checked.stderr
    assert "gap" in checked.stdout and "duplicate" in checked.stdout and "redelivered copy" in checked.stdout
    assert checked.stdout.splitlines()[-1].startswith("FAILED: 8 records")

    replayed = await asyncio.to_thread(
        cli, stack, "replay", "--namespace", NS, "--subject", history.request, "--type", "RequestAccepted"
    )
    assert replayed.returncode == 0, replayed.stderr
    assert [json.loads(line)["event"]["id"] for line in replayed.stdout.splitlines()] == [history.accepted.id]
    assert f"{len(history.history.published)} records read, 1 written" in replayed.stderr

    module = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "together_operator.cli", "story", history.request, "--namespace", NS,
                         "--bootstrap", stack.kafka_bootstrap], capture_output=True, text=True, timeout=120)  # fmt: skip
    assert module.returncode == 0, module.stderr
    assert len(module.stdout.splitlines()) == 3


# --- rebuild ----------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def running(consumer: EventConsumer) -> AsyncIterator[None]:
    task = asyncio.create_task(consumer.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def live_matching(stack: Stack, url: str, producer: AIOKafkaProducer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Matching's read model as the running service builds it: its handlers behind a consumer group."""
    from matching.consumers import handlers

    await asyncio.to_thread(migrate, "matching", url)
    monkeypatch.setenv("TOGETHER_TOPIC_NAMESPACE", NS)  # the consumer subscribes to this module's topics
    engine = create_async_engine(url)
    consumer = EventConsumer(
        name="matching", group_id=f"opcli-live-{RUN}", engine=engine, bootstrap_servers=stack.kafka_bootstrap,
        handlers=handlers(None), dead_letters=producer, now=lambda: datetime.now(UTC),
    )  # fmt: skip
    assert consumer.topics == sorted([REGISTRATION, PAIRING])
    try:
        async with running(consumer):
            for topic in consumer.topics:
                await wait_until(
                    lambda t=topic: group_caught_up(stack.kafka_bootstrap, consumer.group_id, t), what=f"live matching on {topic}"
                )
    finally:
        monkeypatch.delenv("TOGETHER_TOPIC_NAMESPACE")
        await engine.dispose()


async def test_a_rebuilt_read_model_equals_the_live_one_and_an_altered_row_shows(
    stack, history, producer, create_database, monkeypatch
):
    live = await create_database("live_matching")
    await live_matching(stack, live, producer, monkeypatch)
    dead_before = len(await read_topic(stack.kafka_bootstrap, dead_letter_topic(REGISTRATION)))
    assert dead_before == 1  # the live consumer dead-lettered the old-format registration

    fresh = await create_database("rebuilt_matching")
    report = await rebuild("matching", fresh, bootstrap=stack.kafka_bootstrap, prefix=NS)

    assert report.topics == sorted([REGISTRATION, PAIRING])
    assert report.handled == 9  # the programme, the cohort, four registrations, two preferences and one pairing
    assert [(d.topic, d.reason.split(":")[0]) for d in report.dead_letters] == [(REGISTRATION, "malformed")]
    assert len(await read_topic(stack.kafka_bootstrap, dead_letter_topic(REGISTRATION))) == dead_before  # reported, not sent
    comparison = await compare("matching", fresh, live)
    assert comparison.equal, comparison.lines()
    assert [(t.table, t.rebuilt_rows) for t in comparison.tables] == [
        ("programmes", 1), ("cohorts", 1), ("candidates", 4), ("mentor_pairings", 1), ("preferences", 2),
    ]  # fmt: skip

    engine = create_async_engine(live)
    async with engine.begin() as conn:
        await conn.execute(sa.text("UPDATE candidates SET capacity = 5 WHERE participant_id = :m"), {"m": history.mentor})
        await conn.execute(sa.text("DELETE FROM mentor_pairings"))
    await engine.dispose()
    comparison = await compare("matching", fresh, live)
    assert not comparison.equal
    text = "\n".join(comparison.lines())
    assert f"candidates participant_id={history.mentor}: capacity: rebuilt 2, live 5" in text
    assert "mentor_pairings: only in the rebuilt database" in text
    assert text.endswith("matching read model: DIFFERENT")

    with pytest.raises(RebuildError, match="not a fresh database"):
        await rebuild("matching", fresh, bootstrap=stack.kafka_bootstrap, prefix=NS)
