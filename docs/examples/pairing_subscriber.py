"""An example subscriber to Together's pairing events: Kafka and the published schemas, nothing else.

    python docs/examples/pairing_subscriber.py --bootstrap 127.0.0.1:19092 --group hr-system

It logs in with the credentials it was given (docs/subscribers.md, "Getting credentials"), from the
environment: KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD_FILE (or KAFKA_SASL_PASSWORD), KAFKA_SSL_CA_FILE
(the deployment's CA certificate, if it is not one the system trusts) and KAFKA_SECURITY_PROTOCOL
(SASL_SSL by default; PLAINTEXT for a broker without authentication).

It reads `together.pairing` in its own consumer group, validates each record
against the published JSON Schema of its type, skips types it does not know,
and records each formed pairing in a SQLite table. The event id is stored in
the same transaction as that effect, so a record delivered twice has one
effect; offsets are committed only after the effect. Stop it with Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import ssl
from pathlib import Path
from typing import Any

import jsonschema_rs  # any JSON Schema 2020-12 validator will do
from aiokafka import AIOKafkaConsumer

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


def load_validators(directory: Path) -> dict[str, jsonschema_rs.Validator]:
    """One validator per published event type, e.g. together.pairing.PairingFormed.v1."""
    # Formats (uuid, date-time) are only annotations in JSON Schema 2020-12 unless asked for.
    return {
        path.stem: jsonschema_rs.validator_for(json.loads(path.read_text()), validate_formats=True)
        for path in directory.glob("*.json")
    }


def open_store(path: str) -> sqlite3.Connection:
    store = sqlite3.connect(path)
    store.execute("CREATE TABLE IF NOT EXISTS processed (event_id TEXT PRIMARY KEY)")
    store.execute(
        "CREATE TABLE IF NOT EXISTS pairings (pairing_id TEXT PRIMARY KEY, mentee_id TEXT, mentor_id TEXT, formed_at TEXT)"
    )
    return store


def handle(store: sqlite3.Connection, validators: dict[str, jsonschema_rs.Validator], value: bytes) -> str:
    """Apply one record; say what happened to it."""
    event = json.loads(value)
    validator = validators.get(event.get("type", ""))
    if validator is None:
        return "skipped: a type this subscriber does not know"
    errors = [error.message for error in validator.iter_errors(event)]
    if errors:
        return f"rejected: {errors[0]}"  # a real subscriber would park it for a person to look at
    with store:  # one transaction: the dedup record and the effect commit together
        if store.execute("INSERT OR IGNORE INTO processed VALUES (?)", (event["id"],)).rowcount == 0:
            return "duplicate: already handled"
        if event["type"] == "together.pairing.PairingFormed.v1":
            data = event["data"]
            store.execute(
                "INSERT OR REPLACE INTO pairings VALUES (?, ?, ?, ?)",
                (data["pairing_id"], data["mentee_id"], data["mentor_id"], data["formed_at"]),
            )
    return f"handled: {event['type']} {event['subject']}"


def login() -> dict[str, Any]:
    """aiokafka's arguments for logging in: SCRAM-SHA-512 over TLS, as Together's brokers expect."""
    protocol = os.environ.get("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    if protocol == "PLAINTEXT":
        return {}
    password_file = os.environ.get("KAFKA_SASL_PASSWORD_FILE")
    return {
        "security_protocol": protocol,
        "sasl_mechanism": os.environ.get("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512"),
        "sasl_plain_username": os.environ["KAFKA_SASL_USERNAME"],
        "sasl_plain_password": Path(password_file).read_text().strip() if password_file else os.environ["KAFKA_SASL_PASSWORD"],
        "ssl_context": ssl.create_default_context(cafile=os.environ.get("KAFKA_SSL_CA_FILE")),
    }


async def run(bootstrap: str, group: str, topic: str, store_path: str, stop_after_idle: float | None = None) -> None:
    validators = load_validators(SCHEMAS)
    store = open_store(store_path)
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False, auto_offset_reset="earliest", **login()
    )
    await consumer.start()
    try:
        idle = 0.0
        while stop_after_idle is None or idle < stop_after_idle:
            batches = await consumer.getmany(timeout_ms=500)
            idle = 0.0 if batches else idle + 0.5
            for partition, records in batches.items():
                for record in records:
                    print(handle(store, validators, record.value), flush=True)
                await consumer.commit({partition: records[-1].offset + 1})
    finally:
        await consumer.stop()
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap", default="127.0.0.1:19092")
    parser.add_argument("--group", default="example-subscriber")
    parser.add_argument("--topic", default="together.pairing")
    parser.add_argument("--store", default="pairing_subscriber.sqlite3")
    parser.add_argument("--stop-after-idle", type=float, default=None, help="seconds without records before stopping")
    args = parser.parse_args()
    asyncio.run(run(args.bootstrap, args.group, args.topic, args.store, args.stop_after_idle))


if __name__ == "__main__":
    main()
