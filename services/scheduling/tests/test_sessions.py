"""A single session's transitions and the pairing-wide rules around them, without a database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from scheduling.domain.pairing import Pairing
from scheduling.domain.plans import AgendaItem, plan_for
from scheduling.domain.sessions import Session, SessionStatus, next_session_reminder, plan_progress, taken_steps
from together_contracts.scheduling import CancelledBecause, CompletedBy
from together_servicekit.errors import Conflict

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def pairing(ended_at: datetime | None = None) -> Pairing:
    return Pairing(
        id=uuid.uuid4(),
        mentee_id=uuid.uuid4(),
        mentor_id=uuid.uuid4(),
        cohort_id=uuid.uuid4(),
        programme_id=uuid.uuid4(),
        mentee_person_id="mentee",
        mentor_person_id="mentor",
        request_id=None,
        ended_at=ended_at,
    )


def booked(p: Pairing, starts_at: datetime = NOW + 24 * HOUR, step: int | None = 1) -> Session:
    session, _ = Session.book(
        p,
        starts_at=starts_at,
        time_zone="America/New_York",
        duration_minutes=60,
        organiser_id=p.mentor_id,
        agenda=AgendaItem(step, f"Step {step}"),
    )
    return session


def test_booking_schedules_the_session_with_its_agenda_item_and_sequence_0():
    p = pairing()
    session, event = Session.book(
        p,
        starts_at=NOW + HOUR,
        time_zone="Asia/Bangkok",
        duration_minutes=45,
        organiser_id=p.mentee_id,
        agenda=AgendaItem(2, "Mentoring meeting 2"),
    )
    assert (session.status, session.plan_step, session.calendar_sequence) == (SessionStatus.scheduled, 2, 0)
    assert session.ends_at == NOW + HOUR + timedelta(minutes=45)
    assert event.session_id == session.id and event.participant_ids == [p.mentee_id, p.mentor_id]
    assert (event.calendar_uid, event.calendar_sequence) == (f"session-{session.id}@together", 0)
    assert event.agenda_title == "Mentoring meeting 2" and event.organiser_id == p.mentee_id


def test_an_ended_pairing_takes_no_booking():
    p = pairing(ended_at=NOW)
    with pytest.raises(Conflict, match="the pairing has ended"):
        booked(p)


def test_a_reschedule_moves_the_session_and_raises_its_sequence():
    p = pairing()
    session = booked(p)
    first = session.starts_at
    event = session.reschedule(p, starts_at=NOW + 48 * HOUR, time_zone="UTC", duration_minutes=None, now=NOW)
    assert (event.previous_starts_at, event.starts_at, event.calendar_sequence) == (first, NOW + 48 * HOUR, 1)
    assert (session.starts_at, session.time_zone, session.duration_minutes) == (NOW + 48 * HOUR, "UTC", 60)
    session.reschedule(p, starts_at=NOW + 50 * HOUR, time_zone="UTC", duration_minutes=90, now=NOW)
    assert (session.calendar_sequence, session.duration_minutes, session.ends_at) == (2, 90, NOW + 51.5 * HOUR)
    assert event.series_id is None and event.recurrence_id is None


def test_a_session_that_has_started_is_neither_moved_nor_cancelled():
    p = pairing()
    session = booked(p, starts_at=NOW)
    with pytest.raises(Conflict, match="already started"):
        session.reschedule(p, starts_at=NOW + HOUR, time_zone="UTC", duration_minutes=None, now=NOW)
    with pytest.raises(Conflict, match="already started"):
        session.cancel(p, now=NOW)
    assert (session.status, session.calendar_sequence) == (SessionStatus.scheduled, 0)


def test_cancelling_frees_the_agenda_item_and_raises_the_sequence():
    p = pairing()
    session = booked(p, step=3)
    event = session.cancel(p, now=NOW)
    assert (session.status, session.cancelled_at, session.plan_step, session.calendar_sequence) == (
        SessionStatus.cancelled,
        NOW,
        None,
        1,
    )
    assert (event.reason, event.calendar_sequence, event.agenda_title) == (CancelledBecause.partner_cancelled, 1, "Step 3")


def test_a_cancelled_or_completed_session_changes_no_more():
    p = pairing()
    cancelled = booked(p)
    cancelled.cancel(p, now=NOW)
    with pytest.raises(Conflict, match="the session is cancelled"):
        cancelled.reschedule(p, starts_at=NOW + HOUR, time_zone="UTC", duration_minutes=None, now=NOW)
    with pytest.raises(Conflict, match="the session is already cancelled"):
        cancelled.complete(p, by=CompletedBy.marked_done, now=NOW + 48 * HOUR)
    completed = booked(p, starts_at=NOW - HOUR)
    completed.complete(p, by=CompletedBy.marked_done, now=NOW)
    with pytest.raises(Conflict, match="the session is completed"):
        completed.cancel(p, now=NOW - 2 * HOUR)


def test_after_the_pairing_ends_nothing_is_moved_or_cancelled_by_a_partner():
    p = pairing()
    session = booked(p)
    ended = p.ended(NOW)
    with pytest.raises(Conflict, match="the pairing has ended"):
        session.cancel(ended, now=NOW)


def test_completed_once_and_only_once_it_has_started():
    p = pairing()
    session = booked(p, starts_at=NOW + HOUR)
    with pytest.raises(Conflict, match="once it has started"):
        session.complete(p, by=CompletedBy.marked_done, now=NOW)
    event = session.complete(p, by=CompletedBy.end_time_passed, now=NOW + HOUR)
    assert (session.status, session.completed_at) == (SessionStatus.completed, NOW + HOUR)
    assert (event.completed_by, event.agenda_title) == (CompletedBy.end_time_passed, "Step 1")
    with pytest.raises(Conflict, match="already completed"):
        session.complete(p, by=CompletedBy.marked_done, now=NOW + 2 * HOUR)


def test_a_session_held_before_the_pairing_ended_can_still_be_marked_done():
    p = pairing()
    session = booked(p, starts_at=NOW - HOUR)
    session.complete(p.ended(NOW - timedelta(minutes=30)), by=CompletedBy.marked_done, now=NOW)
    assert session.status is SessionStatus.completed


def test_the_end_of_a_pairing_calls_off_the_sessions_after_it_only():
    p = pairing()
    before, after = booked(p, starts_at=NOW - HOUR), booked(p, starts_at=NOW + HOUR)
    ended = p.ended(NOW)
    assert before.call_off(ended, CancelledBecause.pairing_ended, NOW) is None
    event = after.call_off(ended, CancelledBecause.participant_withdrawn, NOW)
    assert event is not None and event.reason is CancelledBecause.participant_withdrawn
    assert (after.status, before.status) == (SessionStatus.cancelled, SessionStatus.scheduled)
    assert after.call_off(ended, CancelledBecause.pairing_ended, NOW) is None  # a second end changes nothing


def test_the_earliest_end_of_a_pairing_wins():
    p = pairing()
    assert p.ended(NOW).ended(NOW + HOUR).ended_at == NOW
    assert p.ended(NOW + HOUR).ended(NOW).ended_at == NOW


def test_an_occurrence_changes_through_its_series_only():
    p = pairing()
    session = booked(p)
    session.series_id = uuid.uuid4()
    with pytest.raises(ValueError, match="through its series"):
        session.cancel(p, now=NOW)


def test_live_sessions_hold_their_agenda_items_and_the_plan_shows_them():
    p = pairing()
    plan = plan_for("reverse_mentoring", None)
    done, upcoming, dropped = booked(p, NOW - 2 * HOUR, 1), booked(p, NOW + HOUR, 2), booked(p, NOW + 2 * HOUR, 3)
    done.complete(p, by=CompletedBy.marked_done, now=NOW)
    dropped.cancel(p, now=NOW)
    assert taken_steps([done, upcoming, dropped]) == {1, 2}
    assert [i.step for i in plan.open_items({1, 2}, 3)] == [3, 4, None]
    assert plan.open_items({1, 2, 3, 4}, 1)[0].title == "Reverse mentoring meeting"
    states = [(i.step, i.state, i.session_id) for i in plan_progress(plan, [done, upcoming, dropped])]
    assert states == [(1, "done", done.id), (2, "booked", upcoming.id), (3, "open", None), (4, "open", None)]


def test_a_completion_with_nothing_booked_next_reminds_the_partners_of_the_next_item():
    p = pairing()
    plan = plan_for("reverse_mentoring", None)
    first = booked(p, NOW - HOUR, 1)
    first.complete(p, by=CompletedBy.marked_done, now=NOW)
    reminder = next_session_reminder(p, first, [first], plan, NOW)
    assert reminder is not None
    assert (reminder.sessions_completed, reminder.sessions_planned, reminder.after_session_id) == (1, 4, first.id)
    assert reminder.next_agenda_title == plan.sessions[1].title


def test_no_reminder_when_a_session_is_booked_next_or_the_pairing_ended_or_the_plan_is_done():
    p = pairing()
    plan = plan_for("reverse_mentoring", None)
    first, next_one = booked(p, NOW - HOUR, 1), booked(p, NOW + HOUR, 2)
    first.complete(p, by=CompletedBy.marked_done, now=NOW)
    assert next_session_reminder(p, first, [first, next_one], plan, NOW) is None
    assert next_session_reminder(p.ended(NOW), first, [first], plan, NOW) is None
    held = [booked(p, NOW - HOUR, step) for step in range(1, 5)]
    for session in held:
        session.complete(p, by=CompletedBy.marked_done, now=NOW)
    reminder = next_session_reminder(p, held[-1], held, plan, NOW)
    assert reminder is not None and reminder.next_agenda_title is None and reminder.sessions_completed == 4


def test_a_booking_carries_its_agenda_items_themes_to_the_session_and_its_event():
    p = pairing()
    themes = ("Introductions and background", "The plan for the next 3 months")
    session, event = Session.book(
        p,
        starts_at=NOW + HOUR,
        time_zone="UTC",
        duration_minutes=60,
        organiser_id=p.mentee_id,
        agenda=AgendaItem(1, "Kickoff", themes),
    )
    assert session.agenda_themes == themes and event.agenda_themes == list(themes)
    session.cancel(p, now=NOW)
    assert session.agenda_themes == themes  # the step is freed; what it was about stays with it
    coaching = plan_for("coaching", None)
    assert [i.themes for i in plan_progress(coaching, [])] == [s.themes for s in coaching.sessions]  # the plan shows them
