"""Who takes part: a cohort's participant as a mentee asking, as a mentor to suggest, and erased."""

from __future__ import annotations

import uuid

import pytest

from matching.domain.participants import Candidate, MenteeUnavailable, NotAMentee, erased_answers
from matching.domain.scoring.policy import Exclusion, Person
from together_contracts.registration import ERASED_DISPLAY_NAME, PublicProfile
from together_contracts.registration_sealed import sealed_away

ANSWERS: dict[str, object] = {
    "display_name": "Amina",
    "entity": "DESA",
    "duty_station": "New York",
    "time_zone": "America/New_York",
    "grade": "P-3",
    "years_of_service": 6,
    "job_network": "DEVNET",
    "languages": ["English"],
    "skills": ["negotiation"],
    "bio": "Economist",
}


def candidate(roles: tuple[str, ...] = ("mentee",), **overrides: object) -> Candidate:
    fields: dict[str, object] = dict(
        participant_id=uuid.uuid4(), person_id="amina", programme_id=uuid.uuid4(), roles=roles, profile=ANSWERS
    )
    fields.update(overrides)
    return Candidate(**fields)


def test_a_mentee_or_client_asks_as_a_mentee():
    for role in ("mentee", "client"):
        person = candidate((role,)).as_mentee()
        assert person.profile.display_name == "Amina"
        assert person.capacity == 0


def test_a_mentor_cannot_ask_for_suggestions():
    with pytest.raises(NotAMentee, match="did not register as a mentee or client"):
        candidate(("mentor",)).as_mentee()


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"withdrawn": True}, "has withdrawn from the cohort"),
        ({"waitlisted": True}, "is on the waitlist"),
        ({"profile": {**ANSWERS, "grade": "Senior"}}, "grade 'Senior' is not one matching knows"),
    ],
)
def test_a_mentee_who_cannot_get_suggestions_now_is_told_why(overrides: dict[str, object], reason: str):
    with pytest.raises(MenteeUnavailable, match=reason):
        candidate(**overrides).as_mentee()


def test_only_a_mentee_who_could_be_suggested_mentors_sees_search_ranked():
    assert candidate().gets_ranked_search()
    assert not candidate(("mentor",)).gets_ranked_search()
    assert not candidate(waitlisted=True).gets_ranked_search()
    assert not candidate(profile={**ANSWERS, "grade": "Senior"}).gets_ranked_search()


def test_every_rule_that_keeps_a_participant_out_of_suggestions_is_named():
    assert candidate(("mentor",)).not_suggestible() == []
    assert candidate(("coach",), coach_approved=True).not_suggestible() == []
    kept_out = candidate(("coach", "mentee"), withdrawn=True, waitlisted=True).not_suggestible()
    assert [e.rule for e in kept_out] == ["withdrawn", "waitlisted", "coach_not_approved"]
    assert [e.rule for e in candidate(("mentee",)).not_suggestible()] == ["not_a_mentor"]


def test_a_mentor_is_scored_with_their_places_unless_their_grade_is_unknown():
    mentor = candidate(("mentor",), capacity=3, active_pairings=1).as_mentor()
    assert isinstance(mentor, Person)
    assert (mentor.capacity, mentor.active_pairings, mentor.free_places) == (3, 1, 2)
    unknown = candidate(("mentor",), profile={**ANSWERS, "grade": "Senior"}).as_mentor()
    assert unknown == Exclusion("unknown_grade", "the mentor's grade 'Senior' is not one matching knows")


def test_free_places_never_go_below_zero_after_a_capacity_cut():
    mentor = candidate(("mentor",), capacity=1, active_pairings=2).as_mentor()
    assert isinstance(mentor, Person) and mentor.free_places == 0


def test_erased_answers_are_what_a_sealed_profile_opens_to_without_its_key_and_erasing_twice_changes_nothing():
    erased = erased_answers(ANSWERS)
    profile = PublicProfile.model_validate(erased)
    assert profile.display_name == ERASED_DISPLAY_NAME
    assert (profile.grade, profile.years_of_service) == ("(erased)", 0)  # sealed with the rest: a rebuild agrees
    assert not profile.skills and profile.bio is None
    assert erased_answers(erased) == erased == sealed_away().model_dump(mode="json")
