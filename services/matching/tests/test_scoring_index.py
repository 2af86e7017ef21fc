"""CohortIndex: the vectorised scores are explain()'s, the order is best first then mentor id."""

from __future__ import annotations

import random
import uuid

import numpy as np
import pytest

from matching.domain.scoring.index import CohortIndex
from matching.domain.scoring.policy import Person, explain, policy_for
from together_contracts.registration import GRADES, ProgrammeKind, ProgrammeRules, PublicProfile, SessionPlan

ZONES = ["America/New_York", "Europe/Zurich", "Africa/Nairobi", "Asia/Bangkok", "Pacific/Auckland", "Asia/Kolkata"]
SKILLS = ["negotiation", "leadership", "data analysis", "writing", "budgeting", "public speaking", "diplomacy"]


def random_person(rng: random.Random, capacity: int = 0, active: int = 0) -> Person:
    return Person(
        uuid.UUID(int=rng.getrandbits(128)),
        PublicProfile(
            display_name="x",
            entity=rng.choice(["DESA", "OHCHR", "UNEP"]),
            duty_station=rng.choice(["New York", "Geneva", "Nairobi"]),
            time_zone=rng.choice(ZONES),
            grade=rng.choice(GRADES[:22]),
            years_of_service=rng.randint(0, 30),
            job_network=rng.choice(["DEVNET", "POLNET", "INFONET"]),
            languages=rng.sample(["English", "French", "Spanish"], rng.randint(1, 2)),
            skills=rng.sample(SKILLS, 3),
            expertise_areas=rng.sample(SKILLS, 1),
            goals=rng.sample([s.title() for s in SKILLS], 2),
            favourite_activities=rng.sample(["shadowing", "reading", "walks"], 1),
        ),
        capacity=capacity,
        active_pairings=active,
    )


def expected_top(mentee: Person, mentors: list[Person], policy, k: int) -> list[tuple[uuid.UUID, float]]:
    allowed = [e for e in (explain(mentee, m, policy) for m in mentors) if e.suggested]
    allowed.sort(key=lambda e: (-e.score, e.mentor_id))
    return [(e.mentor_id, e.score) for e in allowed[:k]]


@pytest.mark.parametrize("kind", list(ProgrammeKind))
def test_top_is_explain_best_first(kind):
    rng = random.Random(kind.value)
    policy = policy_for(kind)
    mentors = [random_person(rng, capacity=rng.randint(1, 2), active=rng.randint(0, 2)) for _ in range(150)]
    index = CohortIndex.build(mentors, policy)
    assert len(index) == sum(1 for m in mentors if m.active_pairings < m.capacity)
    for _ in range(25):
        me = random_person(rng)
        got = index.top(me, 10)
        want = expected_top(me, mentors, policy, 10)
        assert [s for _, s in got] == pytest.approx([s for _, s in want], rel=1e-5)
        # Each score is that mentor's explain() score. The ids are the same, except that float32 may
        # order two mentors of equal explain() score apart by an ulp: only then may they differ.
        by_id = {e.mentor_id: e.score for e in (explain(me, m, policy) for m in mentors) if e.suggested}
        for mid, s in got:
            assert s == pytest.approx(by_id[mid], rel=1e-5)
        assert [s for _, s in got] == sorted((s for _, s in got), reverse=True)
        if got:
            last = got[-1][1]
            assert {mid for mid, s in want if s > last + 1e-4} <= {mid for mid, _ in got}


def test_top_all_is_top_for_each_mentee():
    rng = random.Random(7)
    policy = policy_for(ProgrammeKind.mentoring)
    mentors = [random_person(rng, capacity=2) for _ in range(200)]
    mentees = [random_person(rng) for _ in range(90)]
    index = CohortIndex.build(mentors, policy)
    graph = index.top_all(mentees, 8, block=16)
    assert len(graph.indptr) == len(mentees) + 1
    for i, me in enumerate(mentees):
        lo, hi = graph.indptr[i], graph.indptr[i + 1]
        row = [(graph.mentor_ids[j], float(s)) for j, s in zip(graph.mentor_index[lo:hi], graph.score[lo:hi], strict=True)]
        alone = index.top(me, 8)
        # The same mentors; scores equal up to float32 rounding (a block's product may sum in another order).
        assert [mid for mid, _ in row] == [mid for mid, _ in alone]
        assert [s for _, s in row] == pytest.approx([s for _, s in alone], rel=1e-6)


def test_ties_go_to_the_smaller_mentor_id_and_excluded_mentors_never_appear():
    same = PublicProfile(
        display_name="m",
        entity="DESA",
        duty_station="New York",
        time_zone="America/New_York",
        grade="P-4",
        years_of_service=10,
        job_network="DEVNET",
        languages=["English"],
    )
    mentors = [Person(uuid.UUID(int=n), same, capacity=1) for n in (5, 3, 9, 1)]
    mentors.append(Person(uuid.UUID(int=0), same, capacity=1, active_pairings=1))  # full
    mentors.append(Person(uuid.UUID(int=2), same.model_copy(update={"languages": ["Arabic"]}), capacity=1))
    me = Person(uuid.UUID(int=100), same.model_copy(update={"grade": "P-2", "years_of_service": 2}))
    policy = policy_for(ProgrammeKind.mentoring)
    index = CohortIndex.build(mentors, policy)
    top = index.top(me, 3)
    assert [mid.int for mid, _ in top] == [1, 3, 5]
    assert top[0][1] == pytest.approx(explain(me, mentors[3], policy).score)
    # A mentor who is also a mentee is never their own candidate.
    both = Person(uuid.UUID(int=1), same, capacity=1)
    assert uuid.UUID(int=1) not in [mid for mid, _ in index.top(both, 10)]


