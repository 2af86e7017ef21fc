"""Offers (reverse mentoring's proposals, on-the-job learning's nominations) on plain objects: their transitions,
the rules checked where they are made and answered, and the pairing an accept forms (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from pairing.domain.deadlines import Deadlines
from pairing.domain.lifecycle import Lifecycle
from pairing.domain.model import (
    MentorDesk,
    Request,
    RequestStatus,
    Selection,
    SelectionStatus,
    TimerKind,
    TimerOutcome,
    TransitionRefused,
)
from pairing.domain.offers import Offer, OfferStatus, accept_conflicts, offer_violations, programme_kind_violation
from pairing.domain.pair_rules import Programme, Side
from pairing.domain.preferences import MentorView, Participant
from together_contracts.pairing import PairingFormed, RequestWithdrawn
from together_contracts.pairing_kinds import (
    OfferAccepted,
    OfferDeclined,
    OfferExpired,
    OfferKind,
    OfferMade,
    OfferReminderDue,
    OfferWithdrawalReason,
)

NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
COHORT, MENTEE, MENTOR, OTHER = UUID(int=1), UUID(int=10), UUID(int=20), UUID(int=30)
DEADLINES = Deadlines(remind_at=NOW + timedelta(days=2), expires_at=NOW + timedelta(days=3))


def offer(kind: OfferKind = OfferKind.proposal) -> tuple[Offer, OfferMade]:
    return Offer.make(UUID(int=99), kind, cohort_id=COHORT, mentee_id=MENTEE, mentor_id=MENTOR, now=NOW, deadlines=DEADLINES)


def test_an_offer_reaches_its_receiver_with_a_requests_deadlines():
    proposal, made = offer(OfferKind.proposal)
    assert proposal.status is OfferStatus.pending
    assert (made.receiver_id, made.remind_at, made.expires_at) == (MENTEE, DEADLINES.remind_at, DEADLINES.expires_at)
    assert offer(OfferKind.nomination)[1].receiver_id == MENTOR


def test_the_reminder_leaves_it_pending_the_expiry_ends_it_and_timers_after_an_answer_are_moot():
    proposal, _ = offer()
    outcome, reminded = proposal.fire(TimerKind.reminder, NOW + timedelta(days=2))
    assert outcome is TimerOutcome.reminded and isinstance(reminded, OfferReminderDue)
    assert proposal.status is OfferStatus.pending
    outcome, expired = proposal.fire(TimerKind.expiry, NOW + timedelta(days=3))
    assert outcome is TimerOutcome.expired and isinstance(expired, OfferExpired)
    assert proposal.status is OfferStatus.expired and proposal.answered_at == NOW + timedelta(days=3)
    assert proposal.fire(TimerKind.expiry, NOW + timedelta(days=4)) == (TimerOutcome.moot, None)

    declined, _ = offer()
    assert isinstance(declined.decline(NOW), OfferDeclined)
    assert declined.fire(TimerKind.reminder, NOW) == (TimerOutcome.moot, None)
    with pytest.raises(TransitionRefused):
        declined.decline(NOW)
    with pytest.raises(TransitionRefused):
        declined.accept(UUID(int=5), NOW)


def test_each_offer_belongs_to_its_one_kind_of_programme():
    assert programme_kind_violation(OfferKind.proposal, "reverse_mentoring") is None
    assert programme_kind_violation(OfferKind.nomination, "on_the_job_learning") is None
    wrong = programme_kind_violation(OfferKind.proposal, "mentoring")
    assert wrong is not None and (wrong.field, wrong.rule) == ("cohort_id", "proposal_in_reverse_mentoring")
    assert "this cohort's programme is mentoring" in wrong.message
    unknown = programme_kind_violation(OfferKind.nomination, None)
    assert unknown is not None and unknown.rule == "nomination_in_on_the_job_learning"
    assert programme_kind_violation(OfferKind.nomination, "reverse_mentoring", "fr") is not None


MENTEE_SIDE = Side(roles=["mentee"], grade="P-5", years_of_service=20, languages=["English"])


def mentor_view(grade: str = "G-5", *, free: bool = True, languages: tuple[str, ...] = ("English",)) -> MentorView:
    side = Side(roles=["mentor"], grade=grade, years_of_service=3, languages=list(languages))
    return MentorView(id=MENTOR, is_mentor=True, has_free_capacity=free, side=side)


def violations(mentor: MentorView | None, **state: bool) -> list[tuple[str, str]]:
    found = offer_violations(
        Participant(id=MENTEE, cohort_id=COHORT, roles=["mentee"]),
        mentor,
        MENTOR,
        already_paired=state.get("paired", False),
        has_open_selection=state.get("selection", False),
        has_open_offer=state.get("offer", False),
        programme=Programme(kind="reverse_mentoring"),
        mentee_side=MENTEE_SIDE,
    )
    return [(v.field, v.rule) for v in found]


def test_an_offer_meets_the_rules_a_request_of_the_pair_would_and_names_each():
    assert violations(mentor_view()) == []  # a junior mentor for a senior mentee: reverse mentoring's grade rule
    assert violations(mentor_view("P-5")) == [("mentor_id", "grade")]
    assert violations(mentor_view(free=False, languages=("French",))) == [
        ("mentor_id", "free_capacity"),
        ("mentor_id", "language"),
    ]
    assert violations(None) == [("mentor_id", "mentor_in_cohort")]
    assert violations(mentor_view(), paired=True, selection=True, offer=True) == [
        ("mentee_id", "one_open_offer"),
        ("mentee_id", "not_paired"),
        ("mentee_id", "one_open_selection"),
    ]


def test_an_accept_is_refused_for_what_changed_since_the_offer():
    pending, _ = offer()
    fair = {"mentee_in_cohort": True, "mentor_in_cohort": True, "mentor_full": False, "mentee_paired": False}
    assert accept_conflicts(pending, **fair, mentee_has_open_selection=False) == []
    changed = accept_conflicts(
        pending,
        mentee_in_cohort=False,
        mentor_in_cohort=True,
        mentor_full=True,
        mentee_paired=True,
        mentee_has_open_selection=True,
    )
    assert [v.rule for v in changed] == ["still_in_cohort", "free_capacity", "not_paired", "one_open_selection"]
    pending.decline(NOW)
    assert [v.rule for v in accept_conflicts(pending, **fair, mentee_has_open_selection=False)] == ["pending"]


def desk(capacity: int, requests: list[Request] | None = None) -> MentorDesk:
    return MentorDesk(
        mentor_id=MENTOR,
        cohort_id=COHORT,
        person_id="mentor",
        programme_id=UUID(int=2),
        capacity=capacity,
        active_pairings=0,
        time_zone="Europe/Zurich",
        requests=requests or [],
    )


def test_an_accepted_offer_forms_a_pairing_as_a_request_does_and_a_full_mentor_releases_the_queue():
    waiting_selection = Selection(
        id=UUID(int=70), mentee_id=OTHER, cohort_id=COHORT, ranked_mentor_ids=[MENTOR], status=SelectionStatus.open,
        submitted_at=NOW, tried=1,
    )  # fmt: skip
    waiting = Request(
        id=UUID(int=71), selection_id=waiting_selection.id, mentee_id=OTHER, mentor_id=MENTOR, cohort_id=COHORT, rank=1,
        status=RequestStatus.waiting, created_at=NOW,
    )  # fmt: skip
    ids = iter(UUID(int=n) for n in range(500, 600))
    lifecycle = Lifecycle(
        lambda: NOW + timedelta(hours=1),
        desks={MENTOR: desk(1, [waiting])},
        selections={waiting_selection.id: waiting_selection},
        requests={waiting.id: waiting},
        pairings={},
        new_id=lambda: next(ids),
    )
    nomination, _ = offer(OfferKind.nomination)
    pairing = lifecycle.accept_offer(nomination, mentee_person_id="mentee")
    assert nomination.status is OfferStatus.accepted and nomination.pairing_id == pairing.id
    assert (pairing.mentee_id, pairing.mentor_id, pairing.request_id) == (MENTEE, MENTOR, nomination.id)
    assert lifecycle.requests[nomination.id].status is RequestStatus.accepted
    assert lifecycle.selections[pairing.selection_id].status is SelectionStatus.paired
    assert lifecycle.desk(MENTOR).active_pairings == 1
    kinds = [type(event).__name__ for event in lifecycle.events]
    assert kinds[:2] == ["OfferAccepted", "PairingFormed"]
    assert isinstance(lifecycle.events[0], OfferAccepted) and isinstance(lifecycle.events[1], PairingFormed)
    assert lifecycle.events[1].request_id == nomination.id
    assert any(isinstance(e, RequestWithdrawn) and e.request_id == waiting.id for e in lifecycle.events)  # the mentor is full
    assert "RequestAccepted" not in kinds  # OfferAccepted says it


def test_a_withdrawn_offer_says_why():
    pending, _ = offer()
    withdrawn = pending.withdraw(OfferWithdrawalReason.mentor_full, NOW)
    assert (withdrawn.reason, pending.status) == (OfferWithdrawalReason.mentor_full, OfferStatus.withdrawn)
