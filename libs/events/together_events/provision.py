"""Create the declared topics that do not exist yet (idempotent).

Run: python -m together_events.provision [--bootstrap HOST:PORT]
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from together_events.topics import Topic, declared_topics

TOPIC_EXISTS = 36  # Kafka's TOPIC_ALREADY_EXISTS: another provisioner won the race


async def _wait_until_listed(admin: AIOKafkaAdminClient, names: set[str], timeout: float = 30.0) -> None:
    """Creation is asynchronous in the broker: return once clients can see the topics."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not names <= set(await admin.list_topics()):
        if loop.time() > deadline:
            raise RuntimeError(f"topics not visible after {timeout}s: {sorted(names)}")
        await asyncio.sleep(0.2)


async def ensure_topics(bootstrap_servers: str, topics: Iterable[Topic] | None = None) -> list[str]:
    """Create missing topics (by default, the declared ones); return the names created."""
    topics = declared_topics() if topics is None else topics
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t.name not in existing]
        if missing:
            await admin.create_topics(
                [
                    NewTopic(
                        name=t.name,
                        num_partitions=t.partitions,
                        replication_factor=1,
                        topic_configs=t.config,
                    )
                    for t in missing
                ]
            )
        return [t.name for t in missing]
    finally:
        await admin.close()


async def delete_topics(bootstrap_servers: str, names: list[str]) -> None:
    """Remove topics, e.g. a test's or a benchmark's own namespace when it ends."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
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
    args = parser.parse_args()
    created = asyncio.run(ensure_topics(args.bootstrap))
    print(f"topics created: {', '.join(created) if created else 'none (all exist)'}")


if __name__ == "__main__":
    main()
