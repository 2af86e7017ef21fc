"""Messages in words: Jinja2 templates in files, one folder per language.

`templates/<language>/<kind>.subject.txt` is the subject line, `<kind>.txt` the text;
the HTML part is the text's paragraphs in `templates/layout.html` (escaped). Times are
ISO strings in the params and shown in the reader's time zone with the `when` filter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context

from notifications.domain.languages import language_of


@dataclass(frozen=True)
class Rendered:
    language: str
    subject: str
    text: str
    html: str


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file
        return ZoneInfo("UTC")


@pass_context
def _when(context: Context, value: str) -> str:
    """An instant in the reader's time zone, named: '2026-11-25 14:00 (Europe/Zurich)'."""
    tz = zone(context.get("time_zone"))
    return f"{datetime.fromisoformat(value).astimezone(tz):%Y-%m-%d %H:%M} ({tz.key})"


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("notifications", "templates"),
        undefined=StrictUndefined,  # a missing value is a bug, not an empty word in someone's mail
        autoescape=select_autoescape(["html"]),
        keep_trailing_newline=False,
    )
    env.filters["when"] = _when
    return env


def render(kind: str, language: str, params: dict[str, Any], time_zone: str | None) -> Rendered:
    language = language_of(language)
    env = environment()
    # `settled`: what the message asked for is moot (`settling.py`); messages recorded before it existed lack it.
    context = {"settled": False, **params, "time_zone": time_zone}
    subject = env.get_template(f"{language}/{kind}.subject.txt").render(context).strip()
    text = env.get_template(f"{language}/{kind}.txt").render(context).strip() + "\n"
    text = re.sub(r"\n{3,}", "\n\n", text)  # a paragraph left out leaves one blank line, not two
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    html = env.get_template("layout.html").render(language=language, subject=subject, paragraphs=paragraphs)
    return Rendered(language, subject, text, html)
