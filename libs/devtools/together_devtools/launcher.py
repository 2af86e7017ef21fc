"""Start, check and stop the five services (and a development mail sink) as separate processes.

    python -m together_devtools.launcher start|stop|status [--replicas matching=3 ...]

Each service runs as `python -m <service>` with its own log file and pid file
under `$TOGETHER_STATE_DIR` (default `.run/`): `logs/<service>.log`,
`services/<service>.pid`. `start` is idempotent and returns once every
service answers `/readyz` (the mail sink: once its SMTP port accepts connections).
A process counts as running only while it runs the service's module: a killed one
that its parent has not reaped yet (a zombie), or a pid the system has since given
to another program, is not, so `start` right after a SIGKILL starts it again.
A second copy of a service (`ServiceSpec(..., instance="b")`) has its own port, pid
and log file (`<service>-b`) and the same settings, database and consumer group.
`start --replicas matching=3` (or `MATCHING_REPLICAS=3`) runs N such copies of a service:
`matching`, `matching-b`, `matching-c`, on the service's port plus 100 per copy (8002, 8102, 8202).
They share the consumer group, so Kafka hands each copy a share of the topics' partitions (a copy
beyond the partition count gets none and idles), and one database: the outbox relay publishes
from one copy at a time (an advisory lock), timers and jobs are claimed with SKIP LOCKED, and the
migrations at start run one process at a time (an advisory lock in `together_servicekit.db`).
The mail sink keeps every mail notifications sends as a .eml file in `<state>/mail/`.
Each service logs in to Kafka as its own principal, whose password file the development stack
keeps in `$KAFKA_CREDENTIALS_DIR/<service>.password` (deploy/kafka.sh), so the broker's ACLs apply
to it as in production.
The end-to-end test uses the same code with its own ports, databases and consumer groups.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from together_servicekit.profile import is_production


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    port: int
    module: str = ""  # defaults to the name
    instance: str = ""  # "" for the first copy of a service; e.g. "b" for a second one beside it

    @property
    def label(self) -> str:
        """Names the copy's pid and log files: `pairing`, `pairing-b`."""
        return f"{self.name}-{self.instance}" if self.instance else self.name

    @property
    def command(self) -> list[str]:
        return [sys.executable, "-m", self.module or self.name]

    @property
    def env_prefix(self) -> str:
        return self.name.upper() + "_"

    def url(self, host: str = "127.0.0.1") -> str:
        scheme = "smtp" if self.name == "mailsink" else "http"
        return f"{scheme}://{host}:{self.port}"


# The development identity provider that signs the demo's and the tests' tokens.
IDENTITY = ServiceSpec("identity", 8000, module="together_devtools.dev_identity")
SERVICES = (
    ServiceSpec("registration", 8001),
    ServiceSpec("matching", 8002),
    ServiceSpec("pairing", 8003),
    ServiceSpec("scheduling", 8004),
    ServiceSpec("notifications", 8005),
)
# The services that ask registration with a service token (the data keys that open sealed profiles).
CALLS_REGISTRATION = ("matching", "pairing", "scheduling", "notifications")
# The development SMTP server notifications mails to (it keeps the mails as .eml files).
MAILSINK = ServiceSpec("mailsink", 8025, module="notifications.mailsink")
EVERYTHING = (IDENTITY, *SERVICES, MAILSINK)
# A service's further copies listen on its port plus this much per copy (8002, 8102, 8202 for matching).
REPLICA_PORT_STEP = 100
MAX_REPLICAS = 9  # copies "b" to "j"


def replicas(spec: ServiceSpec, count: int, *, port_step: int = REPLICA_PORT_STEP) -> tuple[ServiceSpec, ...]:
    """`count` copies of a service: the first one as given, then copies "b", "c", ... on ports a step apart."""
    if not 1 <= count <= MAX_REPLICAS:
        raise ValueError(f"{spec.name}: replicas must be between 1 and {MAX_REPLICAS}, not {count}")
    return tuple(replace(spec, port=spec.port + i * port_step, instance=chr(ord("a") + i) if i else "") for i in range(count))


