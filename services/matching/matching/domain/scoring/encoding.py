"""How the index encodes people: vocabularies of codes, tables of rows per distinct value, reusable
scratch arrays, and a block of mentees as the codes the index reads them by. No I/O."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from together_contracts.registration import GRADES, PublicProfile, grade_rank


class Vocabulary:
    """Distinct values, numbered in order of first appearance."""

    def __init__(self) -> None:
        self.codes: dict[object, int] = {}

    def code(self, value: object) -> int:
        return self.codes.setdefault(value, len(self.codes))

    def get(self, value: object) -> int | None:
        return self.codes.get(value)

    def __len__(self) -> int:
        return len(self.codes)


GRADE_RANK = {grade: grade_rank(grade) for grade in GRADES}


def experience_key(profile: PublicProfile) -> int:
    """Grade, then years of service, as one sortable number."""
    return GRADE_RANK[profile.grade] * 256 + min(max(profile.years_of_service, 0), 255)


# Scores of excluded pairs: far below any real score, still finite so arithmetic stays cheap.
EXCLUDED = np.float32(-1e30)
EXCLUDED_BELOW = np.float32(-1e29)


class RowTable:
    """Rows of a table computed on demand by key (a mentee's time zone, grade, years...)."""

    def __init__(self, compute: Callable[[Any], ArrayLike], width: int, dtype: type = np.float32) -> None:
        self._compute = compute
        self._dtype = dtype
        self._index: dict[object, int] = {}
        self._rows: list[np.ndarray] = []
        self._table: np.ndarray = np.zeros((0, width), dtype=dtype)

    def code(self, key: object) -> int:
        code = self._index.get(key)
        if code is None:
            code = self._index[key] = len(self._rows)
            self._rows.append(np.asarray(self._compute(key), dtype=self._dtype))
        return code

    @property
    def table(self) -> np.ndarray:
        table = self._table  # one read: another thread may replace it meanwhile
        if table.shape[0] != len(self._rows):
            table = self._table = np.stack(self._rows)
        return table


class Scratch:
    """Arrays for scoring blocks, reused from block to block (one per thread)."""

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def array(self, name: str, shape: tuple[int, int], dtype: type) -> np.ndarray:
        size = shape[0] * shape[1]
        flat = self._arrays.get(name)
        if flat is None or flat.size < size:
            flat = self._arrays[name] = np.empty(size, dtype=dtype)
        return flat[:size].reshape(shape)


@dataclass
class MenteeCodes:
    """A block of mentees as the codes the index reads them by."""

    network: np.ndarray
    entity: np.ndarray
    station: np.ndarray
    week: np.ndarray
    grade: np.ndarray
    years: np.ndarray
    languages: np.ndarray
    experience: np.ndarray
    rank: np.ndarray
    own_column: np.ndarray
    skills: tuple[np.ndarray, np.ndarray]  # (row, code) pairs
    activities: tuple[np.ndarray, np.ndarray]
