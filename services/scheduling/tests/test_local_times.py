"""Bookings in named time zones become instants; impossible local times are refused."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from scheduling.domain import local_start_to_utc
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
