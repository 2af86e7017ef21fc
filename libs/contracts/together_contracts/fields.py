"""What the contracts' fields share, checked where events are read, so that a value no consumer
can use sets its event aside at once instead of failing later in some handler:

- a time zone is an IANA zone this machine knows (a typo, or 300 characters, is malformed);
- an integer fits in 32 bits (`INT32_MAX`), as the services store them;
- a text is at most `registry.MAX_TEXT` characters (every model's `CONTRACT_CONFIG`);
- a mailbox is one e-mail address on one line (it goes into a mail header).
"""

from __future__ import annotations

import re
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError


def _known_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except Exception as exc:  # not found, malformed, or too long for a file name (OSError)
        raise ValueError(f"{name[:64]!r} is not an IANA time zone") from exc
    return name


TimeZoneName = Annotated[str, AfterValidator(_known_zone)]
INT32_MAX = 2**31 - 1


_MAILBOX = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+")


def _mailbox(address: str) -> str:
    if len(address) > 254 or not _MAILBOX.fullmatch(address):
        # A named rule, so a refusal says which one (e.g. registration's 422: `rules.team_mailbox` / `mailbox_address`).
        raise PydanticCustomError(
            "mailbox_address", "an e-mail address on one line, at most 254 characters, e.g. mentoring@un.org"
        )
    return address


MailboxAddress = Annotated[str, AfterValidator(_mailbox)]
