"""Every list that grows with a cohort or a programme is read a page at a time.

`limit` is bounded by the list's maximum, so no request makes a service read (and a client receive)
an unbounded list; `offset` is bounded too, so a page is never a scan of millions of skipped rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Query

MAX_OFFSET = 1_000_000


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int


def paged(default: int, maximum: int) -> Callable[[int, int], Page]:
    """A FastAPI dependency reading `limit` (1 to `maximum`, else 422 naming it) and `offset`."""

    def page(
        limit: int = Query(default, ge=1, le=maximum, description=f"How many at most (1 to {maximum})."),
        offset: int = Query(0, ge=0, le=MAX_OFFSET, description="How many to skip, in the list's order."),
    ) -> Page:
        return Page(limit, offset)

    return page
