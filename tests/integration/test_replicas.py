"""Two replicas of one service (the launcher's copies, real processes) share its consumer group's
partitions, and each event is handled once between them."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment

from tests.apps import AUDIENCE, ISSUER, Signer
from tests.kafka_tools import wait_until
from tests.stack import Stack
from together_contracts.registration import ProgrammeCreated, ProgrammeKind
from together_contracts.topics import declared_topics
from together_devtools import launcher
from together_events import Envelope, kafka_options
from together_events.topics import Topic, service_topic
from together_operator.access import declared_acls, grant, revoke_namespace
from together_operator.provision import add_partitions, delete_topics, ensure_topics, partitions_short

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
RUN = uuid.uuid4().hex[:8]
NAMESPACE = f"replicas{RUN}."
TOPIC = service_topic("registration", NAMESPACE)  # what matching consumes, among others
REPLICAS = launcher.replicas(launcher.ServiceSpec("matching", 18502), 2, port_step=10)
STATE = REPO / ".run" / f"replicas-{RUN}"
EVENTS = 60


def programme_created(i: int) -> Envelope:
    """As registration's relay publishes it: keyed by the programme, so the events spread over the partitions."""
    event = ProgrammeCreated(
        programme_id=uuid.uuid4(), name=f"Programme {i}", kind=ProgrammeKind.mentoring, suggestions_per_mentee=5
    )
    return Envelope(
        id=str(uuid.uuid4()),
        source="/together/registration",
        type=event.event_type(),
        subject=event.aggregate_id(),
        time=datetime.now(UTC),
        aggregatetype=event.aggregate,
        sequence=1,
        correlationid=str(uuid.uuid4()),
        data=event.model_dump(mode="json"),
    )


async def partitions_by_member(bootstrap: str, group: str) -> dict[str, list[int]]:
    """The partitions of the topic each member of the stable group holds (nothing while it rebalances)."""
    admin = AIOKafkaAdminClient(**kafka_options(bootstrap))
    await admin.start()
    try:
        (response,) = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    _, _, state, _, _, members, *_ = response.groups[0]
    if state != "Stable":
        return {}
    held = {}
    for member_id, _, _, _, raw in members:
        assignment = ConsumerProtocolMemberAssignment.decode(raw).assignment if raw else []
        held[member_id] = sorted(p for topic, partitions in assignment if topic == TOPIC for p in partitions)
    return held


@pytest.fixture(scope="module")
async def matching_twice(stack: Stack, create_database, signer: Signer) -> AsyncIterator[str]:
    """Two copies of matching on one database and one consumer group; yields the database's URL for asyncpg."""
    await ensure_topics(stack.kafka_bootstrap, declared_topics(NAMESPACE))
    await grant(stack.kafka_bootstrap, declared_acls(NAMESPACE))
    url = await create_database("replicas_matching", owner="matching")
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": stack.kafka_bootstrap, "TOGETHER_TOPIC_NAMESPACE": NAMESPACE, "MATCHING_DATABASE_URL": url,
        "TOGETHER_AUTH_PUBLIC_KEY_FILE": str(signer.public_key_file), "TOGETHER_AUTH_ISSUER": ISSUER,
        "TOGETHER_AUTH_AUDIENCE": AUDIENCE, "TOGETHER_CLOCK_MODE": "system",
    }  # fmt: skip
    try:
        await asyncio.to_thread(launcher.start, REPLICAS, state=STATE, extra_env=env)  # both migrate at once
        yield url
    except Exception:
        for log in sorted((STATE / "logs").glob("*.log")):
            print(f"--- {log.name}\n" + "\n".join(log.read_text().splitlines()[-30:]))
        raise
    finally:
        await asyncio.to_thread(launcher.stop, REPLICAS, state=STATE)
        await delete_topics(stack.kafka_bootstrap, [t.name for t in declared_topics(NAMESPACE)])
        await revoke_namespace(stack.kafka_bootstrap, NAMESPACE)


async def test_two_replicas_share_the_partitions_and_handle_each_event_once(stack: Stack, matching_twice: str, signer: Signer):
    bootstrap, group = stack.kafka_bootstrap, f"{NAMESPACE}matching"
    held: dict[str, list[int]] = {}

    async def both_hold_partitions() -> bool:
        held.update(await partitions_by_member(bootstrap, group))
        return len(held) == 2 and all(held.values())

    await wait_until(both_hold_partitions, timeout=60, what="both replicas holding partitions of one group")
    first, second = held.values()
    assert sorted(first + second) == [0, 1, 2]  # the topic's three partitions, each held by one replica

    envelopes = [programme_created(i) for i in range(EVENTS)]
    producer = AIOKafkaProducer(**kafka_options(bootstrap), enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for envelope in envelopes:
            await producer.send(
                TOPIC, value=envelope.to_json_bytes(), key=envelope.subject.encode(), headers=envelope.kafka_headers()
            )
        await producer.flush()
    finally:
        await producer.stop()

    db = await asyncpg.connect(matching_twice.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:

        async def all_handled() -> bool:
            return bool(await db.fetchval("SELECT count(*) FROM inbox") >= EVENTS)

        await wait_until(all_handled, timeout=60, what=f"matching's replicas handling {EVENTS} events")
        await asyncio.sleep(1)  # an event handled twice would show by now
        inbox = [row["event_id"] for row in await db.fetch("SELECT event_id FROM inbox WHERE consumer = 'matching'")]
        programmes = await db.fetchval("SELECT count(*) FROM programmes")
    finally:
        await db.close()
    assert sorted(inbox) == sorted(e.id for e in envelopes)
    assert programmes == EVENTS

    # Each replica handled its partitions' share, and neither saw the other's events (no duplicate skipped).
    token = signer.token("operator", "service")
    handled = []
    async with httpx.AsyncClient(timeout=10, headers={"Authorization": f"Bearer {token}"}) as http:
        for spec in REPLICAS:
            figures = (await http.get(f"{spec.url()}/readyz")).json()["figures"]["consumer"]
            handled.append(figures["handled"])
            assert figures["duplicates"] == 0
    assert sum(handled) == EVENTS
    assert all(n > 0 for n in handled)


async def test_provisioning_adds_the_partitions_a_topic_lacks(stack: Stack):
    """More replicas need more partitions: a topic created with fewer than declared is raised to the count."""
    name = f"replicas{RUN}.raised"
    await ensure_topics(stack.kafka_bootstrap, [Topic(name, 1)])
    try:
        declared = [Topic(name, 3)]
        assert await partitions_short(stack.kafka_bootstrap, declared) == {name: (1, 3)}
        await add_partitions(stack.kafka_bootstrap, await partitions_short(stack.kafka_bootstrap, declared))

        async def raised() -> bool:
            return await partitions_short(stack.kafka_bootstrap, declared) == {}

        await wait_until(raised, timeout=30, what="the topic's three partitions")
    finally:
        await delete_topics(stack.kafka_bootstrap, [name])
