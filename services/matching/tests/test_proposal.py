"""The cohort-wide assignment proposal: the engine's pairs and report, and accepting once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from matching.domain.proposal import AlreadyDecided, Method, Proposal, ProposalStatus, solve
from matching.domain.scoring.index import CohortIndex
from matching.domain.scoring.policy import Person, policy_for
from together_contracts.matching import AssignmentAccepted
from together_contracts.registration import ProgrammeKind, PublicProfile

POLICY = policy_for(ProgrammeKind.mentoring)
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def person(grade: str, years: int, capacity: int = 0) -> Person:
    profile = PublicProfile(
        display_name="X",
        entity="DESA",
        duty_station="New York",
        time_zone="America/New_York",
        grade=grade,
        years_of_service=years,
        job_network="DEVNET",
        languages=["English"],
    )
    return Person(uuid.uuid4(), profile, capacity=capacity)


def proposal(**overrides: object) -> Proposal:
    fields: dict[str, object] = dict(
        assignment_id=uuid.uuid4(),
        cohort_id=uuid.uuid4(),
        programme_id=uuid.uuid4(),
        method=Method.optimal,
        status=ProposalStatus.proposed,
        pairs=[{"mentee_id": str(uuid.uuid4()), "mentor_id": str(uuid.uuid4()), "score": 7.5, "choice": 1, "reasons": []}],
        report={"mentees": 1, "paired": 1, "total_score": 7.5, "choices": {"1": 1}, "unmatched": []},
        proposed_by="team",
        proposed_at=NOW,
    )
    fields.update(overrides)
    return Proposal(**fields)


def test_accepting_a_proposal_publishes_its_pairs_once():
    open_one = proposal()
    accepted = open_one.accept(by="team-lead", at=NOW)
    assert isinstance(accepted, AssignmentAccepted)
    assert (accepted.assignment_id, accepted.cohort_id, accepted.programme_id) == (
        open_one.assignment_id,
        open_one.cohort_id,
        open_one.programme_id,
    )
    assert [(str(p.mentee_id), str(p.mentor_id), p.score) for p in accepted.pairs] == [
        (p["mentee_id"], p["mentor_id"], p["score"]) for p in open_one.pairs
    ]
    assert (open_one.status, open_one.accepted_by, open_one.accepted_at) == (ProposalStatus.accepted, "team-lead", NOW)
    with pytest.raises(AlreadyDecided, match="already accepted"):
        open_one.accept(by="someone else", at=NOW)
    assert open_one.accepted_by == "team-lead"


@pytest.mark.parametrize("method", list(Method))
def test_the_engine_pairs_mentees_and_reports_those_it_could_not(method: Method):
    mentor = person("P-5", 20, capacity=1)
    first, second = person("G-6", 5), person("G-5", 3)
    unknown = person("Senior", 10)
    index = CohortIndex.build([mentor], POLICY)
    pairs, report = solve(index, {mentor.participant_id: mentor}, POLICY, [first, second, unknown], {}, method)
    assert len(pairs) == 1 and pairs[0]["mentor_id"] == str(mentor.participant_id)
    assert pairs[0]["choice"] is None and pairs[0]["reasons"]
    assert (report["mentees"], report["paired"]) == (3, 1)
    reasons = {u["mentee_id"]: u["reason"] for u in report["unmatched"]}
    assert reasons[str(unknown.participant_id)] == "your grade 'Senior' is not one matching knows"
    assert len(reasons) == 2


def test_a_ranked_choice_is_named_in_the_pair():
    mentors = [person("P-5", 20, capacity=1), person("P-4", 15, capacity=1)]
    mentee = person("G-6", 5)
    index = CohortIndex.build(mentors, POLICY)
    second = mentors[1].participant_id
    pairs, report = solve(
        index, {m.participant_id: m for m in mentors}, POLICY, [mentee], {mentee.participant_id: [second]}, Method.optimal
    )
    assert pairs[0]["mentor_id"] == str(second) and pairs[0]["choice"] == 1
    assert report["choices"]["1"] == 1
