"""Background work restarts after a crash, pausing longer each time in a row, and starts
from the shortest pause again once it has run healthily; a periodic worker whose passes
stop is reported stalled."""

from __future__ import annotations

import asyncio

import pytest

from together_servicekit.runtime import Progress, Supervised


class Quick(Supervised):
    FIRST_PAUSE = 0.01
    MAX_PAUSE = 0.04
    HEALTHY_AFTER = 0.2


class Script:
    """Work that crashes at once `crashes` times, then runs `healthy_for` seconds and crashes, and so on."""

    def __init__(self, *phases: tuple[int, float]) -> None:
        self.phases = [duration for crashes, healthy_for in phases for duration in [0.0] * crashes + [healthy_for]]
        self.started_at: list[float] = []

    async def __call__(self) -> None:
        loop = asyncio.get_running_loop()
        self.started_at.append(loop.time())
        if not self.phases:
            await asyncio.Event().wait()  # runs for good
        await asyncio.sleep(self.phases.pop(0))
        raise ConnectionRefusedError("database down")


async def run_until(supervised: Supervised, script: Script, starts: int) -> None:
    task = asyncio.create_task(supervised.run())
    try:
        while len(script.started_at) < starts:
            await asyncio.sleep(0.005)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def pauses(script: Script) -> list[float]:
    return [later - earlier for earlier, later in zip(script.started_at, script.started_at[1:], strict=False)]


async def test_the_pause_doubles_while_crashes_follow_each_other_up_to_the_maximum():
    script = Script((5, 0.0))
    supervised = Quick("relay", script)
    await run_until(supervised, script, starts=6)
    observed = pauses(script)
    assert observed[0] >= 0.01 and observed[1] >= 0.02 and observed[2] >= 0.04
    assert observed[0] < observed[2]
    assert all(p < 0.04 + 0.03 for p in observed[3:])  # never beyond the maximum (plus scheduling slack)
    assert supervised.crashes == supervised.crashes_in_a_row >= 5


async def test_a_healthy_run_resets_the_pause_and_the_count_of_crashes_in_a_row():
    # Four quick crashes (the pause grows to the maximum), then a run longer than HEALTHY_AFTER that crashes.
    script = Script((4, 0.3))
    supervised = Quick("consumer", script)
    await run_until(supervised, script, starts=6)
    after_healthy_run = pauses(script)[4] - 0.3
    assert after_healthy_run < 0.035  # the shortest pause (0.01) again, not the maximum (0.04)
    assert supervised.crashes == 5
    assert supervised.crashes_in_a_row == 1


async def test_health_names_the_crash_while_restarting():
    script = Script((3, 0.0))
    supervised = Supervised("deadline-worker", script)  # real pauses: 0.5 s after the first crash
    task = asyncio.create_task(supervised.run())
    try:
        while not script.started_at:
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.05)
        assert supervised.health() == ("restarting (1 crash in a row); last: ConnectionRefusedError('database down')")
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert supervised.state == "stopped"


def test_a_worker_whose_passes_stop_is_reported_stalled():
    progress = Progress(poll_interval=1.0, stalled_after=60.0)
    assert progress.health() == "no pass completed yet"
    progress.passed()
    assert progress.health() == "ok"
    progress.last_pass -= 61  # as if the last pass ended 61 s ago
    assert progress.health() == "stalled: last pass 61s ago"
    assert Progress(poll_interval=30.0).stalled_after == 300.0  # ten polls at least: a slow poller is not stalled
