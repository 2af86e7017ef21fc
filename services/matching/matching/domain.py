"""Scoring, free of I/O. A simple first model; the full engine is a later issue.

Hard rules exclude a mentor outright: not the mentee themself, a shared meeting
language, free capacity, more senior than the mentee. What remains is scored,
and every point of the score comes with a reason a participant understands.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from together_events.contracts.registration import PublicProfile, grade_rank

WEIGHTS = {"job_network": 3.0, "skill_for_goal": 2.0, "language": 1.0, "seniority": 1.0}


@dataclass(frozen=True)
class Candidate:
    participant_id: UUID
    profile: PublicProfile
    capacity: int
    active_pairings: int

    @property
    def has_free_capacity(self) -> bool:
        return self.active_pairings < self.capacity


@dataclass
class Suggestion:
    mentor_id: UUID
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)

    def add(self, points: float, reason: str) -> None:
        self.score += points
        self.reasons.append(reason)


def exclusion(mentee_id: UUID, mentee: PublicProfile, mentor: Candidate) -> str | None:
    """Why this mentor may not be suggested to this mentee, or None."""
    if mentor.participant_id == mentee_id:
        return "nobody is suggested to themself"
    if not set(mentee.languages) & set(mentor.profile.languages):
        return "no shared meeting language"
    if not mentor.has_free_capacity:
        return "the mentor has no free capacity"
    mentee_rank, mentor_rank = (
        grade_rank(mentee.grade),
        grade_rank(mentor.profile.grade),
    )
    if mentor_rank < mentee_rank or (mentor_rank == mentee_rank and mentor.profile.years_of_service <= mentee.years_of_service):
        return "the mentor is not more experienced than the mentee"
    return None


def score(mentee_id: UUID, mentee: PublicProfile, mentor: Candidate) -> Suggestion | None:
    if exclusion(mentee_id, mentee, mentor) is not None:
        return None
    suggestion = Suggestion(mentor_id=mentor.participant_id)
    theirs = mentor.profile
    if theirs.job_network == mentee.job_network:
        suggestion.add(WEIGHTS["job_network"], f"both work in {mentee.job_network}")
    for goal in sorted({g.lower() for g in mentee.goals} & {s.lower() for s in theirs.skills}):
        suggestion.add(
            WEIGHTS["skill_for_goal"],
            f"has '{goal}' among skills, which is one of your goals",
        )
    shared = sorted(set(mentee.languages) & set(theirs.languages))
    suggestion.add(WEIGHTS["language"], f"speaks {', '.join(shared)}, as you do")
    suggestion.add(
        WEIGHTS["seniority"],
        f"mentor is {theirs.grade} with {theirs.years_of_service} years of service; "
        f"you are {mentee.grade} with {mentee.years_of_service}",
    )
    return suggestion


def rank(mentee_id: UUID, mentee: PublicProfile, mentors: list[Candidate], limit: int) -> list[Suggestion]:
    scored = [s for s in (score(mentee_id, mentee, m) for m in mentors) if s is not None]
    scored.sort(key=lambda s: (-s.score, str(s.mentor_id)))
    return scored[:limit]
