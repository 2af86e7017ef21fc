"""Single-line fields: what a mail header can carry, refused at the door with the rule named."""

import sys
from typing import Annotated

import pytest
from pydantic import BaseModel, ValidationError

from together_servicekit.text import header_problem, single_line

ENCODED_WORD_PAYLOAD = "=?utf-8?q?x=0D=0AReply-To:_attacker@evil.example=0D=0A=0D=0AClick_https://evil.example/login?="
# Every character `str.splitlines` splits on: CR, LF, VT, FF, FS, GS, RS, NEL, U+2028, U+2029.
LINE_SEPARATORS = [chr(c) for c in range(sys.maxunicode + 1) if len(f"a{chr(c)}b".splitlines()) > 1]


class Person(BaseModel):
    name: Annotated[str, single_line(200)]
    nickname: Annotated[str, single_line(200)] | None = None
    languages: list[Annotated[str, single_line(100)]] = []


SINGLE_LINE = "must be a single line: no line break, line separator or control character"
NO_ENCODED_WORD = "must not contain an RFC 2047 encoded word (=?...?=)"


def rules(**fields: object) -> set[tuple[tuple[str | int, ...], str, str]]:
    """(field, rule, message) of each refusal."""
    with pytest.raises(ValidationError) as refused:
        Person.model_validate(fields)
    return {(error["loc"], error["type"], error["msg"]) for error in refused.value.errors()}


def test_the_separators_are_the_ones_python_knows():
    assert sorted(LINE_SEPARATORS) == sorted("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


@pytest.mark.parametrize("separator", LINE_SEPARATORS, ids=lambda c: f"U+{ord(c):04X}")
def test_every_line_separator_is_refused_and_named(separator: str):
    name = f"Ann{separator}Reply-To: attacker@evil.example"
    assert header_problem(name) is not None
    assert rules(name=name, nickname=name, languages=[name]) == {
        (("name",), "single_line", SINGLE_LINE),
        (("nickname",), "single_line", SINGLE_LINE),
        (("languages", 0), "single_line", SINGLE_LINE),
    }


def test_an_encoded_word_is_refused_and_named():
    assert rules(name=ENCODED_WORD_PAYLOAD) == {(("name",), "no_encoded_word", NO_ENCODED_WORD)}
    assert rules(name="Ann =?iso-8859-1?b?QW5u?= Lee") == {(("name",), "no_encoded_word", NO_ENCODED_WORD)}


def test_other_controls_are_refused_as_before():
    for control in ("\x00", "\x07", "\x1b", "\x7f", "\x9b"):
        assert rules(name=f"a{control}b") == {(("name",), "single_line", SINGLE_LINE)}


def test_real_names_pass_unchanged_but_stripped():
    for name in ("Zoë O'Brien-Nguyễn", "李小龙", "Ana María (Ana) = ok?", "Jean-Luc Picard, PhD"):
        assert Person(name=f"  {name} ").name == name
        assert header_problem(name) is None


def test_the_openapi_document_still_shows_the_rule():
    schema = Person.model_json_schema()["properties"]["name"]
    assert schema["pattern"] == r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]*$"
    assert schema["maxLength"] == 200
