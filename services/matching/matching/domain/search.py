"""Searching a cohort's mentors: the words asked for, and the ranking a mentee sees. No I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from uuid import UUID

from matching.domain.scoring.index import CohortIndex
from matching.domain.scoring.policy import Person, Policy, explain
from together_contracts.registration import PublicProfile

MAX_WORDS = 16


class NoWords(Exception):
    """The text to search for has no words."""


def text_query(text: str) -> str:
    """Every word of the text, as a prefix, all required (a PostgreSQL `tsquery`): 'negotiat french'
    finds 'negotiation' and 'French'."""
    words = re.findall(r"\w+", text.casefold())
    if not words:
        raise NoWords("the text to search for has no words")
    return " & ".join(f"{w}:*" for w in words[:MAX_WORDS])


@dataclass(frozen=True)
class Found:
    participant_id: UUID
    profile: PublicProfile
    free_places: int
    score: float | None = None  # the searching mentee's score with them, when ranked
    reasons: list[str] = field(default_factory=list)


def ranked_page(
    mentee: Person,
    index: CohortIndex,
    mentors: Mapping[UUID, Person],
    policy: Policy,
    among: Set[UUID],
    offset: int,
    limit: int,
) -> tuple[int, list[Found]]:
    """The mentors `among` those the search found, best first for this mentee, without those a hard
    rule excludes for them: how many, and one page, explained."""
    ranking = [mentor_id for mentor_id, _ in index.top(mentee, len(index)) if mentor_id in among]
    page = []
    for mentor_id in ranking[offset : offset + limit]:
        mentor = mentors[mentor_id]
        explained = explain(mentee, mentor, policy)
        page.append(Found(mentor_id, mentor.profile, mentor.free_places, explained.score, explained.reasons))
    return len(ranking), page
