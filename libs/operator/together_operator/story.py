"""The story of one request, pairing or participant: every event about it, in time order."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from together_operator.reading import read_batches


@dataclass(frozen=True)
class Chapter:
    """One event of the story, with where it was found."""

    time: datetime
    topic: str
    partition: int
    offset: int
    event: dict[str, Any]  # the envelope, as published
    copies: int = 1  # delivery is at least once: the same event id may be on the topic twice

    def sort_key(self) -> tuple[datetime, str, int, int]:
        return (self.time, self.topic, self.partition, self.offset)


def normalise_id(identifier: str) -> str:
    """UUIDs as events write them (lower case, hyphenated); anything else as given."""
    with contextlib.suppress(ValueError):
        return str(uuid.UUID(identifier))
    return identifier


def mentions(value: Any, identifier: str) -> bool:
    """Whether `identifier` is `value` or any value inside it (dict values, list items)."""
    if isinstance(value, dict):
        return any(mentions(v, identifier) for v in value.values())
    if isinstance(value, list):
        return any(mentions(v, identifier) for v in value)
    return bool(value == identifier)


def is_about(event: Any, identifier: str) -> bool:
    return isinstance(event, dict) and (event.get("subject") == identifier or mentions(event.get("data"), identifier))


async def story(bootstrap: str, identifier: str, topics: Iterable[str]) -> list[Chapter]:
    """Every event on `topics` whose subject is `identifier` or whose data mentions it, in time order."""
    identifier = normalise_id(identifier)
    needle = identifier.encode()
    chapters: dict[str, Chapter] = {}  # by event id: a redelivered copy is the same chapter
    async with contextlib.aclosing(read_batches(bootstrap, topics)) as batches:
        async for batch in batches:
            for record in batch:
                if record.value is None or needle not in record.value:  # cheap: most records never mention it
                    continue
                with contextlib.suppress(ValueError, TypeError, KeyError):  # not an envelope: no part of a story
                    event = json.loads(record.value)
                    if is_about(event, identifier):
                        time = datetime.fromisoformat(event["time"])
                        time = time if time.tzinfo else time.replace(tzinfo=UTC)
                        event_id = str(event.get("id") or f"{record.topic}/{record.partition}/{record.offset}")
                        seen = chapters.get(event_id)
                        chapters[event_id] = (
                            replace(seen, copies=seen.copies + 1)
                            if seen
                            else Chapter(time, record.topic, record.partition, record.offset, event)
                        )
    return sorted(chapters.values(), key=Chapter.sort_key)


def ids_in(data: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(field path, value) of every id in `data`: fields named `*_id` or `*_ids`, nested ones too."""
    if isinstance(data, dict):
        for name, value in data.items():
            where = f"{path}.{name}" if path else name
            if name.endswith(("_id", "_ids")) and not isinstance(value, dict):
                items = value if isinstance(value, list) else [value]
                yield where, ",".join(str(v) for v in items)
            else:
                yield from ids_in(value, where)
    elif isinstance(data, list):
        by_path: dict[str, list[str]] = {}
        for item in data:
            for where, value in ids_in(item, f"{path}[]"):
                by_path.setdefault(where, []).append(value)
        yield from ((where, ",".join(values)) for where, values in by_path.items())


def chapter_line(chapter: Chapter) -> str:
    event = chapter.event
    ids = " ".join(f"{name}={value}" for name, value in ids_in(event.get("data")))
    return (
        f"{event.get('time')}  {chapter.topic}  {event.get('type')}  subject={event.get('subject')}"
        f"  seq={event.get('sequence')}  {ids}".rstrip()
        + (f"  (published {chapter.copies} times)" if chapter.copies > 1 else "")
    )


def chapter_json(chapter: Chapter) -> str:
    return json.dumps(
        {
            "topic": chapter.topic,
            "partition": chapter.partition,
            "offset": chapter.offset,
            "copies": chapter.copies,
            "event": chapter.event,
        },
        ensure_ascii=False,
    )