def test_why_a_mentee_has_no_candidate():
    rng = random.Random(3)
    policy = policy_for(ProgrammeKind.mentoring)
    mentors = [random_person(rng, capacity=1) for _ in range(20)]
    mentors = [Person(m.participant_id, m.profile.model_copy(update={"languages": ["English"]}), 1) for m in mentors]
    index = CohortIndex.build(mentors, policy)
    arabic = random_person(rng)
    arabic = Person(arabic.participant_id, arabic.profile.model_copy(update={"languages": ["Arabic"]}))
    usg = Person(
        arabic.participant_id,
        arabic.profile.model_copy(update={"languages": ["English"], "grade": "USG", "years_of_service": 40}),
    )
    graph = index.top_all([arabic, usg], 5)
    assert graph.edges == 0
    assert graph.no_candidate == [
        "no mentor with a free place shares a meeting language with you",
        "no mentor with a free place is more experienced than you",
    ]
    assert CohortIndex.build([], policy).why_no_candidate(usg) == "no mentor has a free place"


def test_weights_set_to_zero_drop_their_columns_and_the_scores_follow():
    rng = random.Random(11)
    rules = ProgrammeRules(
        roles={},
        meeting_languages=["English"],
        session_plan=SessionPlan(period_months=4, meeting_interval="monthly"),
        matching_weights={"time_zone": 0.0, "job_network": 7.5},
        cross_entity_preferred=False,
        cross_duty_station_preferred=True,
    )
    policy = policy_for(ProgrammeKind.mentoring, rules)
    mentors = [random_person(rng, capacity=1) for _ in range(100)]
    index = CohortIndex.build(mentors, policy)
    assert "week" not in index._offset  # time_zone weighs 0: no columns for it
    for _ in range(10):
        me = random_person(rng)
        got = index.top(me, 100)
        want = dict(expected_top(me, mentors, policy, 100))
        assert len(got) == len(want)
        assert np.allclose([s for _, s in got], [want[mid] for mid, _ in got], rtol=1e-5)


def test_why_no_candidate_names_the_rule_and_agrees_with_top():
    policy = policy_for(ProgrammeKind.reverse_mentoring)
    rng = random.Random(5)
    french_juniors = [random_person(rng, capacity=1) for _ in range(10)]
    french_juniors = [
        Person(m.participant_id, m.profile.model_copy(update={"languages": ["French"], "grade": "G-3"}), 1)
        for m in french_juniors
    ]
    english_senior = Person(
        uuid.uuid4(), french_juniors[0].profile.model_copy(update={"languages": ["English"], "grade": "P-5"}), 1
    )
    index = CohortIndex.build([*french_juniors, english_senior], policy)
    leader = random_person(rng)
    g1 = Person(leader.participant_id, leader.profile.model_copy(update={"languages": ["French"], "grade": "G-1"}))
    english_leader = Person(leader.participant_id, leader.profile.model_copy(update={"languages": ["English"], "grade": "P-4"}))
    assert index.why_no_candidate(g1) == "no mentor with a free place has a grade below yours"
    # English: only the P-5 speaks it, and a P-5 may not reverse-mentor a P-4; the French G-3s may.
    assert index.why_no_candidate(english_leader) == (
        "no mentor with a free place both shares a meeting language and has the right grade"
    )
    for _ in range(40):
        me = random_person(rng)
        assert (index.why_no_candidate(me) == "") == bool(index.top(me, 1))


def test_only_the_programmes_meeting_languages_let_a_pair_through_as_explain_says():
    rng = random.Random(13)
    rules = ProgrammeRules(
        roles={}, meeting_languages=["English", "French"], session_plan=SessionPlan(period_months=4, meeting_interval="monthly")
    )
    policy = policy_for(ProgrammeKind.mentoring, rules)
    mentors = [random_person(rng, capacity=1) for _ in range(120)]
    index = CohortIndex.build(mentors, policy)
    spanish_only = [m.participant_id for m in mentors if m.profile.languages == ["Spanish"]]
    assert spanish_only  # the generator makes some: never a candidate in an English and French programme
    for _ in range(25):
        me = random_person(rng)
        got = index.top(me, 120)
        assert {mid for mid, _ in got} == {mid for mid, _ in expected_top(me, mentors, policy, 120)}  # every allowed one
        assert not set(spanish_only) & {mid for mid, _ in got}
    hispanic = Person(uuid.uuid4(), mentors[0].profile.model_copy(update={"languages": ["Spanish"], "grade": "G-1"}))
    assert index.top(hispanic, 10) == []
    assert index.why_no_candidate(hispanic) == "no mentor with a free place shares a meeting language with you"