def replica_counts(arguments: list[str], env: Mapping[str, str]) -> dict[str, int]:
    """Copies per service from `name=N` arguments, else from `<SERVICE>_REPLICAS`, else 1."""
    counts = {spec.name: int(env.get(f"{spec.env_prefix}REPLICAS") or 1) for spec in SERVICES}
    for argument in arguments:
        name, _, count = argument.partition("=")
        if name not in counts or not count.isdigit():
            raise ValueError(f"--replicas takes SERVICE=N with SERVICE one of {', '.join(counts)}, not {argument!r}")
        counts[name] = int(count)
    return counts


def with_replicas(specs: tuple[ServiceSpec, ...], counts: Mapping[str, int]) -> tuple[ServiceSpec, ...]:
    """`specs` with each service named in `counts` run as that many copies."""
    return tuple(copy for spec in specs for copy in replicas(spec, counts.get(spec.name, 1)))


def state_dir() -> Path:
    return Path(os.environ.get("TOGETHER_STATE_DIR", Path.cwd() / ".run")).resolve()


def _pid_file(state: Path, spec: ServiceSpec) -> Path:
    return state / "services" / f"{spec.label}.pid"


def _log_file(state: Path, spec: ServiceSpec) -> Path:
    return state / "logs" / f"{spec.label}.log"


def _alive(pid: int, module: str = "") -> bool:
    """Whether `pid` runs (and, if `module` is given, runs `python -m <module>`)."""
    try:
        # A child of this process that exited stays a zombie until reaped; reap it here.
        reaped, _ = os.waitpid(pid, os.WNOHANG)
        if reaped == pid:
            return False
    except ChildProcessError:
        pass  # not our child (started by an earlier `launcher start`)
    if not Path("/proc/self").exists():  # no procfs (not Linux): the signal check is all there is
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    proc = Path("/proc", str(pid))
    try:
        stat = (proc / "stat").read_text()
        cmdline = (proc / "cmdline").read_bytes().split(b"\0")
    except (FileNotFoundError, ProcessLookupError):
        return False
    # A zombie (Z) or dying (X) process answers kill(pid, 0) although it runs nothing: its parent
    # (not us, if an earlier `launcher start` started it) has not reaped it yet. The state is
    # the field after the parenthesised command name, which may itself contain spaces.
    if stat.rsplit(")", 1)[-1].split()[0] in ("Z", "X"):
        return False
    # A recycled pid runs another program.
    return not module or module.encode() in cmdline


def running_pid(state: Path, spec: ServiceSpec) -> int | None:
    path = _pid_file(state, spec)
    if not path.exists():
        return None
    pid = int(path.read_text().strip() or 0)
    return pid if pid and _alive(pid, spec.module or spec.name) else None


def ready(url: str) -> bool:
    if url.startswith("smtp://"):
        host, port = url.removeprefix("smtp://").rsplit(":", 1)
        try:
            with socket.create_connection((host, int(port)), timeout=2):
                return True
        except OSError:
            return False
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def start(
    specs: tuple[ServiceSpec, ...] = EVERYTHING,
    *,
    state: Path | None = None,
    extra_env: Mapping[str, str] | None = None,
    timeout: float = 120.0,
) -> dict[str, str]:
    """Start the services not yet running; return their base URLs once all are ready."""
    if is_production({**os.environ, **(extra_env or {})}):
        # It starts the development identity provider and mail sink beside the services.
        raise SystemExit("the launcher is a development tool: it never starts anything with TOGETHER_ENV=production")
    state = state or state_dir()
    (state / "services").mkdir(parents=True, exist_ok=True)
    (state / "logs").mkdir(parents=True, exist_ok=True)
    launched: set[str] = set()
    for spec in specs:
        if running_pid(state, spec) is None:
            _launch(spec, specs, state, extra_env)
            launched.add(spec.label)
    urls = {spec.label: spec.url() for spec in specs}
    deadline = time.monotonic() + timeout
    for spec in specs:
        while not ready(urls[spec.label]):
            if running_pid(state, spec) is None:
                if spec.label in launched:
                    raise RuntimeError(f"{spec.label} exited; see {_log_file(state, spec)}")
                # It ran when we looked and has died since (a SIGKILL still on its way, say): start it.
                _launch(spec, specs, state, extra_env)
                launched.add(spec.label)
            if time.monotonic() > deadline:
                raise RuntimeError(f"{spec.label} not ready after {timeout}s; see {_log_file(state, spec)}")
            time.sleep(0.2)
    return urls


