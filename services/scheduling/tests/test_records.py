"""The rules of the partners' records: feedback on completed sessions, the assessment against the
agreement, satisfaction only after the programme."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from scheduling.domain.pairing import Pairing
from scheduling.domain.plans import AgendaItem
from scheduling.domain.records import check_assessment, check_survey, feedback_given
from scheduling.domain.sessions import Session
from together_contracts.scheduling import CompletedBy
from together_servicekit.errors import Conflict, DomainError

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def test_feedback_is_given_on_a_completed_session_and_carries_only_the_rating():
    p = Pairing(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), "mentee", "mentor", None)
    session, _ = Session.book(
        p,
        starts_at=NOW - timedelta(hours=1),
        time_zone="UTC",
        duration_minutes=30,
        organiser_id=p.mentee_id,
        agenda=AgendaItem(1, "x"),
    )
    with pytest.raises(Conflict, match="this one is scheduled"):
        feedback_given(session, p, giver=p.mentor_id, rating=4, now=NOW)
    session.complete(p, by=CompletedBy.marked_done, now=NOW)
    event = feedback_given(session, p, giver=p.mentor_id, rating=4, now=NOW)
    assert (event.session_id, event.pairing_id, event.participant_id, event.rating) == (session.id, p.id, p.mentor_id, 4)
    assert "comment" not in type(event).model_fields


def test_the_assessment_rates_exactly_the_agreements_items_each_once():
    check_assessment(["negotiation", "writing"], ["writing", "negotiation"])
    with pytest.raises(Conflict, match="agreement first"):
        check_assessment(None, ["negotiation"])
    with pytest.raises(DomainError) as refused:
        check_assessment(["negotiation", "writing"], ["negotiation", "negotiation", "budgets"])
    assert [(v.rule, v.message) for v in refused.value.violations] == [
        ("same_as_agreement", "'writing' is in the agreement but not rated"),
        ("same_as_agreement", "'budgets' is not a skill or goal of the agreement"),
        ("once_each", "'negotiation' is rated more than once"),
    ]
    assert refused.value.status == 422 and refused.value.code == "invalid_input"


def test_satisfaction_is_asked_after_the_programme_only():
    check_survey("pre", None)
    check_survey("post", 5)
    with pytest.raises(DomainError) as refused:
        check_survey("pre", 3)
    assert [(v.field, v.rule) for v in refused.value.violations] == [("satisfaction", "post_only")]
