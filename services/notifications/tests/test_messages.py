"""Who is told what, for each event."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from notifications.domain.messages import messages_for
from together_contracts.pairing import PairingFormed, RequestAccepted, RequestSent
from together_contracts.scheduling import CompletedBy, SessionCompleted, SessionScheduled

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
MENTEE, MENTOR = uuid.uuid4(), uuid.uuid4()


def test_request_sent_tells_the_mentor_only():
    event = RequestSent(
        request_id=uuid.uuid4(), selection_id=uuid.uuid4(), mentee_id=MENTEE, mentor_id=MENTOR, cohort_id=uuid.uuid4(),
        rank=1, reached_mentor_at=NOW, remind_at=NOW, expires_at=NOW,
    )  # fmt: skip
    assert [(m.recipient_id, m.kind) for m in messages_for(event)] == [(MENTOR, "request_received")]


def test_a_formed_pairing_tells_both_partners_once_and_the_acceptance_tells_nobody():
    formed = PairingFormed(
        pairing_id=uuid.uuid4(), request_id=uuid.uuid4(), mentee_id=MENTEE, mentor_id=MENTOR, cohort_id=uuid.uuid4(),
        programme_id=uuid.uuid4(), mentee_person_id="ravi", mentor_person_id="amina", formed_at=NOW,
    )  # fmt: skip
    told = [(m.recipient_id, m.kind, m.params["is_mentee"], m.names) for m in messages_for(formed)]
    assert told == [
        (MENTEE, "pairing_formed", True, {"partner": MENTOR}),
        (MENTOR, "pairing_formed", False, {"partner": MENTEE}),
    ]
    accepted = RequestAccepted(
        request_id=formed.request_id, mentee_id=MENTEE, mentor_id=MENTOR, pairing_id=formed.pairing_id, accepted_at=NOW
    )
    assert messages_for(accepted) == []  # the mentee hears it once, from PairingFormed


def test_sessions_tell_both_and_completion_asks_both_for_feedback():
    pairing, session = uuid.uuid4(), uuid.uuid4()
    scheduled = SessionScheduled(
        session_id=session,
        pairing_id=pairing,
        participant_ids=[MENTEE, MENTOR],
        starts_at=NOW,
        time_zone="UTC",
        duration_minutes=60,
    )
    completed = SessionCompleted(
        session_id=session,
        pairing_id=pairing,
        participant_ids=[MENTEE, MENTOR],
        completed_at=NOW,
        completed_by=CompletedBy.marked_done,
    )
    assert {(m.recipient_id, m.kind) for m in messages_for(scheduled)} == {
        (MENTEE, "session_scheduled"),
        (MENTOR, "session_scheduled"),
    }
    assert {(m.recipient_id, m.kind) for m in messages_for(completed)} == {
        (MENTEE, "feedback_requested"),
        (MENTOR, "feedback_requested"),
    }


def test_a_request_that_is_not_accepted_tells_the_mentee_and_a_reminder_the_mentor():
    from together_contracts.pairing import (
        RequestDeclined,
        RequestExpired,
        RequestReminderDue,
        RequestWithdrawn,
        WithdrawalReason,
    )

    request = uuid.uuid4()
    for event in (
        RequestDeclined(request_id=request, mentee_id=MENTEE, mentor_id=MENTOR, declined_at=NOW),
        RequestExpired(request_id=request, mentee_id=MENTEE, mentor_id=MENTOR, expired_at=NOW),
        RequestWithdrawn(
            request_id=request, mentee_id=MENTEE, mentor_id=MENTOR, reason=WithdrawalReason.mentor_full, withdrawn_at=NOW
        ),
    ):
        [message] = messages_for(event)
        assert (message.recipient_id, message.kind) == (MENTEE, "request_not_accepted")
    [reminder] = messages_for(
        RequestReminderDue(request_id=request, mentee_id=MENTEE, mentor_id=MENTOR, expires_at=NOW, reminded_at=NOW)
    )
    assert (reminder.recipient_id, reminder.kind) == (MENTOR, "request_reminder")


def test_exhausted_preferences_ask_the_mentee_for_new_ones():
    from together_contracts.pairing import PreferencesExhausted

    event = PreferencesExhausted(selection_id=uuid.uuid4(), mentee_id=MENTEE, cohort_id=uuid.uuid4(), exhausted_at=NOW)
    assert [(m.recipient_id, m.kind) for m in messages_for(event)] == [(MENTEE, "preferences_exhausted")]


def test_a_moved_expiry_tells_the_mentor_the_new_date_and_a_moved_reminder_alone_nobody():
    from datetime import timedelta

    from together_contracts.working_days import DeadlinesMovedBecause, RequestDeadlinesMoved

    def moved(expires_at: datetime) -> RequestDeadlinesMoved:
        return RequestDeadlinesMoved(
            request_id=uuid.uuid4(), selection_id=uuid.uuid4(), mentee_id=MENTEE, mentor_id=MENTOR, cohort_id=uuid.uuid4(),
            remind_at=NOW + timedelta(days=1), expires_at=expires_at, previous_remind_at=NOW, previous_expires_at=NOW,
            reason=DeadlinesMovedBecause.holidays_changed, moved_at=NOW,
        )  # fmt: skip

    later = NOW + timedelta(days=2)
    [message] = messages_for(moved(later))
    assert (message.recipient_id, message.kind, message.params) == (
        MENTOR,
        "request_deadline_moved",
        {"expires_at": later.isoformat()},
    )
    assert messages_for(moved(NOW)) == []
