"""Who may ask whom, and who may end a pairing: rules free of I/O.

Pairing has two sides. A coach is on the mentor side, a client on the mentee side; in a coaching
programme "mentor" and "mentee" in pairing's names mean the coach and the client. What the roles and
capacities mean is `together_contracts.roles`, shared with matching and registration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from pairing.domain.pair_rules import Programme, Side, eligibility_breaches, pair_breaches
from together_contracts.pairing import EndedBy
from together_contracts.pairing_v2 import SkipReason
from together_contracts.registration import ProgrammeKind, Role
from together_contracts.roles import seeks_partner
from together_contracts.words import DEFAULT_LANGUAGE, Words
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


def mentee_violation(mentee: Participant, language: str = DEFAULT_LANGUAGE) -> Violation | None:
    """Why this participant may not submit preferences now, if they may not."""
    if not seeks_partner(mentee.roles):
        said = Words(
            "this participant did not register as a mentee or client",
            "cette personne ne s'est inscrite ni comme mentoré·e ni comme client·e",
            "esta persona no se inscribió como persona mentorada ni como cliente",
        )
        return Violation("mentee_id", "has_mentee_role", said.in_(language))
    if mentee.withdrawn:
        said = Words(
            "this participant withdrew from the cohort",
            "cette personne s'est retirée de la cohorte",
            "esta persona se retiró de la cohorte",
        )
        return Violation("mentee_id", "still_in_cohort", said.in_(language))
    if mentee.waitlisted:
        said = Words(
            "this participant is on the cohort's waitlist until a place is theirs",
            "cette personne est sur la liste d'attente de la cohorte jusqu'à ce qu'une place lui revienne",
            "esta persona está en la lista de espera de la cohorte hasta que obtenga una plaza",
        )
        return Violation("mentee_id", "admitted", said.in_(language))
    return None


def cohort_ended_violation(cohort_ended_at: datetime | None) -> Violation | None:
    """After the cohort's end (registration's CohortEnded) nothing new happens in it: no preferences, no answer to a
    request, no pairing ended, no mentor followed (a 409: the cohort's state, not the caller's input)."""
    if cohort_ended_at is None:
        return None
    return Violation("cohort_id", "cohort_ended", f"the cohort ended at {cohort_ended_at.isoformat()}: nothing new happens in it")


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
    programme: Programme | None = None,
    mentee_side: Side | None = None,
    mentor_side: Side | None = None,
) -> SkipReason | None:
    """Why one pair of an accepted assignment is not sent, checked in this order; None to send it. The hard
    rules (`pair_rules`) are checked on the sides' answers when given: an assignment was proposed by them,
    but rules and answers may have changed before it was accepted."""
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
    if programme is not None and mentee_side is not None and mentor_side is not None:
        if eligibility_breaches(programme, mentee_side, offering=False):
            return SkipReason.mentee_not_eligible
        if eligibility_breaches(programme, mentor_side, offering=True):
            return SkipReason.mentor_not_eligible
        broken = {breach.rule for breach in pair_breaches(programme, mentee=mentee_side, mentor=mentor_side)}
        if "grade" in broken:
            return SkipReason.grade
        if "language" in broken:
            return SkipReason.language
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
    side: Side | None = None  # their roles and answers, for the hard rules (`pair_rules`)


def preference_violations(
    mentee_id: UUID,
    ranked: list[UUID],
    mentors: dict[UUID, MentorView],
    *,
    already_paired: bool,
    has_open_selection: bool,
    programme: Programme | None = None,
    mentee: Side | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> list[Violation]:
    """Every reason a ranked list (or a direct request) is refused, all at once, in `language`: the
    mentee's state, the list's shape, each mentor's place, and the hard rules of the pair (`pair_rules`)
    where the programme and the mentee's answers are given."""
    violations = []

    def refuse(where: str, rule: str, said: Words) -> None:
        violations.append(Violation(where, rule, said.in_(language)))

    if already_paired:
        refuse(
            "mentee_id",
            "not_paired",
            Words(
                "the mentee already has a mentor",
                "la personne mentorée a déjà un mentor",
                "la persona mentorada ya tiene un mentor",
            ),
        )
    if has_open_selection:
        refuse(
            "mentee_id",
            "one_open_selection",
            Words(
                "the mentee's earlier preferences are still being tried",
                "les préférences précédentes de la personne mentorée sont encore en cours",
                "las preferencias anteriores de la persona mentorada todavía se están tramitando",
            ),
        )
    if programme is not None and mentee is not None:
        for breach in eligibility_breaches(programme, mentee, offering=False):
            refuse("mentee_id", breach.rule, breach.words)
    if not 1 <= len(ranked) <= MAX_PREFERENCES:
        n = MAX_PREFERENCES
        refuse(
            "mentor_ids",
            "one_to_five",
            Words(f"rank between 1 and {n} mentors", f"classez entre 1 et {n} mentors", f"clasifique entre 1 y {n} mentores"),
        )
    seen: set[UUID] = set()
    for position, mentor_id in enumerate(ranked):
        where = f"mentor_ids.{position}"
        if mentor_id in seen:
            refuse(
                where,
                "unique",
                Words(
                    f"mentor {mentor_id} is listed twice",
                    f"le mentor {mentor_id} figure deux fois",
                    f"el mentor {mentor_id} aparece dos veces",
                ),
            )
            continue
        seen.add(mentor_id)
        if mentor_id == mentee_id:
            refuse(
                where,
                "not_self",
                Words(
                    "a mentee cannot choose themself",
                    "une personne mentorée ne peut pas se choisir elle-même",
                    "una persona mentorada no puede elegirse a sí misma",
                ),
            )
            continue
        mentor = mentors.get(mentor_id)
        if mentor is None or not mentor.is_mentor:
            refuse(
                where,
                "mentor_in_cohort",
                Words(
                    f"{mentor_id} is not a mentor (or approved coach) in this cohort",
                    f"{mentor_id} n'est ni mentor ni coach approuvé dans cette cohorte",
                    f"{mentor_id} no es mentor ni coach aprobado en esta cohorte",
                ),
            )
            continue
        if not mentor.has_free_capacity:
            refuse(
                where,
                "free_capacity",
                Words(
                    f"mentor {mentor_id} has no free place",
                    f"le mentor {mentor_id} n'a plus de place libre",
                    f"el mentor {mentor_id} no tiene plazas libres",
                ),
            )
        if programme is not None and mentee is not None and mentor.side is not None:
            whose = Words(f"mentor {mentor_id}: ", f"mentor {mentor_id} : ", f"mentor {mentor_id}: ")
            breaches = eligibility_breaches(programme, mentor.side, offering=True)
            breaches += pair_breaches(programme, mentee=mentee, mentor=mentor.side)
            for breach in breaches:
                refuse(where, breach.rule, breach.words.after(whose))
    return violations


