"""The hard rules every request meets where it is made, ranked, direct or sent by an accepted assignment,
from pairing's own read model: rules free of I/O.

Matching keeps a mentor out of suggestions by the same rules (`together_contracts.hard_rules`), but a
mentee may ask anyone in the cohort, so pairing checks them itself: the grade rule of the programme's
kind (reverse mentoring inverts it), a language both speak among the programme's meeting languages,
and the eligibility of both sides by the programme's current rules (entity, job network:
`together_contracts.eligibility`; rules may change after registration). Free capacity is checked
beside them (`preferences.preference_violations`; an assignment's full mentor is withdrawn by the
lifecycle, `mentor_full`).

What is not known is not held against anyone: a programme pairing has not heard of (its
`ProgrammeCreated` not handled yet) has no meeting languages or eligibility to check, and a participant
registered before pairing copied their answers (migration 0011) is checked on what is known, until
their next profile event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from together_contracts.eligibility import entity_admitted, entity_refusal, job_network_admitted, job_network_refusal
from together_contracts.hard_rules import (
    Experience,
    grade_holds,
    grade_refusal,
    grade_rule_of,
    language_refusal,
    shared_meeting_languages,
)
from together_contracts.registration import ProgrammeKind, ProgrammeRules, Role
from together_contracts.roles import OFFERING_ROLES, SEEKING_ROLES
from together_contracts.words import Words


@dataclass(frozen=True)
class Programme:
    """What the rules need of the cohort's programme: its kind (a kind not known is mentoring's) and its rules."""

    kind: str | None = None
    rules: ProgrammeRules | None = None

    @property
    def partner(self) -> str:
        return "coach" if self.kind == ProgrammeKind.coaching else "mentor"


@dataclass(frozen=True)
class Side:
    """One side of a request: the roles they hold and the public answers pairing copies (None: not known)."""

    roles: Sequence[str]
    grade: str | None = None
    years_of_service: int | None = None
    languages: Sequence[str] | None = None
    entity: str | None = None
    job_network: str | None = None

    @property
    def experience(self) -> Experience | None:
        if self.grade is None or self.years_of_service is None:
            return None
        return Experience(self.grade, self.years_of_service)

    def acting_as(self, offering: bool) -> Role | None:
        """The role they take in the request: the mentor side's mentor or coach, the mentee side's mentee or client."""
        return next((role for role in (OFFERING_ROLES if offering else SEEKING_ROLES) if role in self.roles), None)


@dataclass(frozen=True)
class Breach:
    """A hard rule a request breaks: its name (as matching names it, or registration's for eligibility) and what it says."""

    rule: str
    words: Words


def eligibility_breaches(programme: Programme, side: Side, *, offering: bool) -> list[Breach]:
    """Why the programme's rules no longer admit this side in its role (entity, job network), if they do not."""
    role = side.acting_as(offering)
    rules = programme.rules
    if rules is None or role is None or role not in rules.roles:
        return []
    out = []
    if side.entity is not None and not entity_admitted(rules, role, side.entity):
        out.append(Breach("eligible_entity", entity_refusal(rules, role, side.entity)))
    if side.job_network is not None and not job_network_admitted(rules, role, side.job_network):
        out.append(Breach("eligible_job_network", job_network_refusal(rules, role, side.job_network)))
    return out


def pair_breaches(programme: Programme, *, mentee: Side, mentor: Side) -> list[Breach]:
    """The grade rule of the programme's kind and a shared meeting language, said to the mentee."""
    out = []
    rule, mine, theirs = grade_rule_of(programme.kind), mentee.experience, mentor.experience
    if mine is not None and theirs is not None and not grade_holds(rule, mentor=theirs, mentee=mine):
        out.append(Breach("grade", grade_refusal(rule, mentor=theirs, mentee=mine)))
    if mentee.languages is not None and mentor.languages is not None:
        meeting = programme.rules.meeting_languages if programme.rules is not None else None
        if not shared_meeting_languages(mentee.languages, mentor.languages, meeting):
            out.append(Breach("language", language_refusal(mentee.languages, mentor.languages, meeting, programme.partner)))
    return out
