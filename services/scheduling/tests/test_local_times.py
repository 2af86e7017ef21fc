"""Bookings in named time zones become instants; impossible local times are refused."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from scheduling.domain.times import Frequency, Recurrence, as_seen_in, expand, local_start_to_utc, rrule_text
from together_servicekit.errors import DomainError


def test_a_new_york_afternoon_is_the_next_day_in_bangkok():
    instant = local_start_to_utc(datetime(2026, 12, 1, 13, 0), "America/New_York")
    assert instant == datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
    assert instant.astimezone(ZoneInfo("Asia/Bangkok")) == datetime(2026, 12, 2, 1, 0, tzinfo=ZoneInfo("Asia/Bangkok"))


def test_a_wall_time_skipped_by_daylight_saving_is_refused():
    with pytest.raises(DomainError) as refused:
        local_start_to_utc(datetime(2027, 3, 14, 2, 30), "America/New_York")
    assert refused.value.violations[0].field == "starts_at"
    assert refused.value.violations[0].rule == "exists_in_zone"


def test_an_unknown_zone_is_refused():
    with pytest.raises(DomainError) as refused:
        local_start_to_utc(datetime(2027, 3, 14, 9, 0), "Europe/Atlantis")
    assert refused.value.violations[0].field == "time_zone"


def test_a_start_with_an_offset_is_refused():
    with pytest.raises(DomainError) as refused:
        local_start_to_utc(datetime(2027, 3, 14, 9, 0, tzinfo=UTC), "UTC")
    assert refused.value.violations[0].rule == "local_time"


@pytest.mark.parametrize("local", [datetime(1, 1, 1, 0, 30), datetime(9999, 12, 31, 23, 30)])
def test_a_start_at_the_ends_of_the_calendar_is_refused_not_a_crash(local: datetime):
    with pytest.raises(DomainError) as refused:
        local_start_to_utc(local, "Asia/Kathmandu" if local.year == 1 else "America/New_York")
    assert refused.value.violations[0].rule == "in_range"


def test_a_new_york_one_pm_is_midnight_the_next_day_in_bangkok_in_summer():
    instant = local_start_to_utc(datetime(2027, 6, 1, 13, 0), "America/New_York")
    seen = as_seen_in(instant, 60, "Asia/Bangkok")
    assert (seen.starts_at.date(), seen.starts_at.hour, seen.starts_at.minute) == (date(2027, 6, 2), 0, 0)
    assert seen.ends_at.hour == 1


def test_a_weekly_series_keeps_its_local_time_across_the_spring_change():
    rule = Recurrence(Frequency.weekly, 1, count=4)
    starts = expand(datetime(2027, 3, 1, 13, 0), "America/New_York", rule)
    assert [s.hour for s in starts] == [18, 18, 17, 17]  # UTC: 7 and 14 March straddle the change (14 March)
    assert all(s.astimezone(ZoneInfo("America/New_York")).hour == 13 for s in starts)
    assert [s.astimezone(ZoneInfo("America/New_York")).day for s in starts] == [1, 8, 15, 22]


def test_a_monthly_series_on_the_31st_skips_short_months_as_rrule_does():
    starts = expand(datetime(2027, 1, 31, 9, 0), "Europe/Paris", Recurrence(Frequency.monthly, 1, count=3))
    assert [s.astimezone(ZoneInfo("Europe/Paris")).date() for s in starts] == [
        date(2027, 1, 31),
        date(2027, 3, 31),
        date(2027, 5, 31),
    ]


def test_a_series_ends_by_date_and_says_so_in_its_rule():
    rule = Recurrence(Frequency.weekly, 2, until=date(2027, 2, 26))
    starts = expand(datetime(2027, 1, 1, 9, 0), "UTC", rule)
    assert len(starts) == 5  # 1, 15, 29 January; 12, 26 February
    assert rrule_text(rule, len(starts)) == "FREQ=WEEKLY;INTERVAL=2;COUNT=5"


def test_an_occurrence_in_a_daylight_saving_gap_refuses_the_series_naming_it():
    with pytest.raises(DomainError) as refused:
        expand(datetime(2027, 2, 28, 2, 30), "America/New_York", Recurrence(Frequency.weekly, 1, count=3))
    [violation] = refused.value.violations
    assert violation.rule == "exists_in_zone" and "2027-03-14T02:30:00" in violation.message


def test_a_series_needs_count_or_end_date_and_at_most_52_occurrences():
    with pytest.raises(DomainError) as neither:
        expand(datetime(2027, 1, 1, 9, 0), "UTC", Recurrence(Frequency.weekly, 1))
    assert neither.value.violations[0].rule == "count_or_until"
    with pytest.raises(DomainError) as too_many:
        expand(datetime(2027, 1, 1, 9, 0), "UTC", Recurrence(Frequency.weekly, 1, until=date(2029, 1, 1)))
    assert too_many.value.violations[0].rule == "at_most_52_occurrences"
