"""Synthetic cohorts: every answer drawn as a numpy column first, people read from the columns.

Drawing column by column (never person by person) is what makes 77,000 people take well
under a second; reading a person back from the columns is what makes the per-person forms
(questionnaire dicts, PublicProfile) and the columnar form the same people by construction.

Determinism: each attribute has its own random stream, seeded from (seed, attribute name)
with a stable hash (crc32), so the output depends on the seed and the sizes only: not on the
process, PYTHONHASHSEED, dict or set ordering.
"""

from __future__ import annotations

import unicodedata
import zlib
from dataclasses import dataclass, fields
from datetime import datetime
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from together_contracts.registration import GRADES, PublicProfile
from together_synthetic import vocabulary as v

# The registration questionnaire, exactly: what `Participant.questionnaire()` returns.
QUESTIONNAIRE_KEYS: tuple[str, ...] = (
    "name", "email", "index_number", "appointment_type", "entity", "duty_station", "time_zone", "grade",
    "years_of_service", "job_network", "job_family", "languages", "gender", "skills", "goals",
    "favourite_activities", "expertise_areas", "linkedin_url", "bio", "preferred_language", "roles",
    "mentor_capacity", "coach_capacity",
)  # fmt: skip

# The two sides of each kind of programme: who offers (mentor, coach) and who asks (mentee, client).
KINDS: dict[str, tuple[str, str]] = {"mentoring": ("mentor", "mentee"), "coaching": ("coach", "client")}
# How many partners a mentor (1-2) or a coach (1-3) offers to take, and how often.
CAPACITY_WEIGHTS = {"mentoring": (0.55, 0.45), "coaching": (0.30, 0.45, 0.25)}
# How many skills and goals people list: (least, most) for givers only, both, takers only.
SKILL_COUNTS = ((3, 7), (2, 6), (1, 4))
GOAL_COUNTS = ((0, 1), (1, 3), (2, 5))
ACTIVITY_COUNTS = (1, 3)
EXPERTISE_COUNTS = (1, 3)

FAMILIES: tuple[str, ...] = tuple(f for network in v.JOB_NETWORKS for f in v.JOB_FAMILIES[network])
FAMILY_NETWORK = np.array([v.JOB_NETWORKS.index(n) for n in v.JOB_NETWORKS for _ in v.JOB_FAMILIES[n]], dtype=np.int8)
FAMILY_RANK = np.array([rank for n in v.JOB_NETWORKS for rank in range(len(v.JOB_FAMILIES[n]))])  # order within its network
_GIVER, _BOTH, _TAKER = 0, 1, 2


@dataclass(frozen=True)
class CohortColumns:
    """One numpy array per answer, one row per person. Vocabulary columns hold an index into the
    tuple of `together_synthetic.vocabulary` named in the comment; set-valued answers are bitmasks
    (bit i set when item i of that tuple is chosen)."""

    grade_rank: np.ndarray  # int8, GRADES index (= together_events grade_rank)
    years_of_service: np.ndarray  # int16
    job_network: np.ndarray  # int8, JOB_NETWORKS
    job_family: np.ndarray  # int16, FAMILIES (FAMILY_NETWORK maps it to its network)
    entity: np.ndarray  # int16, ENTITIES
    duty_station: np.ndarray  # int16, DUTY_STATIONS (utc_offset_minutes() gives the offset)
    languages: np.ndarray  # uint16 bitmask over LANGUAGES
    skills: np.ndarray  # uint64 bitmask over TOPICS
    goals: np.ndarray  # uint64 bitmask over TOPICS
    activities: np.ndarray  # uint16 bitmask over FAVOURITE_ACTIVITIES
    expertise: np.ndarray  # uint8 bitmask over EXPERTISE_AREAS (coaches only)
    gender: np.ndarray  # int8, GENDERS
    appointment_type: np.ndarray  # int8, APPOINTMENT_TYPES
    preferred_language: np.ndarray  # int8, PREFERRED_LANGUAGES
    giver: np.ndarray  # bool: mentor or coach
    taker: np.ndarray  # bool: mentee or client
    capacity: np.ndarray  # int8: partners a giver takes; 0 for takers only
    first_name: np.ndarray  # int16, FIRST_NAMES
    last_name: np.ndarray  # int16, LAST_NAMES
    index_number: np.ndarray  # int32, unique in the cohort
    has_linkedin: np.ndarray  # bool
    bio_style: np.ndarray  # int8, -1 for no bio

    def __len__(self) -> int:
        return len(self.grade_rank)

    def take(self, rows: slice | np.ndarray) -> CohortColumns:
        """The same columns for some rows (a slice gives views, no copy)."""
        return CohortColumns(**{f.name: getattr(self, f.name)[rows] for f in fields(self)})

    def utc_offset_minutes(self, at: datetime) -> np.ndarray:
        """Each person's UTC offset at the instant `at` (daylight saving included), in minutes."""
        offsets = np.array([_offset_minutes(s.time_zone, at) for s in v.DUTY_STATIONS], dtype=np.int16)
        by_person: np.ndarray = offsets[self.duty_station]
        return by_person

    @property
    def nbytes(self) -> int:
        return sum(getattr(self, f.name).nbytes for f in fields(self))


