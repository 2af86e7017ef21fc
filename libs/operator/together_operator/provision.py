"""Create the declared topics that do not exist yet, then grant the broker's ACLs (idempotent).

Run: python -m together_operator.provision [--bootstrap HOST:PORT] [--subscriber NAME ...] [--add-partitions]

A topic that exists with fewer partitions than declared is named; `--add-partitions` adds the missing
ones (Kafka can add partitions, never remove them). Do it while the consumers have caught up: a key
may then map to a new partition, and an aggregate's newest events could be handled before older ones
still waiting on its former partition.

It logs in as the environment says (KAFKA_SASL_USERNAME etc., together_events.connection): an admin.
The ACLs are those of together_operator.access, for the namespace TOGETHER_TOPIC_NAMESPACE names, plus
read access to the public topics for each `--subscriber`. A broker without an authorizer gets none.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Iterable

from aiokafka import errors
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic

from together_contracts.topics import declared_topics
from together_events import kafka_options
from together_events.topics import Topic
from together_operator.access import NoAuthorizer, declared_acls, grant


async def ensure_topics(bootstrap_servers: str, topics: Iterable[Topic] | None = None, timeout: float = 30.0) -> list[str]:
    """Create missing topics (by default, the declared ones), then wait until clients can see them
    all (creation is asynchronous in the broker); return the names this call created. Safe beside
    a concurrent provisioner: a topic it created first counts as existing."""
    topics = list(declared_topics() if topics is None else topics)
    admin = AIOKafkaAdminClient(**kafka_options(bootstrap_servers))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t.name not in existing]
        created: list[str] = []
        if missing:
            response = await admin.create_topics(
                [
                    NewTopic(name=t.name, num_partitions=t.partitions, replication_factor=1, topic_configs=t.config)
                    for t in missing
                ]
            )
            # The broker answers per topic and aiokafka raises nothing: each error code is ours to read.
            for name, code, *_ in response.topic_errors:
                if code == 0:
                    created.append(name)
                elif errors.for_code(code) is not errors.TopicAlreadyExistsError:
                    raise errors.for_code(code)(f"creating topic {name}")
        wanted, loop = {t.name for t in topics}, asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while unlisted := wanted - set(await admin.list_topics()):
            if loop.time() > deadline:
                raise RuntimeError(f"topics not listed after {timeout}s: {sorted(unlisted)}")
            await asyncio.sleep(0.2)
        return created
    finally:
        await admin.close()


async def partitions_short(bootstrap_servers: str, topics: Iterable[Topic] | None = None) -> dict[str, tuple[int, int]]:
    """Existing topics with fewer partitions than declared: name -> (partitions now, declared)."""
    topics = list(declared_topics() if topics is None else topics)
    admin = AIOKafkaAdminClient(**kafka_options(bootstrap_servers))
    await admin.start()
    try:
        described = await admin.describe_topics([t.name for t in topics])
    finally:
        await admin.close()
    now = {d["topic"]: len(d["partitions"]) for d in described if d["error_code"] == 0}
    return {t.name: (now[t.name], t.partitions) for t in topics if t.name in now and now[t.name] < t.partitions}


async def add_partitions(bootstrap_servers: str, short: dict[str, tuple[int, int]]) -> None:
    """Raise each topic to its declared partition count (see the module's note on keys and order)."""
    if not short:
        return
    admin = AIOKafkaAdminClient(**kafka_options(bootstrap_servers))
    await admin.start()
    try:
        response = await admin.create_partitions({name: NewPartitions(declared) for name, (_, declared) in short.items()})
    finally:
        await admin.close()
    for name, code, *_ in response.topic_errors:
        if code != 0:
            raise errors.for_code(code)(f"adding partitions to {name}")


async def delete_topics(bootstrap_servers: str, names: list[str]) -> None:
    """Remove topics, e.g. a test's or a benchmark's own namespace when it ends."""
    admin = AIOKafkaAdminClient(**kafka_options(bootstrap_servers))
    await admin.start()
    try:
        await admin.delete_topics(names)
    finally:
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--bootstrap",
        default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092"),
    )
    parser.add_argument(
        "--subscriber",
        action="append",
        default=[],
        metavar="NAME",
        help="a principal of another organisation's system: may read the public topics, in groups named NAME...",
    )
    parser.add_argument(
        "--add-partitions",
        action="store_true",
        help="add partitions to existing topics that have fewer than declared (once the consumers have caught up)",
    )
    args = parser.parse_args()
    created = asyncio.run(ensure_topics(args.bootstrap))
    print(f"topics created: {', '.join(created) if created else 'none (all exist)'}")
    short = asyncio.run(partitions_short(args.bootstrap))
    listed = ", ".join(f"{name} {now} -> {declared}" for name, (now, declared) in short.items())
    if short and args.add_partitions:
        asyncio.run(add_partitions(args.bootstrap, short))
        print(f"partitions added: {listed}")
    elif short:
        print(f"fewer partitions than declared: {listed}; --add-partitions adds them")
    acls = declared_acls(subscribers=args.subscriber)
    try:
        asyncio.run(grant(args.bootstrap, acls))
    except NoAuthorizer as refused:
        print(f"ACLs: none granted ({refused})")
        return
    print(f"ACLs granted: {len(acls)} (services, operator{''.join(f', {name}' for name in args.subscriber)})")


if __name__ == "__main__":
    main()
