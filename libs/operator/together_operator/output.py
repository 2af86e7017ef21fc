"""Writing replayed records as JSON Lines or CSV, streaming, to a binary stream."""

from __future__ import annotations

import csv
import functools
import io
import json
import re
from collections.abc import AsyncIterable
from typing import Any, BinaryIO

from aiokafka import ConsumerRecord

from together_events.envelope import CONTENT_TYPE

FORMATS = ("jsonl", "csv")
CSV_COLUMNS = (
    "topic",
    "partition",
    "offset",
    "time",
    "type",
    "subject",
    "sequence",
    "id",
    "correlationid",
    "causationid",
    "data",
)
_CLOUDEVENT = ("content-type", CONTENT_TYPE.encode())
_PLAIN_JSON_TEXT = re.compile(rb"[ !#-\[\]-~]*")  # printable ASCII but for '"' and '\\': a JSON string as it is


def _json_text(text: str) -> bytes:
    return json.dumps(text, ensure_ascii=False).encode()


_topic_json = functools.lru_cache(maxsize=256)(_json_text)  # a handful of topics, a million records


def _json_key(key: bytes | None) -> bytes:
    if key is None:
        return b"null"
    if _PLAIN_JSON_TEXT.fullmatch(key):  # ids, the usual keys: no escaping, no json.dumps
        return b'"%s"' % key
    return _json_text(key.decode(errors="replace"))


def _embeddable(record: ConsumerRecord) -> bool:
    """Whether the value can go into a line as it is, without parsing it.

    The outbox writes every value as one line of compact JSON (pydantic) and says so in
    `content-type`; trusting that keeps JSON parsing off the hot path. A value that breaks
    the promise is caught by `verify`; here it can at worst make one line invalid, never
    split a line or mangle the encoding.
    """
    value = record.value
    return (
        value is not None
        and value[:1] == b"{"
        and value[-1:] == b"}"
        and b"\n" not in value
        and _CLOUDEVENT in record.headers
        and (value.isascii() or _is_utf8(value))
    )


def _is_utf8(value: bytes) -> bool:
    try:
        value.decode()
    except UnicodeDecodeError:
        return False
    return True


def _parsed(value: bytes | None) -> Any:
    """The value as JSON, or None; `raw` text for values that are not JSON."""
    try:
        return json.loads(value) if value is not None else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


def jsonl_line(record: ConsumerRecord) -> bytes:
    """One record as `{"topic","partition","offset","timestamp","key","event"}` (+ `raw` if not JSON)."""
    if _embeddable(record):
        event, raw = record.value, b""
    else:
        document = _parsed(record.value)
        event = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        text = None if record.value is None else record.value.decode(errors="replace")
        raw = b"" if document is not None or text is None else b',"raw":' + _json_text(text)
    return b'{"topic":%s,"partition":%d,"offset":%d,"timestamp":%d,"key":%s,"event":%s%s}\n' % (
        _topic_json(record.topic),
        record.partition,
        record.offset,
        record.timestamp,
        _json_key(record.key),
        event,
        raw,
    )


def csv_row(record: ConsumerRecord) -> list[Any]:
    document = _parsed(record.value)
    if not isinstance(document, dict):  # not an envelope: what the headers say, and the value as text
        headers = {k: v.decode(errors="replace") for k, v in record.headers}
        text = "" if record.value is None else record.value.decode(errors="replace")
        document = {a: headers.get(f"ce_{a}", "") for a in CSV_COLUMNS[3:10]} | {"data": text}
    data = document.get("data")
    return [
        record.topic,
        record.partition,
        record.offset,
        *(document.get(attribute, "") for attribute in CSV_COLUMNS[3:10]),
        data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":")),
    ]


async def write_records(batches: AsyncIterable[list[ConsumerRecord]], out: BinaryIO, fmt: str = "jsonl") -> int:
    """Write every record of `batches` to `out` as it arrives; return how many were written."""
    written = 0
    if fmt == "jsonl":
        async for batch in batches:
            out.write(b"".join([jsonl_line(record) for record in batch]))
            written += len(batch)
    elif fmt == "csv":
        text = io.StringIO()  # a batch's rows, written to `out` in one go
        rows = csv.writer(text)
        rows.writerow(CSV_COLUMNS)
        async for batch in batches:
            rows.writerows([csv_row(record) for record in batch])
            out.write(text.getvalue().encode())
            text.seek(0)
            text.truncate()
            written += len(batch)
        out.write(text.getvalue().encode())  # the header, when nothing matched
    else:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    out.flush()
    return written
