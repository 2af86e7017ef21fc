"""Text that request bodies may carry: no control characters.

PostgreSQL cannot store NUL in text, and no answer of a questionnaire needs a
control character, so they are refused at the door (422) rather than failing
in the database (500).

A single-line field (a name, a word) may end up in a mail header (a subject
that names a partner, a display name), so it is held to what a header needs:
no line separator of any kind (CR, LF, but also VT, FF, FS/GS/RS, NEL, U+2028,
U+2029: everything `str.splitlines` splits on) and no RFC 2047 encoded word
(`=?utf-8?q?...?=`), which a mail library decodes, CR LF included, when it
reads the value as a header. `header_problem` is that rule, shared with the
code that builds mail headers.

Write a field as `name: Annotated[str, single_line(200)]` or
`bio: Annotated[str, multiline(2000)] | None`: pydantic applies the constraints
and mypy sees a `str`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import AfterValidator, GetJsonSchemaHandler, StringConstraints
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError

NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f]*$"
NO_CONTROL_BUT_LINE_BREAKS = r"^[^\x00-\x08\x0b-\x1f\x7f]*$"

# Every C0 and C1 control and DEL (NEL U+0085 is a C1 control), and the Unicode line and paragraph separators:
# together a superset of what `str.splitlines` splits on.
LINE_BREAK_OR_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Broader than RFC 2047's grammar on purpose: decoders are lenient (whitespace, `charset*language`), and no name needs it.
ENCODED_WORD = re.compile(r"=\?.*?\?=", re.DOTALL)


SINGLE_LINE = ("single_line", "must be a single line: no line break, line separator or control character")
NO_ENCODED_WORD = ("no_encoded_word", "must not contain an RFC 2047 encoded word (=?...?=)")


def broken_header_rule(value: str) -> tuple[str, str] | None:
    """The rule (its name, what it says) that keeps `value` out of a mail header; None if it may go there."""
    if LINE_BREAK_OR_CONTROL.search(value):
        return SINGLE_LINE
    if ENCODED_WORD.search(value):
        return NO_ENCODED_WORD
    return None


def header_problem(value: str) -> str | None:
    """Why `value` may not go into a mail header; None if it may."""
    broken = broken_header_rule(value)
    return broken[1] if broken is not None else None


def _fit_for_a_header(value: str) -> str:
    broken = broken_header_rule(value)
    if broken is not None:
        raise PydanticCustomError(*broken)  # the 422's detail names the rule: single_line or no_encoded_word
    return value


class _DocumentedInSchema:
    """Shows the line rule in the OpenAPI document, as the pattern it replaces did (the validator is invisible there)."""

    def __get_pydantic_json_schema__(self, schema: Any, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["pattern"] = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]*$"
        return json_schema


@dataclass(frozen=True)
class _SingleLine(StringConstraints):
    """The length and stripping constraints, then the header rule: a validator, so the error says which part
    of the rule the value broke (a pattern could only quote itself)."""

    def __iter__(self) -> Iterator[Any]:
        yield from super().__iter__()
        yield AfterValidator(_fit_for_a_header)
        yield _DocumentedInSchema()


def single_line(max_length: int, min_length: int = 1) -> StringConstraints:
    """A stripped single-line string of bounded length, fit for a mail header (see `header_problem`)."""
    return _SingleLine(strip_whitespace=True, min_length=min_length, max_length=max_length)


def multiline(max_length: int, min_length: int = 1) -> StringConstraints:
    """A message: line breaks and tabs allowed, other control characters not."""
    return StringConstraints(
        strip_whitespace=True, min_length=min_length, max_length=max_length, pattern=NO_CONTROL_BUT_LINE_BREAKS
    )
