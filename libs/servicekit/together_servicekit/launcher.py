"""Start, check and stop the five services (and a development mail sink) as separate processes.

    python -m together_servicekit.launcher start|stop|status

Each service runs as `python -m <service>` with its own log file and pid file
under `$TOGETHER_STATE_DIR` (default `.run/`): `logs/<service>.log`,
`services/<service>.pid`. `start` is idempotent and returns once every
service answers `/readyz` (the mail sink: once its SMTP port accepts connections).
The mail sink keeps every mail notifications sends as a .eml file in `<state>/mail/`.
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
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    port: int
    module: str = ""  # defaults to the name

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
IDENTITY = ServiceSpec("identity", 8000, module="together_servicekit.dev_identity")
SERVICES = (
    ServiceSpec("registration", 8001),
    ServiceSpec("matching", 8002),
    ServiceSpec("pairing", 8003),
    ServiceSpec("scheduling", 8004),
    ServiceSpec("notifications", 8005),
)
# The development SMTP server notifications mails to (it keeps the mails as .eml files).
MAILSINK = ServiceSpec("mailsink", 8025, module="notifications.mailsink")
EVERYTHING = (IDENTITY, *SERVICES, MAILSINK)


def state_dir() -> Path:
    return Path(os.environ.get("TOGETHER_STATE_DIR", Path.cwd() / ".run")).resolve()


def _pid_file(state: Path, spec: ServiceSpec) -> Path:
    return state / "services" / f"{spec.name}.pid"


def _alive(pid: int) -> bool:
    try:
        # A child of this process that exited stays a zombie until reaped; reap it here.
        reaped, _ = os.waitpid(pid, os.WNOHANG)
        if reaped == pid:
            return False
    except ChildProcessError:
        pass  # not our child (started by an earlier `launcher start`)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_pid(state: Path, spec: ServiceSpec) -> int | None:
    path = _pid_file(state, spec)
    if not path.exists():
        return None
    pid = int(path.read_text().strip() or 0)
    return pid if pid and _alive(pid) else None


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
            return response.status == 200
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
    state = state or state_dir()
    (state / "services").mkdir(parents=True, exist_ok=True)
    (state / "logs").mkdir(parents=True, exist_ok=True)
    for spec in specs:
        if running_pid(state, spec) is not None:
            continue
        env = {**os.environ, **(extra_env or {}), f"{spec.env_prefix}PORT": str(spec.port)}
        if spec.name == IDENTITY.name:
            env["TOGETHER_DEV_IDENTITY"] = "enabled"
        for name, value in _neighbours(spec, specs, state).items():
            env.setdefault(name, value)  # a setting given explicitly (e.g. a real SMTP server) wins
        log = open(state / "logs" / f"{spec.name}.log", "ab")
        process = subprocess.Popen(spec.command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        _pid_file(state, spec).write_text(str(process.pid))
    urls = {spec.name: spec.url() for spec in specs}
    deadline = time.monotonic() + timeout
    for spec in specs:
        while not ready(urls[spec.name]):
            if running_pid(state, spec) is None:
                raise RuntimeError(f"{spec.name} exited; see {state / 'logs' / (spec.name + '.log')}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{spec.name} not ready after {timeout}s; see {state / 'logs' / (spec.name + '.log')}")
            time.sleep(0.2)
    return urls


def _neighbours(spec: ServiceSpec, specs: tuple[ServiceSpec, ...], state: Path) -> dict[str, str]:
    """Where a process finds the others started with it (their ports may not be the defaults)."""
    by_name = {s.name: s for s in specs}
    env: dict[str, str] = {}
    if spec.name == MAILSINK.name:
        env["MAILSINK_DIR"] = str(state / "mail")
    if spec.name == "notifications":
        if MAILSINK.name in by_name:
            env.setdefault("NOTIFICATIONS_SMTP_HOST", "127.0.0.1")
            env["NOTIFICATIONS_SMTP_PORT"] = str(by_name[MAILSINK.name].port)
        if "registration" in by_name:
            env["NOTIFICATIONS_REGISTRATION_URL"] = by_name["registration"].url()
    return env


def stop(specs: tuple[ServiceSpec, ...] = EVERYTHING, *, state: Path | None = None, timeout: float = 20.0) -> None:
    state = state or state_dir()
    for spec in specs:
        pid = running_pid(state, spec)
        if pid is not None:
            os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for spec in specs:
        pid = running_pid(state, spec)
        while pid is not None and _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if pid is not None and _alive(pid):
            os.killpg(pid, signal.SIGKILL)
        _pid_file(state, spec).unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["start", "stop", "status"])
    command = parser.parse_args().command
    if command == "start":
        for name, url in start().items():
            print(f"{name:<14} {url}{'' if name == MAILSINK.name else '/docs'}")
    elif command == "stop":
        stop()
        print("services stopped")
    else:
        state, healthy = state_dir(), True
        for spec in EVERYTHING:
            pid = running_pid(state, spec)
            status = "ready" if pid and ready(spec.url()) else ("starting or failing" if pid else "stopped")
            healthy &= status == "ready"
            print(f"{spec.name:<14} {status:<20} {spec.url()}{'' if spec.name == MAILSINK.name else '/docs'}")
        sys.exit(0 if healthy else 3)


if __name__ == "__main__":
    main()