def _offset_minutes(time_zone: str, at: datetime) -> int:
    offset = at.astimezone(ZoneInfo(time_zone)).utcoffset()
    assert offset is not None
    return int(offset.total_seconds() // 60)


@dataclass(frozen=True)
class Participant:
    """One synthetic person: the questionnaire's answers, read from row `row` of the columns."""

    row: int
    name: str
    email: str
    index_number: str
    appointment_type: str
    entity: str
    duty_station: str
    time_zone: str
    grade: str
    years_of_service: int
    job_network: str
    job_family: str
    languages: tuple[str, ...]
    gender: str | None
    skills: tuple[str, ...]
    goals: tuple[str, ...]
    favourite_activities: tuple[str, ...]
    expertise_areas: tuple[str, ...]
    linkedin_url: str | None
    bio: str | None
    preferred_language: str
    roles: tuple[str, ...]
    mentor_capacity: int | None
    coach_capacity: int | None

    def questionnaire(self) -> dict[str, Any]:
        """The registration questionnaire's answers, keys exactly QUESTIONNAIRE_KEYS (lists, not tuples: JSON-ready)."""
        answers = {key: getattr(self, key) for key in QUESTIONNAIRE_KEYS}
        return {key: list(value) if isinstance(value, tuple) else value for key, value in answers.items()}

    def profile(self) -> PublicProfile:
        """The public part of the answers, as matching and partners see it."""
        return PublicProfile(
            display_name=self.name,
            entity=self.entity,
            duty_station=self.duty_station,
            time_zone=self.time_zone,
            grade=self.grade,
            years_of_service=self.years_of_service,
            job_network=self.job_network,
            languages=list(self.languages),
            skills=list(self.skills),
            goals=list(self.goals),
            job_family=self.job_family,
            gender=self.gender,
            favourite_activities=list(self.favourite_activities),
            expertise_areas=list(self.expertise_areas),
            bio=self.bio,
            linkedin_url=self.linkedin_url,
        )


class SyntheticCohort:
    """The people of one cohort. Rows are laid out givers only, then people in both roles, then
    takers only, so `giver_rows` and `taker_rows` are contiguous slices that overlap on the "both"."""

    def __init__(self, *, seed: int, kind: str, givers: int, takers: int, both: int, columns: CohortColumns) -> None:
        self.seed, self.kind, self._columns = seed, kind, columns
        self.giver_role, self.taker_role = KINDS[kind]
        self.giver_rows = slice(0, givers)
        self.taker_rows = slice(givers - both, givers - both + takers)
        self.both_count = both

    def __len__(self) -> int:
        return len(self._columns)

    def columns(self, role: str | None = None) -> CohortColumns:
        """Every person's answers as columns; with a role ("mentor", "mentee", "coach", "client"), that role's rows."""
        if role is None:
            return self._columns
        return self._columns.take(self._rows(role))

    def participant(self, row: int) -> Participant:
        return _read_participant(self._columns, row, self.kind)

    def participants(self, role: str | None = None) -> list[Participant]:
        rows = range(len(self))[self._rows(role)] if role else range(len(self))
        return [self._people[row] for row in rows]

    @property
    def mentors(self) -> list[Participant]:
        return self.participants("mentor")

    @property
    def mentees(self) -> list[Participant]:
        return self.participants("mentee")

    @property
    def coaches(self) -> list[Participant]:
        return self.participants("coach")

    @property
    def clients(self) -> list[Participant]:
        return self.participants("client")

    @cached_property
    def _people(self) -> list[Participant]:
        return [self.participant(row) for row in range(len(self))]

    def _rows(self, role: str) -> slice:
        if role == self.giver_role:
            return self.giver_rows
        if role == self.taker_role:
            return self.taker_rows
        raise ValueError(f"a {self.kind} cohort has {self.giver_role}s and {self.taker_role}s, not {role}s")


def generate_cohort(seed: int, mentors: int, mentees: int, *, both: float = 0.1) -> SyntheticCohort:
    """A mentoring cohort: `mentors` people with the mentor role and `mentees` with the mentee role,
    of whom a share `both` of the smaller side has both roles. Same seed and sizes, same people."""
    return _generate(seed, "mentoring", mentors, mentees, both)


def generate_coaching_cohort(seed: int, coaches: int, clients: int) -> SyntheticCohort:
    """A coaching cohort: coaches (with capacities 1-3 and areas of expertise) and clients.
    Nobody is both: only mentor and mentee combine."""
    return _generate(seed, "coaching", coaches, clients, 0.0)


def _generate(seed: int, kind: str, givers: int, takers: int, both_share: float) -> SyntheticCohort:
    if seed < 0 or givers < 0 or takers < 0 or not 0.0 <= both_share <= 1.0:
        raise ValueError("seed and sizes must be non-negative and `both` a share between 0 and 1")
    both = round(both_share * min(givers, takers))
    group = np.repeat(np.array([_GIVER, _BOTH, _TAKER], dtype=np.int8), [givers - both, both, takers - both])
    columns = _draw_columns(seed, kind, group)
    return SyntheticCohort(seed=seed, kind=kind, givers=givers, takers=takers, both=both, columns=columns)


# --- Drawing the columns --------------------------------------------------------------------


def _stream(seed: int, attribute: str) -> np.random.Generator:
    """An independent random stream per attribute, so adding an attribute never changes the others."""
    return np.random.default_rng([seed, zlib.crc32(attribute.encode())])


def _categorical(rng: np.random.Generator, weights: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """One draw per row from the weights of the row's group (`weights[groups[i]]`)."""
    totals = weights.sum(axis=1, keepdims=True)
    cumulative = np.cumsum(weights / np.where(totals > 0, totals, 1), axis=1)
    # The last item with a weight ends at infinity: rounding can leave the total just under 1,
    # and a draw above it must not land on a trailing item of weight zero.
    cumulative[cumulative >= cumulative[:, -1:]] = np.inf
    u = rng.random(len(groups))
    drawn = np.zeros(len(groups), dtype=np.int64)
    for g in np.unique(groups):
        mask = groups == g
        drawn[mask] = np.searchsorted(cumulative[g], u[mask], side="right")
    return drawn


def _uniform_counts(rng: np.random.Generator, ranges: tuple[tuple[int, int], ...], group: np.ndarray) -> np.ndarray:
    low = np.array([r[0] for r in ranges])[group]
    high = np.array([r[1] for r in ranges])[group]
    counts: np.ndarray = rng.integers(low, high + 1)
    return counts


_CHUNK = 16_384  # rows per block when drawing sets: bounds memory at any cohort size


def _draw_sets(rng: np.random.Generator, weights: np.ndarray, groups: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """For each row, `counts[i]` distinct items drawn without replacement with probability in
    proportion to `weights[groups[i]]` (Gumbel top-k), as a uint64 bitmask."""
    n, size = len(groups), weights.shape[1]
    assert size <= 64, "a bitmask holds at most 64 items"
    log_weights = np.log(np.where(weights > 0, weights, 1e-300))
    bits = np.uint64(1) << np.arange(size, dtype=np.uint64)
    masks = np.zeros(n, dtype=np.uint64)
    for start in range(0, n, _CHUNK):
        stop = min(start + _CHUNK, n)
        keys = log_weights[groups[start:stop]] + rng.gumbel(size=(stop - start, size))
        # the count-th largest key of each row is the threshold: the items at or above it are taken
        descending = -np.sort(-keys, axis=1)
        count = counts[start:stop]
        threshold = np.take_along_axis(descending, np.maximum(count - 1, 0)[:, None], axis=1)
        taken = (keys >= threshold) & (count[:, None] > 0)
        masks[start:stop] = np.bitwise_or.reduce(np.where(taken, bits, np.uint64(0)), axis=1)
    return masks


def _draw_columns(seed: int, kind: str, group: np.ndarray) -> CohortColumns:
    n = len(group)
    stations = v.DUTY_STATIONS

    # Grade, by side: givers senior, takers junior, people in both roles in between.
    grade_weights = np.array([v.GRADE_WEIGHTS["givers"], v.GRADE_WEIGHTS["takers"]], dtype=float)
    grade_weights /= grade_weights.sum(axis=1, keepdims=True)
    grade_weights = np.stack([grade_weights[0], grade_weights.mean(axis=0), grade_weights[1]])
    grade = _categorical(_stream(seed, "grade"), grade_weights, group).astype(np.int8)
    category = np.array([v.grade_category(g) for g in GRADES], dtype=np.int8)[grade]

    # Duty station, given the category: staff numbers times the category's share there.
    station_weights = np.array(
        [[s.staff * v.CATEGORY_SHARE_BY_KIND[s.kind][c] for s in stations] for c in range(len(v.CATEGORIES))]
    )
    station = _categorical(_stream(seed, "duty_station"), station_weights, category).astype(np.int16)

    entity_weights = np.zeros((len(stations), len(v.ENTITIES)))
    for i, s in enumerate(stations):
        for name, weight in s.entities:
            entity_weights[i, v.ENTITIES.index(name)] = weight
    entity = _categorical(_stream(seed, "entity"), entity_weights, station).astype(np.int16)

    # Job network, given the category and the entity (an entity's home network is more common).
    by_category = np.array(v.NETWORK_WEIGHTS_BY_CATEGORY, dtype=float)
    network_weights = np.repeat(by_category[None, :, :], len(v.ENTITIES), axis=0)  # entity, category, network
    for e, name in enumerate(v.ENTITIES):
        network_weights[e, :, v.JOB_NETWORKS.index(v.ENTITY_HOME_NETWORK[name])] *= v.HOME_NETWORK_BOOST
    network_groups = entity.astype(np.int64) * len(v.CATEGORIES) + category
    network = _categorical(_stream(seed, "job_network"), network_weights.reshape(-1, len(v.JOB_NETWORKS)), network_groups).astype(
        np.int8
    )
    # Within a network, the first families listed are the larger ones.
    family_weights = np.where(
        FAMILY_NETWORK[None, :] == np.arange(len(v.JOB_NETWORKS))[:, None], 1.0 / np.sqrt(1 + FAMILY_RANK), 0.0
    )
    family = _categorical(_stream(seed, "job_family"), family_weights, network).astype(np.int16)

    appointment_weights = np.array([[v.APPOINTMENT_WEIGHTS[t] for t in v.APPOINTMENT_TYPES]])
    appointment = _categorical(_stream(seed, "appointment_type"), appointment_weights, np.zeros(n, dtype=np.int8)).astype(np.int8)

    # Years of service: grade's mean, spread (gamma, coefficient of variation 0.5); interns just arrived.
    mean_years = np.array([v.MEAN_YEARS[g] for g in GRADES], dtype=float)[grade]
    years = np.clip(np.rint(mean_years * _stream(seed, "years").gamma(4.0, 0.25, size=n)), 0, 40).astype(np.int16)
    years[appointment == v.APPOINTMENT_TYPES.index("intern")] = 0

    gender = _draw_gender(_stream(seed, "gender"), category)
    first_name, last_name = _draw_names(_stream(seed, "name"), gender)
    languages, preferred = _draw_languages(_stream(seed, "languages"), station)

    skill_weights = np.array(
        [[t.as_skill * (v.NETWORK_SKILL_BOOST if net in t.networks else 1.0) for t in v.TOPICS] for net in v.JOB_NETWORKS]
    )
    skill_rng = _stream(seed, "skills")
    skills = _draw_sets(skill_rng, skill_weights, network, _uniform_counts(skill_rng, SKILL_COUNTS, group))
    goal_rng = _stream(seed, "goals")
    goal_weights = np.array([[t.as_goal for t in v.TOPICS]])
    goals = _draw_sets(goal_rng, goal_weights, np.zeros(n, dtype=np.int8), _uniform_counts(goal_rng, GOAL_COUNTS, group))
    activity_rng = _stream(seed, "activities")
    activity_counts = activity_rng.integers(ACTIVITY_COUNTS[0], ACTIVITY_COUNTS[1] + 1, size=n)
    activity_weights = np.array([[w for _, w in v.FAVOURITE_ACTIVITIES]])
    activities = _draw_sets(activity_rng, activity_weights, np.zeros(n, dtype=np.int8), activity_counts).astype(np.uint16)

    giver, taker = group <= _BOTH, group >= _BOTH
    capacity_weights = np.array([CAPACITY_WEIGHTS[kind]])
    capacity = (_categorical(_stream(seed, "capacity"), capacity_weights, np.zeros(n, dtype=np.int8)) + 1).astype(np.int8)
    capacity[~giver] = 0
    expertise = np.zeros(n, dtype=np.uint8)
    if kind == "coaching":
        expertise_rng = _stream(seed, "expertise")
        counts = np.where(giver, expertise_rng.integers(EXPERTISE_COUNTS[0], EXPERTISE_COUNTS[1] + 1, size=n), 0)
        expertise_weights = np.array([[w for _, w in v.EXPERTISE_AREAS]])
        expertise = _draw_sets(expertise_rng, expertise_weights, np.zeros(n, dtype=np.int8), counts).astype(np.uint8)

    extras = _stream(seed, "extras")
    index_number = (1_000_000 + extras.choice(9_000_000, size=n, replace=False)).astype(np.int32)
    has_linkedin = extras.random(n) < v.LINKEDIN_SHARE
    bio_style = np.where(extras.random(n) < v.BIO_SHARE, extras.integers(0, len(_BIOS), size=n), -1).astype(np.int8)

    return CohortColumns(
        grade_rank=grade,
        years_of_service=years,
        job_network=network,
        job_family=family,
        entity=entity,
        duty_station=station,
        languages=languages,
        skills=skills,
        goals=goals,
        activities=activities,
        expertise=expertise,
        gender=gender,
        appointment_type=appointment,
        preferred_language=preferred,
        giver=giver,
        taker=taker,
        capacity=capacity,
        first_name=first_name,
        last_name=last_name,
        index_number=index_number,
        has_linkedin=has_linkedin,
        bio_style=bio_style,
    )


def _draw_gender(rng: np.random.Generator, category: np.ndarray) -> np.ndarray:
    women = np.array(v.WOMEN_SHARE)[category]
    stated = 1.0 - v.OTHER_GENDER_SHARE - v.GENDER_NOT_STATED_SHARE
    u = rng.random(len(category))
    gender = np.full(len(category), v.GENDERS.index(None), dtype=np.int8)
    gender[u < 1.0 - v.GENDER_NOT_STATED_SHARE] = v.GENDERS.index("non-binary")
    gender[u < stated] = v.GENDERS.index("male")
    gender[u < stated * women] = v.GENDERS.index("female")
    return gender


def _draw_names(rng: np.random.Generator, gender: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n, women, men = len(gender), len(v.WOMEN_NAMES), len(v.MEN_NAMES)
    any_name = rng.integers(0, women + men, size=n)
    first = np.where(
        gender == v.GENDERS.index("female"),
        rng.integers(0, women, size=n),
        np.where(gender == v.GENDERS.index("male"), women + rng.integers(0, men, size=n), any_name),
    )
    last = rng.integers(0, len(v.LAST_NAMES), size=n)
    return first.astype(np.int16), last.astype(np.int16)


def _draw_languages(rng: np.random.Generator, station: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """English for most; the duty station's language for many (and for all who lack English, so
    French-only and Spanish-only people exist where those languages are spoken); a few others."""
    n, stations = len(station), v.DUTY_STATIONS
    english_share = np.array([s.english for s in stations])[station]
    local = np.array([v.LANGUAGES.index(s.local_language) if s.local_language else -1 for s in stations])[station]
    local_share = np.array([s.local_share for s in stations])[station]
    english = rng.random(n) < english_share
    english |= local < 0
    speaks_local = (local >= 0) & ((rng.random(n) < local_share) | ~english)
    bits = np.where(english, 1, 0).astype(np.uint16)
    bits |= np.where(speaks_local, np.left_shift(1, np.maximum(local, 0)), 0).astype(np.uint16)
    second = rng.random((n, len(v.LANGUAGES))) < np.array(v.SECOND_LANGUAGE_SHARE)
    bits |= (second.astype(np.uint16) << np.arange(len(v.LANGUAGES), dtype=np.uint16)).sum(axis=1, dtype=np.uint16)
    french, spanish = 1 << v.LANGUAGES.index("French"), 1 << v.LANGUAGES.index("Spanish")
    # Meetings and mail are in English, French or Spanish: whoever has none of them has English.
    bits[(bits & (1 | french | spanish)) == 0] |= 1
    # Preferred language for messages: the local French or Spanish for half of its speakers, and for
    # everyone without English; English otherwise.
    local_bit = np.where(local >= 0, np.left_shift(1, np.maximum(local, 0)), 0)
    local_preferred = np.isin(local, [v.LANGUAGES.index("French"), v.LANGUAGES.index("Spanish")]) & ((bits & local_bit) != 0)
    local_preferred &= ((bits & 1) == 0) | (rng.random(n) < 0.5)
    preferred = np.zeros(n, dtype=np.int8)
    preferred[local_preferred & (local == v.LANGUAGES.index("French"))] = v.PREFERRED_LANGUAGES.index("fr")
    preferred[local_preferred & (local == v.LANGUAGES.index("Spanish"))] = v.PREFERRED_LANGUAGES.index("es")
    no_english = (bits & 1) == 0
    preferred[no_english & ~local_preferred & ((bits & french) != 0)] = v.PREFERRED_LANGUAGES.index("fr")
    preferred[no_english & ~local_preferred & ((bits & french) == 0)] = v.PREFERRED_LANGUAGES.index("es")
    return bits, preferred


# --- Reading one person from the columns ------------------------------------------------------

_BIOS = (
    "{grade} in {family} at {entity}, {station}; {years} with the United Nations.",
    "I work in {family_lower} ({network}) at {entity} in {station}, after {years} of service.",
    "{family} colleague at {entity} ({station}), with the Organization for {years}.",
)


def _decode(mask: int, items: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(item for i, item in enumerate(items) if mask >> i & 1)


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum())


_TOPIC_NAMES = tuple(t.name for t in v.TOPICS)
_ACTIVITY_NAMES = tuple(name for name, _ in v.FAVOURITE_ACTIVITIES)
_EXPERTISE_NAMES = tuple(name for name, _ in v.EXPERTISE_AREAS)


def _read_participant(c: CohortColumns, row: int, kind: str) -> Participant:
    first, last = v.FIRST_NAMES[c.first_name[row]], v.LAST_NAMES[c.last_name[row]]
    station = v.DUTY_STATIONS[c.duty_station[row]]
    grade, network, family = GRADES[c.grade_rank[row]], v.JOB_NETWORKS[c.job_network[row]], FAMILIES[c.job_family[row]]
    entity, years = v.ENTITIES[c.entity[row]], int(c.years_of_service[row])
    skills, goals = _decode(int(c.skills[row]), _TOPIC_NAMES), _decode(int(c.goals[row]), _TOPIC_NAMES)
    giver_role, taker_role = KINDS[kind]
    giver, taker = bool(c.giver[row]), bool(c.taker[row])
    roles = tuple(role for role, has in ((giver_role, giver), (taker_role, taker)) if has)
    capacity = int(c.capacity[row]) if giver else None
    bio = None
    if c.bio_style[row] >= 0:
        span = "1 year" if years == 1 else f"{years} years"
        bio = _BIOS[c.bio_style[row]].format(
            grade=grade,
            family=family,
            family_lower=family.lower(),
            network=network,
            entity=entity,
            station=station.name,
            years=span,
        )
        if giver and skills:
            bio += f" Glad to share what I know about {skills[0].lower()}."
        if taker and goals:
            bio += f" Working on: {goals[0].lower()}."
    index_number = int(c.index_number[row])
    return Participant(
        row=row,
        name=f"{first} {last}",
        email=f"{_slug(first)}.{_slug(last)}.{row + 1}@un.org",
        index_number=str(index_number),
        appointment_type=v.APPOINTMENT_TYPES[c.appointment_type[row]],
        entity=entity,
        duty_station=station.name,
        time_zone=station.time_zone,
        grade=grade,
        years_of_service=years,
        job_network=network,
        job_family=family,
        languages=_decode(int(c.languages[row]), v.LANGUAGES),
        gender=v.GENDERS[c.gender[row]],
        skills=skills,
        goals=goals,
        favourite_activities=_decode(int(c.activities[row]), _ACTIVITY_NAMES),
        expertise_areas=_decode(int(c.expertise[row]), _EXPERTISE_NAMES),
        linkedin_url=f"https://www.linkedin.com/in/{_slug(first)}-{_slug(last)}-{index_number:x}"
        if c.has_linkedin[row]
        else None,
        bio=bio,
        preferred_language=v.PREFERRED_LANGUAGES[c.preferred_language[row]],
        roles=roles,
        mentor_capacity=capacity if kind == "mentoring" else None,
        coach_capacity=capacity if kind == "coaching" else None,
    )
