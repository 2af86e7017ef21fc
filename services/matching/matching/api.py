"""Matching's HTTP API (entrypoints room)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from matching import queries, use_cases
from matching.cohort_cache import CohortCache
from matching.domain.proposal import Method, Proposal
from together_contracts.words import Language
from together_servicekit.auth import Principal, authenticated
from together_servicekit.languages import caller_language
from together_servicekit.runtime import Runtime, get_runtime

router = APIRouter()


def get_cohorts(request: Request) -> CohortCache:
    cache: CohortCache = request.app.state.cohorts
    return cache


Cohorts = Annotated[CohortCache, Depends(get_cohorts)]
Caller = Annotated[Principal, Depends(authenticated)]
Rt = Annotated[Runtime, Depends(get_runtime)]
Name = Annotated[str | None, Query(min_length=1, max_length=100)]


class ContributionOut(BaseModel):
    factor: str
    points: float
    reason: str


class SuggestionOut(BaseModel):
    mentor_id: UUID
    display_name: str
    score: float
    reasons: list[str]
    contributions: list[ContributionOut]


class SuggestionsOut(BaseModel):
    mentee_id: UUID
    suggestions: list[SuggestionOut]


@router.get("/cohorts/{cohort_id}/mentees/{mentee_id}/suggestions", tags=["suggestions"])
async def suggestions(
    cohort_id: UUID,
    mentee_id: UUID,
    runtime: Rt,
    cohorts: Cohorts,
    caller: Caller,
    limit: int | None = Query(default=None, ge=1, le=50, description="Fewer than the programme's number of suggestions"),
) -> SuggestionsOut:
    """The best mentors for this mentee, best first, each with its score and what produced it."""
    found = await use_cases.suggest_mentors(runtime, cohorts, caller, cohort_id=cohort_id, mentee_id=mentee_id, limit=limit)
    return SuggestionsOut(
        mentee_id=mentee_id,
        suggestions=[
            SuggestionOut(
                mentor_id=s.mentor_id,
                display_name=name,
                score=s.score,
                reasons=s.reasons,
                contributions=[ContributionOut(factor=c.factor, points=c.points, reason=c.reason) for c in s.contributions],
            )
            for s, name in found
        ],
    )


class ExclusionOut(BaseModel):
    rule: str
    reason: str


class WhyNotOut(BaseModel):
    mentee_id: UUID
    mentor_id: UUID
    suggested: bool
    summary: str
    exclusions: list[ExclusionOut] = Field(description="The rules that keep the mentor out; empty when none does")
    score: float | None
    rank: int | None = Field(description="Among the mentors the hard rules leave for this mentee, 1 = best")
    eligible: int
    suggestions_per_mentee: int
    lowest_suggested_score: float | None
    contributions: list[ContributionOut]


@router.get("/cohorts/{cohort_id}/mentees/{mentee_id}/why-not/{mentor_id}", tags=["suggestions"])
async def why_not(
    cohort_id: UUID,
    mentee_id: UUID,
    mentor_id: UUID,
    runtime: Rt,
    cohorts: Cohorts,
    caller: Caller,
    language: Language = Depends(caller_language),
) -> WhyNotOut:
    """Why this mentor is not among this mentee's suggestions: the hard rules that exclude them, or else
    their score, rank, and the lowest score that made the list. The exclusions and the summary are in the
    `Accept-Language` (en, fr, es); the reasons of the points in English."""
    answer = await queries.why_not_suggested(
        runtime, cohorts, caller, cohort_id=cohort_id, mentee_id=mentee_id, mentor_id=mentor_id, language=language
    )
    return WhyNotOut(
        mentee_id=answer.mentee_id,
        mentor_id=answer.mentor_id,
        suggested=answer.suggested,
        summary=answer.summary,
        exclusions=[ExclusionOut(rule=e.rule, reason=e.reason) for e in answer.exclusions],
        score=answer.score,
        rank=answer.rank,
        eligible=answer.eligible,
        suggestions_per_mentee=answer.suggestions_per_mentee,
        lowest_suggested_score=answer.lowest_suggested_score,
        contributions=[ContributionOut(factor=c.factor, points=c.points, reason=c.reason) for c in answer.contributions],
    )


class FoundOut(BaseModel):
    participant_id: UUID
    display_name: str
    entity: str
    duty_station: str
    time_zone: str
    grade: str
    job_network: str
    job_family: str | None
    gender: str | None
    languages: list[str]
    skills: list[str]
    expertise_areas: list[str]
    bio: str | None
    free_places: int
    score: float | None = Field(description="Your score with them, when you are a mentee or client of the cohort")
    reasons: list[str]


class SearchOut(BaseModel):
    total: int
    limit: int
    offset: int
    ranked_by: str = Field(description="score (you are a mentee or client of the cohort) or name")
    results: list[FoundOut]


@router.get("/cohorts/{cohort_id}/mentors", tags=["search"])
async def search(
    cohort_id: UUID,
    runtime: Rt,
    cohorts: Cohorts,
    caller: Caller,
    entity: Name = None,
    gender: Name = None,
    job_network: Name = None,
    language: Name = None,
    expertise: Name = None,
    duty_station: Name = None,
    time_zone: Name = None,
    available: bool | None = Query(default=None, description="true: only those with a free place"),
    q: str | None = Query(default=None, min_length=1, max_length=200, description="Words in skills, expertise and bio"),
    limit: int = Query(default=20, ge=1, le=50),
    offset: int = Query(default=0, ge=0, le=10_000),
) -> SearchOut:
    """The cohort's mentors and coaches by their public answers, a page at a time."""
    filters = queries.SearchFilters(
        entity=entity,
        gender=gender,
        job_network=job_network,
        duty_station=duty_station,
        time_zone=time_zone,
        language=language,
        expertise=expertise,
        available=available,
        text=q,
    )
    page = await queries.search_mentors(
        runtime, cohorts, caller, cohort_id=cohort_id, filters=filters, limit=limit, offset=offset
    )
    return SearchOut(
        total=page.total,
        limit=limit,
        offset=offset,
        ranked_by=page.ranked_by,
        results=[
            FoundOut(
                participant_id=f.participant_id,
                free_places=f.free_places,
                score=f.score,
                reasons=f.reasons,
                **f.profile.model_dump(
                    include={
                        "display_name",
                        "entity",
                        "duty_station",
                        "time_zone",
                        "grade",
                        "job_network",
                        "job_family",
                        "gender",
                        "languages",
                        "skills",
                        "expertise_areas",
                        "bio",
                    }
                ),
            )
            for f in page.results
        ],
    )


