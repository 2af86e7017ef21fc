"""The subscriber guide's example consumer works against the real broker with the published schemas,
logged in as the development stack's example subscriber, with only the ACLs a subscriber gets."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
import uuid
from datetime import UTC, datetime

import pytest

from tests.stack import REPO
from together_contracts.pairing import PairingFormed
from together_events import Envelope, Topic, build_producer
from together_operator.access import EXAMPLE_SUBSCRIBER, grant, revoke_namespace, subscriber_acls
from together_operator.provision import delete_topics, ensure_topics

pytestmark = pytest.mark.integration


def pairing_formed() -> Envelope:
    event = PairingFormed(
        pairing_id=uuid.uuid4(), request_id=uuid.uuid4(), mentee_id=uuid.uuid4(), mentor_id=uuid.uuid4(),
        cohort_id=uuid.uuid4(), programme_id=uuid.uuid4(), mentee_person_id="ravi", mentor_person_id="amina",
        formed_at=datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
    )  # fmt: skip
    return Envelope(
        id=str(uuid.uuid4()), source="/together/pairing", type=event.event_type(), subject=event.aggregate_id(),
        time=datetime(2026, 11, 23, 10, 0, tzinfo=UTC), aggregatetype="pairing", sequence=1, correlationid="c",
        data=event.model_dump(mode="json"),
    )  # fmt: skip


async def test_the_example_subscriber_handles_once_skips_unknown_types_and_rejects_invalid_records(stack, tmp_path):
    namespace = f"example{uuid.uuid4().hex[:8]}."
    topic = f"{namespace}together.pairing"
    await ensure_topics(stack.kafka_bootstrap, [Topic(topic, 1)])
    await grant(stack.kafka_bootstrap, subscriber_acls(EXAMPLE_SUBSCRIBER, namespace))
    formed = pairing_formed()
    unknown = formed.model_copy(update={"id": str(uuid.uuid4()), "type": "together.pairing.SomethingNew.v1"})
    invalid = json.loads(formed.to_json_bytes())
    invalid.update(id=str(uuid.uuid4()), data={**invalid["data"], "formed_at": "yesterday"})
    producer = build_producer(stack.kafka_bootstrap, client_id="example-test")
    await producer.start()
    try:
        for value in (formed.to_json_bytes(), formed.to_json_bytes(), unknown.to_json_bytes(), json.dumps(invalid).encode()):
            await producer.send_and_wait(topic, value=value, key=formed.subject.encode())
    finally:
        await producer.stop()
    store = tmp_path / "subscriber.sqlite3"
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(REPO / "docs" / "examples" / "pairing_subscriber.py"), "--bootstrap", stack.kafka_bootstrap,
            "--group", f"{EXAMPLE_SUBSCRIBER}-{uuid.uuid4()}", "--topic", topic, "--store", str(store), "--stop-after-idle", "3",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=subscriber_login(),
        )  # fmt: skip
        out, err = await asyncio.wait_for(process.communicate(), 60)
    finally:
        await delete_topics(stack.kafka_bootstrap, [topic])
        await revoke_namespace(stack.kafka_bootstrap, namespace)
    assert process.returncode == 0, err.decode()
    lines = out.decode().splitlines()
    assert lines[0] == f"handled: together.pairing.PairingFormed.v1 {formed.subject}"
    assert lines[1] == "duplicate: already handled"
    assert lines[2] == "skipped: a type this subscriber does not know"
    assert lines[3].startswith("rejected: ") and "date-time" in lines[3]
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT pairing_id FROM pairings").fetchall() == [(formed.subject,)]


def subscriber_login() -> dict[str, str]:
    """What an operator hands another organisation (docs/subscribers.md): a name, a password file, the CA."""
    credentials = os.environ["KAFKA_CREDENTIALS_DIR"]
    others = {k: v for k, v in os.environ.items() if not k.startswith("KAFKA_")}  # not the admin's login
    return {
        **others,
        "KAFKA_SECURITY_PROTOCOL": os.environ["KAFKA_SECURITY_PROTOCOL"],
        "KAFKA_SASL_USERNAME": EXAMPLE_SUBSCRIBER,
        "KAFKA_SASL_PASSWORD_FILE": f"{credentials}/{EXAMPLE_SUBSCRIBER}.password",
        "KAFKA_SSL_CA_FILE": os.environ["KAFKA_SSL_CA_FILE"],
    }
