"""Matching's reads: why a mentor is not suggested, search, the fairness report and the cohort's
assignment proposals; and the loaders the use cases share. Each checks who may ask (ADR 0005).

Who sees what is stated once, in the loaders: a candidate (their suggestions) is seen by themself and
their programme team, a cohort by its programme team and its participants, a proposal by the team. To
anyone else the object answers exactly as a missing one (404); 403 is for who sees it but may not act."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from matching.cohort_cache import CohortCache, active_pairings, mentee_side, mentor_side, visible
from matching.domain import fairness
from matching.domain.participants import Candidate, MenteeUnavailable, NotAMentee
from matching.domain.proposal import Method, Proposal, ProposalStatus
from matching.domain.scoring.policy import Person
from matching.domain.search import Found, NoWords, ranked_page, text_query
from matching.domain.suggestions import WhyNot, why_not
from matching.tables import assignments, candidates, cohorts, mentor_pairings, served_suggestions
from together_contracts.registration import PublicProfile
from together_contracts.roles import places_left
from together_contracts.words import DEFAULT_LANGUAGE
from together_servicekit.auth import Forbidden, Principal, visible_or_missing
from together_servicekit.errors import Conflict, invalid
from together_servicekit.runtime import Runtime

# --- loaders and who may ask -----------------------------------------------------------------


def _candidate(row: Row[Any], active_pairings: int = 0) -> Candidate:
    return Candidate(
        participant_id=row.participant_id,
        person_id=row.person_id,
        programme_id=row.programme_id,
        roles=tuple(row.roles),
        profile=row.profile,
        capacity=row.capacity,
        active_pairings=active_pairings,
        waitlisted=row.waitlisted,
        withdrawn=row.withdrawn,
        coach_approved=row.coach_approved,
    )


def sees_candidate(caller: Principal, candidate: Candidate) -> bool:
    """A participant as a mentee (their suggestions, why a mentor is not among them): themself and their programme team."""
    return caller.is_person(candidate.person_id) or caller.runs(candidate.programme_id)


async def candidate_in_cohort(
    conn: AsyncConnection, caller: Principal, cohort_id: UUID, participant_id: UUID, what: str
) -> Candidate:
    """The participant in this cohort, if the caller sees them (`sees_candidate`); else 404 as for one matching does not know."""
    row = (
        await conn.execute(
            sa.select(candidates, active_pairings().label("active")).where(
                candidates.c.participant_id == participant_id, candidates.c.cohort_id == cohort_id
            )
        )
    ).first()
    found = _candidate(row, row.active) if row is not None else None
    return visible_or_missing(found, lambda c: sees_candidate(caller, c), f"{what} in this cohort", participant_id)


@dataclass(frozen=True)
class SeenCohort:
    programme_id: UUID
    member: Candidate | None  # the caller's own registration in the cohort (not withdrawn), if any


async def visible_cohort(conn: AsyncConnection, caller: Principal, cohort_id: UUID) -> SeenCohort:
    """The cohort, seen by its programme team and by its participants who have not withdrawn (they may
    search it); to anyone else, 404 as for a cohort matching does not know."""
    programme_id = await _cohort_programme(conn, cohort_id)
    member_row = (
        await conn.execute(
            sa.select(candidates).where(
                candidates.c.cohort_id == cohort_id,
                candidates.c.person_id == caller.subject,
                candidates.c.withdrawn.is_(False),
            )
        )
    ).first()
    member = _candidate(member_row) if member_row is not None and caller.is_person(member_row.person_id) else None
    seen = visible_or_missing(programme_id, lambda p: caller.runs(p) or member is not None, "cohort", cohort_id)
    return SeenCohort(seen, member)


async def _cohort_programme(conn: AsyncConnection, cohort_id: UUID) -> UUID | None:
    """The programme a cohort belongs to: from its own event, else from its participants; None if unknown."""
    programme_id: UUID | None = (
        await conn.execute(sa.select(cohorts.c.programme_id).where(cohorts.c.cohort_id == cohort_id))
    ).scalar_one_or_none() or (
        await conn.execute(sa.select(candidates.c.programme_id).where(candidates.c.cohort_id == cohort_id).limit(1))
    ).scalar_one_or_none()
    return programme_id


def require_team(caller: Principal, programme_id: UUID, what: str) -> None:
    if not caller.runs(programme_id):
        raise Forbidden(f"{what} is for the programme team only")


def mentee_of(candidate: Candidate) -> Person:
    """The candidate as a mentee asking for partners; 422 if not one, 409 if not now."""
    try:
        return candidate.as_mentee()
    except NotAMentee as exc:
        raise invalid("mentee_id", "has_mentee_role", str(exc)) from exc
    except MenteeUnavailable as exc:
        raise Conflict(str(exc)) from exc


# --- why not ---------------------------------------------------------------------------------


async def why_not_suggested(
    runtime: Runtime,
    cache: CohortCache,
    caller: Principal,
    *,
    cohort_id: UUID,
    mentee_id: UUID,
    mentor_id: UUID,
    language: str = DEFAULT_LANGUAGE,
) -> WhyNot:
    """Why a mentor is (not) among a mentee's suggestions: the hard rules that exclude them, or their rank,
    worded in `language`.

    Rule: the team running the mentee's programme.
    """
    async with runtime.engine.connect() as conn:
        candidate = await candidate_in_cohort(conn, caller, cohort_id, mentee_id, "mentee")
        require_team(caller, candidate.programme_id, "why a mentor was not suggested")
        mentee = mentee_of(candidate)
        mentor = await candidate_in_cohort(conn, caller, cohort_id, mentor_id, "mentor")
        view = await cache.view(conn, cohort_id)
    return why_not(mentee, mentor, view.index, view.policy, view.suggestions_per_mentee, language)


# --- search ----------------------------------------------------------------------------------

TEXT_FIELDS = ("entity", "gender", "job_network", "duty_station", "time_zone")
LIST_FIELDS = {"language": "languages", "expertise": "expertise_areas"}


@dataclass(frozen=True)
class SearchFilters:
    entity: str | None = None
    gender: str | None = None
    job_network: str | None = None
    duty_station: str | None = None
    time_zone: str | None = None
    language: str | None = None
    expertise: str | None = None
    available: bool | None = None  # True: only those with a free place
    text: str | None = None  # words in skills, areas of expertise and bio (prefixes match)


@dataclass(frozen=True)
class SearchPage:
    total: int
    ranked_by: str  # score (the caller is a mentee or client of the cohort) or name
    results: list[Found]


def _conditions(cohort_id: UUID, filters: SearchFilters) -> list[sa.ColumnElement[bool]]:
    conditions = [candidates.c.cohort_id == cohort_id, mentor_side(), visible()]
    for name in TEXT_FIELDS:
        value = getattr(filters, name)
        if value is not None:
            conditions.append(sa.func.lower(candidates.c.profile[name].astext) == value.strip().casefold())
    for name, answer in LIST_FIELDS.items():
        value = getattr(filters, name)
        if value is not None:
            element = sa.func.jsonb_array_elements_text(candidates.c.profile[answer]).table_valued("value").alias(name)
            conditions.append(
                sa.exists(sa.select(1).select_from(element).where(sa.func.lower(element.c.value) == value.strip().casefold()))
            )
    if filters.available:
        conditions.append(active_pairings() < candidates.c.capacity)  # `places_left` > 0, as a query
    if filters.text is not None:
        try:
            words = text_query(filters.text)
        except NoWords as exc:
            raise invalid("q", "has_words", str(exc)) from exc
        # The stored, GIN-indexed tsvector of skills, areas of expertise and bio (tables.SEARCH_DOCUMENT).
        query = sa.func.to_tsquery(sa.literal_column("'simple'::regconfig"), words)
        conditions.append(candidates.c.search_document.op("@@")(query))
    return conditions


async def search_mentors(
    runtime: Runtime, cache: CohortCache, caller: Principal, *, cohort_id: UUID, filters: SearchFilters, limit: int, offset: int
) -> SearchPage:
    """Mentors and coaches of the cohort by their public answers, a page at a time.

    A mentee or client of the cohort gets them ranked by their score for them, without those a hard rule
    excludes; anyone else allowed (another participant of the cohort, the programme team) by name.
    Everyone who sees the cohort may search it.
    """
    async with runtime.engine.connect() as conn:
        me = (await visible_cohort(conn, caller, cohort_id)).member
        columns = (candidates.c.participant_id, candidates.c.profile, candidates.c.capacity, active_pairings().label("active"))
        conditions = _conditions(cohort_id, filters)
        if me is None or not me.gets_ranked_search():
            # The total rides along with the page (one scan, not two); a page past the end asks for it alone.
            rows = (
                await conn.execute(
                    sa.select(*columns, sa.func.count().over().label("total"))
                    .where(*conditions)
                    .order_by(sa.func.lower(candidates.c.profile["display_name"].astext), candidates.c.participant_id)
                    .limit(limit)
                    .offset(offset)
                )
            ).all()
            total = rows[0].total if rows else 0
            if not rows and offset:
                total = (await conn.execute(sa.select(sa.func.count()).select_from(candidates).where(*conditions))).scalar_one()
            return SearchPage(total, "name", [_found(r) for r in rows])
        found_ids = set((await conn.execute(sa.select(candidates.c.participant_id).where(*conditions))).scalars())
        view = await cache.view(conn, cohort_id)
    mentee = Person(participant_id=me.participant_id, profile=PublicProfile.model_validate(me.profile))
    total, page = ranked_page(mentee, view.index, view.mentors, view.policy, found_ids, offset, limit)
    return SearchPage(total, "score", page)


def _found(row: Row[Any]) -> Found:
    return Found(row.participant_id, PublicProfile.model_validate(row.profile), places_left(row.capacity, row.active))


# --- fairness ----------------------------------------------------------------------------------


async def fairness_report(runtime: Runtime, caller: Principal, *, cohort_id: UUID) -> fairness.FairnessReport:
    """How the cohort's suggestions and acceptances spread over its mentors and mentees. Rule: the programme's team."""
    async with runtime.engine.connect() as conn:
        require_team(caller, (await visible_cohort(conn, caller, cohort_id)).programme_id, "the fairness report")
        # The pool: every mentor or coach who registered and did not withdraw (full ones too: being full
        # is no reason to be left out of the figures).
        # Only the answers the report groups by, as text: not every profile decoded.
        answers = [candidates.c.profile[name].astext.label(name) for name in ("display_name", *fairness.DIMENSIONS)]
        pool_rows = (
            await conn.execute(
                sa.select(candidates.c.participant_id, *answers).where(
                    candidates.c.cohort_id == cohort_id, mentor_side(), candidates.c.withdrawn.is_(False)
                )
            )
        ).all()
        mentee_rows = (
            await conn.execute(
                sa.select(candidates.c.participant_id, *answers).where(
                    candidates.c.cohort_id == cohort_id, mentee_side(), candidates.c.withdrawn.is_(False)
                )
            )
        ).all()
        suggested = (
            await conn.execute(
                sa.select(served_suggestions.c.mentee_id, served_suggestions.c.mentor_id)
                .where(served_suggestions.c.cohort_id == cohort_id)
                .distinct()
            )
        ).all()
        accepted = (
            await conn.execute(
                sa.select(mentor_pairings.c.mentee_id, mentor_pairings.c.mentor_id).where(
                    mentor_pairings.c.cohort_id == cohort_id, mentor_pairings.c.formed_at.is_not(None)
                )
            )
        ).all()

    def members(rows: Sequence[Sequence[Any]]) -> list[fairness.Member]:
        return [fairness.Member(row[0], row[1] or "", dict(zip(fairness.DIMENSIONS, row[2:], strict=True))) for row in rows]

    return fairness.report(
        members(pool_rows), [(r[0], r[1]) for r in suggested], [(r[0], r[1]) for r in accepted], members(mentee_rows)
    )


# --- assignment proposals ----------------------------------------------------------------------


def _proposal(row: Row[Any]) -> Proposal:
    return Proposal(
        assignment_id=row.assignment_id,
        cohort_id=row.cohort_id,
        programme_id=row.programme_id,
        method=Method(row.method),
        status=ProposalStatus(row.status),
        pairs=row.pairs,
        report=row.report,
        proposed_by=row.proposed_by,
        proposed_at=row.proposed_at,
        accepted_by=row.accepted_by,
        accepted_at=row.accepted_at,
    )


async def load_proposal(
    conn: AsyncConnection, caller: Principal, cohort_id: UUID, assignment_id: UUID, *, lock: bool = False
) -> Proposal:
    """A proposal of this cohort: the programme's team alone sees (and accepts) it; to anyone else, 404 as for none."""
    query = sa.select(assignments).where(assignments.c.assignment_id == assignment_id, assignments.c.cohort_id == cohort_id)
    row = (await conn.execute(query.with_for_update() if lock else query)).first()
    found = _proposal(row) if row is not None else None
    return visible_or_missing(found, lambda p: caller.runs(p.programme_id), "assignment in this cohort", assignment_id)


async def proposals(runtime: Runtime, caller: Principal, *, cohort_id: UUID) -> list[Proposal]:
    """The cohort's proposals, newest first. Rule: the programme's team."""
    async with runtime.engine.connect() as conn:
        require_team(caller, (await visible_cohort(conn, caller, cohort_id)).programme_id, "cohort-wide assignment")
        rows = await conn.execute(
            sa.select(assignments)
            .where(assignments.c.cohort_id == cohort_id)
            .order_by(assignments.c.proposed_at.desc(), assignments.c.assignment_id)
        )
        return [_proposal(row) for row in rows]


async def proposal(runtime: Runtime, caller: Principal, *, cohort_id: UUID, assignment_id: UUID) -> Proposal:
    """One proposal with its pairs. Rule: the programme's team."""
    async with runtime.engine.connect() as conn:
        return await load_proposal(conn, caller, cohort_id, assignment_id)
