"""Where the tests find Kafka and PostgreSQL: real ones, always.

In order: the environment (`KAFKA_BOOTSTRAP_SERVERS` and `PG_DSN_BASE` both set);
else containers, where a Docker engine answers (tests/containers.py: the Compose stack's
servers); else the project's own `deploy/stack.sh`, which starts both on this machine. Each way
brings the same security: TLS and a SCRAM login per principal on Kafka, a role per service on
PostgreSQL. No test skips for want of them: if none of the three works, the tests fail and say why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Stack:
    kafka_bootstrap: str
    pg_dsn_base: str  # postgresql://user:password@host:port, without a database (the administrator's)
    origin: str
    # Each service's own login (both ways create one role per service): service -> (user, password).
    service_logins: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def database_url_for(self, service: str, database: str) -> str:
        """An asyncpg URL to `database` as the service's own role, or as the administrator where there is none."""
        base = make_url(self.pg_dsn_base).set(drivername="postgresql+asyncpg", database=database)
        if service in self.service_logins:
            user, password = self.service_logins[service]
            base = base.set(username=user, password=password)
        return base.render_as_string(hide_password=False)


SERVICES = ("registration", "matching", "pairing", "scheduling", "notifications")


def _service_logins(settings: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """From `<SERVICE>_DATABASE_URL` and `<SERVICE>_DATABASE_PASSWORD_FILE`, as deploy/stack.sh writes them."""
    logins = {}
    for service in SERVICES:
        url, secret = settings.get(f"{service.upper()}_DATABASE_URL"), settings.get(f"{service.upper()}_DATABASE_PASSWORD_FILE")
        if url and secret and (user := make_url(url).username):
            logins[service] = (user, Path(secret).read_text().strip())
    return logins


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0


def _from_containers() -> Stack:
    from tests import containers

    # Secrets of this run only (mode 0700), beside nothing else.
    exported = adopt_kafka_login(containers.start(Path(tempfile.mkdtemp(prefix="together-containers-"))))
    return Stack(exported["KAFKA_BOOTSTRAP_SERVERS"], exported["PG_DSN_BASE"], "testcontainers", _service_logins(exported))


def _from_deploy_scripts() -> Stack:
    result = subprocess.run([str(REPO / "deploy" / "stack.sh"), "start"], capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"deploy/stack.sh start failed:\n{result.stderr[-4000:]}")
    exported = adopt_kafka_login(result.stdout)
    return Stack(exported["KAFKA_BOOTSTRAP_SERVERS"], exported["PG_DSN_BASE"], "deploy/stack.sh", _service_logins(exported))


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
        return Stack(kafka, pg, "environment", _service_logins(os.environ))
    if _docker_answers():
        return _from_containers()
    return _from_deploy_scripts()
