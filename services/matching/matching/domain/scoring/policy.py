"""A programme's scoring policy, and one pair explained in words. No I/O.

- `Person`: one participant as matching knows them (id, public profile, capacity, active pairings).
- `Policy` / `policy_for(kind, rules)`: the factor weights and hard rules of one programme. Defaults per
  programme kind (`DEFAULT_WEIGHTS`); `ProgrammeRules.matching_weights` overrides weights by factor
  name, `cross_entity_preferred` / `cross_duty_station_preferred` switch those two preferences.
- `explain(mentee, mentor, policy) -> Explanation`: the score, each `Contribution` (factor, points,
  reason in words) and each `Exclusion` (hard rule, reason). `Explanation.suggested` is False when a
  hard rule excludes the mentor, which answers "why is this mentor NOT suggested to me".

Factors (points added when they apply; weights per programme):

| factor | points |
| --- | --- |
| `grade` | weight, when the mentor's grade is above yours (reverse mentoring: below) |
| `seniority` | weight x (the mentor's extra years of service, up to 10) / 10 |
| `job_network` | weight, same job network |
| `skills_for_goals` | weight for each of your goals among the mentor's skills or areas of expertise |
| `favourite_activities` | weight for each favourite activity you share |
| `language` | weight, a shared meeting language (always, since it is also a hard rule) |
| `time_zone` | weight x (hours your 09:00-17:00 working days overlap) / 8 |
| `cross_entity` | weight, another entity than yours (when the programme prefers it) |
| `cross_duty_station` | weight, another duty station than yours (when the programme prefers it) |

Hard rules (`Exclusion.rule`): `self` (nobody is suggested to themself), `language` (a language both
speak among the programme's meeting languages), `capacity` (the mentor has a free place), `grade`
(mentoring: the mentor is more experienced, a higher grade, or the same grade and more years of
service, so a G-level mentee may get a more experienced G-level or any higher-category mentor;
reverse mentoring: the mentor's grade is below the mentee's; coaching: no grade rule, a coach is
chosen for expertise, not rank). The grade and language rules, and their words in English, French
and Spanish, are `together_contracts.hard_rules`: pairing refuses requests by the same rules.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from uuid import UUID

from matching.domain.scoring.working_hours import WORKING_HOURS, working_hours_overlap
from together_contracts.hard_rules import (
    Experience,
    GradeRule,
    grade_holds,
    grade_refusal,
    grade_rule_of,
    language_refusal,
    shared_meeting_languages,
)
from together_contracts.registration import ProgrammeKind, ProgrammeRules, PublicProfile, grade_rank
from together_contracts.roles import places_left
from together_contracts.words import DEFAULT_LANGUAGE, Words

FACTORS: tuple[str, ...] = (
    "grade",
    "seniority",
    "job_network",
    "skills_for_goals",
    "favourite_activities",
    "language",
    "time_zone",
    "cross_entity",
    "cross_duty_station",
)

_MENTORING = {
    "grade": 2.0,
    "seniority": 1.0,
    "job_network": 3.0,
    "skills_for_goals": 2.0,
    "favourite_activities": 0.5,
    "language": 1.0,
    "time_zone": 2.0,
    "cross_entity": 1.0,
    "cross_duty_station": 1.0,
}

# Defaults per programme kind. Reverse mentoring: juniors mentor seniors, so the mentor's years are no
# merit. Coaching: the coach's expertise against the client's goals is what counts, not rank.
DEFAULT_WEIGHTS: Mapping[ProgrammeKind, Mapping[str, float]] = {
    ProgrammeKind.mentoring: _MENTORING,
    ProgrammeKind.networking_mentoring: _MENTORING,
    ProgrammeKind.on_the_job_learning: _MENTORING,
    ProgrammeKind.reverse_mentoring: {**_MENTORING, "seniority": 0.0},
    ProgrammeKind.coaching: {**_MENTORING, "grade": 0.0, "seniority": 0.0, "job_network": 1.0, "skills_for_goals": 3.0},
}

SENIORITY_YEARS_CAP = 10


@dataclass(frozen=True)
class Person:
    """One participant as matching knows them."""

    participant_id: UUID
    profile: PublicProfile
    capacity: int = 0  # mentor/coach capacity (0 for mentees)
    active_pairings: int = 0

    @property
    def free_places(self) -> int:
        return places_left(self.capacity, self.active_pairings)


@dataclass(frozen=True)
class Policy:
    """Weights and hard rules of one programme."""

    kind: ProgrammeKind
    weights: Mapping[str, float] = field(default_factory=lambda: dict(_MENTORING))
    grade_rule: GradeRule = GradeRule.mentor_more_experienced
    cross_entity_preferred: bool = True
    cross_duty_station_preferred: bool = False
    meeting_languages: tuple[str, ...] | None = None  # the programme's; None (not known): any shared language counts

    @property
    def partner(self) -> str:
        """What the one suggested is called in the words participants read."""
        return "coach" if self.kind is ProgrammeKind.coaching else "mentor"

    def weight(self, factor: str) -> float:
        if factor == "cross_entity" and not self.cross_entity_preferred:
            return 0.0
        if factor == "cross_duty_station" and not self.cross_duty_station_preferred:
            return 0.0
        return float(self.weights.get(factor, 0.0))


def policy_for(kind: ProgrammeKind, rules: ProgrammeRules | None = None) -> Policy:
    """The programme's policy: the kind's defaults, then the programme's overrides by factor name.

    Unknown factor names in `rules.matching_weights` are ignored (rules are written by people; the
    registration service may validate them against `FACTORS`). Without rules (a programme from before
    they existed, or not known yet) any language both speak counts as a meeting language."""
    weights = dict(DEFAULT_WEIGHTS[kind])
    cross_entity, cross_duty_station = True, False
    meeting_languages = None
    if rules is not None:
        weights.update({name: float(w) for name, w in rules.matching_weights.items() if name in FACTORS})
        cross_entity, cross_duty_station = rules.cross_entity_preferred, rules.cross_duty_station_preferred
        meeting_languages = tuple(rules.meeting_languages)
    return Policy(
        kind=kind,
        weights=weights,
        grade_rule=grade_rule_of(kind),
        cross_entity_preferred=cross_entity,
        cross_duty_station_preferred=cross_duty_station,
        meeting_languages=meeting_languages,
    )


@dataclass(frozen=True)
class Contribution:
    factor: str
    points: float
    reason: str  # in words a participant understands


@dataclass(frozen=True)
class Exclusion:
    rule: str  # self, language, capacity, grade
    reason: str


@dataclass(frozen=True)
class Explanation:
    mentor_id: UUID
    score: float
    contributions: tuple[Contribution, ...]
    exclusions: tuple[Exclusion, ...]

    @property
    def suggested(self) -> bool:
        return not self.exclusions

    @property
    def reasons(self) -> list[str]:
        return [c.reason for c in self.contributions]


# ---------------------------------------------------------------------------------------------
# One pair, in words


def fold(values: Iterable[str]) -> dict[str, str]:
    """Case- and space-insensitive keys, keeping the first spelling for the words."""
    folded: dict[str, str] = {}
    for value in values:
        folded.setdefault(value.strip().casefold(), value.strip())
    return folded


def _hours(h: float) -> str:
    rounded = round(h * 2) / 2
    text = f"{rounded:g}"
    return f"{text} hour" if rounded == 1 else f"{text} hours"


def _experience(mentor: PublicProfile, mentee: PublicProfile, partner: str = "mentor") -> str:
    return (
        f"{partner} is {mentor.grade} with {mentor.years_of_service} years of service; "
        f"you are {mentee.grade} with {mentee.years_of_service}"
    )


def _exclusions(mentee: Person, mentor: Person, policy: Policy, language: str) -> list[Exclusion]:
    me, them = mentee.profile, mentor.profile
    out = []
    if mentor.participant_id == mentee.participant_id:
        said = Words("nobody is suggested to themself", "personne ne se voit suggéré à soi-même", "nadie se sugiere a sí mismo")
        out.append(Exclusion("self", said.in_(language)))
    if not shared_meeting_languages(me.languages, them.languages, policy.meeting_languages):
        said = language_refusal(me.languages, them.languages, policy.meeting_languages, policy.partner)
        out.append(Exclusion("language", said.in_(language)))
    if mentor.free_places == 0:
        taken, of = mentor.active_pairings, mentor.capacity
        said = Words(
            f"the {policy.partner} has no free place ({taken} of {of} taken)",
            f"le {policy.partner} n'a plus de place libre ({taken} sur {of} prises)",
            f"el {policy.partner} no tiene plazas libres ({taken} de {of} ocupadas)",
        )
        out.append(Exclusion("capacity", said.in_(language)))
    experience = Experience(them.grade, them.years_of_service), Experience(me.grade, me.years_of_service)
    if not grade_holds(policy.grade_rule, mentor=experience[0], mentee=experience[1]):
        out.append(Exclusion("grade", grade_refusal(policy.grade_rule, mentor=experience[0], mentee=experience[1]).in_(language)))
    return out


def _contributions(mentee: Person, mentor: Person, policy: Policy) -> list[Contribution]:
    me, them = mentee.profile, mentor.profile
    out: list[Contribution] = []

    def add(factor: str, share: float, reason: str) -> None:
        points = policy.weight(factor) * share
        if points > 0:
            out.append(Contribution(factor, points, reason))

    rank_me, rank_them = grade_rank(me.grade), grade_rank(them.grade)
    above = rank_them > rank_me if policy.grade_rule is not GradeRule.mentor_below_mentee else rank_them < rank_me
    if above:
        add("grade", 1.0, _experience(them, me, policy.partner))
    extra_years = them.years_of_service - me.years_of_service
    if extra_years > 0:
        add(
            "seniority",
            min(extra_years, SENIORITY_YEARS_CAP) / SENIORITY_YEARS_CAP,
            f"has {extra_years} more years of service than you",
        )
    if them.job_network == me.job_network:
        add("job_network", 1.0, f"both work in {me.job_network}")
    skills, expertise = fold(them.skills), fold(them.expertise_areas)
    for key, goal in sorted(fold(me.goals).items()):
        if key in skills:
            add("skills_for_goals", 1.0, f"has '{goal}' among skills, which is one of your goals")
        elif key in expertise:
            add("skills_for_goals", 1.0, f"has '{goal}' among areas of expertise, which is one of your goals")
    theirs = fold(them.favourite_activities)
    for key, activity in sorted(fold(me.favourite_activities).items()):
        if key in theirs:
            add("favourite_activities", 1.0, f"you both like '{activity}'")
    shared = shared_meeting_languages(me.languages, them.languages, policy.meeting_languages)
    if shared:
        add("language", 1.0, f"speaks {' and '.join(shared)}, as you asked")
    overlap = working_hours_overlap(me.time_zone, them.time_zone)
    if overlap > 0:
        add("time_zone", overlap / WORKING_HOURS, f"your working hours overlap by {_hours(overlap)} a day")
    if them.entity.strip().casefold() != me.entity.strip().casefold():
        add("cross_entity", 1.0, f"works at {them.entity}, another entity than yours: a wider network")
    if them.duty_station.strip().casefold() != me.duty_station.strip().casefold():
        add("cross_duty_station", 1.0, f"based in {them.duty_station}, another duty station than yours")
    return out


def explain(mentee: Person, mentor: Person, policy: Policy, language: str = DEFAULT_LANGUAGE) -> Explanation:
    """The mentor's score for this mentee with every point's reason, and the hard rules that exclude
    the mentor (all of them, not just the first), if any. The exclusions are worded in `language`; the
    reasons of the points in English, as `SuggestionsServed` records them."""
    contributions = tuple(_contributions(mentee, mentor, policy))
    return Explanation(
        mentor_id=mentor.participant_id,
        score=math.fsum(c.points for c in contributions),
        contributions=contributions,
        exclusions=tuple(_exclusions(mentee, mentor, policy, language)),
    )
