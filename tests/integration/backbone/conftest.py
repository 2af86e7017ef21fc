"""Fixtures of the backbone tests: this run's topics, a fresh database, a producer.

The topic takes records of up to 2 MiB and its dead-letter topic the broker's default
(1 MiB), as when one topic's limit was raised: a large record's copy does not fit."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from tests.backbone import RUN, TOPIC, metadata
from tests.stack import Stack
from together_events import Topic, build_producer, dead_letter_topic
from together_operator.provision import delete_topics, ensure_topics


@pytest.fixture(scope="module")
async def topics(stack: Stack) -> AsyncIterator[str]:
    await ensure_topics(
        stack.kafka_bootstrap,
        [Topic(TOPIC, 3, config={"max.message.bytes": str(2 * 1024 * 1024)}), Topic(dead_letter_topic(TOPIC), 1)],
    )
    yield TOPIC
    await delete_topics(stack.kafka_bootstrap, [TOPIC, dead_letter_topic(TOPIC)])


@pytest.fixture
async def engine(create_database) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(await create_database("backbone"))
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
async def producer(stack: Stack) -> AsyncIterator[AIOKafkaProducer]:
    producer = build_producer(stack.kafka_bootstrap, client_id=f"test-{RUN}")
    await producer.start()
    yield producer
    await producer.stop()
