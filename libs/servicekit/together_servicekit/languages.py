"""The caller's language, from the request's `Accept-Language` header (RFC 9110, 12.5.4).

A route that answers in words (a refusal, an explanation) declares `language: Language = Depends(caller_language)`
and hands it to the rules, which word what they say in English, French and Spanish
(`together_contracts.words`). The best-weighted language the platform speaks wins; without one,
English.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Header

from together_contracts.words import DEFAULT_LANGUAGE, LANGUAGES, Language


def accepted_language(header: str | None) -> Language:
    """The platform's language the header weighs highest (`fr-CH, fr;q=0.9, en;q=0.8`: French); ties go to
    the one listed first; `*` or nothing the platform speaks: English."""
    best: tuple[float, int, Language] | None = None
    for position, item in enumerate((header or "").split(",")):
        tag, _, parameters = item.strip().partition(";")
        weight = 1.0
        for parameter in parameters.split(";"):
            name, _, value = parameter.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        primary = tag.strip().lower().split("-")[0]
        language = next((known for known in LANGUAGES if known == primary), None)
        if language is None or not 0 < weight <= 1:
            continue
        if best is None or (weight, -position) > (best[0], -best[1]):
            best = (weight, position, language)
    return best[2] if best is not None else DEFAULT_LANGUAGE


def caller_language(
    accept_language: Annotated[
        str | None,
        Header(description="The language of refusals and explanations: en, fr or es, by RFC 9110 weights; English without one."),
    ] = None,
) -> Language:
    """FastAPI dependency: the language to answer this request in."""
    return accepted_language(accept_language)
