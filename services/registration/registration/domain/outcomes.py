"""A cohort's outcomes report for its programme team: what happened to the people who asked to join,
and to the pairings they formed, as counts, means, medians and shares; each for the whole cohort and
broken down by entity, grade band, gender and duty station.

No group smaller than `MINIMUM_GROUP` people is shown: the small groups of a breakdown are folded into
`other`, and `other` is hidden too if it is still smaller (ADR 0011). A group's size is the number of
people the measure is about in it (the registered, the mentees of the pairings, who answered a survey,
who gave an assessment); a refused registration counts as one person, since nothing says who it was.
Pure: the facts come in (`CohortFacts`), the rows go out.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

MINIMUM_GROUP = 5
DIMENSIONS = ("entity", "grade_band", "gender", "duty_station")
WHOLE_COHORT = ("cohort", "all")  # the dimension and group of the rows about everyone
OTHER = "other"
NOT_STATED = "not stated"
SECONDS_PER_DAY = 86_400


def grade_band(grade: str | None) -> str:
    """The grade's category: G-6 is G, NO-B is NO, FS-4 is FS, P-3 is P, D-1 is D; ASG and USG are their own."""
    if not grade:
        return NOT_STATED
    return grade.split("-", 1)[0]


def groups_of(profile: Mapping[str, object]) -> dict[str, str]:
    """The groups a person falls in, from their public answers (entity, grade, gender, duty station)."""

    def stated(name: str) -> str:
        value = profile.get(name)
        return str(value).strip() if value is not None and str(value).strip() else NOT_STATED

    return {
        "entity": stated("entity"),
        "grade_band": grade_band(str(profile["grade"]) if profile.get("grade") is not None else None),
        "gender": stated("gender"),
        "duty_station": stated("duty_station"),
    }


class PairingState(StrEnum):
    open = "open"  # formed, neither ended nor completed yet
    completed = "completed"  # ran to the cohort's end (PairingCompleted)
    ended_early = "ended_early"  # ended before it (PairingEnded)


class EarlyEnd(StrEnum):
    """Why a pairing ended early, from PairingEnded: who ended it, and whether because they left the cohort."""

    mentee_ended = "mentee_ended"  # the mentee asked for a new mentor
    mentor_ended = "mentor_ended"  # the mentor (a coach) ended it
    mentee_withdrew = "mentee_withdrew"  # the mentee left the cohort
    mentor_withdrew = "mentor_withdrew"  # the mentor left the cohort

    @classmethod
    def of(cls, ended_by: str, participant_withdrew: bool) -> EarlyEnd:
        return cls(f"{ended_by}_{'withdrew' if participant_withdrew else 'ended'}")


@dataclass(frozen=True)
class Registrant:
    """A registration the rules accepted and whose address was verified (an unverified one never joined)."""

    id: UUID
    groups: Mapping[str, str]
    placed_at: datetime | None  # when they got a place: at verification, or admitted from the waitlist later
    waitlisted: bool
    withdrawn: bool


@dataclass(frozen=True)
class Refusal:
    """A registration the programme's eligibility rules refused; `groups` from the refused answers."""

    id: UUID
    rules: tuple[str, ...]
    groups: Mapping[str, str]


@dataclass(frozen=True)
class PairingOutcome:
    id: UUID
    mentee_id: UUID
    mentor_id: UUID
    formed_at: datetime | None  # None if its end arrived and its forming did not (yet)
    state: PairingState
    early_end: EarlyEnd | None
    sessions_held: int


@dataclass(frozen=True)
class SurveyScores:
    """A participant's last answer to each survey: confidence 1-5 before and after, satisfaction after."""

    participant_id: UUID
    pre_confidence: int | None
    post_confidence: int | None
    post_satisfaction: int | None


@dataclass(frozen=True)
class Assessment:
    """A pairing's final assessment as one partner last gave it."""

    pairing_id: UUID
    participant_id: UUID
    items_rated: int
    items_met: int


@dataclass(frozen=True)
class CohortFacts:
    registrants: tuple[Registrant, ...]
    refusals: tuple[Refusal, ...]
    pairings: tuple[PairingOutcome, ...]
    surveys: tuple[SurveyScores, ...]
    assessments: tuple[Assessment, ...]


@dataclass(frozen=True)
class Row:
    measure: str
    dimension: str
    group: str
    people: int  # how many people the measure is about in this group
    value: int | float | None  # a count is an int; None: nothing to measure (a mean of no answers)


@dataclass(frozen=True)
class _Item:
    """One fact a measure takes in: whom it is about (their groups), its value and its weight."""

    person: UUID
    groups: Mapping[str, str]
    value: float
    weight: float = 1.0


Aggregate = Callable[[list[_Item]], int | float | None]


def _count(items: list[_Item]) -> int:
    return round(sum(item.value for item in items))


def _mean(items: list[_Item]) -> float | None:
    """The weighted mean: a plain mean with weights of 1, a share of items met with the items rated."""
    weight = sum(item.weight for item in items)
    return round(sum(item.value for item in items) / weight, 2) if weight else None


def _median(items: list[_Item]) -> float | None:
    return round(statistics.median(item.value for item in items), 2) if items else None


def _people(items: Iterable[_Item]) -> int:
    return len({item.person for item in items})


def _groups(items: list[_Item], dimension: str, minimum: int) -> list[tuple[str, list[_Item]]]:
    """The groups of one dimension large enough to show, the small ones folded into `other` (hidden if still small)."""
    by_group: dict[str, list[_Item]] = defaultdict(list)
    for item in items:
        by_group[item.groups[dimension]].append(item)
    shown: list[tuple[str, list[_Item]]] = []
    folded: list[_Item] = []
    for group in sorted(by_group, key=str.casefold):
        members = by_group[group]
        if _people(members) >= minimum and group.casefold() != OTHER:
            shown.append((group, members))
        else:
            folded += members
    if folded and _people(folded) >= minimum:
        shown.append((OTHER, folded))
    return shown


def _rows(measure: str, items: list[_Item], aggregate: Aggregate, minimum: int) -> list[Row]:
    dimension, group = WHOLE_COHORT
    rows = [Row(measure, dimension, group, _people(items), aggregate(items))]
    for dimension in DIMENSIONS:
        rows += [
            Row(measure, dimension, group, _people(members), aggregate(members))
            for group, members in _groups(items, dimension, minimum)
        ]
    return rows


def _days(start: datetime, end: datetime) -> float:
    return max((end - start).total_seconds(), 0.0) / SECONDS_PER_DAY


Measure = tuple[str, list[_Item], Aggregate]


def _flag(registrant: Registrant, yes: bool) -> _Item:
    return _Item(registrant.id, registrant.groups, 1.0 if yes else 0.0)


def _joining(facts: CohortFacts) -> list[Measure]:
    """Who asked to join: accepted (registered, the address verified) or refused by the eligibility rules; then
    where the accepted stand. Everyone who asked is one person of the population, a refused attempt included."""
    asked: list[tuple[Refusal | None, _Item]] = [(None, _flag(r, True)) for r in facts.registrants]
    asked += [(refusal, _Item(refusal.id, refusal.groups, 1.0)) for refusal in facts.refusals]

    def counting(counts: Callable[[Refusal | None], bool]) -> list[_Item]:
        return [_Item(item.person, item.groups, 1.0 if counts(refusal) else 0.0) for refusal, item in asked]

    measures: list[Measure] = [
        ("registered", counting(lambda refusal: True), _count),
        ("accepted", counting(lambda refusal: refusal is None), _count),
        ("refused", counting(lambda refusal: refusal is not None), _count),
    ]
    for rule in sorted({rule for refusal in facts.refusals for rule in refusal.rules}):
        measures.append((f"refused_by_{rule}", counting(_refused_by(rule)), _count))
    paired = {p.mentee_id for p in facts.pairings} | {p.mentor_id for p in facts.pairings}
    return measures + [
        ("waitlisted", [_flag(r, r.waitlisted) for r in facts.registrants], _count),
        ("withdrawn", [_flag(r, r.withdrawn) for r in facts.registrants], _count),
        ("paired", [_flag(r, r.id in paired) for r in facts.registrants], _count),
    ]


def _pairing(facts: CohortFacts, people: Mapping[UUID, Registrant]) -> list[Measure]:
    """How long mentees waited for a pairing, and how the pairings went, each counted in its mentee's groups."""
    first_paired: dict[UUID, datetime] = {}
    for pairing in facts.pairings:
        if pairing.formed_at is not None:
            known = first_paired.get(pairing.mentee_id)
            first_paired[pairing.mentee_id] = pairing.formed_at if known is None else min(known, pairing.formed_at)
    waits = [
        _Item(mentee.id, mentee.groups, _days(mentee.placed_at, formed))
        for mentee_id, formed in first_paired.items()
        if (mentee := people.get(mentee_id)) is not None and mentee.placed_at is not None
    ]
    pairings = [(p, people[p.mentee_id]) for p in facts.pairings if p.mentee_id in people]

    def per_pairing(value: Callable[[PairingOutcome], float]) -> list[_Item]:
        return [_Item(mentee.id, mentee.groups, value(p)) for p, mentee in pairings]

    measures: list[Measure] = [
        ("time_to_pairing_days_mean", waits, _mean),
        ("time_to_pairing_days_median", waits, _median),
        ("pairings", per_pairing(lambda p: 1.0), _count),
        ("sessions_per_pairing_mean", per_pairing(lambda p: p.sessions_held), _mean),
        ("sessions_per_pairing_median", per_pairing(lambda p: p.sessions_held), _median),
    ]
    measures += [(f"pairings_{state.value}", per_pairing(_in_state(state)), _count) for state in PairingState]
    return measures + [
        (f"pairings_ended_early_{reason.value}", per_pairing(_ended_because(reason)), _count)
        for reason in EarlyEnd
        if any(p.early_end is reason for p, _ in pairings)
    ]


def _answers(facts: CohortFacts, people: Mapping[UUID, Registrant]) -> list[Measure]:
    """The surveys before and after (the change over who answered both), and the final assessments."""
    answered = [(s, people[s.participant_id]) for s in facts.surveys if s.participant_id in people]

    def scores(value: Callable[[SurveyScores], int | None]) -> list[_Item]:
        return [_Item(who.id, who.groups, float(v)) for s, who in answered if (v := value(s)) is not None]

    change = [
        _Item(who.id, who.groups, float(s.post_confidence - s.pre_confidence))
        for s, who in answered
        if s.pre_confidence is not None and s.post_confidence is not None
    ]
    assessments = [
        _Item(who.id, who.groups, float(a.items_met), float(a.items_rated))  # weighted: items met of items rated
        for a in facts.assessments
        if (who := people.get(a.participant_id)) is not None
    ]
    return [
        ("pre_survey_confidence_mean", scores(lambda s: s.pre_confidence), _mean),
        ("post_survey_confidence_mean", scores(lambda s: s.post_confidence), _mean),
        ("survey_confidence_change_mean", change, _mean),
        ("post_survey_satisfaction_mean", scores(lambda s: s.post_satisfaction), _mean),
        ("final_assessments", [_Item(i.person, i.groups, 1.0) for i in assessments], _count),
        ("goals_met_share", assessments, _mean),
    ]


def _refused_by(rule: str) -> Callable[[Refusal | None], bool]:
    return lambda refusal: refusal is not None and rule in refusal.rules


def _in_state(state: PairingState) -> Callable[[PairingOutcome], float]:
    return lambda pairing: 1.0 if pairing.state is state else 0.0


def _ended_because(reason: EarlyEnd) -> Callable[[PairingOutcome], float]:
    return lambda pairing: 1.0 if pairing.early_end is reason else 0.0


def report(facts: CohortFacts, *, minimum: int = MINIMUM_GROUP) -> list[Row]:
    """Every measure for the whole cohort, then by each dimension's groups (small ones folded or hidden)."""
    people = {registrant.id: registrant for registrant in facts.registrants}
    measures = _joining(facts) + _pairing(facts, people) + _answers(facts, people)
    return [row for measure, items, aggregate in measures for row in _rows(measure, items, aggregate, minimum)]
