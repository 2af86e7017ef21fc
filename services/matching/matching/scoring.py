"""The scoring model: which mentors may be suggested to a mentee, how well they fit, and why. No I/O.

The shape the service codes against:

- `Person`: one participant as matching knows them (id, public profile, capacity, active pairings).
- `Policy` / `policy_for(kind, rules)`: the factor weights and hard rules of one programme. Defaults per
  programme kind (`DEFAULT_WEIGHTS`); `ProgrammeRules.matching_weights` overrides weights by factor
  name, `cross_entity_preferred` / `cross_duty_station_preferred` switch those two preferences.
- `explain(mentee, mentor, policy) -> Explanation`: the score, each `Contribution` (factor, points,
  reason in words) and each `Exclusion` (hard rule, reason). `Explanation.suggested` is False when a
  hard rule excludes the mentor, which answers "why is this mentor NOT suggested to me".
- `CohortIndex.build(mentors, policy)`: the cohort's mentors as columns, for fast scoring.
  `index.top(mentee, k)` is the best `k` (mentor id, score), best first, ties by mentor id;
  `index.top_all(mentees, k)` is the candidate graph of the whole cohort (`CandidateGraph`, CSR
  arrays), computed in blocks. Their scores equal `explain(...).score` up to float32 rounding.

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

Hard rules (`Exclusion.rule`): `self` (nobody is suggested to themself), `language` (a shared meeting
language), `capacity` (the mentor has a free place), `grade` (mentoring: the mentor is more
experienced, a higher grade, or the same grade and more years of service, so a G-level mentee may
get a more experienced G-level or any higher-category mentor; reverse mentoring: the mentor's grade
is below the mentee's; coaching: no grade rule, a coach is chosen for expertise, not rank).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from together_events.contracts.registration import ProgrammeKind, ProgrammeRules, PublicProfile, grade_rank

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
WORKING_DAY = (9, 17)  # local working hours, Monday to Friday
WORKING_HOURS = WORKING_DAY[1] - WORKING_DAY[0]
# Working hours are compared on a week in January and one in July (each zone's offsets on those
# dates, so daylight saving in either hemisphere counts) and averaged.
REFERENCE_MONDAYS = (date(2026, 1, 12), date(2026, 7, 13))


class GradeRule(StrEnum):
    mentor_more_experienced = "mentor_more_experienced"
    mentor_below_mentee = "mentor_below_mentee"
    none = "none"


_GRADE_RULE = {
    ProgrammeKind.reverse_mentoring: GradeRule.mentor_below_mentee,
    ProgrammeKind.coaching: GradeRule.none,
}


@dataclass(frozen=True)
class Person:
    """One participant as matching knows them."""

    participant_id: UUID
    profile: PublicProfile
    capacity: int = 0  # mentor/coach capacity (0 for mentees)
    active_pairings: int = 0

    @property
    def free_places(self) -> int:
        return max(self.capacity - self.active_pairings, 0)


@dataclass(frozen=True)
class Policy:
    """Weights and hard rules of one programme."""

    kind: ProgrammeKind
    weights: Mapping[str, float] = field(default_factory=lambda: dict(_MENTORING))
    grade_rule: GradeRule = GradeRule.mentor_more_experienced
    cross_entity_preferred: bool = True
    cross_duty_station_preferred: bool = False

    def weight(self, factor: str) -> float:
        if factor == "cross_entity" and not self.cross_entity_preferred:
            return 0.0
        if factor == "cross_duty_station" and not self.cross_duty_station_preferred:
            return 0.0
        return float(self.weights.get(factor, 0.0))


def policy_for(kind: ProgrammeKind, rules: ProgrammeRules | None = None) -> Policy:
    """The programme's policy: the kind's defaults, then the programme's overrides by factor name.

    Unknown factor names in `rules.matching_weights` are ignored (rules are written by people; the
    registration service may validate them against `FACTORS`)."""
    weights = dict(DEFAULT_WEIGHTS[kind])
    cross_entity, cross_duty_station = True, False
    if rules is not None:
        weights.update({name: float(w) for name, w in rules.matching_weights.items() if name in FACTORS})
        cross_entity, cross_duty_station = rules.cross_entity_preferred, rules.cross_duty_station_preferred
    return Policy(
        kind=kind,
        weights=weights,
        grade_rule=_GRADE_RULE.get(kind, GradeRule.mentor_more_experienced),
        cross_entity_preferred=cross_entity,
        cross_duty_station_preferred=cross_duty_station,
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
# Working hours across time zones


@lru_cache(maxsize=4096)
def working_week(zone: str) -> tuple[int, ...] | None:
    """The zone's UTC offset (minutes) on each reference working day; None for an unknown zone."""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    offsets = []
    for monday in REFERENCE_MONDAYS:
        for day in range(5):
            d = monday + timedelta(days=day)
            local = datetime(d.year, d.month, d.day, WORKING_DAY[0], tzinfo=tz)
            offset = local.utcoffset()
            offsets.append(int(offset.total_seconds() // 60) if offset is not None else 0)
    return tuple(offsets)


@lru_cache(maxsize=65536)
def _overlap_of_weeks(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    total = 0
    for week in range(len(REFERENCE_MONDAYS)):
        days = range(week * 5, week * 5 + 5)
        # Each working day as minutes from the reference Monday 00:00 UTC.
        spans_a = [((d % 5) * 1440 + WORKING_DAY[0] * 60 - a[d], (d % 5) * 1440 + WORKING_DAY[1] * 60 - a[d]) for d in days]
        spans_b = [((d % 5) * 1440 + WORKING_DAY[0] * 60 - b[d], (d % 5) * 1440 + WORKING_DAY[1] * 60 - b[d]) for d in days]
        for start_a, end_a in spans_a:
            for start_b, end_b in spans_b:
                total += max(0, min(end_a, end_b) - max(start_a, start_b))
    return total / 60 / (5 * len(REFERENCE_MONDAYS))


def working_hours_overlap(zone_a: str, zone_b: str) -> float:
    """Hours a working day (09:00-17:00 local, Monday-Friday) of one zone overlaps the other's, on
    average over a January and a July week. 0 when a zone is unknown."""
    a, b = working_week(zone_a), working_week(zone_b)
    if a is None or b is None:
        return 0.0
    return _overlap_of_weeks(a, b)


# ---------------------------------------------------------------------------------------------
# One pair, in words


def _fold(values: Iterable[str]) -> dict[str, str]:
    """Case- and space-insensitive keys, keeping the first spelling for the words."""
    folded: dict[str, str] = {}
    for value in values:
        folded.setdefault(value.strip().casefold(), value.strip())
    return folded


def _hours(h: float) -> str:
    rounded = round(h * 2) / 2
    text = f"{rounded:g}"
    return f"{text} hour" if rounded == 1 else f"{text} hours"


def _experience(mentor: PublicProfile, mentee: PublicProfile) -> str:
    return (
        f"mentor is {mentor.grade} with {mentor.years_of_service} years of service; "
        f"you are {mentee.grade} with {mentee.years_of_service}"
    )


def _exclusions(mentee: Person, mentor: Person, policy: Policy) -> list[Exclusion]:
    me, them = mentee.profile, mentor.profile
    out = []
    if mentor.participant_id == mentee.participant_id:
        out.append(Exclusion("self", "nobody is suggested to themself"))
    if not _fold(me.languages).keys() & _fold(them.languages).keys():
        out.append(
            Exclusion(
                "language",
                f"no shared meeting language: you asked for {', '.join(me.languages)}; "
                f"the mentor speaks {', '.join(them.languages)}",
            )
        )
    if mentor.free_places == 0:
        out.append(Exclusion("capacity", f"the mentor has no free place ({mentor.active_pairings} of {mentor.capacity} taken)"))
    rank_me, rank_them = grade_rank(me.grade), grade_rank(them.grade)
    if policy.grade_rule is GradeRule.mentor_more_experienced and (rank_them, them.years_of_service) <= (
        rank_me,
        me.years_of_service,
    ):
        out.append(Exclusion("grade", f"the mentor is not more experienced than you: {_experience(them, me)}"))
    if policy.grade_rule is GradeRule.mentor_below_mentee and rank_them >= rank_me:
        out.append(
            Exclusion(
                "grade", f"in reverse mentoring the mentor's grade is below yours: mentor is {them.grade}; you are {me.grade}"
            )
        )
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
        add("grade", 1.0, _experience(them, me))
    extra_years = them.years_of_service - me.years_of_service
    if extra_years > 0:
        add(
            "seniority",
            min(extra_years, SENIORITY_YEARS_CAP) / SENIORITY_YEARS_CAP,
            f"has {extra_years} more years of service than you",
        )
    if them.job_network == me.job_network:
        add("job_network", 1.0, f"both work in {me.job_network}")
    skills, expertise = _fold(them.skills), _fold(them.expertise_areas)
    for key, goal in sorted(_fold(me.goals).items()):
        if key in skills:
            add("skills_for_goals", 1.0, f"has '{goal}' among skills, which is one of your goals")
        elif key in expertise:
            add("skills_for_goals", 1.0, f"has '{goal}' among areas of expertise, which is one of your goals")
    theirs = _fold(them.favourite_activities)
    for key, activity in sorted(_fold(me.favourite_activities).items()):
        if key in theirs:
            add("favourite_activities", 1.0, f"you both like '{activity}'")
    mine = _fold(me.languages)
    shared = [mine[key] for key in _fold(them.languages) if key in mine]
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


def explain(mentee: Person, mentor: Person, policy: Policy) -> Explanation:
    """The mentor's score for this mentee with every point's reason, and the hard rules that exclude
    the mentor (all of them, not just the first), if any."""
    contributions = tuple(_contributions(mentee, mentor, policy))
    return Explanation(
        mentor_id=mentor.participant_id,
        score=math.fsum(c.points for c in contributions),
        contributions=contributions,
        exclusions=tuple(_exclusions(mentee, mentor, policy)),
    )


# ---------------------------------------------------------------------------------------------
# The cohort's mentors as columns


class _Vocab:
    """Distinct values, numbered in order of first appearance."""

    def __init__(self) -> None:
        self.codes: dict[object, int] = {}

    def code(self, value: object) -> int:
        return self.codes.setdefault(value, len(self.codes))

    def get(self, value: object) -> int | None:
        return self.codes.get(value)

    def __len__(self) -> int:
        return len(self.codes)


@dataclass(frozen=True)
class CandidateGraph:
    """Each mentee's best candidates, as CSR arrays: mentee `i`'s candidates are
    `mentor_index[indptr[i]:indptr[i+1]]` (positions in `mentor_ids`), best first, with `score`.

    `no_candidate[i]` says why a mentee has none (`""` when they have some)."""

    mentee_ids: list[UUID]
    mentor_ids: list[UUID]
    indptr: np.ndarray  # int64, len(mentee_ids) + 1
    mentor_index: np.ndarray  # int32
    score: np.ndarray  # float32
    no_candidate: list[str]

    @property
    def edges(self) -> int:
        return int(self.indptr[-1])


_NEG = np.float32(-np.inf)


class CohortIndex:
    """A cohort's mentors with a free place, as columns, scored for many mentees at once.

    The score is bilinear: a mentee row (one number per mentor feature column) times the mentors'
    feature matrix, one float32 matrix product for a block of mentees. The hard rules are two
    integer comparisons (shared language as bit masks; grade and years as one sortable key).
    Rebuilding for a cohort of 20,000 mentors takes a fraction of a second: do it when mentors
    change.
    """

    def __init__(self, mentors: Sequence[Person], policy: Policy) -> None:
        self.policy = policy
        eligible = sorted((m for m in mentors if m.free_places > 0), key=lambda m: m.participant_id)
        self.mentors = eligible
        self.mentor_ids = [m.participant_id for m in eligible]
        self.free_places = np.array([m.free_places for m in eligible], dtype=np.int32)
        self._column = {mid: i for i, mid in enumerate(self.mentor_ids)}
        n = len(eligible)
        w = policy.weight
        self._languages, self._networks = _Vocab(), _Vocab()
        self._entities, self._stations = _Vocab(), _Vocab()
        self._skills, self._activities = _Vocab(), _Vocab()
        self._weeks, self._grades, self._years = _Vocab(), _Vocab(), _Vocab()
        profiles = [m.profile for m in eligible]
        network = [self._networks.code(p.job_network) for p in profiles]
        entity = [self._entities.code(p.entity.strip().casefold()) for p in profiles]
        station = [self._stations.code(p.duty_station.strip().casefold()) for p in profiles]
        week = [self._weeks.code(working_week(p.time_zone)) for p in profiles]
        ranks = [grade_rank(p.grade) for p in profiles]
        grade = [self._grades.code(r) for r in ranks]
        years = [self._years.code(p.years_of_service) for p in profiles]
        skill_sets = [set(_fold(p.skills)) | set(_fold(p.expertise_areas)) for p in profiles]
        skill_codes = [[self._skills.code(s) for s in sorted(ss)] for ss in skill_sets]
        activity_codes = [[self._activities.code(a) for a in sorted(_fold(p.favourite_activities))] for p in profiles]
        language_codes = [[self._languages.code(lang) for lang in _fold(p.languages)] for p in profiles]

        # Feature blocks, skipped when their weight is 0 (fewer columns, faster products).
        blocks: list[tuple[str, int]] = [("bias", 1)]
        for name, vocab, factor in (
            ("job_network", self._networks, "job_network"),
            ("entity", self._entities, "cross_entity"),
            ("station", self._stations, "cross_duty_station"),
            ("skills", self._skills, "skills_for_goals"),
            ("activities", self._activities, "favourite_activities"),
            ("week", self._weeks, "time_zone"),
            ("grade", self._grades, "grade"),
            ("years", self._years, "seniority"),
        ):
            if w(factor) > 0 and len(vocab):
                blocks.append((name, len(vocab)))
        self._offset: dict[str, int] = {}
        width = 0
        for name, size in blocks:
            self._offset[name] = width
            width += size
        self.width = width
        features = np.zeros((width, n), dtype=np.float32)
        columns = np.arange(n)
        features[0, :] = 1.0
        for name, codes in (
            ("job_network", network),
            ("entity", entity),
            ("station", station),
            ("week", week),
            ("grade", grade),
            ("years", years),
        ):
            if name in self._offset:
                features[self._offset[name] + np.asarray(codes, dtype=np.int64), columns] = 1.0
        for name, code_lists in (("skills", skill_codes), ("activities", activity_codes)):
            if name in self._offset:
                for j, codes in enumerate(code_lists):
                    features[[self._offset[name] + c for c in codes], j] = 1.0
        self._features = features

        words = max(1, (len(self._languages) + 63) // 64)
        self._language_bits = np.zeros((words, n), dtype=np.uint64)
        for j, codes in enumerate(language_codes):
            for c in codes:
                self._language_bits[c // 64, j] |= np.uint64(1) << np.uint64(c % 64)
        self._rank = np.asarray(ranks, dtype=np.int16)
        self._experience = np.asarray(
            [r * 256 + min(p.years_of_service, 255) for r, p in zip(ranks, profiles, strict=True)], dtype=np.int16
        )
        # Mentor-side tables the mentee rows read from.
        self._week_of_code = list(self._weeks.codes)
        self._rank_of_code = np.asarray(list(self._grades.codes), dtype=np.int64)
        self._years_of_code = np.asarray(list(self._years.codes), dtype=np.int64)

    @classmethod
    def build(cls, mentors: Sequence[Person], policy: Policy) -> CohortIndex:
        return cls(mentors, policy)

    def __len__(self) -> int:
        return len(self.mentor_ids)

    # -- one mentee as a row ---------------------------------------------------------------------

    def _row(self, mentee: PublicProfile) -> np.ndarray:
        w, off = self.policy.weight, self._offset
        row = np.zeros(self.width, dtype=np.float64)
        row[0] = w("language") + w("cross_entity") + w("cross_duty_station")
        if "job_network" in off and (c := self._networks.get(mentee.job_network)) is not None:
            row[off["job_network"] + c] = w("job_network")
        if "entity" in off and (c := self._entities.get(mentee.entity.strip().casefold())) is not None:
            row[off["entity"] + c] = -w("cross_entity")
        if "station" in off and (c := self._stations.get(mentee.duty_station.strip().casefold())) is not None:
            row[off["station"] + c] = -w("cross_duty_station")
        if "skills" in off:
            for goal in _fold(mentee.goals):
                if (c := self._skills.get(goal)) is not None:
                    row[off["skills"] + c] = w("skills_for_goals")
        if "activities" in off:
            for activity in _fold(mentee.favourite_activities):
                if (c := self._activities.get(activity)) is not None:
                    row[off["activities"] + c] = w("favourite_activities")
        if "week" in off:
            mine = working_week(mentee.time_zone)
            if mine is not None:
                for c, theirs in enumerate(self._week_of_code):
                    if theirs is not None:
                        row[off["week"] + c] = w("time_zone") * _overlap_of_weeks(mine, theirs) / WORKING_HOURS
        rank = grade_rank(mentee.grade)
        if "grade" in off:
            right_side = (
                self._rank_of_code < rank
                if self.policy.grade_rule is GradeRule.mentor_below_mentee
                else self._rank_of_code > rank
            )
            row[off["grade"] : off["grade"] + len(self._grades)] = w("grade") * right_side
        if "years" in off:
            extra = np.clip(self._years_of_code - mentee.years_of_service, 0, SENIORITY_YEARS_CAP)
            row[off["years"] : off["years"] + len(self._years)] = w("seniority") * extra / SENIORITY_YEARS_CAP
        return row

    def _language_mask(self, mentee: PublicProfile) -> np.ndarray:
        bits = np.zeros(self._language_bits.shape[0], dtype=np.uint64)
        for language in _fold(mentee.languages):
            if (c := self._languages.get(language)) is not None:
                bits[c // 64] |= np.uint64(1) << np.uint64(c % 64)
        return bits

    def _hard_keys(self, mentee: PublicProfile) -> tuple[int, int]:
        rank = grade_rank(mentee.grade)
        return rank, rank * 256 + min(mentee.years_of_service, 255)

    # -- scoring blocks ---------------------------------------------------------------------------

    def _score_block(self, mentees: Sequence[Person]) -> np.ndarray:
        """Scores (len(mentees) x mentors), float32, -inf where a hard rule excludes."""
        profiles = [m.profile for m in mentees]
        rows = (
            np.stack([self._row(p) for p in profiles]).astype(np.float32) if profiles else np.zeros((0, self.width), np.float32)
        )
        scores = rows @ self._features
        allowed = np.zeros(scores.shape, dtype=bool)
        for w in range(self._language_bits.shape[0]):
            mine = np.array([self._language_mask(p)[w] for p in profiles], dtype=np.uint64)[:, None]
            allowed |= (self._language_bits[w][None, :] & mine) != 0
        keys = np.array([self._hard_keys(p) for p in profiles], dtype=np.int16).reshape(-1, 2)
        if self.policy.grade_rule is GradeRule.mentor_more_experienced:
            allowed &= self._experience[None, :] > keys[:, 1:2]
        elif self.policy.grade_rule is GradeRule.mentor_below_mentee:
            allowed &= self._rank[None, :] < keys[:, 0:1]
        np.copyto(scores, _NEG, where=~allowed)
        for i, mentee in enumerate(mentees):
            if (col := self._column.get(mentee.participant_id)) is not None:
                scores[i, col] = _NEG
        return scores

    def top(self, mentee: Person, k: int) -> list[tuple[UUID, float]]:
        """The best `k` mentors for this mentee (id, score), best first, ties by mentor id."""
        if k <= 0 or not self.mentor_ids:
            return []
        scores = self._score_block([mentee])[0]
        cols = _top_columns(scores, k)
        return [(self.mentor_ids[c], float(scores[c])) for c in cols]

    def top_all(self, mentees: Sequence[Person], k: int, block: int = 256) -> CandidateGraph:
        """Each mentee's best `k` candidates, computed `block` mentees at a time (memory stays at a
        block's scores, not the cohort's)."""
        indptr = np.zeros(len(mentees) + 1, dtype=np.int64)
        cols_parts: list[np.ndarray] = []
        score_parts: list[np.ndarray] = []
        no_candidate = [""] * len(mentees)
        for start in range(0, len(mentees), block):
            chunk = mentees[start : start + block]
            scores = self._score_block(chunk)
            cols, counts = _top_columns_block(scores, k)
            cols_parts.append(cols)
            score_parts.append(scores[np.repeat(np.arange(len(chunk)), counts), cols])
            indptr[start + 1 : start + len(chunk) + 1] = counts
            for i in np.flatnonzero(counts == 0):
                no_candidate[start + i] = self.why_no_candidate(chunk[i])
        np.cumsum(indptr, out=indptr)
        return CandidateGraph(
            mentee_ids=[m.participant_id for m in mentees],
            mentor_ids=self.mentor_ids,
            indptr=indptr,
            mentor_index=np.concatenate(cols_parts).astype(np.int32) if cols_parts else np.zeros(0, np.int32),
            score=np.concatenate(score_parts).astype(np.float32) if score_parts else np.zeros(0, np.float32),
            no_candidate=no_candidate,
        )

    def why_no_candidate(self, mentee: Person) -> str:
        """Why no mentor of this index may be suggested to the mentee ("" if one may)."""
        if not self.mentor_ids:
            return "no mentor has a free place"
        others = [m for m in self.mentors if m.participant_id != mentee.participant_id]
        if not others:
            return "no mentor has a free place"
        rules = [{e.rule for e in _exclusions(mentee, m, self.policy)} for m in others]
        if all("language" in r for r in rules):
            return "no mentor with a free place shares a meeting language with you"
        if all("grade" in r for r in rules):
            if self.policy.grade_rule is GradeRule.mentor_below_mentee:
                return "no mentor with a free place has a grade below yours"
            return "no mentor with a free place is more experienced than you"
        if all(r for r in rules):
            return "no mentor with a free place both shares a meeting language and has the right grade"
        return ""


def _top_columns(scores: np.ndarray, k: int) -> np.ndarray:
    """Columns of the best `k` finite scores of one row, best first, ties by column."""
    finite = np.flatnonzero(scores > _NEG)
    if finite.size > k:
        part = finite[np.argpartition(-scores[finite], k - 1)[:k]]
        kth = scores[part].min()
        # Everything tied with the k-th best competes for the last places by column order.
        finite = np.flatnonzero(scores >= kth)
    order = np.lexsort((finite, -scores[finite]))
    return finite[order[:k]]


def _top_columns_block(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row the best `k` finite columns (best first, ties by column): flat columns, counts."""
    rows, cols = scores.shape
    if cols == 0 or rows == 0:
        return np.zeros(0, np.int64), np.zeros(rows, np.int64)
    if cols > k:
        kth = -np.partition(-scores, k - 1, axis=1)[:, k - 1 : k]
        kth = np.maximum(kth, np.float32(np.finfo(np.float32).min))  # -inf rows: only finite scores count
        r, c = np.nonzero(scores >= kth)
    else:
        r, c = np.nonzero(scores > _NEG)
    s = scores[r, c]
    order = np.lexsort((c, -s, r))
    r, c = r[order], c[order]
    counts = np.bincount(r, minlength=rows)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rank_in_row = np.arange(r.size) - starts[r]
    keep = rank_in_row < k
    return c[keep], np.minimum(counts, k)
