"""The time-zone field of every contract: an IANA zone this machine knows, or the record is malformed.

Checked where events are read, so a zone no consumer can use (a typo, 300 characters)
sets its event aside at once instead of failing later, in another event's handler.
"""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator


def _known_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except Exception as exc:  # not found, malformed, or too long for a file name (OSError)
        raise ValueError(f"{name[:64]!r} is not an IANA time zone") from exc
    return name


TimeZoneName = Annotated[str, AfterValidator(_known_zone)]
