"""The languages messages are written in, and which one a reader gets. No I/O."""

from __future__ import annotations

LANGUAGES: tuple[str, ...] = ("en", "fr", "es")
DEFAULT_LANGUAGE = "en"


def language_of(*choices: str | None) -> str:
    """The first supported language among the choices (preference, then registration's), else English."""
    for choice in choices:
        code = (choice or "").strip().lower().replace("_", "-").split("-")[0]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE
