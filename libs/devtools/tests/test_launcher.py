"""The launcher on real processes (the development mail sink: cheap to start, no Kafka or database)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from together_devtools import launcher

# Starts the sink through the launcher, then lives on without ever reaping it: as the shell of an
# earlier `launcher start`, or a slow init, leaves a SIGKILLed service a zombie for a while.
NEGLIGENT_PARENT = """
import sys, time
from pathlib import Path
from together_devtools import launcher
spec = launcher.ServiceSpec("mailsink", int(sys.argv[2]), module="notifications.mailsink")
launcher.start((spec,), state=Path(sys.argv[1]), timeout=60)
print("started", flush=True)
time.sleep(120)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except FileNotFoundError:
        return "gone"


def test_start_right_after_a_sigkill_starts_the_service_again(tmp_path: Path):
    state, port = tmp_path / "state", free_port()
    spec = launcher.ServiceSpec("mailsink", port, module="notifications.mailsink")
    parent = subprocess.Popen([sys.executable, "-c", NEGLIGENT_PARENT, str(state), str(port)], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None and parent.stdout.readline().strip() == "started"
        killed = launcher.running_pid(state, spec)
        assert killed is not None

        os.kill(killed, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while process_state(killed) != "Z":  # the case that fooled `kill(pid, 0)`: dead but not reaped
            assert time.monotonic() < deadline, f"the killed sink is {process_state(killed)}, not a zombie"
            time.sleep(0.01)
        assert launcher.running_pid(state, spec) is None

        urls = launcher.start((spec,), state=state, timeout=30)  # at once, not after the zombie is reaped
        restarted = launcher.running_pid(state, spec)
        assert restarted is not None and restarted != killed
        assert process_state(killed) == "Z"  # still unreaped: start did not wait for it
        assert launcher.ready(urls["mailsink"])
    finally:
        launcher.stop((spec,), state=state)
        parent.kill()
        parent.wait()


def test_a_pid_file_naming_another_program_is_not_a_running_service(tmp_path: Path):
    spec = launcher.ServiceSpec("mailsink", free_port(), module="notifications.mailsink")
    (tmp_path / "services").mkdir()
    (tmp_path / "services" / "mailsink.pid").write_text(str(os.getpid()))  # alive, but pytest, not the sink
    assert launcher.running_pid(tmp_path, spec) is None


def test_a_second_copy_of_a_service_has_its_own_pid_and_log_file(tmp_path: Path):
    first = launcher.ServiceSpec("mailsink", free_port(), module="notifications.mailsink")
    second = launcher.ServiceSpec("mailsink", free_port(), module="notifications.mailsink", instance="b")
    try:
        urls = launcher.start((first, second), state=tmp_path, timeout=30)
        assert set(urls) == {"mailsink", "mailsink-b"} and all(launcher.ready(url) for url in urls.values())
        pids = {launcher.running_pid(tmp_path, spec) for spec in (first, second)}
        assert None not in pids and len(pids) == 2
        assert (tmp_path / "logs" / "mailsink-b.log").exists() and (tmp_path / "services" / "mailsink-b.pid").exists()
    finally:
        launcher.stop((first, second), state=tmp_path)
    assert launcher.running_pid(tmp_path, first) is None and launcher.running_pid(tmp_path, second) is None


def test_every_reader_of_profiles_is_pointed_at_the_registration_started_with_it(tmp_path: Path):
    specs = tuple(launcher.ServiceSpec(spec.name, 18700 + i, spec.module) for i, spec in enumerate(launcher.EVERYTHING))
    registration = next(spec for spec in specs if spec.name == "registration").url()
    for spec in specs:
        env = launcher._neighbours(spec, specs, tmp_path)
        if spec.name in ("matching", "pairing", "scheduling", "notifications"):
            assert env[f"{spec.env_prefix}REGISTRATION_URL"] == registration  # the data keys (ADR 0008)
        else:
            assert not any(name.endswith("REGISTRATION_URL") for name in env)


def test_replicas_are_copies_on_ports_a_step_apart():
    copies = launcher.replicas(launcher.ServiceSpec("matching", 8002), 3)
    assert [(c.label, c.port) for c in copies] == [("matching", 8002), ("matching-b", 8102), ("matching-c", 8202)]
    assert {c.env_prefix for c in copies} == {"MATCHING_"}  # one service's settings: same database and consumer group


def test_replica_counts_come_from_arguments_then_the_environment():
    counts = launcher.replica_counts(["matching=3"], {"MATCHING_REPLICAS": "2", "NOTIFICATIONS_REPLICAS": "2"})
    assert counts["matching"] == 3 and counts["notifications"] == 2 and counts["pairing"] == 1
    specs = launcher.with_replicas(launcher.EVERYTHING, counts)
    assert [s.label for s in specs if s.name == "notifications"] == ["notifications", "notifications-b"]
    assert len(specs) == len(launcher.EVERYTHING) + 3


@pytest.mark.parametrize("wrong", [["matchng=2"], ["matching"], ["matching=x"]])
def test_replica_counts_name_what_is_wrong(wrong: list[str]):
    with pytest.raises(ValueError, match="SERVICE=N"):
        launcher.replica_counts(wrong, {})


def test_a_service_runs_at_least_once():
    with pytest.raises(ValueError, match="between 1 and"):
        launcher.replicas(launcher.ServiceSpec("matching", 8002), 0)
