"""Rules about preferences, free of I/O."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from together_servicekit.errors import Violation

MAX_PREFERENCES = 5


# Pairing has two sides. A coach is on the mentor side, a client on the mentee side; in a coaching
# programme "mentor" and "mentee" in pairing's names mean the coach and the client.
def offers_places(roles: list[str], *, coach_approved: bool, withdrawn: bool = False) -> bool:
    """May be requested: a mentor, or a coach whose credential the programme team approved."""
    return not withdrawn and ("mentor" in roles or ("coach" in roles and coach_approved))


def seeks_partner(roles: list[str]) -> bool:
    return "mentee" in roles or "client" in roles


def capacity_of(roles: list[str], mentor_capacity: int | None, coach_capacity: int | None) -> int:
    """How many partners at once: a mentor's mentor_capacity plus a coach's coach_capacity."""
    return (mentor_capacity or 0 if "mentor" in roles else 0) + (coach_capacity or 0 if "coach" in roles else 0)


@dataclass(frozen=True)
class MentorView:
    id: UUID
    is_mentor: bool
    has_free_capacity: bool


def preference_violations(
    mentee_id: UUID,
    ranked: list[UUID],
    mentors: dict[UUID, MentorView],
    *,
    already_paired: bool,
    has_open_selection: bool,
) -> list[Violation]:
    """Every reason a ranked list is refused, all at once."""
    violations = []
    if already_paired:
        violations.append(Violation("mentee_id", "not_paired", "the mentee already has a mentor"))
    if has_open_selection:
        violations.append(
            Violation(
                "mentee_id",
                "one_open_selection",
                "the mentee's earlier preferences are still being tried",
            )
        )
    if not 1 <= len(ranked) <= MAX_PREFERENCES:
        violations.append(
            Violation(
                "mentor_ids",
                "one_to_five",
                f"rank between 1 and {MAX_PREFERENCES} mentors",
            )
        )
    seen: set[UUID] = set()
    for position, mentor_id in enumerate(ranked):
        where = f"mentor_ids.{position}"
        if mentor_id in seen:
            violations.append(Violation(where, "unique", f"mentor {mentor_id} is listed twice"))
            continue
        seen.add(mentor_id)
        if mentor_id == mentee_id:
            violations.append(Violation(where, "not_self", "a mentee cannot choose themself"))
            continue
        mentor = mentors.get(mentor_id)
        if mentor is None or not mentor.is_mentor:
            violations.append(
                Violation(
                    where,
                    "mentor_in_cohort",
                    f"{mentor_id} is not a mentor (or approved coach) in this cohort",
                )
            )
        elif not mentor.has_free_capacity:
            violations.append(Violation(where, "free_capacity", f"mentor {mentor_id} has no free place"))
    return violations


def engagement_violations(kind: str | None, ranked: list[UUID], engagement: str | None) -> list[Violation]:
    """The programme kind's rules for a request: a ranked top 5 (mentoring), or one direct request
    (networking: for 1-2 networking meetings or a 3-6 meeting relationship; coaching: one coach)."""
    violations = []
    direct = kind in ("networking_mentoring", "coaching")
    if direct and len(ranked) != 1:
        violations.append(
            Violation("mentor_ids", "one_direct_request", f"in a {kind} programme a mentee requests one person at a time")
        )
    if kind == "networking_mentoring" and engagement is None:
        violations.append(
            Violation(
                "engagement", "required_for_networking", "say whether you ask for networking_meetings or a mentoring_relationship"
            )
        )
    if kind != "networking_mentoring" and engagement is not None:
        violations.append(Violation("engagement", "networking_only", "only networking programmes ask what a request is for"))
    return violations
