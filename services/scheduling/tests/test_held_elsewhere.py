"""A session held outside the platform, recorded afterwards: counted as held, with its events, and the
times it may not have been held."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from scheduling.domain.held_elsewhere import record_held_elsewhere
from scheduling.domain.pairing import Pairing
from scheduling.domain.plans import AgendaItem, plan_for
from scheduling.domain.sessions import Session, SessionStatus, next_session_reminder, plan_progress
from together_contracts.scheduling import CompletedBy
from together_servicekit.errors import Conflict, DomainError

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
FORMED = NOW - timedelta(days=30)
COACHING = plan_for("coaching", None)


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
        formed_at=FORMED,
    )


def record(p: Pairing, sessions: list[Session], starts_at: datetime, *, minutes: int = 45, step: int | None = None):
    return record_held_elsewhere(
        p,
        sessions,
        COACHING,
        starts_at=starts_at,
        time_zone="Europe/Zurich",
        duration_minutes=minutes,
        recorded_by=p.mentor_id,
        plan_step=step,
        now=NOW,
    )


def booked(p: Pairing, starts_at: datetime, step: int) -> Session:
    item = COACHING.sessions[step - 1]
    session, _ = Session.book(
        p,
        starts_at=starts_at,
        time_zone="UTC",
        duration_minutes=45,
        organiser_id=p.mentee_id,
        agenda=AgendaItem(item.step, item.title, item.themes),
    )
    return session


def rules_broken(refusal: pytest.ExceptionInfo[DomainError]) -> list[tuple[str, str]]:
    return [(v.field, v.rule) for v in refusal.value.violations]


def test_a_recorded_session_is_held_completed_and_takes_the_next_agenda_item():
    p = pairing()
    session, recorded, completed = record(p, [], NOW - 48 * HOUR)
    assert (session.status, session.held_elsewhere, session.completed_at) == (SessionStatus.completed, True, NOW)
    assert (session.plan_step, session.agenda_title, session.agenda_themes) == (
        1,
        "Introduction meeting",
        COACHING.sessions[0].themes,
    )
    assert (recorded.session_id, recorded.recorded_by, recorded.starts_at) == (session.id, p.mentor_id, NOW - 48 * HOUR)
    assert (recorded.duration_minutes, recorded.time_zone, recorded.recorded_at) == (45, "Europe/Zurich", NOW)
    assert recorded.agenda_themes == list(COACHING.sessions[0].themes)
    # The completion is a booked session's: it asks both partners for feedback.
    assert (completed.session_id, completed.completed_by, completed.participant_ids) == (
        session.id,
        CompletedBy.marked_done,
        [p.mentee_id, p.mentor_id],
    )


def test_it_counts_like_a_held_session_in_the_plan_and_the_next_session_reminder():
    p = pairing()
    first = booked(p, NOW - 72 * HOUR, 1)
    first.complete(p, by=CompletedBy.end_time_passed, now=NOW - 71 * HOUR)
    session, _, _ = record(p, [first], NOW - 24 * HOUR)
    states = [(i.step, i.state) for i in plan_progress(COACHING, [first, session])][:3]
    assert states == [(1, "done"), (2, "done"), (3, "open")]
    reminder = next_session_reminder(p, session, [first, session], COACHING, NOW)
    assert reminder is not None and reminder.sessions_completed == 2 and reminder.next_agenda_title == "Coaching session 2"


def test_the_partner_may_name_the_plan_step_it_counts_for_when_no_other_session_holds_it():
    p = pairing()
    session, recorded, _ = record(p, [], NOW - HOUR, step=3)
    assert (session.plan_step, recorded.agenda_title) == (3, "Coaching session 2")
    with pytest.raises(Conflict) as taken:
        record(p, [session], NOW - 48 * HOUR, step=3)
    assert rules_broken(taken) == [("plan_step", "open_step")]
    with pytest.raises(DomainError) as outside:
        record(p, [], NOW - 48 * HOUR, step=7)
    assert rules_broken(outside) == [("plan_step", "in_plan")] and outside.value.status == 422


def test_a_session_in_the_future_is_booked_not_recorded():
    with pytest.raises(DomainError) as refused:
        record(pairing(), [], NOW + timedelta(minutes=1))
    assert rules_broken(refused) == [("starts_at", "not_in_the_future")] and refused.value.status == 422
    session, _, _ = record(pairing(), [], NOW)  # one that starts now has started: as a booked one is marked done
    assert session.status is SessionStatus.completed


def test_a_session_before_the_pairing_was_formed_or_after_it_ended_is_not_the_pairings():
    with pytest.raises(DomainError) as before:
        record(pairing(), [], FORMED - HOUR)
    assert rules_broken(before) == [("starts_at", "after_pairing_formed")]
    assert "2027-01-30 13:00 (Europe/Zurich)" in before.value.violations[0].message  # in the zone the partner gave
    ended = pairing(ended_at=NOW - 24 * HOUR)
    with pytest.raises(DomainError) as after:
        record(ended, [], NOW - 2 * HOUR)
    assert rules_broken(after) == [("starts_at", "before_pairing_ended")]
    held_before_the_end, _, _ = record(ended, [], NOW - 48 * HOUR)  # recorded after the end, held before it
    assert held_before_the_end.status is SessionStatus.completed


def test_all_the_reasons_are_given_at_once():
    with pytest.raises(DomainError) as refused:
        record(pairing(ended_at=FORMED), [], NOW + HOUR, step=0)
    assert rules_broken(refused) == [
        ("starts_at", "not_in_the_future"),
        ("starts_at", "before_pairing_ended"),
        ("plan_step", "in_plan"),
    ]


def test_a_time_a_live_session_of_the_pairing_covers_is_refused_as_a_duplicate():
    p = pairing()
    scheduled = booked(p, NOW - 3 * HOUR, 1)  # booked, held, not yet marked done
    with pytest.raises(Conflict) as duplicate:
        record(p, [scheduled], NOW - 3 * HOUR + timedelta(minutes=30))
    assert rules_broken(duplicate) == [("starts_at", "not_already_recorded")] and duplicate.value.status == 409
    assert "already booked" in str(duplicate.value) and "mark it done instead" in str(duplicate.value)
    recorded, _, _ = record(p, [], NOW - 30 * HOUR)
    with pytest.raises(Conflict, match=r"already recorded .* it is counted already"):
        record(p, [recorded], NOW - 30 * HOUR - timedelta(minutes=30), minutes=60)
    # Back to back is not a duplicate, nor is a time a cancelled session had.
    after, _, _ = record(p, [scheduled, recorded], NOW - 30 * HOUR + timedelta(minutes=45))
    dropped = booked(p, NOW + HOUR, 2)
    dropped.cancel(p, now=NOW)
    dropped.starts_at = NOW - 6 * HOUR
    assert record(p, [scheduled, recorded, after, dropped], NOW - 6 * HOUR)[0].held_elsewhere
