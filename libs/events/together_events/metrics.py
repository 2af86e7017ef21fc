"""The backbone's own metrics, read when Prometheus scrapes: a consumer's figures, the outbox's
backlog and the parked records. Each reading is (metric name, labels, value); the names, their
kind and their meaning are in BACKBONE_METRICS. The service's /metrics (together_servicekit.metrics)
renders them with its own.
"""

from __future__ import annotations

import time
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from together_events.consumer import EventConsumer
from together_events.tables import outbox_table, parked_records_table

Kind = Literal["gauge", "counter"]
Reading = tuple[str, dict[str, str], float]

BACKBONE_METRICS: dict[str, tuple[Kind, str]] = {
    "together_consumer_lag": (
        "gauge",
        "Records on the partition not yet handled by this service's consumer (up to the end offset of its last fetch).",
    ),
    "together_consumer_seconds_since_progress": (
        "gauge",
        "Seconds since the consumer last handled a record of the partition (idle or stalled: read it with the lag).",
    ),
    "together_consumer_handled_total": ("counter", "Events handled by the consumer, by topic and event type."),
    "together_consumer_duplicates_total": ("counter", "Redelivered events the inbox absorbed."),
    "together_dead_letters_total": (
        "counter",
        "Records the consumer set aside (to <topic>.dlq, or parked), by source topic and reason: malformed, "
        "handler_failed, retries_exhausted, unknown_type.",
    ),
    "together_parked_records": ("gauge", "Records parked in the service's database (the dead-letter topic refused them)."),
    "together_outbox_unpublished": ("gauge", "Outbox rows the relay has not yet published."),
    "together_outbox_oldest_unpublished_seconds": ("gauge", "Age of the oldest unpublished outbox row (0 when none)."),
}


def _topic_and_partition(name: str) -> tuple[str, str]:
    """The consumer names a partition "topic[3]"."""
    topic, _, partition = name.rpartition("[")
    return topic, partition.rstrip("]")


def consumer_readings(consumer: EventConsumer) -> list[Reading]:
    consumer.note_end_offsets()
    status, now = consumer.status, time.monotonic()
    readings: list[Reading] = []
    for name, progress in status.partitions.items():
        topic, partition = _topic_and_partition(name)
        labels = {"topic": topic, "partition": partition}
        readings.append(("together_consumer_lag", labels, progress.lag))
        readings.append(("together_consumer_seconds_since_progress", labels, now - progress.last_progress))
    for (topic, event_type), count in status.handled.items():
        readings.append(("together_consumer_handled_total", {"topic": topic, "event_type": event_type}, count))
    readings.append(("together_consumer_duplicates_total", {}, status.duplicates))
    for (topic, why), count in status.set_aside.items():
        readings.append(("together_dead_letters_total", {"topic": topic, "reason": why}, count))
    return readings


async def storage_readings(engine: AsyncEngine) -> list[Reading]:
    """The outbox's backlog and the parked records, from the service's own tables (the database's clock: the
    rows' timestamps are its own)."""
    unpublished = outbox_table.c.published_at.is_(None)
    oldest_age = sa.func.coalesce(sa.func.extract("epoch", sa.func.now() - sa.func.min(outbox_table.c.created_at)), 0)
    async with engine.connect() as conn:
        count, age = (await conn.execute(sa.select(sa.func.count(), oldest_age).where(unpublished))).one()
        parked = await conn.execute(
            sa.select(parked_records_table.c.topic, sa.func.count()).group_by(parked_records_table.c.topic)
        )
        readings: list[Reading] = [
            ("together_outbox_unpublished", {}, count),
            ("together_outbox_oldest_unpublished_seconds", {}, float(age)),
        ]
        readings += [("together_parked_records", {"topic": topic}, n) for topic, n in parked.all()]
    return readings
