"""What the services say to people, in the platform's three languages (English, French, Spanish).

A refusal shared by several services (a hard rule of pairing, an eligibility rule) is worded once,
beside its rule, as `Words`: a text cannot be written in one language only. Each service picks the
caller's language at its door (`together_servicekit.languages`); an unknown one reads English.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Language = Literal["en", "fr", "es"]
LANGUAGES: tuple[Language, ...] = ("en", "fr", "es")
DEFAULT_LANGUAGE: Language = "en"


@dataclass(frozen=True)
class Words:
    """One thing said in English, French and Spanish."""

    en: str
    fr: str
    es: str

    def in_(self, language: str) -> str:
        """The text in `language`; English for a language the platform does not speak."""
        return {"en": self.en, "fr": self.fr, "es": self.es}.get(language, self.en)

    def after(self, prefix: Words) -> Words:
        """`prefix` then these words, in each language (e.g. whose answer a refusal is about)."""
        return Words(prefix.en + self.en, prefix.fr + self.fr, prefix.es + self.es)


def listed(items: list[str] | tuple[str, ...], conjunction: Words) -> Words:
    """`a, b or c` (or `and`) in each language: the conjunction is `Words(" or ", " ou ", " o ")` and the like."""
    if len(items) < 2:
        text = "".join(items)
        return Words(text, text, text)
    head = ", ".join(items[:-1])
    return Words(head + conjunction.en + items[-1], head + conjunction.fr + items[-1], head + conjunction.es + items[-1])


OR = Words(" or ", " ou ", " o ")
AND = Words(" and ", " et ", " y ")
