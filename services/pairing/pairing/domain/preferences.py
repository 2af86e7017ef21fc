"""Who may ask whom, and who may end a pairing: rules free of I/O.

Pairing has two sides. A coach is on the mentor side, a client on the mentee side; in a coaching
programme "mentor" and "mentee" in pairing's names mean the coach and the client. What the roles and
capacities mean is `together_contracts.roles`, shared with matching and registration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from together_contracts.pairing import EndedBy, SkipReason
from together_contracts.registration import ProgrammeKind, Role
from together_contracts.roles import seeks_partner
from together_servicekit.errors import Violation

MAX_PREFERENCES = 5


def offers_places(roles: Sequence[str], *, coach_approved: bool, withdrawn: bool = False) -> bool:
    """May be requested: a mentor, or a coach whose credential the programme team approved."""
    return not withdrawn and (Role.mentor in roles or (Role.coach in roles and coach_approved))


@dataclass(frozen=True)
class Participant:
    """What the rules need of a participant row."""

    id: UUID
    cohort_id: UUID
    roles: Sequence[str]
    coach_approved: bool = False
    withdrawn: bool = False
    waitlisted: bool = False

    @property
    def offers_places(self) -> bool:
        return offers_places(self.roles, coach_approved=self.coach_approved, withdrawn=self.withdrawn)


def mentee_violation(mentee: Participant) -> Violation | None:
    """Why this participant may not submit preferences now, if they may not."""
    if not seeks_partner(mentee.roles):
        return Violation("mentee_id", "has_mentee_role", "this participant did not register as a mentee or client")
    if mentee.withdrawn:
        return Violation("mentee_id", "still_in_cohort", "this participant withdrew from the cohort")
    if mentee.waitlisted:
        return Violation("mentee_id", "admitted", "this participant is on the cohort's waitlist until a place is theirs")
    return None


def follow_violation(mentor: Participant | None, mentor_id: UUID, *, cohort_id: UUID, mentor_full: bool) -> Violation | None:
    """Following is for a mentor of the mentee's cohort one cannot request now; one with a free place is requested instead."""
    if mentor is None or mentor.cohort_id != cohort_id or not mentor.offers_places:
        return Violation(
            "mentor_id", "mentor_in_cohort", f"{mentor_id} is not a mentor (or approved coach) in the mentee's cohort"
        )
    if not mentor_full:
        return Violation("mentor_id", "mentor_full", f"mentor {mentor_id} has a free place: request them instead of following")
    return None


def assigned_pair_skip(
    mentee: Participant | None,
    mentor: Participant | None,
    *,
    cohort_id: UUID,
    already_sent: bool,
    mentee_paired: bool,
    open_selection: bool,
) -> SkipReason | None:
    """Why one pair of an accepted assignment is not sent, checked in this order; None to send it."""
    if (
        mentee is None
        or mentee.cohort_id != cohort_id
        or mentee.withdrawn
        or mentee.waitlisted
        or not seeks_partner(mentee.roles)
    ):
        return SkipReason.mentee_unknown
    if mentor is None or mentor.cohort_id != cohort_id or not mentor.offers_places:
        return SkipReason.mentor_unknown
    if already_sent:
        return SkipReason.already_sent
    if mentee_paired:
        return SkipReason.mentee_paired
    if open_selection:
        return SkipReason.open_selection
    return None


class MentorMayNotEnd(Exception):
    """Outside coaching, the mentor does not end a pairing (403)."""


class NotAPartner(Exception):
    """The caller is neither partner: to them the pairing does not exist (404)."""


def ending_side(*, caller_is_mentee: bool, caller_is_mentor: bool, programme_kind: str | None) -> EndedBy:
    """The mentee ends a pairing ("request a new mentor"); in coaching, the mentor may too."""
    if caller_is_mentee:
        return EndedBy.mentee
    if not caller_is_mentor:
        raise NotAPartner
    if programme_kind != ProgrammeKind.coaching:
        raise MentorMayNotEnd("in this programme the mentee ends a pairing (in coaching, either side may)")
    return EndedBy.mentor


@dataclass(frozen=True)
class Readers:
    """Who reads a pairing's texts: the partners the message, the one who ended it and the programme team the note."""

    partner: bool
    ended_it: bool
    programme_team: bool

    @property
    def may_see_pairing(self) -> bool:
        return self.partner or self.programme_team

    @property
    def may_read_message(self) -> bool:
        return self.partner

    @property
    def may_read_note(self) -> bool:
        return self.ended_it or self.programme_team


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