def refused(violations: list[Violation], language: str = DEFAULT_LANGUAGE) -> str:
    """The refusal's message: every reason, after what was refused."""
    prefix = Words("preferences refused: ", "préférences refusées : ", "preferencias rechazadas: ").in_(language)
    return prefix + "; ".join(v.message for v in violations)


def engagement_violations(
    kind: str | None, ranked: list[UUID], engagement: str | None, language: str = DEFAULT_LANGUAGE
) -> list[Violation]:
    """The programme kind's rules for a request: a ranked top 5 (mentoring), or one direct request
    (networking: for 1-2 networking meetings or a 3-6 meeting relationship; coaching: one coach)."""
    violations = []
    direct = kind in ("networking_mentoring", "coaching")
    if direct and len(ranked) != 1:
        said = Words(
            f"in a {kind} programme a mentee requests one person at a time",
            f"dans un programme {kind}, une personne mentorée demande une personne à la fois",
            f"en un programa {kind}, una persona mentorada solicita a una persona a la vez",
        )
        violations.append(Violation("mentor_ids", "one_direct_request", said.in_(language)))
    if kind == "networking_mentoring" and engagement is None:
        said = Words(
            "say whether you ask for networking_meetings or a mentoring_relationship",
            "indiquez si vous demandez networking_meetings ou mentoring_relationship",
            "indique si solicita networking_meetings o mentoring_relationship",
        )
        violations.append(Violation("engagement", "required_for_networking", said.in_(language)))
    if kind != "networking_mentoring" and engagement is not None:
        said = Words(
            "only networking programmes ask what a request is for",
            "seuls les programmes de réseautage demandent l'objet d'une demande",
            "solo los programas de networking preguntan para qué es una solicitud",
        )
        violations.append(Violation("engagement", "networking_only", said.in_(language)))
    return violations
