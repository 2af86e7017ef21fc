"""A ranked list is refused with every reason at once."""

from __future__ import annotations

import uuid

from pairing.domain import preferences
from pairing.domain.preferences import MentorView, preference_violations


def view(free: bool = True, is_mentor: bool = True) -> MentorView:
    return MentorView(id=uuid.uuid4(), is_mentor=is_mentor, has_free_capacity=free)


def test_a_good_list_passes():
    mentors = [view() for _ in range(5)]
    assert (
        preference_violations(
            uuid.uuid4(), [m.id for m in mentors], {m.id: m for m in mentors}, already_paired=False, has_open_selection=False
        )
        == []
    )


def test_every_reason_at_once():
    me = uuid.uuid4()
    good, full, not_mentor = view(), view(free=False), view(is_mentor=False)
    stranger = uuid.uuid4()
    ranked = [good.id, good.id, me, full.id, not_mentor.id, stranger]
    known = {m.id: m for m in (good, full, not_mentor)}
    violations = preference_violations(me, ranked, known, already_paired=True, has_open_selection=True)
    assert {(v.field, v.rule) for v in violations} == {
        ("mentee_id", "not_paired"),
        ("mentee_id", "one_open_selection"),
        ("mentor_ids", "one_to_five"),
        ("mentor_ids.1", "unique"),
        ("mentor_ids.2", "not_self"),
        ("mentor_ids.3", "free_capacity"),
        ("mentor_ids.4", "mentor_in_cohort"),
        ("mentor_ids.5", "mentor_in_cohort"),
    }


def test_each_programme_kind_asks_for_its_kind_of_request():
    from pairing.domain.preferences import engagement_violations

    one, five = [uuid.uuid4()], [uuid.uuid4() for _ in range(5)]
    assert engagement_violations("mentoring", five, None) == []
    assert engagement_violations("networking_mentoring", one, "networking_meetings") == []
    assert engagement_violations("coaching", one, None) == []
    rules = lambda v: {(x.field, x.rule) for x in v}  # noqa: E731
    assert rules(engagement_violations("networking_mentoring", five, None)) == {
        ("mentor_ids", "one_direct_request"), ("engagement", "required_for_networking"),
    }  # fmt: skip
    assert rules(engagement_violations("coaching", five, "mentoring_relationship")) == {
        ("mentor_ids", "one_direct_request"), ("engagement", "networking_only"),
    }  # fmt: skip
    assert rules(engagement_violations("mentoring", one, "networking_meetings")) == {("engagement", "networking_only")}


def test_the_mentor_side_is_a_mentor_or_an_approved_coach_still_in_the_cohort():
    assert preferences.offers_places(["mentor"], coach_approved=False)
    assert not preferences.offers_places(["coach"], coach_approved=False)
    assert preferences.offers_places(["coach"], coach_approved=True)
    assert not preferences.offers_places(["mentor"], coach_approved=True, withdrawn=True)
    assert not preferences.offers_places(["mentee", "client"], coach_approved=True)
