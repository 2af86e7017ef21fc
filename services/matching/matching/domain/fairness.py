"""How evenly a cohort's suggestions and acceptances are spread, over its mentors and its mentees. No I/O.

A suggestion counts once per (mentee, mentor): a mentee who reloads the list does not make a
mentor look more popular. Acceptances are the pairings formed (ended ones included).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from uuid import UUID

DIMENSIONS = ("grade", "gender", "entity", "duty_station")
UNSTATED = "not stated"
MOST_SUGGESTED = 10


@dataclass(slots=True)  # thousands per report: plain slots build fastest
class Member:
    participant_id: UUID
    display_name: str
    attributes: dict[str, str | None]  # dimension -> the answer (None or missing: UNSTATED)


@dataclass(frozen=True)
class GroupFigures:
    value: str
    mentors: int
    suggestions: int
    suggestion_share: float
    acceptances: int


@dataclass(frozen=True)
class MenteeGroupFigures:
    value: str
    mentees: int
    suggested: int  # mentees who were shown at least one mentor
    paired: int  # mentees with at least one pairing formed


@dataclass(frozen=True)
class MentorFigures:
    mentor_id: UUID
    display_name: str
    suggestions: int
    share: float


@dataclass(frozen=True)
class Concentration:
    mentors: int
    suggestions: int
    mentors_suggested: int
    top_decile_mentors: int  # how many mentors make up the top 10% (at least one)
    top_decile_share: float  # share of all suggestions going to them
    gini: float  # 0 = every mentor suggested equally often, towards 1 = all to one
    most_suggested: list[MentorFigures]


@dataclass(frozen=True)
class FairnessReport:
    by: dict[str, list[GroupFigures]]  # over the mentors
    mentees_by: dict[str, list[MenteeGroupFigures]]
    concentration: Concentration


def gini(values: list[int]) -> float:
    """The Gini coefficient of non-negative counts (0 for no counts at all)."""
    total = sum(values)
    n = len(values)
    if n == 0 or total == 0:
        return 0.0
    ranked = sorted(values)
    weighted = sum(i * x for i, x in enumerate(ranked, start=1))
    return 2 * weighted / (n * total) - (n + 1) / n


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _groups(members: list[Member], dimension: str) -> dict[str, list[Member]]:
    groups: dict[str, list[Member]] = {}
    for member in members:
        groups.setdefault(member.attributes.get(dimension) or UNSTATED, []).append(member)
    return groups


def report(
    pool: list[Member],
    suggested: list[tuple[UUID, UUID]],
    accepted: list[tuple[UUID, UUID]],
    mentees: list[Member] | None = None,
) -> FairnessReport:
    """`pool` are the mentors, `mentees` the mentees; `suggested` and `accepted` are (mentee_id, mentor_id)
    pairs; suggestions are counted once per pair."""
    known = {m.participant_id: m for m in pool}
    suggestions = Counter(mentor for _, mentor in set(suggested) if mentor in known)
    acceptances = Counter(mentor for _, mentor in accepted if mentor in known)
    total = sum(suggestions.values())

    by: dict[str, list[GroupFigures]] = {}
    for dimension in DIMENSIONS:
        figures = []
        for value, members in _groups(pool, dimension).items():
            given = sum(suggestions[m.participant_id] for m in members)
            figures.append(
                GroupFigures(
                    value=value,
                    mentors=len(members),
                    suggestions=given,
                    suggestion_share=_share(given, total),
                    acceptances=sum(acceptances[m.participant_id] for m in members),
                )
            )
        by[dimension] = sorted(figures, key=lambda g: (-g.suggestions, g.value))

    shown = {mentee for mentee, _ in suggested}
    paired = {mentee for mentee, _ in accepted}
    mentees_by = {
        dimension: sorted(
            (
                MenteeGroupFigures(
                    value=value,
                    mentees=len(members),
                    suggested=sum(1 for m in members if m.participant_id in shown),
                    paired=sum(1 for m in members if m.participant_id in paired),
                )
                for value, members in _groups(mentees or [], dimension).items()
            ),
            key=lambda g: (-g.mentees, g.value),
        )
        for dimension in DIMENSIONS
    }

    counts = sorted((suggestions[m.participant_id] for m in pool), reverse=True)
    top_decile = max(1, math.ceil(len(pool) / 10)) if pool else 0
    ranked = sorted(pool, key=lambda m: (-suggestions[m.participant_id], m.display_name, str(m.participant_id)))
    concentration = Concentration(
        mentors=len(pool),
        suggestions=total,
        mentors_suggested=sum(1 for c in counts if c),
        top_decile_mentors=top_decile,
        top_decile_share=_share(sum(counts[:top_decile]), total),
        gini=round(gini(counts), 4),
        most_suggested=[
            MentorFigures(
                m.participant_id, m.display_name, suggestions[m.participant_id], _share(suggestions[m.participant_id], total)
            )
            for m in ranked[:MOST_SUGGESTED]
            if suggestions[m.participant_id]
        ],
    )
    return FairnessReport(by=by, mentees_by=mentees_by, concentration=concentration)
