"""A mentee's suggestions, why a mentor is not among them, and the search a mentee sees ranked."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from matching.domain.participants import Candidate
from matching.domain.scoring.index import CohortIndex
from matching.domain.scoring.policy import Person, policy_for
from matching.domain.search import NoWords, ranked_page, text_query
from matching.domain.suggestions import suggestions, why_not
from together_contracts.registration import ProgrammeKind, PublicProfile

POLICY = policy_for(ProgrammeKind.mentoring)


def answers(grade: str, years: int, **overrides: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "display_name": "X",
        "entity": "DESA",
        "duty_station": "New York",
        "time_zone": "America/New_York",
        "grade": grade,
        "years_of_service": years,
        "job_network": "DEVNET",
        "languages": ["English"],
    }
    fields.update(overrides)
    return fields


def mentor_candidate(grade: str = "P-5", years: int = 20, capacity: int = 1, **overrides: object) -> Candidate:
    return Candidate(
        participant_id=uuid.uuid4(),
        person_id="m",
        programme_id=uuid.uuid4(),
        roles=("mentor",),
        profile=answers(grade, years, **overrides),
        capacity=capacity,
    )


def cohort(*candidates: Candidate) -> tuple[dict[uuid.UUID, Person], CohortIndex]:
    mentors = {}
    for c in candidates:
        person = c.as_mentor()
        assert isinstance(person, Person)
        mentors[c.participant_id] = person
    return mentors, CohortIndex.build(list(mentors.values()), POLICY)


MENTEE = Person(uuid.uuid4(), PublicProfile.model_validate(answers("G-6", 5)))


def test_suggestions_are_the_best_k_explained_best_first():
    same_network, other_network = mentor_candidate(), mentor_candidate(job_network="LEGALNET")
    mentors, index = cohort(same_network, other_network)
    shown = suggestions(MENTEE, mentors, index, POLICY, k=2)
    assert [s.mentor_id for s in shown] == [same_network.participant_id, other_network.participant_id]
    assert shown[0].score > shown[1].score and "both work in DEVNET" in shown[0].reasons
    assert len(suggestions(MENTEE, mentors, index, POLICY, k=1)) == 1


def test_why_not_names_the_service_rules_first():
    waiting = replace(mentor_candidate(), waitlisted=True)
    _, index = cohort(mentor_candidate())
    answer = why_not(MENTEE, waiting, index, POLICY, suggestions_per_mentee=3)
    assert not answer.suggested and [e.rule for e in answer.exclusions] == ["waitlisted"]
    assert answer.score is None and answer.suggestions_per_mentee == 3


def test_why_not_names_an_unknown_grade():
    odd = mentor_candidate(grade="Senior")
    _, index = cohort(mentor_candidate())
    answer = why_not(MENTEE, odd, index, POLICY, suggestions_per_mentee=3)
    assert [e.rule for e in answer.exclusions] == ["unknown_grade"]


def test_why_not_names_the_hard_rules_with_the_score_it_would_have():
    junior = mentor_candidate(grade="G-5", years=2)
    _, index = cohort(mentor_candidate(), junior)
    answer = why_not(MENTEE, junior, index, POLICY, suggestions_per_mentee=3)
    assert not answer.suggested and [e.rule for e in answer.exclusions] == ["grade"]
    assert answer.summary.startswith("excluded by a hard rule: ") and answer.score is not None
    assert answer.rank is None and answer.eligible == 1


def test_why_not_gives_the_rank_and_the_lowest_suggested_score():
    best, second = mentor_candidate(), mentor_candidate(job_network="LEGALNET")
    _, index = cohort(best, second)
    suggested = why_not(MENTEE, best, index, POLICY, suggestions_per_mentee=1)
    assert suggested.suggested and suggested.rank == 1
    assert suggested.summary == "suggested: rank 1 of 2 mentors who may be suggested"
    left_out = why_not(MENTEE, second, index, POLICY, suggestions_per_mentee=1)
    assert not left_out.suggested and left_out.rank == 2 and not left_out.exclusions
    assert left_out.lowest_suggested_score == pytest.approx(suggested.score, abs=1e-4)
    assert "only the top 1 are suggested" in left_out.summary


def test_a_search_text_is_every_word_as_a_prefix():
    assert text_query("Negotiat  french!") == "negotiat:* & french:*"
    assert text_query(" ".join(f"w{i}" for i in range(20))).count("&") == 15
    with pytest.raises(NoWords):
        text_query("?! -")


def test_a_mentee_sees_search_results_ranked_without_those_a_hard_rule_excludes():
    best, second, junior = mentor_candidate(), mentor_candidate(job_network="LEGALNET"), mentor_candidate("G-5", 2)
    mentors, index = cohort(best, second, junior)
    every = {best.participant_id, second.participant_id, junior.participant_id}
    total, page = ranked_page(MENTEE, index, mentors, POLICY, every, offset=0, limit=10)
    assert total == 2 and [f.participant_id for f in page] == [best.participant_id, second.participant_id]
    assert page[0].free_places == 1 and page[0].reasons
    total, page = ranked_page(MENTEE, index, mentors, POLICY, {second.participant_id}, offset=0, limit=10)
    assert total == 1 and [f.participant_id for f in page] == [second.participant_id]
    assert ranked_page(MENTEE, index, mentors, POLICY, every, offset=1, limit=1)[1][0].participant_id == second.participant_id
