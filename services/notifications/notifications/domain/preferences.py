"""A participant's own choices: the language of their messages, and which kinds are not e-mailed
(they stay in the feed). No I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from notifications.domain.languages import LANGUAGES
from notifications.domain.messages import KINDS


@dataclass(frozen=True)
class Problem:
    field: str  # where in the request body
    rule: str
    message: str


class InvalidPreferences(Exception):
    """Every value the rules refuse, at once."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("invalid preferences")
        self.problems = problems


@dataclass(frozen=True)
class Preferences:
    language: str | None  # None: registration's preferred language
    email_off: list[str]  # kinds of message not e-mailed, sorted, each once

    @classmethod
    def chosen(cls, language: str | None, email_off: Sequence[str]) -> Preferences:
        """The participant's choice, if every value is one the service knows."""
        problems = []
        if language is not None and language not in LANGUAGES:
            problems.append(Problem("body.language", "supported_language", f"language must be one of {', '.join(LANGUAGES)}"))
        for index, kind in enumerate(email_off):
            if kind not in KINDS:
                problems.append(Problem(f"body.email_off.{index}", "known_kind", f"'{kind[:60]}' is not a kind of message"))
        if problems:
            raise InvalidPreferences(problems)
        return cls(language, sorted(set(email_off)))