class AssignmentIn(BaseModel):
    method: Method = Method.optimal


class AssignedPairOut(BaseModel):
    mentee_id: UUID
    mentor_id: UUID
    score: float
    choice: int | None = Field(description="Which of the mentee's ranked choices this mentor was (1-5), if any")
    reasons: list[str]


class UnmatchedOut(BaseModel):
    mentee_id: UUID
    reason: str


class AssignmentReportOut(BaseModel):
    mentees: int
    paired: int
    total_score: float
    choices: dict[str, int] = Field(description="How many mentees got their 1st..5th choice")
    unmatched: list[UnmatchedOut]


class AssignmentOut(BaseModel):
    assignment_id: UUID
    cohort_id: UUID
    method: str
    status: str = Field(description="proposed or accepted")
    proposed_at: datetime
    accepted_at: datetime | None
    pairs: list[AssignedPairOut]
    report: AssignmentReportOut


def assignment_out(proposal: Proposal) -> AssignmentOut:
    return AssignmentOut(
        assignment_id=proposal.assignment_id,
        cohort_id=proposal.cohort_id,
        method=proposal.method.value,
        status=proposal.status.value,
        proposed_at=proposal.proposed_at,
        accepted_at=proposal.accepted_at,
        pairs=[AssignedPairOut.model_validate(p) for p in proposal.pairs],
        report=AssignmentReportOut.model_validate(proposal.report),
    )


@router.post("/cohorts/{cohort_id}/assignments", status_code=201, tags=["assignment"])
async def propose_assignment(cohort_id: UUID, body: AssignmentIn, runtime: Rt, cohorts: Cohorts, caller: Caller) -> AssignmentOut:
    """Propose mentors for every unpaired mentee of the cohort at once, with a report. Nothing is sent yet."""
    return assignment_out(await use_cases.propose_assignment(runtime, cohorts, caller, cohort_id=cohort_id, method=body.method))


