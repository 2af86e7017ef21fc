"""What the contracts' fields share, checked where events are read, so that a value no consumer
can use sets its event aside at once instead of failing later in some handler:

- a time zone is an IANA zone this machine knows (a typo, or 300 characters, is malformed);
- an integer fits in 32 bits (`INT32_MAX`), as the services store them;
- a text is at most `registry.MAX_TEXT` characters (every model's `CONTRACT_CONFIG`).
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
INT32_MAX = 2**31 - 1
