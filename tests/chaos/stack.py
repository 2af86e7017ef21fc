"""The suite's own stack: Kafka, PostgreSQL, the mail sink and two instances of each service.

Everything lives under `.run/chaos/` on ports nobody else uses, so the suite may kill and freeze
its broker and database while others work on the usual ones. Only pids read from this stack's
own pid files are ever signalled.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from tests.apps import AUDIENCE, ISSUER, Signer
from tests.chaos.history import PARTITIONS
from tests.stack import adopt_kafka_login
from together_contracts.topics import declared_topics
from together_devtools import launcher
from together_devtools.launcher import ServiceSpec
from together_events import kafka_options
from together_events.topics import service_topic
from together_operator.access import declared_acls, grant
from together_operator.provision import ensure_topics
from together_operator.rebuild import spec_for

REPO = Path(__file__).resolve().parents[2]
STATE = REPO / ".run" / "chaos"
KAFKA_PORT, KAFKA_CONTROLLER_PORT, PG_PORT = 29092, 29093, 25432
BOOTSTRAP = f"127.0.0.1:{KAFKA_PORT}"
PG = f"postgresql://together:together@127.0.0.1:{PG_PORT}"
SERVICES = ("registration", "matching", "pairing", "scheduling", "notifications")
CONSUMERS = ("registration", "matching", "pairing", "scheduling", "notifications")  # registration: its outcomes report
FIRST = tuple(ServiceSpec(name, 8101 + i) for i, name in enumerate(SERVICES))
SECOND = tuple(ServiceSpec(name, 8201 + i, instance="b") for i, name in enumerate(SERVICES))
MAILSINK = ServiceSpec("mailsink", 8125, module="notifications.mailsink")
INSTANCES = FIRST + SECOND
PORTS = (KAFKA_PORT, KAFKA_CONTROLLER_PORT, PG_PORT, MAILSINK.port, *(spec.port for spec in INSTANCES))
# Variables that would point a process at another stack: the caller may have sourced .run/env.sh.
FOREIGN = ("KAFKA_", "PG_", "TOGETHER_", "MAILSINK_", *(f"{s.upper()}_" for s in SERVICES))


def infra_env() -> dict[str, str]:
    """For deploy/*.sh: this stack's state folder and ports; the broker's jars are shared with the usual stack's."""
    own = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN)}
    return {
        **own,
        "TOGETHER_STATE_DIR": str(STATE),
        "KAFKA_PORT": str(KAFKA_PORT),
        "KAFKA_CONTROLLER_PORT": str(KAFKA_CONTROLLER_PORT),
        "PG_PORT": str(PG_PORT),
        "KAFKA_LIBS_DIR": str(REPO / ".run" / "kafka" / "libs"),
        "KAFKA_MAVEN_REPO": str(REPO / ".run" / "kafka" / "m2"),
    }


def postgres_root() -> Path:
    """Where this stack's cluster lives: deploy/postgres.sh keeps it outside the state folder when the
    postgres user cannot reach that folder (e.g. a clone in a 0700 mktemp directory), and says where."""
    location = STATE / "postgres.location"
    return Path(location.read_text().strip()) if location.exists() else STATE / "postgres"


def consumed_topics() -> dict[str, list[str]]:
    """Per consuming service, the topics its consumer group reads (from its own handlers)."""
    return {service: sorted({model.topic() for model in handled_types(service).values()}) for service in CONSUMERS}


def handled_types(service: str) -> dict[str, Any]:
    """The event types `service`'s consumer handles: type string -> contract model."""
    spec = spec_for(service)  # every consuming service declares its rebuild: its handlers and settings
    stub = SimpleNamespace(engine=None, settings=spec.settings(), now=time.time, record=None)  # building handlers touches nothing
    handlers = spec.handlers(stub)
    return {model.event_type(): model for model in handlers}


@dataclass(frozen=True)
class Readiness:
    spec: ServiceSpec
    status: int  # 0: no answer
    body: dict[str, Any]

    @property
    def ok(self) -> bool:
        return self.status == 200

    def reasons(self) -> str:
        if not self.status:
            return "no answer"
        checks = self.body.get("checks", {})
        return "; ".join(f"{name}: {value}" for name, value in checks.items() if value != "ok")[:300]


class ChaosStack:
    def __init__(self, run: str) -> None:
        for name in [k for k in os.environ if k.startswith(FOREIGN)]:
            del os.environ[name]  # launcher.start hands this process's environment on to the services
        self.run = run
        self.signer = Signer.create(self._keys())
        self.http = httpx.AsyncClient(timeout=5)
        self._admin: AIOKafkaAdminClient | None = None
        self._probe: AIOKafkaConsumer | None = None
        self._clients = asyncio.Lock()
        self.topics = consumed_topics()

    @staticmethod
    def _keys() -> Path:
        keys = STATE.parent / "chaos-keys"  # outside STATE, which each run wipes
        keys.mkdir(parents=True, exist_ok=True)
        return keys

    def service_env(self) -> dict[str, str]:
        return {
            "KAFKA_BOOTSTRAP_SERVERS": BOOTSTRAP,
            "PG_DSN_BASE": PG,
            # Each service logs in as its own role (deploy/postgres.sh made them and their passwords).
            **{f"{s.upper()}_DATABASE_URL": f"postgresql://{s}@127.0.0.1:{PG_PORT}/{s}" for s in SERVICES},
            **{f"{s.upper()}_DATABASE_PASSWORD_FILE": str(STATE / "secrets" / "postgres" / f"{s}.password") for s in SERVICES},
            "TOGETHER_STATE_DIR": str(STATE),
            "TOGETHER_CLOCK_MODE": "travel",
            "TOGETHER_AUTH_PUBLIC_KEY_FILE": str(self.signer.public_key_file),
            "TOGETHER_AUTH_ISSUER": ISSUER,
            "TOGETHER_AUTH_AUDIENCE": AUDIENCE,
            # Notifications asks registration for addresses, and every reader of profiles for the data
            # keys that open them (ADR 0008), each with a token of its own.
            **self._registration_tokens(),
            # Explicit, not left to the launcher: an instance started alone (a restart, the second
            # instances) would otherwise get the defaults, the usual stack's mail sink among them.
            "NOTIFICATIONS_SMTP_HOST": "127.0.0.1",
            "NOTIFICATIONS_SMTP_PORT": str(MAILSINK.port),
            **{f"{s.upper()}_REGISTRATION_URL": FIRST[0].url() for s in ("matching", "pairing", "scheduling", "notifications")},
            "MAILSINK_DIR": str(STATE / "mail"),
            # Retries and the long lease in seconds, not hours: the run must see mails settle.
            "NOTIFICATIONS_DELIVERY_BACKOFF_SECONDS": "2",
            "NOTIFICATIONS_DELIVERY_BACKOFF_MAX_SECONDS": "15",
            "NOTIFICATIONS_DELIVERY_MAX_ATTEMPTS": "30",
            "NOTIFICATIONS_DELIVERY_LEASE_SECONDS": "20",
        }

    def _registration_tokens(self) -> dict[str, str]:
        env = {}
        for service in ("matching", "pairing", "scheduling", "notifications"):
            scopes = ["registration:data-keys", *(["registration:contacts"] if service == "notifications" else [])]
            env[f"{service.upper()}_TOKEN_SOURCE"] = "static"
            env[f"{service.upper()}_SERVICE_TOKEN"] = self.signer.token(
                f"chaos-{service}", "service", expires_in=6 * 3600, scopes=scopes
            )
        return env

    # --- infrastructure --------------------------------------------------------------------

    async def script(self, *args: str, timeout: float = 180) -> tuple[int, str]:
        process = await asyncio.create_subprocess_exec(
            str(REPO / "deploy" / args[0]), *args[1:], env=infra_env(),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        out, _ = await asyncio.wait_for(process.communicate(), timeout)
        return process.returncode or 0, out.decode(errors="replace")

    async def start(self) -> None:
        await self.stop()  # a run interrupted before its end may have left this stack running
        taken = [port for port in PORTS if _answers(port)]
        if taken:
            raise RuntimeError(f"ports {taken} are in use by processes this suite did not start: stop them first")
        # Every run starts from empty databases and topics, wherever the last run's cluster lived.
        shutil.rmtree(postgres_root(), ignore_errors=True)
        shutil.rmtree(STATE, ignore_errors=True)
        rc, out = await self.script("stack.sh", "start")
        if rc:
            raise RuntimeError(f"deploy/stack.sh start failed:\n{out[-3000:]}")
        adopt_kafka_login(out)  # the suite's own clients as the admin; each service as itself (the launcher)
        await ensure_topics(BOOTSTRAP, declared_topics(""))
        await grant(BOOTSTRAP, declared_acls(""))
        env = self.service_env()
        # The first instances migrate the databases; the second ones start on migrated ones
        # (two Alembic runs on one database at once would race).
        for group in (FIRST + (MAILSINK,), SECOND):
            await asyncio.to_thread(launcher.start, group, state=STATE, extra_env=env, timeout=180)

    async def stop(self) -> None:
        pid = self.broker_pid()
        if pid:
            os.kill(pid, signal.SIGCONT)  # a frozen broker would not hear the SIGTERM
        await asyncio.to_thread(launcher.stop, (*INSTANCES, MAILSINK), state=STATE)
        if STATE.exists():
            await self.script("stack.sh", "stop")

    async def close(self) -> None:
        await self.http.aclose()
        await self.forget_kafka_clients()

    async def restart(self, spec: ServiceSpec) -> None:
        await asyncio.to_thread(launcher.start, (spec,), state=STATE, extra_env=self.service_env(), timeout=120)

    def pid(self, spec: ServiceSpec) -> int | None:
        return launcher.running_pid(STATE, spec)

    @staticmethod
    def _own_pid(pid_file: Path, marker: str) -> int | None:
        """The pid in `pid_file`, if that process runs with `marker` (this stack's path) on its command line."""
        try:
            pid = int(pid_file.read_text().split()[0])
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (FileNotFoundError, IndexError, ValueError):
            return None
        return pid if marker in cmdline else None

    def broker_pid(self) -> int | None:
        return self._own_pid(STATE / "kafka" / "kafka.pid", str(STATE / "kafka" / "server.properties"))

    def postmaster_pid(self) -> int | None:
        data = postgres_root() / "data"
        return self._own_pid(data / "postmaster.pid", str(data))

    # --- health ----------------------------------------------------------------------------

    async def readiness(self, spec: ServiceSpec) -> Readiness:
        try:
            operator = self.signer.headers("chaos-operator", "service")  # the checks and figures are for operators
            response = await self.http.get(f"{spec.url()}/readyz", headers=operator)
            return Readiness(spec, response.status_code, response.json())
        except (httpx.HTTPError, ValueError):
            return Readiness(spec, 0, {})

    async def all_ready(self) -> list[Readiness]:
        return list(await asyncio.gather(*(self.readiness(spec) for spec in INSTANCES)))

    async def admin(self) -> AIOKafkaAdminClient:
        async with self._clients:  # the workload and the fault timer share these clients
            if self._admin is None:
                self._admin = await _started(AIOKafkaAdminClient(**kafka_options(BOOTSTRAP), request_timeout_ms=5000))
            return self._admin

    async def end_offsets(self, topics: list[str]) -> dict[TopicPartition, int]:
        async with self._clients:
            if self._probe is None:
                self._probe = await _started(
                    AIOKafkaConsumer(**kafka_options(BOOTSTRAP), enable_auto_commit=False, request_timeout_ms=5000)
                )
            probe = self._probe
        return await probe.end_offsets([TopicPartition(t, p) for t in topics for p in range(PARTITIONS[t])])

    async def forget_kafka_clients(self) -> None:
        """After a broker restart: new clients rather than ones that may hold dead connections."""
        async with self._clients:
            admin, probe, self._admin, self._probe = self._admin, self._probe, None, None
        for client in (admin, probe):
            if client is not None:
                with contextlib.suppress(Exception):
                    await (client.close() if isinstance(client, AIOKafkaAdminClient) else client.stop())

    async def committed(self, group: str) -> dict[TopicPartition, int]:
        offsets = await (await self.admin()).list_consumer_group_offsets(group)
        return {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}

    async def lagging(self, targets: dict[str, dict[TopicPartition, int]]) -> list[str]:
        """Partitions whose group has not committed up to `targets` (per consuming service)."""
        behind = []
        for service, ends in targets.items():
            committed = await self.committed(service)
            behind += [
                f"{service} {tp.topic}[{tp.partition}] {committed.get(tp, 0)}/{end}"
                for tp, end in ends.items()
                if committed.get(tp, 0) < end
            ]
        return behind

    async def consumer_targets(self) -> dict[str, dict[TopicPartition, int]]:
        return {service: await self.end_offsets(topics) for service, topics in self.topics.items()}

    async def healthy(self, timeout: float, *, drained: bool = False) -> tuple[float | None, str]:
        """Wait until every instance is ready, every outbox published (rows older than 2 s; with
        `drained`, every row) and every group has consumed what is on its topics then; return the
        seconds it took (None if not within `timeout`) and, if not, what was still wrong."""
        started = time.monotonic()
        deadline = started + timeout
        problem = ""
        while time.monotonic() < deadline:
            try:
                not_ready = [r for r in await self.all_ready() if not r.ok]
                unpublished = await self.unpublished(0 if drained else 2)
                if not_ready:
                    problem = "not ready: " + " | ".join(f"{r.spec.label}: {r.reasons()}" for r in not_ready[:3])
                elif unpublished:
                    problem = "outbox rows waiting: " + ", ".join(f"{s} {n}" for s, n in unpublished.items())
                else:
                    targets = await self.consumer_targets()
                    while time.monotonic() < deadline:
                        behind = await self.lagging(targets)
                        if not behind:
                            return time.monotonic() - started, ""
                        problem = "behind: " + ", ".join(behind[:4])
                        await asyncio.sleep(0.5)
            except Exception as exc:  # the broker or the database may still be coming back
                problem = f"cannot ask: {exc!r}"[:300]
                await self.forget_kafka_clients()
            await asyncio.sleep(0.5)
        return None, problem

    async def unpublished(self, older_than: float) -> dict[str, int]:
        """Per service, outbox rows not yet published that were written more than `older_than` seconds ago."""
        waiting = {}
        for service in SERVICES:
            conn = await self.db(service)
            try:
                n = await conn.fetchval(
                    "SELECT count(*) FROM outbox WHERE published_at IS NULL AND created_at < now() - make_interval(secs => $1)",
                    older_than,
                )
            finally:
                await conn.close()
            if n:
                waiting[service] = n
        return waiting

    async def db(self, service: str) -> asyncpg.Connection:
        return await asyncpg.connect(f"{PG}/{service}", timeout=10)

    async def create_database(self, name: str) -> str:
        admin = await asyncpg.connect(f"{PG}/postgres")
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        return f"{PG}/{name}"


async def _started(client: Any) -> Any:
    """A started aiokafka client, or the error with the client closed (the broker may be down)."""
    try:
        await client.start()
    except BaseException:
        with contextlib.suppress(Exception):
            await (client.close() if isinstance(client, AIOKafkaAdminClient) else client.stop())
        raise
    return client


def _answers(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def service_topics() -> list[str]:
    return [service_topic(s, "") for s in SERVICES]
