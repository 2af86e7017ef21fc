"""Checking the history on the topics: sequences, envelopes and contracts.

Per aggregate (subject, on one topic: each service numbers its own aggregates) the
sequence numbers must be 1..n without gaps; two different events with one number
are a duplicate. The same event id twice is a redelivered copy: the outbox publishes
at least once, so that is a note, not an error.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from aiokafka import ConsumerRecord

from together_events.envelope import Envelope, MalformedEvent
from together_events.registry import decode, model_for
from together_operator.reading import Progress, read_batches

ERROR_KINDS = ("gap", "duplicate", "malformed", "contract", "unknown type", "key mismatch", "id reused")
NOTE_KINDS = ("redelivered copy",)


@dataclass(frozen=True)
class Finding:
    severity: Literal["error", "note"]
    kind: str
    topic: str
    subject: str | None
    detail: str

    def line(self) -> str:
        about = f"  subject={self.subject}" if self.subject else ""
        return f"{self.severity.upper():<5}  {self.kind:<16}  {self.topic}{about}  {self.detail}"


@dataclass(frozen=True)
class Seen:
    event_id: str
    partition: int
    offset: int

    def at(self) -> str:
        return f"partition {self.partition} offset {self.offset}"


@dataclass
class VerifyReport:
    topics: list[str]
    records: int
    aggregates: int
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def notes(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "note"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        kinds = Counter(f.kind for f in self.findings)
        errors = ", ".join(f"{kind} {kinds[kind]}" for kind in ERROR_KINDS if kinds[kind]) or "none"
        notes = ", ".join(f"{kind} {kinds[kind]}" for kind in NOTE_KINDS if kinds[kind]) or "none"
        verdict = "OK" if self.ok else "FAILED"
        return (
            f"{verdict}: {self.records} records on {len(self.topics)} topics, {self.aggregates} aggregates; "
            f"{len(self.errors)} errors ({errors}); {len(self.notes)} notes ({notes})"
        )


class HistoryCheck:
    """Feed it every record of the topics (`add`), then ask for the `report`."""

    def __init__(self, topics: Iterable[str]) -> None:
        self._topics = list(topics)
        self._records = 0
        self._findings: list[Finding] = []
        self._sequences: dict[tuple[str, str], dict[int, Seen]] = {}  # (topic, subject) -> sequence -> first event
        self._ids: dict[str, tuple[str, str, int]] = {}  # event id -> (topic, subject, sequence): ids are dedup keys

    def _found(
        self, severity: Literal["error", "note"], kind: str, record: ConsumerRecord, subject: str | None, detail: str
    ) -> None:
        self._findings.append(Finding(severity, kind, record.topic, subject, detail))

    def add(self, record: ConsumerRecord) -> None:
        self._records += 1
        here = f"at partition {record.partition} offset {record.offset}"
        try:
            envelope = Envelope.from_json_bytes(record.value)
        except MalformedEvent as exc:
            key = record.key.decode(errors="replace") if record.key is not None else None
            self._found("error", "malformed", record, key, f"{here}: {exc}")
            return
        subject = envelope.subject
        if record.key is not None and record.key.decode(errors="replace") != subject:
            self._found("error", "key mismatch", record, subject, f"{here}: record key {record.key!r} is not the subject")
        try:
            decode(envelope)
        except MalformedEvent as exc:
            kind = "unknown type" if model_for(envelope.type) is None else "contract"
            self._found("error", kind, record, subject, f"{here} (id {envelope.id}, sequence {envelope.sequence}): {exc}")
        self._check_sequence(record, envelope)

    def _check_sequence(self, record: ConsumerRecord, envelope: Envelope) -> None:
        subject, sequence = envelope.subject, envelope.sequence
        seen = Seen(envelope.id, record.partition, record.offset)
        numbered = self._sequences.setdefault((record.topic, subject), {})
        first = numbered.get(sequence)
        if first is None:
            numbered[sequence] = seen
        elif first.event_id == envelope.id:
            self._found("note", "redelivered copy", record, subject,
                        f"event {envelope.id} (sequence {sequence}) again at {seen.at()}; first at {first.at()}")  # fmt: skip
            return
        else:
            self._found("error", "duplicate", record, subject,
                        f"sequence {sequence} is event {first.event_id} at {first.at()} and event {envelope.id} at {seen.at()}")  # fmt: skip
        place = (record.topic, subject, sequence)
        earlier = self._ids.setdefault(envelope.id, place)
        if earlier != place:
            self._found("error", "id reused", record, subject,
                        f"event id {envelope.id} at {seen.at()} (sequence {sequence}) was already used by {earlier[1]} sequence {earlier[2]} on {earlier[0]}")  # fmt: skip

    def report(self) -> VerifyReport:
        gaps = []
        for (topic, subject), numbered in self._sequences.items():
            missing = sorted(set(range(1, max(numbered) + 1)) - numbered.keys())
            if missing:
                gaps.append(
                    Finding("error", "gap", topic, subject, f"sequence {_ranges(missing)} missing (highest seen {max(numbered)})")
                )
        return VerifyReport(self._topics, self._records, len(self._sequences), self._findings + gaps)


def _ranges(numbers: list[int]) -> str:
    """[2, 3, 4, 7] -> '2-4, 7'."""
    parts: list[str] = []
    start = previous = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == previous + 1:
            previous = n
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if n is not None:
            start = previous = n
    return ", ".join(parts)


async def verify(bootstrap: str, topics: Iterable[str], progress: Progress | None = None) -> VerifyReport:
    """Read `topics` from the beginning to their current ends and check the history."""
    topics = list(topics)
    check = HistoryCheck(topics)
    async with contextlib.aclosing(read_batches(bootstrap, topics, progress=progress)) as batches:
        async for batch in batches:
            for record in batch:
                check.add(record)
    return check.report()
