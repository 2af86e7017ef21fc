"""Matching's use cases: suggestions, why-not, search and the fairness report.

Cohort-wide assignment is in `assignments.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from matching import fairness
from matching.cohort_cache import (
    MENTEE_ROLES,
    MENTOR_ROLES,
    CohortCache,
    active_pairings,
    mentor_side,
    visible,
)
from matching.scoring import Contribution, Exclusion, Explanation, Person, explain
from matching.tables import candidates, cohorts, mentor_pairings, served_suggestions
from together_events.contracts.matching import ServedSuggestion, SuggestionsServed
from together_events.contracts.registration import GRADES, PublicProfile, Role
from together_servicekit.auth import Forbidden, Principal
from together_servicekit.errors import Conflict, NotFound, invalid
from together_servicekit.runtime import Runtime

# --- who is asking about whom ----------------------------------------------------------------


async def participant_in_cohort(conn: AsyncConnection, cohort_id: UUID, participant_id: UUID, what: str) -> Row:
    row = (
        await conn.execute(
            sa.select(candidates, active_pairings().label("active")).where(
                candidates.c.participant_id == participant_id, candidates.c.cohort_id == cohort_id
            )
        )
    ).first()
    if row is None:
        raise NotFound(f"{what} in this cohort", participant_id)
    return row


async def cohort_programme(conn: AsyncConnection, cohort_id: UUID) -> UUID:
    """The programme a cohort belongs to: from its own event, else from its participants; 404 if unknown."""
    programme_id = (
        await conn.execute(sa.select(cohorts.c.programme_id).where(cohorts.c.cohort_id == cohort_id))
    ).scalar_one_or_none() or (
        await conn.execute(sa.select(candidates.c.programme_id).where(candidates.c.cohort_id == cohort_id).limit(1))
    ).scalar_one_or_none()
    if programme_id is None:
        raise NotFound("cohort", cohort_id)
    return programme_id


def require_team(caller: Principal, programme_id: UUID, what: str) -> None:
    if not caller.runs(programme_id):
        raise Forbidden(f"{what} is for the programme team only")


def mentee_person(row: Row) -> Person:
    """A participant asking for partners: a mentee or client who is in the cohort and not waiting for a place."""
    if not set(row.roles) & set(MENTEE_ROLES):
        raise invalid("mentee_id", "has_mentee_role", "this participant did not register as a mentee or client")
    if row.withdrawn:
        raise Conflict("this participant has withdrawn from the cohort")
    if row.waitlisted:
        raise Conflict("this participant is on the waitlist: suggestions come once they have a place")
    profile = PublicProfile.model_validate(row.profile)
    if profile.grade not in GRADES:
        raise Conflict(f"this participant's grade {profile.grade!r} is not one matching knows")
    return Person(participant_id=row.participant_id, profile=profile)


# --- suggestions -------------------------------------------------------------------------------


async def suggest_mentors(
    runtime: Runtime, cache: CohortCache, caller: Principal, *, cohort_id: UUID, mentee_id: UUID, limit: int | None = None
) -> list[tuple[Explanation, str]]:
    """The top mentors for a mentee (with their display names) and every point's reason; recorded as `SuggestionsServed` for audit.

    The list is the programme's `suggestions_per_mentee` long (fewer if `limit` asks). Rule: the mentee
    themself, or the team running the mentee's programme.
    """
    async with runtime.engine.begin() as conn:
        row = await participant_in_cohort(conn, cohort_id, mentee_id, "mentee")
        if not caller.is_person(row.person_id) and not caller.runs(row.programme_id):
            raise Forbidden("suggestions are for the mentee and their programme team only")
        mentee = mentee_person(row)
        view = await cache.view(conn, cohort_id)
        k = min(limit or view.suggestions_per_mentee, view.suggestions_per_mentee)
        # The index ranks every mentor at once; the words come from the engine for the few shown.
        shown = [explain(mentee, view.mentors[mentor_id], view.policy) for mentor_id, _ in view.index.top(mentee, k)]
        now = runtime.now()
        await runtime.record(
            conn,
            SuggestionsServed(
                mentee_id=mentee_id,
                cohort_id=cohort_id,
                suggestions=[ServedSuggestion(mentor_id=s.mentor_id, score=s.score, reasons=s.reasons) for s in shown],
                served_at=now,
            ),
        )
        if shown:
            await conn.execute(
                served_suggestions.insert(),
                [
                    {
                        "cohort_id": cohort_id,
                        "mentee_id": mentee_id,
                        "mentor_id": s.mentor_id,
                        "position": i,
                        "score": s.score,
                        "served_at": now,
                    }
                    for i, s in enumerate(shown, start=1)
                ],
            )
    return [(s, view.mentors[s.mentor_id].profile.display_name) for s in shown]


# --- why not ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class WhyNot:
    mentee_id: UUID
    mentor_id: UUID
    suggested: bool
    summary: str
    exclusions: list[Exclusion]
    score: float | None = None
    rank: int | None = None  # among the mentors the hard rules leave for this mentee
    eligible: int = 0
    suggestions_per_mentee: int = 0
    lowest_suggested_score: float | None = None  # the N-th suggestion's score
    contributions: list[Contribution] = field(default_factory=list)


def _not_suggestible(mentor: Row) -> list[Exclusion]:
    """What takes a participant out of the suggestions before any scoring rule."""
    out = []
    if not set(mentor.roles) & set(MENTOR_ROLES):
        out.append(Exclusion("not_a_mentor", "this participant did not register as a mentor or coach"))
    if mentor.withdrawn:
        out.append(Exclusion("withdrawn", "this participant has withdrawn from the cohort"))
    if mentor.waitlisted:
        out.append(Exclusion("waitlisted", "this participant is on the waitlist"))
    if Role.coach.value in mentor.roles and not mentor.coach_approved:
        out.append(Exclusion("coach_not_approved", "the coach's credential has not been approved by the programme team"))
    return out


async def why_not(
    runtime: Runtime, cache: CohortCache, caller: Principal, *, cohort_id: UUID, mentee_id: UUID, mentor_id: UUID
) -> WhyNot:
    """Why a mentor is (not) among a mentee's suggestions: the hard rules that exclude them, or their rank.

    Rule: the team running the mentee's programme.
    """
    async with runtime.engine.connect() as conn:
        row = await participant_in_cohort(conn, cohort_id, mentee_id, "mentee")
        require_team(caller, row.programme_id, "why a mentor was not suggested")
        mentee = mentee_person(row)
        mentor_row = await participant_in_cohort(conn, cohort_id, mentor_id, "mentor")
        view = await cache.view(conn, cohort_id)
    n = view.suggestions_per_mentee
    excluded = _not_suggestible(mentor_row)
    if excluded:
        return WhyNot(mentee_id, mentor_id, False, "; ".join(e.reason for e in excluded), excluded, suggestions_per_mentee=n)
    mentor_profile = PublicProfile.model_validate(mentor_row.profile)
    if mentor_profile.grade not in GRADES:
        unknown = [Exclusion("unknown_grade", f"the mentor's grade {mentor_profile.grade!r} is not one matching knows")]
        return WhyNot(mentee_id, mentor_id, False, unknown[0].reason, unknown, suggestions_per_mentee=n)
    mentor = Person(
        participant_id=mentor_id,
        profile=mentor_profile,
        capacity=mentor_row.capacity,
        active_pairings=mentor_row.active,
    )
    explained = explain(mentee, mentor, view.policy)
    ranking = view.index.top(mentee, len(view.index))
    lowest = ranking[n - 1][1] if len(ranking) >= n else (ranking[-1][1] if ranking else None)
    common = dict(
        score=explained.score,
        eligible=len(ranking),
        suggestions_per_mentee=n,
        lowest_suggested_score=lowest,
        contributions=list(explained.contributions),
    )
    if explained.exclusions:
        summary = "excluded by a hard rule: " + "; ".join(e.reason for e in explained.exclusions)
        return WhyNot(mentee_id, mentor_id, False, summary, list(explained.exclusions), **common)  # type: ignore[arg-type]
    rank = next((i for i, (m, _) in enumerate(ranking, start=1) if m == mentor_id), None)
    if rank is not None and rank <= n:
        summary = f"suggested: rank {rank} of {len(ranking)} mentors who may be suggested"
    else:
        summary = (
            f"not excluded, but ranked {rank} of {len(ranking)} with a score of {explained.score:.2f}; "
            f"only the top {n} are suggested and the lowest of them scored {lowest:.2f}"
        )
    return WhyNot(mentee_id, mentor_id, rank is not None and rank <= n, summary, [], rank=rank, **common)  # type: ignore[arg-type]


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
class Found:
    participant_id: UUID
    profile: PublicProfile
    free_places: int
    score: float | None = None
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SearchPage:
    total: int
    ranked_by: str  # score (the caller is a mentee or client of the cohort) or name
    results: list[Found]


def text_query(text: str) -> str:
    """Every word of the text, as a prefix, all required: 'negotiat french' finds 'negotiation' and 'French'."""
    words = re.findall(r"\w+", text.casefold())
    if not words:
        raise invalid("q", "has_words", "the text to search for has no words")
    return " & ".join(f"{w}:*" for w in words[:16])


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
        conditions.append(active_pairings() < candidates.c.capacity)
    if filters.text is not None:
        # The stored, GIN-indexed tsvector of skills, areas of expertise and bio (tables.SEARCH_DOCUMENT).
        query = sa.func.to_tsquery(sa.literal_column("'simple'::regconfig"), text_query(filters.text))
        conditions.append(candidates.c.search_document.op("@@")(query))
    return conditions


async def search_mentors(
    runtime: Runtime, cache: CohortCache, caller: Principal, *, cohort_id: UUID, filters: SearchFilters, limit: int, offset: int
) -> SearchPage:
    """Mentors and coaches of the cohort by their public answers, a page at a time.

    A mentee or client of the cohort gets them ranked by their score for them, without those a hard rule
    excludes; anyone else allowed (another participant of the cohort, the programme team) by name.
    """
    async with runtime.engine.connect() as conn:
        programme_id = await cohort_programme(conn, cohort_id)
        me = (
            await conn.execute(
                sa.select(candidates).where(
                    candidates.c.cohort_id == cohort_id,
                    candidates.c.person_id == caller.subject,
                    candidates.c.withdrawn.is_(False),
                )
            )
        ).first()
        if not caller.runs(programme_id) and (me is None or not caller.is_person(me.person_id)):
            raise Forbidden("search is for the cohort's participants and its programme team")
        columns = (candidates.c.participant_id, candidates.c.profile, candidates.c.capacity, active_pairings().label("active"))
        conditions = _conditions(cohort_id, filters)
        ranked = (
            me is not None
            and caller.is_person(me.person_id)
            and bool(set(me.roles) & set(MENTEE_ROLES))
            and not me.waitlisted
            and me.profile.get("grade") in GRADES
        )
        if not ranked:
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
        matching_ids = set((await conn.execute(sa.select(candidates.c.participant_id).where(*conditions))).scalars())
        view = await cache.view(conn, cohort_id)
    mentee = Person(participant_id=me.participant_id, profile=PublicProfile.model_validate(me.profile))
    ranking = [mentor_id for mentor_id, _ in view.index.top(mentee, len(view.index)) if mentor_id in matching_ids]
    page = []
    for mentor_id in ranking[offset : offset + limit]:
        mentor = view.mentors[mentor_id]
        explained = explain(mentee, mentor, view.policy)
        page.append(Found(mentor_id, mentor.profile, mentor.free_places, explained.score, explained.reasons))
    return SearchPage(len(ranking), "score", page)


def _found(row: Row) -> Found:
    return Found(row.participant_id, PublicProfile.model_validate(row.profile), max(row.capacity - row.active, 0))


# --- fairness ----------------------------------------------------------------------------------


async def fairness_report(runtime: Runtime, caller: Principal, *, cohort_id: UUID) -> fairness.FairnessReport:
    """How the cohort's suggestions and acceptances spread over its mentors and mentees. Rule: the programme's team."""
    async with runtime.engine.connect() as conn:
        programme_id = await cohort_programme(conn, cohort_id)
        require_team(caller, programme_id, "the fairness report")
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
                    candidates.c.cohort_id == cohort_id,
                    candidates.c.roles.overlap(list(MENTEE_ROLES)),
                    candidates.c.withdrawn.is_(False),
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

    def members(rows: list[Row]) -> list[fairness.Member]:
        return [
            fairness.Member(participant_id, name or "", dict(zip(fairness.DIMENSIONS, values, strict=True)))
            for participant_id, name, *values in rows
        ]

    return fairness.report(members(pool_rows), [tuple(r) for r in suggested], [tuple(r) for r in accepted], members(mentee_rows))
