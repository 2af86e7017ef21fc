"""The first scoring model: hard rules exclude, every point has a reason."""

from __future__ import annotations

import uuid

from matching.domain import Candidate, exclusion, rank
from together_events.contracts.registration import PublicProfile


def profile(**overrides: object) -> PublicProfile:
    fields: dict[str, object] = dict(
        display_name="A",
        entity="DESA",
        duty_station="New York",
        time_zone="America/New_York",
        grade="P-3",
        years_of_service=6,
        job_network="DEVNET",
        languages=["English"],
        skills=[],
        goals=[],
    )
    fields.update(overrides)
    return PublicProfile(**fields)  # type: ignore[arg-type]


def mentor(capacity: int = 2, active: int = 0, **overrides: object) -> Candidate:
    return Candidate(participant_id=uuid.uuid4(), profile=profile(**overrides), capacity=capacity, active_pairings=active)


MENTEE_ID = uuid.uuid4()
MENTEE = profile(grade="G-6", years_of_service=5, goals=["negotiation"], languages=["English", "French"])


def test_hard_rules_exclude_with_their_reason():
    assert exclusion(MENTEE_ID, MENTEE, mentor(languages=["Spanish"])) == "no shared meeting language"
    assert exclusion(MENTEE_ID, MENTEE, mentor(capacity=1, active=1)) == "the mentor has no free capacity"
    assert (
        exclusion(MENTEE_ID, MENTEE, mentor(grade="G-5", years_of_service=20))
        == "the mentor is not more experienced than the mentee"
    )
    assert (
        exclusion(MENTEE_ID, MENTEE, mentor(grade="G-6", years_of_service=5))
        == "the mentor is not more experienced than the mentee"
    )
    me = Candidate(participant_id=MENTEE_ID, profile=MENTEE, capacity=1, active_pairings=0)
    assert exclusion(MENTEE_ID, MENTEE, me) == "nobody is suggested to themself"


def test_a_g_level_mentee_may_get_a_more_experienced_g_level_mentor():
    assert exclusion(MENTEE_ID, MENTEE, mentor(grade="G-6", years_of_service=15)) is None
    assert exclusion(MENTEE_ID, MENTEE, mentor(grade="G-7", years_of_service=3)) is None


def test_best_first_and_each_point_explained():
    strong = mentor(grade="P-4", years_of_service=12, skills=["Negotiation"], job_network="DEVNET", languages=["French"])
    weak = mentor(grade="P-2", job_network="POLNET")
    excluded = mentor(languages=["Arabic"])
    mentee = profile(
        grade="G-6", years_of_service=5, goals=["negotiation"], languages=["English", "French"], job_network="DEVNET"
    )
    ranked = rank(MENTEE_ID, mentee, [weak, excluded, strong], limit=10)
    assert [s.mentor_id for s in ranked] == [strong.participant_id, weak.participant_id]
    reasons = ranked[0].reasons
    assert "both work in DEVNET" in reasons
    assert "has 'negotiation' among skills, which is one of your goals" in reasons
    assert "speaks French, as you do" in reasons
    assert "mentor is P-4 with 12 years of service; you are G-6 with 5" in reasons
    assert ranked[0].score == 3.0 + 2.0 + 1.0 + 1.0


def test_limit_keeps_the_top():
    mentors = [mentor() for _ in range(5)]
    assert len(rank(MENTEE_ID, MENTEE, mentors, limit=3)) == 3
