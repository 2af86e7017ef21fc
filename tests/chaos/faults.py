"""What the suite breaks, and how long the system takes to be whole again.

Each fault is injected, held (a frozen broker for some seconds, a database down for some
seconds), undone as an operator or a supervisor would (restart what was killed), and then
timed until every instance answers /readyz with 200, every outbox has published what was
written more than 2 s before, and every consumer group has committed up to the end offsets its
topics had at that moment. Only this stack's own processes are
signalled: their pids come from its pid files, checked against their command lines.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka import AIOKafkaProducer

from tests.chaos.history import read_history
from tests.chaos.poison import Poison, build_poison, produce_poison
from tests.chaos.stack import BOOTSTRAP, KAFKA_PORT, ChaosStack, service_topics
from tests.chaos.workload import Clocks
from together_devtools.launcher import ServiceSpec
from together_events import kafka_options


@dataclass
class FaultResult:
    name: str
    target: str
    injected_at: float  # seconds since the run began
    injected_wall: float  # epoch seconds: to place Kafka record timestamps in a fault's window
    held: float  # seconds the fault lasted before it was undone (a restart included)
    recovery: float | None  # seconds from injection until healthy again; None: not within the timeout
    problem: str = ""  # what was still wrong when the timeout ran out
    note: str = ""

    def window_ms(self, timeout: float, grace: float = 30.0) -> tuple[int, int]:
        """When a fault may cause a redelivery: from its injection to its recovery, plus a grace."""
        end = self.injected_wall + (self.recovery if self.recovery is not None else timeout) + grace
        return int((self.injected_wall - 2) * 1000), int(end * 1000)


@dataclass
class Faults:
    stack: ChaosStack
    clocks: Clocks
    started: float
    timeout: float
    rng: random.Random
    results: list[FaultResult] = field(default_factory=list)
    republished: set[tuple[str, int, int]] = field(default_factory=set)  # (topic, partition, offset) of copies
    poison: list[Poison] = field(default_factory=list)

    async def measure(
        self, name: str, target: str, inject: Callable[[], Awaitable[str]], timeout: float | None = None
    ) -> FaultResult:
        began, wall = time.monotonic(), time.time()
        print(f"  [{began - self.started:6.1f}s] fault: {name} ({target})", flush=True)
        try:
            note = await inject()
        except Exception as exc:  # e.g. a restart that did not happen: the timing below says what it cost
            note = f"FAILED to inject or undo: {exc!r}"[:300]
        held = time.monotonic() - began
        recovery, problem = await self.stack.healthy(timeout or self.timeout)
        result = FaultResult(
            name, target, began - self.started, wall, held, None if recovery is None else held + recovery, problem, note
        )
        self.results.append(result)
        verdict = f"recovered in {result.recovery:.1f}s" if result.recovery is not None else f"NOT recovered: {problem}"
        print(f"  [{time.monotonic() - self.started:6.1f}s] fault: {name} ({target}): {verdict} {note}", flush=True)
        return result

    # --- services -------------------------------------------------------------------------

    async def kill_service(self, spec: ServiceSpec) -> FaultResult:
        async def inject() -> str:
            pid = self.stack.pid(spec)
            if pid is None:
                return "was not running"
            os.kill(pid, signal.SIGKILL)
            await _gone(pid)  # as a supervisor restarts on the exit: at once, its corpse not yet reaped
            await self.stack.restart(spec)
            await self.clocks.align(spec)
            return f"pid {pid} -> {self.stack.pid(spec)}"

        return await self.measure("SIGKILL service", spec.label, inject)

    # --- broker ---------------------------------------------------------------------------

    async def freeze_broker(self, seconds: float) -> FaultResult:
        async def inject() -> str:
            pid = self._required(self.stack.broker_pid(), "broker")
            os.kill(pid, signal.SIGSTOP)
            try:
                await asyncio.sleep(seconds)
            finally:
                os.kill(pid, signal.SIGCONT)
            return f"SIGSTOP, {seconds:.0f}s, SIGCONT"

        return await self.measure("freeze broker", "kafka", inject)

    async def kill_broker(self) -> FaultResult:
        async def inject() -> str:
            pid = self._required(self.stack.broker_pid(), "broker")
            os.kill(pid, signal.SIGKILL)
            await _gone(pid)
            # The JVM's main thread turns zombie before its other threads have let go of the sockets.
            await _port_closed(KAFKA_PORT)
            rc, out = 1, ""
            for _ in range(3):
                rc, out = await self.stack.script("kafka.sh", "start")
                if rc == 0:
                    break
                await asyncio.sleep(2)
            await self.stack.forget_kafka_clients()
            return "restarted" if rc == 0 else f"restart FAILED: {out[-300:]}"

        return await self.measure("SIGKILL broker", "kafka", inject)

    async def stop_broker(self, down: float) -> FaultResult:
        async def inject() -> str:
            rc, out = await self.stack.script("kafka.sh", "stop")  # SIGTERM: a controlled shutdown
            if rc != 0:
                return f"stop FAILED: {out[-300:]}"
            await asyncio.sleep(down)
            rc, out = await self.stack.script("kafka.sh", "start")
            await self.stack.forget_kafka_clients()
            return f"kafka.sh stop, down {down:.0f}s, restarted" if rc == 0 else f"restart FAILED: {out[-300:]}"

        return await self.measure("stop broker", "kafka", inject)

    # --- database -------------------------------------------------------------------------

    async def stop_postgres(self, down: float) -> FaultResult:
        async def inject() -> str:
            rc, out = await self.stack.script("postgres.sh", "stop")
            if rc:
                return f"pg_ctl stop failed: {out[-300:]}"
            await asyncio.sleep(down)
            return await self._start_postgres(f"pg_ctl stop -m fast, down {down:.0f}s")

        return await self.measure("stop PostgreSQL (fast)", "postgres", inject)

    async def kill_postgres(self, down: float) -> FaultResult:
        async def inject() -> str:
            pid = self._required(self.stack.postmaster_pid(), "postmaster")
            children = _children(pid)
            os.kill(pid, signal.SIGKILL)
            for child in children:  # backends notice their postmaster died and exit on their own
                await _gone(child, timeout=20)
            await asyncio.sleep(down)
            return await self._start_postgres(f"postmaster SIGKILLed ({len(children)} children), down {down:.0f}s")

        return await self.measure("SIGKILL postmaster", "postgres", inject)

    async def _start_postgres(self, note: str) -> str:
        for _ in range(5):  # shared memory of the dead cluster may linger a moment
            rc, out = await self.stack.script("postgres.sh", "start")
            if rc == 0:
                return f"{note}, restarted"
            await asyncio.sleep(2)
        return f"{note}, restart FAILED: {out[-300:]}"

    @staticmethod
    def _required(pid: int | None, what: str) -> int:
        if pid is None:
            raise RuntimeError(f"the chaos stack's {what} is not running")
        return pid

    # --- records --------------------------------------------------------------------------

    async def republish(self, per_topic: int) -> FaultResult:
        """Copies of records already published, produced again: the duplicates a relay crash makes."""

        async def inject() -> str:
            history = await read_history(BOOTSTRAP, service_topics())
            producer = AIOKafkaProducer(**kafka_options(BOOTSTRAP), acks="all")
            await producer.start()
            try:
                for topic in service_topics():
                    events = history.events(topic)
                    for record in self.rng.sample(events, k=min(per_topic, len(events))):
                        sent = await producer.send_and_wait(
                            topic, value=record.value, key=record.key.encode() if record.key else None,
                            headers=[(k, v.encode()) for k, v in record.headers.items()],
                        )  # fmt: skip
                        self.republished.add((topic, sent.partition, sent.offset))
            finally:
                await producer.stop()
            return f"{len(self.republished)} copies"

        return await self.measure("re-publish records", "all topics", inject)

    async def inject_poison(self, timeout: float) -> FaultResult:
        async def inject() -> str:
            history = await read_history(BOOTSTRAP, service_topics())
            self.poison = build_poison(history, self.rng)
            await produce_poison(self.poison)
            kinds = sorted({p.kind for p in self.poison})
            return f"{len(self.poison)} records: " + ", ".join(f"{k} x{sum(p.kind == k for p in self.poison)}" for k in kinds)

        return await self.measure("poison records", "consumed topics", inject, timeout=timeout)


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


async def _port_closed(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            return
        writer.close()
        await asyncio.sleep(0.2)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return "gone"


async def _gone(pid: int, timeout: float = 30) -> None:
    """Until `pid` no longer runs (a zombie counts as gone)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _state(pid) not in ("gone", "Z", "X"):
        await asyncio.sleep(0.1)
