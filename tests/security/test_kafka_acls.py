"""On the real broker: each principal does what the catalogue grants it and is refused the rest.

The ACLs are those `python -m together_operator.provision` grants, here for a namespace of this run's
own. Each service writes its topic and the dead-letter topics of what it consumes, and reads what it
consumes in its own group; the example subscriber reads the public topics only; the operator reads
everything; nobody logs in with a wrong password or without TLS.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import GroupAuthorizationFailedError, KafkaConnectionError, TopicAuthorizationFailedError

from together_contracts.topics import CONSUMES, PUBLIC, SERVICES, declared_topics
from together_events import KafkaSecurity, build_producer, dead_letter_topic, kafka_options, service_topic
from together_operator.access import EXAMPLE_SUBSCRIBER, OPERATOR, declared_acls, grant, revoke_namespace
from together_operator.provision import delete_topics, ensure_topics

pytestmark = pytest.mark.integration

NS = f"acl{uuid.uuid4().hex[:8]}."
ADMIN = KafkaSecurity.from_environment  # called once the stack fixture has set the environment


def topic(service: str) -> str:
    return service_topic(service, NS)


def login(principal: str) -> KafkaSecurity:
    """The principal's development credentials, made by deploy/kafka.sh at the stack's first start."""
    password = Path(os.environ["KAFKA_CREDENTIALS_DIR"], f"{principal}.password").read_text().strip()
    return ADMIN().as_principal(principal, password)


@pytest.fixture(scope="module")
async def bootstrap(stack) -> AsyncIterator[str]:
    names = [t.name for t in declared_topics(NS)]
    await ensure_topics(stack.kafka_bootstrap, declared_topics(NS))
    await grant(stack.kafka_bootstrap, declared_acls(NS, subscribers=[EXAMPLE_SUBSCRIBER]))
    producer = build_producer(stack.kafka_bootstrap, client_id="acl-test")  # the admin: one record on each topic
    await producer.start()
    try:
        for name in names:
            await producer.send_and_wait(name, value=b"{}", key=b"k")
    finally:
        await producer.stop()
    try:
        yield stack.kafka_bootstrap
    finally:
        await delete_topics(stack.kafka_bootstrap, names)
        await revoke_namespace(stack.kafka_bootstrap, NS)


async def produce(bootstrap: str, security: KafkaSecurity, to: str) -> None:
    producer = AIOKafkaProducer(**kafka_options(bootstrap, security), request_timeout_ms=10000)
    try:
        await producer.start()
        await producer.send_and_wait(to, value=b"{}", key=b"k")
    finally:
        await producer.stop()


async def read(bootstrap: str, security: KafkaSecurity, source: str, group: str | None) -> int:
    """Records read from `source` from its beginning, in `group` (None: without a group, as the operator tools)."""
    consumer = AIOKafkaConsumer(
        source, **kafka_options(bootstrap, security), group_id=group, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    try:
        await consumer.start()
        for _ in range(40):
            batches = await consumer.getmany(timeout_ms=500)
            if batches:
                return sum(len(records) for records in batches.values())
        return 0
    finally:
        await consumer.stop()


def test_the_development_stack_has_a_principal_for_each_service():
    for principal in (*SERVICES, OPERATOR, EXAMPLE_SUBSCRIBER):
        assert Path(os.environ["KAFKA_CREDENTIALS_DIR"], f"{principal}.password").is_file(), principal


@pytest.mark.parametrize("service", SERVICES)
async def test_a_service_writes_its_topic_and_the_dead_letters_of_what_it_consumes_and_nothing_else(bootstrap, service):
    me = login(service)
    await produce(bootstrap, me, topic(service))
    for source in CONSUMES[service]:
        await produce(bootstrap, me, dead_letter_topic(topic(source)))
    for other in SERVICES:
        if other != service:
            with pytest.raises(TopicAuthorizationFailedError):
                await produce(bootstrap, me, topic(other))
        if other not in CONSUMES[service]:
            with pytest.raises(TopicAuthorizationFailedError):
                await produce(bootstrap, me, dead_letter_topic(topic(other)))


@pytest.mark.parametrize("service", [s for s in SERVICES if CONSUMES[s]])
async def test_a_service_reads_what_it_consumes_in_its_own_group_only(bootstrap, service):
    me, own_group = login(service), f"{NS}{service}"
    for source in CONSUMES[service]:
        assert await read(bootstrap, me, topic(source), own_group) >= 1
    someone_else = next(s for s in SERVICES if s != service)
    with pytest.raises(GroupAuthorizationFailedError):
        await read(bootstrap, me, topic(CONSUMES[service][0]), f"{NS}{someone_else}")
    for other in SERVICES:
        if other not in CONSUMES[service]:
            with pytest.raises(TopicAuthorizationFailedError):
                await read(bootstrap, me, topic(other), own_group)


async def test_a_subscriber_reads_the_public_topics_and_nothing_else(bootstrap):
    subscriber = login(EXAMPLE_SUBSCRIBER)
    assert PUBLIC and set(PUBLIC) < set(SERVICES)
    for service in SERVICES:
        if service in PUBLIC:
            assert await read(bootstrap, subscriber, topic(service), f"{EXAMPLE_SUBSCRIBER}-hr-system") >= 1
        else:
            with pytest.raises(TopicAuthorizationFailedError):
                await read(bootstrap, subscriber, topic(service), f"{EXAMPLE_SUBSCRIBER}-hr-system")
        with pytest.raises(TopicAuthorizationFailedError):  # dead letters are for operators only
            await read(bootstrap, subscriber, dead_letter_topic(topic(service)), f"{EXAMPLE_SUBSCRIBER}-hr-system")
    with pytest.raises(GroupAuthorizationFailedError):  # its groups are named after it
        await read(bootstrap, subscriber, topic(PUBLIC[0]), f"{NS}pairing")
    with pytest.raises(TopicAuthorizationFailedError):
        await produce(bootstrap, subscriber, topic(PUBLIC[0]))


async def test_the_operator_reads_every_topic_and_writes_none(bootstrap):
    operator = login(OPERATOR)
    for service in SERVICES:
        assert await read(bootstrap, operator, dead_letter_topic(topic(service)), None) >= 1
        assert await read(bootstrap, operator, topic(service), None) >= 1
    with pytest.raises(TopicAuthorizationFailedError):
        await produce(bootstrap, operator, topic("pairing"))


async def test_a_wrong_password_and_a_plaintext_connection_are_refused(bootstrap, caplog):
    caplog.set_level(logging.ERROR, logger="aiokafka")
    with pytest.raises(KafkaConnectionError):
        await produce(bootstrap, login("pairing").as_principal("pairing", "not-the-password"), topic("pairing"))
    assert "invalid credentials" in caplog.text
    with pytest.raises(KafkaConnectionError):  # no TLS, no login: the listener does not answer it
        await produce(bootstrap, KafkaSecurity(), topic("pairing"))
    with pytest.raises(KafkaConnectionError):  # TLS without a login neither
        await produce(bootstrap, KafkaSecurity(protocol="SSL", ca_file=ADMIN().ca_file), topic("pairing"))
