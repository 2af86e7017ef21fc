"""Setting a record aside, in a way that cannot itself stop the consumer.

A record a consumer cannot use goes to `<topic>.dlq` with the reason in its headers.
When that copy cannot be written as it is (too large for the broker, topic missing,
broker refusing), a reduced copy is written instead: the original's headers that fit,
the reason, its size, its SHA-256 and its first bytes. When even that fails, the whole
record is parked in the service's own database (`parked_records`). Only when the
broker and the database both refuse does it wait and try again: then nothing else
could make progress either.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

import structlog
from aiokafka import ConsumerRecord
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from together_events.failures import RetryPolicy
from together_events.tables import parked_records_table
from together_events.topics import dead_letter_topic

log = structlog.get_logger(__name__)

REDUCED_VALUE_BYTES = 1024
REDUCED_HEADER_BYTES = 16 * 1024
REASON_BYTES = 2000


class DeadLetterSink(Protocol):
    """Where dead-letter copies are sent: the service's producer, or a rebuild's collector."""

    async def send_and_wait(
        self, topic: str, value: bytes | None = None, key: bytes | None = None, headers: Sequence[tuple[str, bytes]] = ()
    ) -> object: ...


class DeadLetters:
    def __init__(
        self,
        *,
        consumer: str,
        producer: DeadLetterSink,
        engine: AsyncEngine,
        now: Callable[[], datetime],
        policy: RetryPolicy = RetryPolicy(),
    ) -> None:
        self._consumer = consumer
        self._producer = producer
        self._engine = engine
        self._now = now
        self._policy = policy

    async def put(self, record: ConsumerRecord, reason: str) -> str:
        """Set `record` aside with `reason`; return where it went: "dlq", "dlq_reduced" or "parked"."""
        attempt = 0
        while True:
            attempt += 1
            failures = []
            for where, write in (("dlq", self._copy), ("dlq_reduced", self._reduced_copy), ("parked", self._park)):
                try:
                    await write(record, reason)
                except Exception as exc:
                    failures.append(f"{where}: {exc!r}")
                    continue
                if failures:
                    log.warning("dead_letter.fallback", consumer=self._consumer, used=where, failures=failures)
                return where
            delay = self._policy.delay(attempt)
            log.error("dead_letter.nowhere_to_write", consumer=self._consumer, failures=failures, retry_in=delay)
            await asyncio.sleep(delay)

    def _headers(self, record: ConsumerRecord, reason: str) -> list[tuple[str, bytes]]:
        return [
            ("dlq_reason", reason.encode()[:REASON_BYTES]),
            ("dlq_source_topic", record.topic.encode()),
            ("dlq_source_partition", str(record.partition).encode()),
            ("dlq_source_offset", str(record.offset).encode()),
            ("dlq_consumer", self._consumer.encode()),
            ("dlq_failed_at", self._now().isoformat().encode()),
        ]

    async def _send(self, record: ConsumerRecord, value: bytes | None, headers: list[tuple[str, bytes]]) -> None:
        await asyncio.wait_for(
            self._producer.send_and_wait(dead_letter_topic(record.topic), value=value, key=record.key, headers=headers),
            self._policy.attempt_timeout,
        )

    async def _copy(self, record: ConsumerRecord, reason: str) -> None:
        await self._send(record, record.value, list(record.headers or ()) + self._headers(record, reason))

    async def _reduced_copy(self, record: ConsumerRecord, reason: str) -> None:
        value = record.value or b""
        kept, budget = [], REDUCED_HEADER_BYTES
        for name, header in record.headers or ():
            budget -= len(name) + len(header or b"")
            if budget < 0:
                break
            kept.append((name, header))
        headers = kept + self._headers(record, reason)
        headers += [
            ("dlq_reduced", b"true"),
            ("dlq_original_size", str(len(value)).encode()),
            ("dlq_original_sha256", hashlib.sha256(value).hexdigest().encode()),
            ("dlq_original_headers", str(len(record.headers or ())).encode()),
        ]
        await self._send(record, value[:REDUCED_VALUE_BYTES] if record.value is not None else None, headers)

    async def _park(self, record: ConsumerRecord, reason: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(parked_records_table)
                .values(
                    consumer=self._consumer,
                    topic=record.topic,
                    partition=record.partition,
                    offset=record.offset,
                    key=record.key,
                    value=record.value,
                    headers=[[name, base64.b64encode(header or b"").decode()] for name, header in record.headers or ()],
                    reason=reason[:REASON_BYTES],
                    parked_at=self._now(),
                )
                .on_conflict_do_nothing()  # the same record parked again after a crash before the offset commit
            )