class ProposalSummaryOut(BaseModel):
    assignment_id: UUID
    method: str
    status: str
    proposed_at: datetime
    accepted_at: datetime | None
    report: AssignmentReportOut


@router.get("/cohorts/{cohort_id}/assignments", tags=["assignment"])
async def list_assignments(cohort_id: UUID, runtime: Rt, caller: Caller) -> list[ProposalSummaryOut]:
    """The cohort's proposals, newest first, with their reports (the pairs: GET one)."""
    return [
        ProposalSummaryOut(
            assignment_id=p.assignment_id,
            method=p.method.value,
            status=p.status.value,
            proposed_at=p.proposed_at,
            accepted_at=p.accepted_at,
            report=AssignmentReportOut.model_validate(p.report),
        )
        for p in await queries.proposals(runtime, caller, cohort_id=cohort_id)
    ]


@router.get("/cohorts/{cohort_id}/assignments/{assignment_id}", tags=["assignment"])
async def review_assignment(cohort_id: UUID, assignment_id: UUID, runtime: Rt, caller: Caller) -> AssignmentOut:
    return assignment_out(await queries.proposal(runtime, caller, cohort_id=cohort_id, assignment_id=assignment_id))


@router.post("/cohorts/{cohort_id}/assignments/{assignment_id}/accept", tags=["assignment"])
async def accept_assignment(cohort_id: UUID, assignment_id: UUID, runtime: Rt, caller: Caller) -> AssignmentOut:
    """Accept the proposal: `AssignmentAccepted` is published and pairing sends each pair's request."""
    return assignment_out(await use_cases.accept_assignment(runtime, caller, cohort_id=cohort_id, assignment_id=assignment_id))


class GroupOut(BaseModel):
    value: str
    mentors: int
    suggestions: int
    suggestion_share: float
    acceptances: int


class MenteeGroupOut(BaseModel):
    value: str
    mentees: int
    suggested: int = Field(description="Mentees of the group shown at least one mentor")
    paired: int = Field(description="Mentees of the group with a pairing formed")


class MentorShareOut(BaseModel):
    mentor_id: UUID
    display_name: str
    suggestions: int
    share: float


class ConcentrationOut(BaseModel):
    mentors: int
    suggestions: int = Field(description="Distinct (mentee, mentor) suggestions shown")
    mentors_suggested: int
    top_decile_mentors: int
    top_decile_share: float = Field(description="Share of all suggestions that went to the top 10% of mentors")
    gini: float
    most_suggested: list[MentorShareOut]


class FairnessOut(BaseModel):
    cohort_id: UUID
    by: dict[str, list[GroupOut]] = Field(description="Per mentor grade, gender, entity and duty station")
    mentees_by: dict[str, list[MenteeGroupOut]] = Field(description="Per mentee grade, gender, entity and duty station")
    concentration: ConcentrationOut


@router.get("/cohorts/{cohort_id}/fairness", tags=["fairness"])
async def fairness(cohort_id: UUID, runtime: Rt, caller: Caller) -> FairnessOut:
    """How the cohort's suggestions and acceptances spread over its mentors, and how concentrated they are."""
    report = await queries.fairness_report(runtime, caller, cohort_id=cohort_id)
    c = report.concentration
    return FairnessOut(
        cohort_id=cohort_id,
        by={d: [GroupOut(**g.__dict__) for g in groups] for d, groups in report.by.items()},
        mentees_by={d: [MenteeGroupOut(**g.__dict__) for g in groups] for d, groups in report.mentees_by.items()},
        concentration=ConcentrationOut(
            mentors=c.mentors,
            suggestions=c.suggestions,
            mentors_suggested=c.mentors_suggested,
            top_decile_mentors=c.top_decile_mentors,
            top_decile_share=c.top_decile_share,
            gini=c.gini,
            most_suggested=[MentorShareOut(**m.__dict__) for m in c.most_suggested],
        ),
    )
