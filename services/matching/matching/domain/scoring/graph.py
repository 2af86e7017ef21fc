"""The candidate graph: each mentee's best mentors, the input of the cohort-wide assignment. No I/O."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import numpy as np


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
