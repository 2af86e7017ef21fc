"""Text that request bodies may carry: no control characters.

PostgreSQL cannot store NUL in text, and no answer of a questionnaire needs a
control character, so they are refused at the door (422) rather than failing
in the database (500).

Write a field as `name: Annotated[str, single_line(200)]` or
`bio: Annotated[str, multiline(2000)] | None`: pydantic applies the constraints
and mypy sees a `str`.
"""

from __future__ import annotations

from pydantic import StringConstraints

NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f]*$"
NO_CONTROL_BUT_LINE_BREAKS = r"^[^\x00-\x08\x0b-\x1f\x7f]*$"


def single_line(max_length: int, min_length: int = 1) -> StringConstraints:
    """A stripped single-line string of bounded length without control characters."""
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length, pattern=NO_CONTROL_CHARACTERS)


def multiline(max_length: int, min_length: int = 1) -> StringConstraints:
    """A message: line breaks and tabs allowed, other control characters not."""
    return StringConstraints(
        strip_whitespace=True, min_length=min_length, max_length=max_length, pattern=NO_CONTROL_BUT_LINE_BREAKS
    )
