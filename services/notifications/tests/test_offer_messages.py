"""Pairing's offers in notifications: who is told what, what settles the receiver's mail, and the words (pure)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from notifications.domain.actions import mailed_when_settled, settlements
from notifications.domain.languages import LANGUAGES
from notifications.domain.messages import KINDS, messages_for
from notifications.domain.offer_messages import answer_offer
from notifications.domain.team import TEAM_KINDS
from notifications.rendering import render
from together_contracts.pairing_kinds import (
    OfferAccepted,
    OfferDeclined,
    OfferExpired,
    OfferKind,
    OfferMade,
    OfferReminderDue,
    OfferWithdrawalReason,
    OfferWithdrawn,
)

NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
DUE = datetime(2027, 1, 7, 9, 0, tzinfo=UTC)
MENTEE, MENTOR, OFFER = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def ids(kind: OfferKind) -> dict[str, object]:
    return {"offer_id": OFFER, "kind": kind, "mentee_id": MENTEE, "mentor_id": MENTOR}


def made(kind: OfferKind) -> OfferMade:
    receiver = MENTEE if kind is OfferKind.proposal else MENTOR
    return OfferMade(**ids(kind), cohort_id=uuid.uuid4(), receiver_id=receiver, made_at=NOW, remind_at=NOW, expires_at=DUE)


def told(event) -> list[tuple[uuid.UUID, str, bool]]:
    return [(m.recipient_id, m.kind, m.for_programme_team) for m in messages_for(event)]


def test_the_receiver_is_asked_to_answer_by_the_deadline_and_reminded():
    [to_mentee] = messages_for(made(OfferKind.proposal))
    assert (to_mentee.recipient_id, to_mentee.kind, to_mentee.names) == (MENTEE, "offer_received", {"partner": MENTOR})
    assert to_mentee.action == answer_offer(OFFER) and to_mentee.params["expires_at"] == DUE.isoformat()
    [to_mentor] = messages_for(made(OfferKind.nomination))
    assert (to_mentor.recipient_id, to_mentor.names) == (MENTOR, {"partner": MENTEE})
    reminder = OfferReminderDue(**ids(OfferKind.nomination), receiver_id=MENTOR, expires_at=DUE, reminded_at=NOW)
    assert told(reminder) == [(MENTOR, "offer_reminder", False)]


def test_the_one_who_made_it_hears_the_answer_and_an_accepted_proposal_is_told_once_by_the_pairing():
    for event in (
        OfferDeclined(**ids(OfferKind.proposal), declined_at=NOW),
        OfferExpired(**ids(OfferKind.proposal), expired_at=NOW),
    ):
        assert told(event) == [(MENTOR, "offer_not_accepted", False)]
    assert messages_for(OfferAccepted(**ids(OfferKind.proposal), pairing_id=uuid.uuid4(), accepted_at=NOW)) == []
    # A nomination was made by the programme team, for the supervisor: the team hears every answer.
    nominated = ids(OfferKind.nomination)
    for event, outcome in (
        (OfferAccepted(**nominated, pairing_id=uuid.uuid4(), accepted_at=NOW), "accepted"),
        (OfferDeclined(**nominated, declined_at=NOW), "declined"),
        (OfferExpired(**nominated, expired_at=NOW), "expired"),
    ):
        [team] = messages_for(event)
        assert (team.kind, team.for_programme_team, team.params["outcome"]) == ("nomination_answered", True, outcome)
        assert team.kind in TEAM_KINDS and team.kind not in KINDS


def test_an_answer_or_the_offers_end_settles_the_receivers_mail_which_is_then_not_sent():
    withdrawn = OfferWithdrawn(**ids(OfferKind.proposal), reason=OfferWithdrawalReason.mentor_full, withdrawn_at=NOW)
    assert messages_for(withdrawn) == []
    for event in (
        OfferAccepted(**ids(OfferKind.proposal), pairing_id=uuid.uuid4(), accepted_at=NOW),
        OfferDeclined(**ids(OfferKind.proposal), declined_at=NOW),
        OfferExpired(**ids(OfferKind.proposal), expired_at=NOW),
        withdrawn,
    ):
        assert [s.key for s in settlements(event)] == [answer_offer(OFFER)]
    assert not mailed_when_settled("offer_received") and not mailed_when_settled("offer_reminder")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", list(OfferKind))
def test_the_offer_mails_read_in_each_language(kind, language):
    [message] = messages_for(made(kind))
    asked = render(message.kind, language, {**message.params, "partner_name": "Amina Diallo", "settled": False}, "Africa/Nairobi")
    assert "Amina Diallo" in asked.text and "12:00" in asked.text  # 09:00 UTC is noon in Nairobi
    moot = render(message.kind, language, {**message.params, "partner_name": None, "settled": True}, "Africa/Nairobi")
    assert "12:00" not in moot.text and "None" not in moot.subject + moot.text
    [team] = messages_for(OfferExpired(**ids(OfferKind.nomination), expired_at=NOW))
    words = render(team.kind, language, {**team.params, "mentee_name": "Ravi", "mentor_name": "Amina"}, None)
    assert "Ravi" in words.text and str(OFFER) in words.text and "\n\n\n" not in words.text
