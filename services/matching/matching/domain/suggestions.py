"""A mentee's suggestions, and why a mentor is not among them. No I/O.

The index ranks every mentor of the cohort at once; the words come from `explain` for the few shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from uuid import UUID

from matching.domain.participants import Candidate
from matching.domain.scoring.index import CohortIndex
from matching.domain.scoring.policy import Contribution, Exclusion, Explanation, Person, Policy, explain
from together_contracts.words import DEFAULT_LANGUAGE, Words


def suggestions(mentee: Person, mentors: Mapping[UUID, Person], index: CohortIndex, policy: Policy, k: int) -> list[Explanation]:
    """The best `k` mentors for the mentee, best first, each explained."""
    return [explain(mentee, mentors[mentor_id], policy) for mentor_id, _ in index.top(mentee, k)]


@dataclass(frozen=True)
class WhyNot:
    mentee_id: UUID
    mentor_id: UUID
    suggested: bool
    summary: str
    exclusions: list[Exclusion]
    score: float | None = None
    rank: int | None = None  # among the mentors the hard rules leave for this mentee
    eligible: int = 0
    suggestions_per_mentee: int = 0
    lowest_suggested_score: float | None = None  # the N-th suggestion's score
    contributions: list[Contribution] = field(default_factory=list)


def why_not(
    mentee: Person,
    mentor: Candidate,
    index: CohortIndex,
    policy: Policy,
    suggestions_per_mentee: int,
    language: str = DEFAULT_LANGUAGE,
) -> WhyNot:
    """Why a mentor is (not) among a mentee's `suggestions_per_mentee` suggestions: every rule that
    excludes them, or else their score, rank and the lowest score that made the list. The exclusions and
    the summary are worded in `language` (the reasons of the points in English)."""
    mentee_id, mentor_id, n = mentee.participant_id, mentor.participant_id, suggestions_per_mentee
    excluded = mentor.not_suggestible(language)
    if excluded:
        return WhyNot(mentee_id, mentor_id, False, "; ".join(e.reason for e in excluded), excluded, suggestions_per_mentee=n)
    scored = mentor.as_mentor(language)
    if isinstance(scored, Exclusion):
        return WhyNot(mentee_id, mentor_id, False, scored.reason, [scored], suggestions_per_mentee=n)
    explained = explain(mentee, scored, policy, language)
    ranking = index.top(mentee, len(index))
    lowest = ranking[n - 1][1] if len(ranking) >= n else (ranking[-1][1] if ranking else None)
    if explained.exclusions:
        reasons = "; ".join(e.reason for e in explained.exclusions)
        said = Words(
            f"excluded by a hard rule: {reasons}",
            f"exclu par une règle impérative : {reasons}",
            f"excluido por una regla obligatoria: {reasons}",
        )
        suggested, exclusions, rank, summary = False, list(explained.exclusions), None, said.in_(language)
    else:
        rank = next((i for i, (m, _) in enumerate(ranking, start=1) if m == mentor_id), None)
        suggested, exclusions = rank is not None and rank <= n, []
        of = len(ranking)
        if suggested:
            said = Words(
                f"suggested: rank {rank} of {of} mentors who may be suggested",
                f"suggéré : rang {rank} sur {of} mentors qui peuvent être suggérés",
                f"sugerido: puesto {rank} de {of} mentores que pueden sugerirse",
            )
        else:
            score = f"{explained.score:.2f}"
            least = f"{lowest:.2f}"
            said = Words(
                f"not excluded, but ranked {rank} of {of} with a score of {score}; "
                f"only the top {n} are suggested and the lowest of them scored {least}",
                f"non exclu, mais classé {rank} sur {of} avec un score de {score} ; "
                f"seuls les {n} premiers sont suggérés et le dernier d'entre eux a obtenu {least}",
                f"no excluido, pero en el puesto {rank} de {of} con una puntuación de {score}; "
                f"solo se sugieren los {n} primeros y el último de ellos obtuvo {least}",
            )
        summary = said.in_(language)
    return WhyNot(
        mentee_id,
        mentor_id,
        suggested,
        summary,
        exclusions,
        score=explained.score,
        rank=rank,
        eligible=len(ranking),
        suggestions_per_mentee=n,
        lowest_suggested_score=lowest,
        contributions=list(explained.contributions),
    )
