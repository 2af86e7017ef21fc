"""A series' transitions: booked, moved as a whole, an occurrence changed alone, cancelled or ended."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from scheduling.domain.invitations import series_invitation
from scheduling.domain.pairing import Pairing
from scheduling.domain.plans import AgendaItem
from scheduling.domain.series import Series, SeriesStatus
from scheduling.domain.sessions import SessionStatus
from scheduling.domain.times import Frequency, Recurrence, series_starts
from together_contracts.scheduling import CancelledBecause, CompletedBy, SeriesCancelled, SeriesEnded
from together_servicekit.errors import Conflict, DomainError

NOW = datetime(2027, 1, 4, 12, 0, tzinfo=UTC)  # a Monday
WEEK = timedelta(weeks=1)
LOCAL_START = datetime(2027, 1, 11, 13, 0)  # the next Monday, 13:00 in New York


def pairing() -> Pairing:
    return Pairing(
        id=uuid.uuid4(),
        mentee_id=uuid.uuid4(),
        mentor_id=uuid.uuid4(),
        cohort_id=uuid.uuid4(),
        programme_id=uuid.uuid4(),
        mentee_person_id="mentee",
        mentor_person_id="mentor",
        request_id=None,
    )


def weekly(p: Pairing, count: int = 4) -> Series:
    recurrence = Recurrence(Frequency.weekly, 1, count=count)
    starts = series_starts(LOCAL_START, "America/New_York", recurrence, NOW)
    agenda = [AgendaItem(n, f"Meeting {n}") for n in range(1, count + 1)]
    series, _ = Series.book(
        p,
        local_start=LOCAL_START,
        time_zone="America/New_York",
        duration_minutes=60,
        recurrence=recurrence,
        starts=starts,
        organiser_id=p.mentee_id,
        agenda=agenda,
        now=NOW,
    )
    return series


def test_booking_makes_one_occurrence_per_start_each_with_its_agenda_item():
    p = pairing()
    recurrence = Recurrence(Frequency.weekly, 2, count=3)
    starts = series_starts(LOCAL_START, "America/New_York", recurrence, NOW)
    series, event = Series.book(
        p,
        local_start=LOCAL_START,
        time_zone="America/New_York",
        duration_minutes=45,
        recurrence=recurrence,
        starts=starts,
        organiser_id=p.mentor_id,
        agenda=[AgendaItem(1, "First"), AgendaItem(2, "Second"), AgendaItem(None, "Mentoring meeting")],
        now=NOW,
    )
    assert series.status is SeriesStatus.scheduled and series.rrule == "FREQ=WEEKLY;INTERVAL=2;COUNT=3"
    assert series.agenda_title == "First (and 2 more)"
    assert [(o.plan_step, o.agenda_title, o.recurrence_id) for o in series.occurrences] == [
        (1, "First", starts[0]),
        (2, "Second", starts[1]),
        (None, "Mentoring meeting", starts[2]),
    ]
    assert all(o.series_id == series.id and o.calendar_uid == f"series-{series.id}@together" for o in series.occurrences)
    assert event.session_ids == [o.id for o in series.occurrences] and event.occurrence_starts == starts
    assert (event.calendar_uid, event.calendar_sequence) == (f"series-{series.id}@together", 0)


def test_an_occurrence_changed_alone_raises_the_series_sequence_it_shares():
    p = pairing()
    series = weekly(p)
    second, third = series.occurrences[1], series.occurrences[2]
    moved = series.reschedule_occurrence(
        second.id,
        p,
        starts_at=second.starts_at + timedelta(hours=2),
        time_zone="America/New_York",
        duration_minutes=None,
        now=NOW,
    )
    assert (moved.calendar_sequence, moved.series_id, moved.recurrence_id) == (1, series.id, second.recurrence_id)
    assert moved.calendar_uid == series.calendar_uid
    cancelled = series.cancel_occurrence(third.id, p, now=NOW)
    assert (cancelled.calendar_sequence, series.calendar_sequence) == (2, 2)
    assert (second.calendar_sequence, third.calendar_sequence, third.status) == (1, 2, SessionStatus.cancelled)
    assert series.occurrences[0].calendar_sequence == 0


def test_a_whole_series_moves_with_its_rhythm_and_count():
    p = pairing()
    series = weekly(p, count=3)
    previous = series.occurrences[0].starts_at
    event = series.reschedule(p, local_start=LOCAL_START + timedelta(days=1), time_zone="UTC", duration_minutes=30, now=NOW)
    assert event.previous_starts_at == previous and event.calendar_sequence == 1
    assert (
        [o.starts_at for o in series.occurrences]
        == event.occurrence_starts
        == [datetime(2027, 1, 12, 13, tzinfo=UTC) + n * WEEK for n in range(3)]
    )
    assert all(
        o.recurrence_id == o.starts_at and o.duration_minutes == 30 and o.calendar_sequence == 1 for o in series.occurrences
    )
    assert (series.rrule, series.recurrence.count, series.recurrence.until) == ("FREQ=WEEKLY;INTERVAL=1;COUNT=3", 3, None)


@pytest.mark.parametrize("change", ["moved", "cancelled", "started"])
def test_a_series_moves_as_a_whole_only_before_it_starts_and_while_no_occurrence_changed_alone(change: str):
    p = pairing()
    series = weekly(p)
    now = NOW
    match change:
        case "moved":
            first = series.occurrences[0]
            series.reschedule_occurrence(
                first.id, p, starts_at=first.starts_at + WEEK / 2, time_zone="UTC", duration_minutes=None, now=NOW
            )
        case "cancelled":
            series.cancel_occurrence(series.occurrences[1].id, p, now=NOW)
        case "started":
            now = series.occurrences[0].starts_at
    sequence = series.calendar_sequence
    with pytest.raises(Conflict, match="moves as a whole only"):
        series.reschedule(p, local_start=LOCAL_START + WEEK, time_zone="UTC", duration_minutes=None, now=now)
    assert series.calendar_sequence == sequence


def test_a_series_moved_into_a_daylight_saving_gap_is_refused_and_unchanged():
    p = pairing()
    series = weekly(p, count=12)
    before = [o.starts_at for o in series.occurrences]
    with pytest.raises(DomainError) as refused:
        series.reschedule(
            p, local_start=datetime(2027, 1, 17, 2, 30), time_zone="America/New_York", duration_minutes=None, now=NOW
        )
    assert {v.rule for v in refused.value.violations} == {"exists_in_zone"}
    assert [o.starts_at for o in series.occurrences] == before and series.calendar_sequence == 0


def test_cancelled_before_any_occurrence_the_whole_series_is_cancelled():
    p = pairing()
    series = weekly(p, count=3)
    event = series.cancel(p, now=NOW)
    assert isinstance(event, SeriesCancelled)
    assert series.status is SeriesStatus.cancelled and event.calendar_sequence == 1
    assert event.cancelled_session_ids == [o.id for o in series.occurrences]
    assert all(o.status is SessionStatus.cancelled and o.plan_step is None for o in series.occurrences)
    assert event.rrule == "FREQ=WEEKLY;INTERVAL=1;COUNT=3"
    with pytest.raises(Conflict, match="the series is cancelled"):
        series.cancel(p, now=NOW)


def test_cancelled_part_way_the_series_ends_with_an_until_before_the_first_occurrence_not_held():
    p = pairing()
    series = weekly(p, count=4)
    first, second, third, fourth = series.occurrences
    first.complete(p, by=CompletedBy.marked_done, now=first.ends_at)
    series.cancel_occurrence(third.id, p, now=NOW)  # cancelled alone earlier: stays an EXDATE only before the end
    now = second.starts_at + timedelta(minutes=10)  # the second is under way: it is held
    event = series.cancel(p, now=now)
    assert isinstance(event, SeriesEnded)
    assert series.status is SeriesStatus.ended and event.calendar_sequence == 2
    assert (event.last_held_at, event.ends_before) == (second.recurrence_id, third.recurrence_id)
    assert event.rrule == f"FREQ=WEEKLY;INTERVAL=1;UNTIL={third.recurrence_id - timedelta(seconds=1):%Y%m%dT%H%M%SZ}"
    assert event.previous_rrule == "FREQ=WEEKLY;INTERVAL=1;COUNT=4" and series.rrule == event.rrule
    assert event.held_session_ids == [first.id, second.id] and event.cancelled_session_ids == [fourth.id]
    assert event.exdates == []
    assert (second.status, fourth.status) == (SessionStatus.scheduled, SessionStatus.cancelled)
    with pytest.raises(Conflict, match="the series is ended"):
        series.reschedule(p, local_start=LOCAL_START, time_zone="UTC", duration_minutes=None, now=now)


def test_an_occurrence_cancelled_between_two_held_ones_is_an_exdate_of_the_ended_series():
    p = pairing()
    series = weekly(p, count=4)
    first, second, third, _ = series.occurrences
    series.cancel_occurrence(second.id, p, now=NOW)
    event = series.cancel(p, now=third.starts_at)  # the third has started
    assert isinstance(event, SeriesEnded)
    assert event.exdates == [second.recurrence_id] and event.held_session_ids == [first.id, third.id]


def test_the_end_of_a_pairing_calls_off_a_series_only_while_an_occurrence_lies_ahead():
    p = pairing()
    series = weekly(p, count=2)
    after_the_last = series.occurrences[-1].starts_at + timedelta(minutes=1)
    assert series.call_off(p.ended(after_the_last), CancelledBecause.pairing_ended, after_the_last) is None
    assert series.status is SeriesStatus.scheduled
    event = series.call_off(p.ended(NOW), CancelledBecause.participant_withdrawn, NOW)
    assert isinstance(event, SeriesCancelled) and event.reason is CancelledBecause.participant_withdrawn
    assert series.call_off(p.ended(NOW), CancelledBecause.pairing_ended, NOW) is None  # a replay changes nothing


def test_an_ended_pairing_books_and_changes_no_series():
    p = pairing()
    series = weekly(p)
    ended = p.ended(NOW)
    with pytest.raises(Conflict, match="the pairing has ended"):
        weekly(ended)
    with pytest.raises(Conflict, match="the pairing has ended"):
        series.cancel(ended, now=NOW)
    with pytest.raises(Conflict, match="the pairing has ended"):
        series.cancel_occurrence(series.occurrences[0].id, ended, now=NOW)


def test_the_invitation_lists_occurrences_cancelled_alone_as_exdates_and_moved_ones_as_overrides():
    p = pairing()
    series = weekly(p, count=3)
    first, second, _ = series.occurrences
    series.cancel_occurrence(first.id, p, now=NOW)
    series.reschedule_occurrence(
        second.id,
        p,
        starts_at=second.starts_at + timedelta(hours=1),
        time_zone="America/New_York",
        duration_minutes=None,
        now=NOW,
    )
    text = series_invitation(series, p, {p.mentee_id: "Ravi"}, NOW)
    assert "METHOD:REQUEST" in text and "SEQUENCE:2" in text and "RRULE:FREQ=WEEKLY;INTERVAL=1;COUNT=3" in text
    assert "EXDATE;TZID=America/New_York:20270111T130000" in text
    assert "RECURRENCE-ID;TZID=America/New_York:20270118T130000" in text
    unfolded = text.replace("\r\n ", "")
    assert 'ORGANIZER;CN="Ravi"' in unfolded and 'ATTENDEE;CN="Mentor"' in unfolded  # the organiser; a name not known
    series.cancel(p, now=NOW)
    assert "METHOD:CANCEL" in series_invitation(series, p, {}, NOW)
