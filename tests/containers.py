"""Kafka and PostgreSQL in containers (testcontainers), for machines where a Docker engine answers.

They are the Compose stack's two servers, secured as the local stack is: docker-compose.yml's images,
environment and secrets (tests/security/test_compose_file.py checks that the copies below match
it), deploy/docker's start scripts, and secrets made by deploy/docker/secrets.sh. So the tests meet
what they meet on deploy/stack.sh: a SASL_SSL broker with a SCRAM login per principal and ACLs, and
one PostgreSQL role per service that owns its database and nothing more. Its `env.sh` says how to
reach them, in the same words as deploy/stack.sh's.

It needs the Docker engine of this machine: the broker advertises 127.0.0.1, the name its
certificate carries (deploy/docker/secrets.sh), with the host port it is published on. Files go into
the containers by copy, so their owners and modes inside are known. The project's own machines have
no Docker engine: this path has not been run there.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
from pathlib import Path

from tests.stack import REPO, SERVICES

POSTGRES_IMAGE = "postgres:15.15-bookworm"
KAFKA_IMAGE = "apache/kafka:4.1.1"

POSTGRES_ENVIRONMENT = {
    "POSTGRES_USER": "together",
    "POSTGRES_PASSWORD_FILE": "/run/secrets/postgres_together_password",
    "POSTGRES_DB": "postgres",
}
KAFKA_CLUSTER_ID = "AoHdJmuLTOGwvqFiDBKgdA"
BROKER_LISTENERS = "CLIENT://0.0.0.0:9092,HOST://0.0.0.0:19092,CONTROLLER://127.0.0.1:9093"
KAFKA_PRINCIPALS = ("broker", "admin", *SERVICES, "operator", "subscriber")


def broker_advertised_listeners(host: str, port: int) -> str:
    return f"CLIENT://kafka:9092,HOST://{host}:{port},CONTROLLER://127.0.0.1:9093"


def secrets() -> dict[str, str]:
    """Each Compose secret, by name (the file's name in /run/secrets), and where deploy/docker/secrets.sh
    writes it, relative to its folder."""
    files = {"kafka_ca": "kafka/tls/ca.pem", "kafka_broker_keystore": "kafka/tls/broker.pem"}
    files |= {f"kafka_{name}_password": f"kafka/credentials/{name}.password" for name in KAFKA_PRINCIPALS}
    files |= {f"postgres_{role}_password": f"secrets/postgres/{role}.password" for role in ("together", *SERVICES)}
    return files


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(directory: Path) -> str:
    """Start both servers with secrets made in `directory`; the `export` lines of its env.sh."""
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.wait_strategies import LogMessageWaitStrategy

    pg_port, kafka_port = _free_port(), _free_port()
    made = subprocess.run(
        [str(REPO / "deploy" / "docker" / "secrets.sh")],
        env={**os.environ, "TOGETHER_COMPOSE_DIR": str(directory), "PG_PORT": str(pg_port), "KAFKA_PORT": str(kafka_port)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if made.returncode != 0:
        raise RuntimeError(f"deploy/docker/secrets.sh failed:\n{made.stderr}")

    def with_secrets(container: DockerContainer, prefix: str) -> DockerContainer:
        for name, path in secrets().items():
            if name.startswith(prefix):
                container.with_copy_into_container(directory / path, f"/run/secrets/{name}")
        return container

    postgres = with_secrets(DockerContainer(POSTGRES_IMAGE, env=dict(POSTGRES_ENVIRONMENT)), "postgres_")
    postgres.with_copy_into_container(
        REPO / "deploy/docker/postgres-init.sh", "/docker-entrypoint-initdb.d/10-together.sh", 0o755
    )
    for sql in sorted((REPO / "deploy/postgres").glob("*.sql")):
        postgres.with_copy_into_container(sql, f"/opt/together/postgres/{sql.name}")
    # The image runs the init scripts on a first server and then starts the real one: ready is the
    # second "ready to accept connections" in the server's log (stderr).
    ready = re.compile(r"ready to accept connections.*ready to accept connections", re.DOTALL)
    postgres.with_bind_ports(5432, pg_port).waiting_for(LogMessageWaitStrategy(ready))
    postgres.start()

    kafka = with_secrets(
        DockerContainer(KAFKA_IMAGE, hostname="kafka", entrypoint=["bash", "/opt/together/docker/kafka-broker.sh"]), "kafka_"
    )
    kafka.with_envs(
        CLUSTER_ID=KAFKA_CLUSTER_ID,
        BROKER_LISTENERS=BROKER_LISTENERS,
        BROKER_ADVERTISED_LISTENERS=broker_advertised_listeners("127.0.0.1", kafka_port),
    )
    kafka.with_copy_into_container(REPO / "deploy/lib/kafka-broker.sh", "/opt/together/lib/kafka-broker.sh")
    kafka.with_copy_into_container(REPO / "deploy/docker/kafka-broker.sh", "/opt/together/docker/kafka-broker.sh", 0o755)
    kafka.with_bind_ports(19092, kafka_port).waiting_for(LogMessageWaitStrategy("Kafka Server started"))
    kafka.start()
    return (directory / "env.sh").read_text()
