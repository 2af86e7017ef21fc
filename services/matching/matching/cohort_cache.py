"""A cohort as the scoring engine sees it, kept in memory and rebuilt when an event changes it.

Loading a cohort (its programme's policy, every visible mentor with their free places) and building
its `CohortIndex` costs a database read of every mentor and a vectorisation; scoring one mentee
against the index is one matrix product. So each process keeps the last built view per cohort and
rebuilds it only when the cohort's change counter (`cohort_changes`, bumped by the consumers in the
same transaction as the change) has moved: every request pays one primary-key read, and a change made
by an event is seen by the very next request, in every process.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from matching.domain.scoring.index import CohortIndex
from matching.domain.scoring.policy import Person, Policy, policy_for
from matching.tables import candidates, cohort_changes, cohorts, mentor_pairings, programmes
from together_contracts.registration import GRADES, ProgrammeKind, ProgrammeRules, PublicProfile, Role
from together_contracts.roles import OFFERING_ROLES, SEEKING_ROLES

log = structlog.get_logger(__name__)

DEFAULT_SUGGESTIONS = 10  # when the programme's own number is not known (yet)


def active_pairings() -> sa.ScalarSelect[int]:
    """The candidate's pairings as mentor that have not ended (a correlated count)."""
    return (
        sa.select(sa.func.count())
        .where(mentor_pairings.c.mentor_id == candidates.c.participant_id, mentor_pairings.c.ended_at.is_(None))
        .scalar_subquery()
    )


def visible() -> sa.ColumnElement[bool]:
    """Who may be suggested or found at all: not withdrawn, not waiting for a place, an approved coach
    (`Candidate.not_suggestible`, as a query)."""
    return sa.and_(
        candidates.c.withdrawn.is_(False),
        candidates.c.waitlisted.is_(False),
        sa.or_(sa.not_(candidates.c.roles.contains([Role.coach.value])), candidates.c.coach_approved.is_(True)),
    )


def mentor_side() -> sa.ColumnElement[bool]:
    """`offers_partnership`, as a query."""
    return candidates.c.roles.overlap([role.value for role in OFFERING_ROLES])


def mentee_side() -> sa.ColumnElement[bool]:
    """`seeks_partner`, as a query."""
    return candidates.c.roles.overlap([role.value for role in SEEKING_ROLES])


@dataclass(frozen=True)
class CohortView:
    cohort_id: UUID
    programme_id: UUID | None
    kind: ProgrammeKind
    suggestions_per_mentee: int
    policy: Policy
    mentors: dict[UUID, Person]  # every visible mentor or coach, full ones included
    index: CohortIndex  # those with a free place
    version: int


class CohortCache:
    """The last built view of recently asked-about cohorts (least recently used ones dropped)."""

    def __init__(self, max_cohorts: int = 64) -> None:
        self.max_cohorts = max_cohorts
        self._views: OrderedDict[UUID, CohortView] = OrderedDict()
        self._building: dict[UUID, asyncio.Lock] = {}
        self.builds = 0  # how many times a view was (re)built: for tests and benchmarks

    async def view(self, conn: AsyncConnection, cohort_id: UUID) -> CohortView:
        # The counter is read before the mentors: a change committed in between is at worst built in
        # early and rebuilt once more, never missed.
        version = (
            await conn.execute(sa.select(cohort_changes.c.version).where(cohort_changes.c.cohort_id == cohort_id))
        ).scalar_one_or_none() or 0
        # Requests that find the view stale at once wait for one rebuild instead of each doing it.
        async with self._building.setdefault(cohort_id, asyncio.Lock()):
            cached = self._views.get(cohort_id)
            if cached is not None and cached.version >= version:
                self._views.move_to_end(cohort_id)
                return cached
            view = await load(conn, cohort_id, version)
            self.builds += 1
            self._views[cohort_id] = view
            self._views.move_to_end(cohort_id)
            while len(self._views) > self.max_cohorts:
                dropped, _ = self._views.popitem(last=False)
                self._building.pop(dropped, None)
        return view


async def load(conn: AsyncConnection, cohort_id: UUID, version: int = 0) -> CohortView:
    """Build the cohort's view from the read model, without any cache."""
    cohort = (await conn.execute(sa.select(cohorts).where(cohorts.c.cohort_id == cohort_id))).first()
    programme_id = cohort.programme_id if cohort is not None else None
    if programme_id is None:  # the cohort's own event may not have arrived: its participants know the programme
        programme_id = (
            await conn.execute(sa.select(candidates.c.programme_id).where(candidates.c.cohort_id == cohort_id).limit(1))
        ).scalar_one_or_none()
    programme = (
        (await conn.execute(sa.select(programmes).where(programmes.c.programme_id == programme_id))).first()
        if programme_id is not None
        else None
    )
    kind = ProgrammeKind(
        programme.kind if programme is not None else cohort.programme_kind if cohort is not None else ProgrammeKind.mentoring
    )
    rules = ProgrammeRules.model_validate(programme.rules) if programme is not None and programme.rules else None
    policy = policy_for(kind, rules)
    rows = (
        await conn.execute(
            sa.select(
                candidates.c.participant_id,
                # As text, parsed by pydantic's own JSON reader: a few times faster than decoding JSONB to dicts first.
                candidates.c.profile.cast(sa.Text).label("profile"),
                candidates.c.capacity,
                active_pairings().label("active"),
            ).where(candidates.c.cohort_id == cohort_id, mentor_side(), visible())
        )
    ).all()
    mentors: dict[UUID, Person] = {}
    for row in rows:
        profile = PublicProfile.model_validate_json(row.profile)
        if profile.grade not in GRADES:  # the contract allows any text; one odd answer must not sink the cohort
            log.warning("matching.unknown_grade_left_out", participant_id=str(row.participant_id), grade=profile.grade)
            continue
        mentors[row.participant_id] = Person(
            participant_id=row.participant_id, profile=profile, capacity=row.capacity, active_pairings=row.active
        )
    return CohortView(
        cohort_id=cohort_id,
        programme_id=programme_id,
        kind=kind,
        suggestions_per_mentee=programme.suggestions_per_mentee if programme is not None else DEFAULT_SUGGESTIONS,
        policy=policy,
        mentors=mentors,
        # Vectorising thousands of mentors takes a while: off the event loop, so requests and the consumer go on.
        index=await asyncio.to_thread(CohortIndex.build, list(mentors.values()), policy),
        version=version,
    )
