"""How the demo prints: a step's title, an indented line of prose, a time in a reader's zone."""

from __future__ import annotations

import sys
import textwrap
from datetime import datetime
from zoneinfo import ZoneInfo

BOLD, DIM, RESET = ("\033[1m", "\033[2m", "\033[0m") if sys.stdout.isatty() else ("", "", "")


def step(text: str) -> None:
    print(f"\n{BOLD}▶ {text}{RESET}", flush=True)


def say(text: str, indent: int = 2) -> None:
    print(textwrap.fill(text, width=110, initial_indent=" " * indent, subsequent_indent=" " * (indent + 4)), flush=True)


def ordinal(n: int) -> str:
    return f"{n}{'st' if n == 1 else 'nd' if n == 2 else 'rd' if n == 3 else 'th'}"


def at(instant: str, zone: ZoneInfo) -> str:
    return f"{datetime.fromisoformat(instant).astimezone(zone):%a %d %b %H:%M}"
