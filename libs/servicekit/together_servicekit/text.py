"""Text that request bodies may carry: no control characters.

PostgreSQL cannot store NUL in text, and no answer of a questionnaire needs a
control character, so they are refused at the door (422) rather than failing
in the database (500).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f]*$"


def plain_text(max_length: int, min_length: int = 1) -> type[str]:
    """A stripped single-line string of bounded length without control characters."""
    return Annotated[  # type: ignore[return-value]
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length, pattern=NO_CONTROL_CHARACTERS),
    ]


NO_CONTROL_BUT_LINE_BREAKS = r"^[^\x00-\x08\x0b-\x1f\x7f]*$"


def multiline_text(max_length: int, min_length: int = 1) -> type[str]:
    """A message: line breaks and tabs allowed, other control characters not."""
    return Annotated[  # type: ignore[return-value]
        str,
        StringConstraints(
            strip_whitespace=True, min_length=min_length, max_length=max_length, pattern=NO_CONTROL_BUT_LINE_BREAKS
        ),
    ]
