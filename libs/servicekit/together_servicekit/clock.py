"""Time is injected: code asks a Clock, never the system, so deadlines can be tested.

The travelling clock exists for the demo and tests only (a service enables it
with `<PREFIX>CLOCK_MODE=travel`): it runs with real time plus an offset that
can be moved forward, so a test can travel three days in a second.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class TravellingClock:
    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def travel(self, by: timedelta) -> datetime:
        if by < timedelta(0):
            raise ValueError("the clock only travels forward")
        self.offset += by
        return self.now()
