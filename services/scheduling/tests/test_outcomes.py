"""The rules of what a participant is asked and when they are reminded: working-day due dates in their
zone, skipping their duty station's days off, met items counted, a reminder once and never once answered."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduling.domain.days_off import DaysOff
from scheduling.domain.outcomes import OutcomeAsk, after_working_days, assessment_given, is_working_day, items_met
from together_contracts.scheduling import OutcomeKind

NAIROBI = "Africa/Nairobi"
NEW_YORK = "America/New_York"


def local(text: str, zone: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


@pytest.mark.parametrize(
    ("asked", "days", "due"),
    [
        ("2026-12-04T10:00", 5, "2026-12-11T10:00"),  # a Friday: the next Friday
        ("2026-12-07T10:00", 5, "2026-12-14T10:00"),  # a Monday: the next Monday
        ("2026-12-09T10:00", 2, "2026-12-11T10:00"),  # Wednesday + 2: Friday
        ("2026-12-10T10:00", 2, "2026-12-14T10:00"),  # Thursday + 2: over the weekend to Monday
        ("2026-12-05T10:00", 1, "2026-12-07T10:00"),  # asked on a Saturday: Monday is the first working day
        ("2026-12-06T23:30", 5, "2026-12-11T23:30"),  # a Sunday night: Friday, same wall-clock time
    ],
)
def test_a_reminder_falls_working_days_later_at_the_same_local_time(asked, days, due):
    assert after_working_days(local(asked, NAIROBI), days, NAIROBI) == local(due, NAIROBI)


def test_the_weekend_is_the_participants_not_utcs():
    # Friday 23:00 in New York is Saturday 04:00 UTC: still a Friday where they work.
    asked = local("2026-12-04T23:00", NEW_YORK)
    assert asked.astimezone(UTC).weekday() == 5
    assert after_working_days(asked, 1, NEW_YORK) == local("2026-12-07T23:00", NEW_YORK)
    assert after_working_days(asked, 1, "UTC") == datetime(2026, 12, 7, 4, 0, tzinfo=UTC)


def test_days_off_count_like_weekends():
    holiday = date(2026, 12, 25)  # a Friday
    assert not is_working_day(holiday, {holiday})
    assert after_working_days(local("2026-12-24T09:00", NAIROBI), 1, NAIROBI, {holiday}) == local("2026-12-28T09:00", NAIROBI)


def test_across_daylight_saving_the_local_time_is_kept():
    # New York leaves daylight saving on Sunday 1 November 2026: 09:00 is 13:00 UTC before, 14:00 after.
    asked = local("2026-10-29T09:00", NEW_YORK)
    due = after_working_days(asked, 5, NEW_YORK)
    assert due == local("2026-11-05T09:00", NEW_YORK)
    assert (asked.astimezone(UTC).hour, due.astimezone(UTC).hour) == (13, 14)


def test_a_due_date_needs_an_aware_time_and_a_day_at_least():
    with pytest.raises(ValueError, match="aware"):
        after_working_days(datetime(2026, 12, 4, 10), 5, NAIROBI)
    with pytest.raises(ValueError, match="at least 1"):
        after_working_days(datetime(2026, 12, 4, 10, tzinfo=UTC), 0, NAIROBI)


@pytest.mark.parametrize(("ratings", "met"), [([5, 4, 3, 2, 1], 2), ([3, 3], 0), ([4], 1), ([5, 5, 5], 3)])
def test_an_item_rated_4_or_5_was_met(ratings, met):
    assert items_met(ratings) == met
    given = assessment_given(
        pairing_id=uuid.uuid4(), cohort_id=uuid.uuid4(), giver=uuid.uuid4(), ratings=ratings, now=datetime.now(UTC)
    )
    assert (given.items_rated, given.items_met) == (len(ratings), met)


def ask(*, answered_at: datetime | None = None) -> OutcomeAsk:
    return OutcomeAsk.make(
        participant_id=uuid.uuid4(),
        cohort_id=uuid.uuid4(),
        pairing_id=None,
        kind=OutcomeKind.pre_survey,
        now=local("2026-12-04T10:00", NAIROBI),
        remind_after=5,
        time_zone=NAIROBI,
        answered_at=answered_at,
    )


def test_an_ask_is_requested_with_its_reminder_and_reminded_once_when_due():
    asked = ask()
    requested = asked.requested()
    assert requested is not None and requested.remind_at == local("2026-12-11T10:00", NAIROBI)
    assert requested.kind is OutcomeKind.pre_survey
    assert asked.remind(local("2026-12-11T09:59", NAIROBI)) == (asked, None)  # not yet
    reminded, due = asked.remind(local("2026-12-11T10:00", NAIROBI))
    assert due is not None and due.participant_id == asked.participant_id and due.kind is OutcomeKind.pre_survey
    assert reminded.remind(local("2026-12-12T10:00", NAIROBI)) == (reminded, None)  # once


def test_an_answered_ask_is_never_reminded():
    asked = ask()
    answered = asked.answer(local("2026-12-05T10:00", NAIROBI))
    assert answered.remind(local("2026-12-30T10:00", NAIROBI)) == (answered, None)
    assert answered.answer(local("2026-12-06T10:00", NAIROBI)).answered_at == local("2026-12-05T10:00", NAIROBI)


def test_what_was_answered_before_it_was_asked_is_asked_of_nobody():
    before = local("2026-12-01T10:00", NAIROBI)
    asked = ask(answered_at=before)
    assert asked.remind_at is None and asked.requested() is None
    assert asked.remind(before + timedelta(days=30)) == (asked, None)


def test_a_duty_stations_official_holidays_count_where_the_programme_counts_them():
    christmas = date(2026, 12, 25)  # a Friday
    counted = DaysOff.at("Geneva", official=True)
    assert christmas in counted and date(2026, 12, 31) in counted  # Geneva's own: the Restoration of the Republic
    assert christmas not in DaysOff.at("Geneva", official=False)  # the programme does not count them
    assert christmas not in DaysOff.at("Somewhere unlisted", official=True)  # no official calendar: the team's days only
    asked = local("2026-12-24T09:00", "Europe/Zurich")
    assert after_working_days(asked, 1, "Europe/Zurich", counted) == local("2026-12-28T09:00", "Europe/Zurich")


def test_the_teams_days_are_added_and_official_ones_removed():
    days = DaysOff.at("Geneva", official=True, added=["2026-12-28"], removed=["2026-12-25"])
    assert date(2026, 12, 28) in days and date(2026, 12, 25) not in days
    assert date(2026, 12, 28) in DaysOff.at(None, official=False, added=["2026-12-28"])
    asked = local("2026-12-24T09:00", "Europe/Zurich")
    assert after_working_days(asked, 2, "Europe/Zurich", days) == local("2026-12-29T09:00", "Europe/Zurich")
