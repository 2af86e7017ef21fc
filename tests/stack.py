"""Where the tests find Kafka and PostgreSQL: real ones, always.

In order: the environment (`KAFKA_BOOTSTRAP_SERVERS` and `PG_DSN_BASE` both set);
else containers, where a Docker engine answers; else the project's own
`deploy/stack.sh`, which starts both on this machine. No test skips for want
of them: if none of the three works, the tests fail and say why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Stack:
    kafka_bootstrap: str
    pg_dsn_base: str  # postgresql://user:password@host:port, without a database
    origin: str


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0


def _from_containers() -> Stack:
    from testcontainers.community.kafka import KafkaContainer
    from testcontainers.community.postgres import PostgresContainer

    postgres = PostgresContainer("postgres:15", username="together", password="together", dbname="postgres", driver=None).start()
    # testcontainers' Kafka module waits on the Confluent image's start-up line; 7.9 is Kafka 3.9 in KRaft mode.
    kafka = KafkaContainer("confluentinc/cp-kafka:7.9.0").with_kraft().start()
    host, port = postgres.get_container_host_ip(), postgres.get_exposed_port(5432)
    return Stack(kafka.get_bootstrap_server(), f"postgresql://together:together@{host}:{port}", "testcontainers")


def _from_deploy_scripts() -> Stack:
    result = subprocess.run([str(REPO / "deploy" / "stack.sh"), "start"], capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"deploy/stack.sh start failed:\n{result.stderr[-4000:]}")
    exported = adopt_kafka_login(result.stdout)
    return Stack(exported["KAFKA_BOOTSTRAP_SERVERS"], exported["PG_DSN_BASE"], "deploy/stack.sh")


def adopt_kafka_login(stack_output: str) -> dict[str, str]:
    """The `export` lines of `deploy/stack.sh start`; how to log in to its broker (the admin, and
    KAFKA_CREDENTIALS_DIR for the other principals) goes into this process's environment, where every
    client of the tests, and every process they start, reads it, as any tool does."""
    exported = dict(
        line.removeprefix("export ").split("=", 1) for line in stack_output.splitlines() if line.startswith("export ")
    )
    os.environ.update({k: v for k, v in exported.items() if k.startswith("KAFKA_") and k != "KAFKA_BOOTSTRAP_SERVERS"})
    return exported


def find_stack() -> Stack:
    kafka, pg = os.environ.get("KAFKA_BOOTSTRAP_SERVERS"), os.environ.get("PG_DSN_BASE")
    if kafka and pg:
        return Stack(kafka, pg, "environment")
    if _docker_answers():
        return _from_containers()
    return _from_deploy_scripts()