def _launch(spec: ServiceSpec, specs: tuple[ServiceSpec, ...], state: Path, extra_env: Mapping[str, str] | None) -> None:
    env = {**os.environ, **(extra_env or {}), f"{spec.env_prefix}PORT": str(spec.port)}
    if spec.name == IDENTITY.name:
        env["TOGETHER_DEV_IDENTITY"] = "enabled"
    for name, value in {**_neighbours(spec, specs, state), **_kafka_login(spec, env)}.items():
        env.setdefault(name, value)  # a setting given explicitly (e.g. a real SMTP server) wins
    with open(_log_file(state, spec), "ab") as log:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(spec.command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    _pid_file(state, spec).write_text(str(process.pid))


def _neighbours(spec: ServiceSpec, specs: tuple[ServiceSpec, ...], state: Path) -> dict[str, str]:
    """Where a process finds the others started with it (their ports may not be the defaults)."""
    by_name: dict[str, ServiceSpec] = {}
    for other in specs:
        by_name.setdefault(other.name, other)  # with two copies of a service, the first one
    env: dict[str, str] = {}
    if spec.name == MAILSINK.name:
        env["MAILSINK_DIR"] = str(state / "mail")
    if spec.name == "notifications" and MAILSINK.name in by_name:
        env.setdefault("NOTIFICATIONS_SMTP_HOST", "127.0.0.1")
        env["NOTIFICATIONS_SMTP_PORT"] = str(by_name[MAILSINK.name].port)
    if spec.name in CALLS_REGISTRATION and "registration" in by_name:
        env[f"{spec.env_prefix}REGISTRATION_URL"] = by_name["registration"].url()  # data keys; notifications: contacts too
    return env


def _kafka_login(spec: ServiceSpec, env: Mapping[str, str]) -> dict[str, str]:
    """The service's own Kafka principal, if the stack made one for it."""
    directory = env.get("KAFKA_CREDENTIALS_DIR")
    password = Path(directory) / f"{spec.name}.password" if directory else None
    if password is None or not password.is_file():
        return {}
    return {f"{spec.env_prefix}KAFKA_SASL_USERNAME": spec.name, f"{spec.env_prefix}KAFKA_SASL_PASSWORD_FILE": str(password)}


def stop(specs: tuple[ServiceSpec, ...] = EVERYTHING, *, state: Path | None = None, timeout: float = 20.0) -> None:
    state = state or state_dir()
    for spec in specs:
        pid = running_pid(state, spec)
        if pid is not None:
            os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for spec in specs:
        pid = running_pid(state, spec)
        module = spec.module or spec.name
        while pid is not None and _alive(pid, module) and time.monotonic() < deadline:
            time.sleep(0.1)
        if pid is not None and _alive(pid, module):
            os.killpg(pid, signal.SIGKILL)
        _pid_file(state, spec).unlink(missing_ok=True)


def _started_copies(state: Path) -> tuple[ServiceSpec, ...]:
    """Every copy that has a pid file here, whatever `--replicas` started it, so `stop` stops them all."""
    found = []
    for spec in EVERYTHING:
        copies = replicas(spec, MAX_REPLICAS) if spec in SERVICES else (spec,)
        found += [copy for copy in copies if not copy.instance or _pid_file(state, copy).exists()]
    return tuple(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["start", "stop", "status"])
    parser.add_argument(
        "--replicas", nargs="*", default=[], metavar="SERVICE=N", help="copies of a service (default: <SERVICE>_REPLICAS or 1)"
    )
    arguments = parser.parse_args()
    command = arguments.command
    try:
        specs = with_replicas(EVERYTHING, replica_counts(arguments.replicas, os.environ))
    except ValueError as exc:
        parser.error(str(exc))
    if command == "start":
        for name, url in start(specs).items():
            print(f"{name:<16} {url}{'' if name == MAILSINK.name else '/docs'}")
    elif command == "stop":
        stop(_started_copies(state_dir()))
        print("services stopped")
    else:
        state, healthy = state_dir(), True
        for spec in _started_copies(state):
            pid = running_pid(state, spec)
            status = "ready" if pid and ready(spec.url()) else ("starting or failing" if pid else "stopped")
            healthy &= status == "ready"
            print(f"{spec.label:<16} {status:<20} {spec.url()}{'' if spec.name == MAILSINK.name else '/docs'}")
        sys.exit(0 if healthy else 3)


if __name__ == "__main__":
    main()
