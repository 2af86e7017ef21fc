"""The cohort's mentors as columns of a matrix, scored for many mentees at once. No I/O.

`CohortIndex.build(mentors, policy)`: the cohort's mentors with a free place as columns.
`index.top(mentee, k)` is the best `k` (mentor id, score), best first, ties by mentor id;
`index.top_all(mentees, k)` is the candidate graph of the whole cohort (`CandidateGraph`, CSR arrays
over `index.mentor_ids`, whose free places are `index.free_places`: the input of `assignment.py` and
`stable.py`), computed in blocks on two threads. Their scores equal `explain(...).score` (policy.py)
up to float32 rounding.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

import numpy as np

from matching.domain.scoring.encoding import (
    EXCLUDED,
    EXCLUDED_BELOW,
    GRADE_RANK,
    MenteeCodes,
    RowTable,
    Scratch,
    Vocabulary,
    experience_key,
)
from matching.domain.scoring.graph import CandidateGraph
from matching.domain.scoring.policy import FACTORS, SENIORITY_YEARS_CAP, Person, Policy, fold
from matching.domain.scoring.working_hours import WORKING_HOURS, overlap_of_weeks, working_week
from together_contracts.hard_rules import GradeRule, meeting_languages_of
from together_contracts.registration import grade_rank


class CohortIndex:
    """A cohort's mentors with a free place, as columns, scored for many mentees at once.

    The score is bilinear: a mentee row (one number per mentor feature column: one-hot job
    network, entity, duty station, grade and years; multi-hot skills and activities; the time-zone
    overlap with each distinct working week) times the mentors' feature matrix, one float32 matrix
    product for a block of mentees. The hard rules are integer comparisons: a shared language
    through the mentee's language set's row of allowed mentors, grade and years as one sortable
    key. Excluded pairs score `EXCLUDED`. Building it for 20,000 mentors takes about a second:
    rebuild it when mentors change.
    """

    def __init__(self, mentors: Sequence[Person], policy: Policy) -> None:
        self.policy = policy
        eligible = sorted((m for m in mentors if m.free_places > 0), key=lambda m: m.participant_id)
        self.mentors = eligible
        self.mentor_ids = [m.participant_id for m in eligible]
        self.free_places = np.array([m.free_places for m in eligible], dtype=np.int64)
        n = len(eligible)
        # Columns in order of experience: a block of mentees (sorted the same way) then scores only
        # the columns its grade rule can allow, a suffix (reverse mentoring: a prefix). Positions in
        # `mentor_ids` (id order) are what callers see.
        order = list(range(n))
        if policy.grade_rule is not GradeRule.none:
            order.sort(key=lambda i: experience_key(eligible[i].profile))
        self._column = {eligible[i].participant_id: column for column, i in enumerate(order)}
        self._w = {factor: policy.weight(factor) for factor in FACTORS}
        w = self._w
        self._networks, self._entities, self._stations = Vocabulary(), Vocabulary(), Vocabulary()
        self._skills, self._activities, self._languages = Vocabulary(), Vocabulary(), Vocabulary()
        self._weeks, self._grades, self._years = Vocabulary(), Vocabulary(), Vocabulary()
        profiles = [eligible[i].profile for i in order]
        network = [self._networks.code(p.job_network) for p in profiles]
        entity = [self._entities.code(_key(p.entity)) for p in profiles]
        station = [self._stations.code(_key(p.duty_station)) for p in profiles]
        week = [self._weeks.code(working_week(p.time_zone)) for p in profiles]
        ranks = [grade_rank(p.grade) for p in profiles]
        grade = [self._grades.code(r) for r in ranks]
        years = [self._years.code(p.years_of_service) for p in profiles]
        skill_codes = [
            [self._skills.code(s) for s in sorted(set(fold(p.skills)) | set(fold(p.expertise_areas)))] for p in profiles
        ]
        activity_codes = [[self._activities.code(a) for a in sorted(fold(p.favourite_activities))] for p in profiles]
        # Only the languages meetings may be held in count (`hard_rules.shared_meeting_languages`).
        self._meeting_languages = policy.meeting_languages
        language_bits = [
            sum(1 << self._languages.code(lang) for lang in meeting_languages_of(p.languages, self._meeting_languages))
            for p in profiles
        ]

        # Feature blocks, left out when their weight is 0 (fewer columns, faster products).
        sizes = {"bias": 1}
        for name, vocab, factor in (
            ("job_network", self._networks, "job_network"),
            ("skills", self._skills, "skills_for_goals"),
            ("activities", self._activities, "favourite_activities"),
            ("week", self._weeks, "time_zone"),
            ("grade", self._grades, "grade"),
            ("years", self._years, "seniority"),
        ):
            if w[factor] > 0 and len(vocab):
                sizes[name] = len(vocab)
        self._offset = dict(zip(sizes, np.cumsum([0, *sizes.values()])[:-1].tolist(), strict=True))
        self.width = int(sum(sizes.values()))
        # Padded to whole groups of columns for the top-k search (padding is never allowed).
        self._group = max(1, min(16, n // 200))
        padded = -(-n // self._group) * self._group if n else 0
        features = np.zeros((self.width, padded), dtype=np.float32)
        columns = np.arange(n)
        features[0, :n] = 1.0
        for name, codes in (
            ("job_network", network),
            ("week", week),
            ("grade", grade),
            ("years", years),
        ):
            if name in self._offset:
                features[self._offset[name] + np.asarray(codes, dtype=np.int64), columns] = 1.0
        for name, code_lists in (("skills", skill_codes), ("activities", activity_codes)):
            if name in self._offset:
                rows = [c for codes in code_lists for c in codes]
                cols = np.repeat(columns, [len(codes) for codes in code_lists])
                features[self._offset[name] + np.asarray(rows, dtype=np.int64), cols] = 1.0
        self._features = features
        self._padded = padded
        self._public = np.full(padded, -1, dtype=np.int64)
        self._public[:n] = order
        self._language_bits = language_bits
        experience = np.full(padded, np.iinfo(np.int16).max, dtype=np.int16)
        experience[:n] = [r * 256 + min(max(p.years_of_service, 0), 255) for r, p in zip(ranks, profiles, strict=True)]
        self._experience = experience
        rank = np.full(padded, np.iinfo(np.int16).max, dtype=np.int16)
        rank[:n] = ranks
        self._rank = rank
        # Same entity / duty station: compared, not multiplied (50 one-hot entity columns cost more
        # in the product than one comparison). The bias counts the reach; the same place takes it back.
        self._entity_code = np.full(padded, -2, dtype=np.int32)
        self._entity_code[:n] = entity
        self._station_code = np.full(padded, -2, dtype=np.int32)
        self._station_code[:n] = station

        # What a mentee's row holds, by the mentee's value, computed once per distinct value.
        weeks_of_mentors = list(self._weeks.codes)
        rank_of_code = np.asarray(list(self._grades.codes), dtype=np.int64)
        years_of_code = np.asarray(list(self._years.codes), dtype=np.int64)
        below = policy.grade_rule is GradeRule.mentor_below_mentee
        self._week_rows = RowTable(
            lambda mine: [
                0.0 if mine is None or theirs is None else w["time_zone"] * overlap_of_weeks(mine, theirs) / WORKING_HOURS
                for theirs in weeks_of_mentors
            ],
            len(weeks_of_mentors),
        )
        self._grade_rows = RowTable(
            lambda r: w["grade"] * ((rank_of_code < r) if below else (rank_of_code > r)), len(rank_of_code)
        )
        self._years_rows = RowTable(
            lambda y: w["seniority"] * np.clip(years_of_code - y, 0, SENIORITY_YEARS_CAP) / SENIORITY_YEARS_CAP,
            len(years_of_code),
        )
        padding = np.zeros(padded - n, dtype=bool)
        if len(self._languages) <= 64:
            as_words = np.array(language_bits, dtype=np.uint64)

            def shares_language(bits: int) -> np.ndarray:
                return np.concatenate(((as_words & np.uint64(bits)) != 0, padding))
        else:  # more languages than bits in a word: Python integers

            def shares_language(bits: int) -> np.ndarray:
                return np.concatenate(([(theirs & bits) != 0 for theirs in language_bits], padding))

        self._language_rows = RowTable(shares_language, padded, bool)

    @classmethod
    def build(cls, mentors: Sequence[Person], policy: Policy) -> CohortIndex:
        return cls(mentors, policy)

    def __len__(self) -> int:
        return len(self.mentor_ids)

    # -- mentees as codes, then rows -------------------------------------------------------------

    def _codes(self, mentees: Sequence[Person]) -> MenteeCodes:
        # A plain loop with local names: this runs once per mentee of the cohort.
        networks, entities, stations = self._networks.codes, self._entities.codes, self._stations.codes
        skills, activities, languages_known = self._skills.codes, self._activities.codes, self._languages.codes
        week_code, grade_code, years_code = self._week_rows.code, self._grade_rows.code, self._years_rows.code
        language_code, columns = self._language_rows.code, self._column
        network, entity, station, week, grade, years, languages, experience, rank, own = ([] for _ in range(10))
        skill_rows, skill_codes, activity_rows, activity_codes = [], [], [], []
        for i, mentee in enumerate(mentees):
            p = mentee.profile
            network.append(networks.get(p.job_network, -1))
            entity.append(entities.get(p.entity.strip().casefold(), -1))
            station.append(stations.get(p.duty_station.strip().casefold(), -1))
            week.append(week_code(working_week(p.time_zone)))
            r = GRADE_RANK[p.grade]
            rank.append(r)
            grade.append(grade_code(r))
            years.append(years_code(p.years_of_service))
            experience.append(r * 256 + min(max(p.years_of_service, 0), 255))
            bits = 0
            for language in meeting_languages_of(p.languages, self._meeting_languages):
                c = languages_known.get(language)
                if c is not None:
                    bits |= 1 << c
            languages.append(language_code(bits))
            own.append(columns.get(mentee.participant_id, -1))
            for goal in {g.strip().casefold() for g in p.goals}:
                c = skills.get(goal)
                if c is not None:
                    skill_rows.append(i)
                    skill_codes.append(c)
            for activity in {a.strip().casefold() for a in p.favourite_activities}:
                c = activities.get(activity)
                if c is not None:
                    activity_rows.append(i)
                    activity_codes.append(c)

        def ints(values: list[int]) -> np.ndarray:
            return np.asarray(values, dtype=np.int64)

        return MenteeCodes(
            network=ints(network),
            entity=ints(entity),
            station=ints(station),
            week=ints(week),
            grade=ints(grade),
            years=ints(years),
            languages=ints(languages),
            experience=np.asarray(experience, dtype=np.int16),
            rank=np.asarray(rank, dtype=np.int16),
            own_column=ints(own),
            skills=(ints(skill_rows), ints(skill_codes)),
            activities=(ints(activity_rows), ints(activity_codes)),
        )

    def _rows(self, codes: MenteeCodes) -> np.ndarray:
        w, off = self._w, self._offset
        b = codes.network.size
        rows = np.zeros((b, self.width), dtype=np.float32)
        rows[:, 0] = w["language"] + w["cross_entity"] + w["cross_duty_station"]
        everyone = np.arange(b)
        for name, values, points in (("job_network", codes.network, w["job_network"]),):
            if name in off:
                known = values >= 0
                rows[everyone[known], off[name] + values[known]] = points
        for name, (who, what), points in (
            ("skills", codes.skills, w["skills_for_goals"]),
            ("activities", codes.activities, w["favourite_activities"]),
        ):
            if name in off:
                rows[who, off[name] + what] = points
        for name, table, values in (
            ("week", self._week_rows, codes.week),
            ("grade", self._grade_rows, codes.grade),
            ("years", self._years_rows, codes.years),
        ):
            if name in off:
                rows[:, off[name] : off[name] + table.table.shape[1]] = table.table[values]
        return rows

    def _bounds(self, codes: MenteeCodes) -> tuple[int, int]:
        """The columns the grade rule may allow for any mentee of the block, in whole column groups."""
        group = self._group
        if self.policy.grade_rule is GradeRule.mentor_more_experienced:
            lo = int(np.searchsorted(self._experience, codes.experience.min(), side="right"))
            return lo // group * group, self._padded
        if self.policy.grade_rule is GradeRule.mentor_below_mentee:
            hi = int(np.searchsorted(self._rank, codes.rank.max(), side="left"))
            return 0, min(self._padded, -(-hi // group) * group)
        return 0, self._padded

    def _score_block(self, codes: MenteeCodes, lo: int, hi: int, scratch: Scratch | None = None) -> np.ndarray:
        """Scores (mentees x columns lo..hi), float32, `EXCLUDED` where a hard rule excludes. Written
        into `scratch`'s arrays when given (valid until the next block scored with it)."""
        scratch = scratch or Scratch()
        shape = (codes.network.size, hi - lo)
        scores = np.matmul(self._rows(codes), self._features[:, lo:hi], out=scratch.array("scores", shape, np.float32))
        allowed = np.take(
            self._language_rows.table[:, lo:hi], codes.languages, axis=0, out=scratch.array("allowed", shape, bool), mode="clip"
        )
        flag = scratch.array("flag", shape, bool)
        if self.policy.grade_rule is GradeRule.mentor_more_experienced:
            allowed &= np.greater(self._experience[None, lo:hi], codes.experience[:, None], out=flag)
        elif self.policy.grade_rule is GradeRule.mentor_below_mentee:
            allowed &= np.less(self._rank[None, lo:hi], codes.rank[:, None], out=flag)
        # An added penalty, not a masked write: masked writes branch on every element and cost 5x.
        penalty = np.multiply(np.logical_not(allowed, out=allowed), EXCLUDED, out=scratch.array("penalty", shape, np.float32))
        scores += penalty
        for reach, theirs, mine in (
            ("cross_entity", self._entity_code, codes.entity),
            ("cross_duty_station", self._station_code, codes.station),
        ):
            if self._w[reach] > 0:
                same = np.equal(theirs[None, lo:hi], mine[:, None], out=flag)
                scores -= np.multiply(same, np.float32(self._w[reach]), out=penalty)
        own = codes.own_column - lo
        mine = np.flatnonzero((own >= 0) & (own < hi - lo))
        scores[mine, own[mine]] = EXCLUDED
        return scores

    # -- the best candidates ----------------------------------------------------------------------

    def top(self, mentee: Person, k: int) -> list[tuple[UUID, float]]:
        """The best `k` mentors for this mentee (id, score), best first, ties by mentor id."""
        if k <= 0 or not self.mentor_ids:
            return []
        codes = self._codes([mentee])
        lo, hi = self._bounds(codes)
        scores = self._score_block(codes, lo, hi)
        positions, _, best = self._best(scores, k, lo)
        return [(self.mentor_ids[p], float(s)) for p, s in zip(positions, best, strict=True)]

    def top_all(self, mentees: Sequence[Person], k: int, block: int = 256, threads: int = 2) -> CandidateGraph:
        """Each mentee's best `k` candidates, computed `block` mentees at a time (memory stays at a
        few blocks' scores, not the cohort's), on `threads` threads (numpy releases the GIL).

        Blocks hold mentees of similar experience, so each scores only the mentors its grade rule
        can allow; the graph comes back in the order of `mentees`."""
        n = len(mentees)
        indptr = np.zeros(n + 1, dtype=np.int64)
        no_candidate = [""] * n
        positions = np.zeros(0, dtype=np.int32)
        scores = np.zeros(0, dtype=np.float32)
        if self.mentor_ids and k > 0 and n:
            if self.policy.grade_rule is GradeRule.none:
                order = np.arange(n)
            else:
                order = np.argsort([experience_key(m.profile) for m in mentees], kind="stable")
            blocks = [order[start : start + block] for start in range(0, n, block)]
            codes = [self._codes([mentees[i] for i in rows]) for rows in blocks]  # Python work: under the GIL, first

            per_thread = threading.local()

            def candidates(c: MenteeCodes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
                # Each thread reuses its block-sized arrays: fresh tens of MB per block cost page
                # faults, about a fifth of the time.
                if not hasattr(per_thread, "scratch"):
                    per_thread.scratch = Scratch()
                lo, hi = self._bounds(c)
                return self._best(self._score_block(c, lo, hi, per_thread.scratch), k, lo)

            if threads > 1 and len(codes) > 1:
                with ThreadPoolExecutor(threads) as pool:
                    parts = list(pool.map(candidates, codes))
            else:
                parts = [candidates(c) for c in codes]
            counts = np.concatenate([c for _, c, _ in parts])
            # Back to the callers' order: each edge belongs to the mentee at its block position.
            owner = np.repeat(order, counts)
            back = np.argsort(owner, kind="stable")
            positions = np.concatenate([p for p, _, _ in parts])[back].astype(np.int32)
            scores = np.concatenate([s for _, _, s in parts])[back]
            indptr[1:][order] = counts
        for i in np.flatnonzero(indptr[1:] == 0):
            no_candidate[i] = self.why_no_candidate(mentees[int(i)])
        np.cumsum(indptr, out=indptr)
        return CandidateGraph(
            mentee_ids=[m.participant_id for m in mentees],
            mentor_ids=self.mentor_ids,
            indptr=indptr,
            mentor_index=positions,
            score=scores,
            no_candidate=no_candidate,
        )

    def _best(self, scores: np.ndarray, k: int, lo: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per row the best `k` allowed columns of a block starting at column `lo`, best first, ties by
        mentor id: (positions in `mentor_ids`, count per row, scores), rows one after the other.

        Without sorting every row: the columns fall in groups (column mod the number of groups);
        the k-th best group maximum is a floor that at least k scores reach, so the best k are
        among the scores at or above it: a handful per row to sort."""
        rows, width = scores.shape
        if width == 0:
            return np.zeros(0, np.int64), np.zeros(rows, np.int64), np.zeros(0, np.float32)
        groups = width // self._group
        if groups > k:
            best_of_group = scores.reshape(rows, self._group, groups).max(axis=1)
            floor = -np.partition(-best_of_group, k - 1, axis=1)[:, k - 1 : k]
            floor = np.maximum(floor, EXCLUDED_BELOW)
        else:
            floor = np.full((rows, 1), EXCLUDED_BELOW, dtype=np.float32)
        flat = np.flatnonzero(scores >= floor)
        r, c = np.divmod(flat, width)
        s = scores.ravel()[flat]
        p = self._public[c + lo]
        order = np.lexsort((p, -s, r))
        r, p, s = r[order], p[order], s[order]
        counts = np.bincount(r, minlength=rows)
        starts = np.cumsum(counts) - counts
        keep = (np.arange(r.size) - starts[r]) < k
        return p[keep], np.minimum(counts, k), s[keep]

    def why_no_candidate(self, mentee: Person) -> str:
        """Why no mentor of this index may be suggested to the mentee ("" if one may)."""
        codes = self._codes([mentee])
        others = np.zeros(self._padded, dtype=bool)
        others[: len(self.mentor_ids)] = True
        if codes.own_column[0] >= 0:
            others[codes.own_column[0]] = False
        if not others.any():
            return f"no {self.policy.partner} has a free place"
        language = self._language_rows.table[codes.languages[0]] & others
        if self.policy.grade_rule is GradeRule.mentor_more_experienced:
            grade = (self._experience > codes.experience[0]) & others
        elif self.policy.grade_rule is GradeRule.mentor_below_mentee:
            grade = (self._rank < codes.rank[0]) & others
        else:
            grade = others
        if not language.any():
            return f"no {self.policy.partner} with a free place shares a meeting language with you"
        if not grade.any():
            if self.policy.grade_rule is GradeRule.mentor_below_mentee:
                return "no mentor with a free place has a grade below yours"
            return "no mentor with a free place is more experienced than you"
        if not (language & grade).any():
            return "no mentor with a free place both shares a meeting language and has the right grade"
        return ""


def _key(text: str) -> str:
    return text.strip().casefold()
