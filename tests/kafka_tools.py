"""Small helpers for asserting on what is really on a topic."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer, ConsumerRecord

from together_events import kafka_options


async def _all_partitions(consumer: AIOKafkaConsumer, topic: str) -> list:
    """A group-less consumer subscribed to `topic` is assigned every partition once metadata arrives."""
    deadline = time.monotonic() + 15
    while not consumer.assignment():
        if time.monotonic() > deadline:
            raise AssertionError(f"topic {topic} has no partitions")
        await asyncio.sleep(0.1)
    return sorted(consumer.assignment())


async def read_topic(bootstrap: str, topic: str) -> list[ConsumerRecord]:
    """Every record on `topic` right now, from the beginning, partition by partition."""
    consumer = AIOKafkaConsumer(topic, **kafka_options(bootstrap), enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        partitions = await _all_partitions(consumer, topic)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord] = []
        for tp in partitions:
            while await consumer.position(tp) < end[tp]:
                batch = await consumer.getmany(tp, timeout_ms=1000)
                records.extend(batch.get(tp, []))
        return records
    finally:
        await consumer.stop()


async def wait_until(check: Callable[[], Awaitable[bool]], timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.1)


def header(record: ConsumerRecord, name: str) -> str | None:
    for key, value in record.headers or ():
        if key == name:
            return value.decode()
    return None


async def group_caught_up(bootstrap: str, group: str, topic: str) -> bool:
    """Whether `group` has committed offsets up to the end of every partition of `topic`."""
    probe = AIOKafkaConsumer(topic, **kafka_options(bootstrap), enable_auto_commit=False)
    await probe.start()
    try:
        partitions = await _all_partitions(probe, topic)
        end = await probe.end_offsets(partitions)
    finally:
        await probe.stop()
    reader = AIOKafkaConsumer(**kafka_options(bootstrap), group_id=group, enable_auto_commit=False)
    await reader.start()
    try:
        for tp in partitions:
            if end[tp] and (await reader.committed(tp) or 0) < end[tp]:
                return False
        return True
    finally:
        await reader.stop()


async def start_group_at_end(bootstrap: str, group: str, topic: str) -> None:
    """Commit `group`'s offsets at the current end of `topic`, so its consumer sees only what comes next."""
    probe = AIOKafkaConsumer(topic, **kafka_options(bootstrap), enable_auto_commit=False)
    await probe.start()
    try:
        end = await probe.end_offsets(await _all_partitions(probe, topic))
    finally:
        await probe.stop()
    committer = AIOKafkaConsumer(**kafka_options(bootstrap), group_id=group, enable_auto_commit=False)
    await committer.start()
    try:
        committer.assign(list(end))
        await committer.commit(end)
    finally:
        await committer.stop()
