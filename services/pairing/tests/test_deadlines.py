"""The rule book's deadline invariants, on the mentor's wall clock, with their duty station's holidays, also when
those change while a request awaits its answer."""

from __future__ import annotations

from collections.abc import Container
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pairing.domain.calendar import DaysOff
from pairing.domain.deadlines import moved_deadlines, request_deadlines

NEW_YORK = "America/New_York"


def local(text: str, zone: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def as_local(instant: datetime, zone: str) -> str:
    return instant.astimezone(ZoneInfo(zone)).strftime("%a %Y-%m-%d %H:%M")


def test_a_request_on_monday_is_reminded_on_wednesday_and_expires_on_thursday():
    d = request_deadlines(local("2026-11-16T10:00", NEW_YORK), NEW_YORK)
    assert as_local(d.remind_at, NEW_YORK) == "Wed 2026-11-18 10:00"
    assert as_local(d.expires_at, NEW_YORK) == "Thu 2026-11-19 10:00"


def test_the_rule_books_example_friday_request_is_reminded_monday_and_expires_tuesday():
    d = request_deadlines(local("2026-11-20T10:00", NEW_YORK), NEW_YORK)
    assert as_local(d.remind_at, NEW_YORK) == "Mon 2026-11-23 10:00"
    assert as_local(d.expires_at, NEW_YORK) == "Tue 2026-11-24 10:00"


def test_an_expiry_on_saturday_moves_to_monday_same_local_time():
    d = request_deadlines(local("2026-11-18T16:30", NEW_YORK), NEW_YORK)  # Wednesday
    assert as_local(d.remind_at, NEW_YORK) == "Fri 2026-11-20 16:30"
    assert as_local(d.expires_at, NEW_YORK) == "Mon 2026-11-23 16:30"


def test_weekend_is_judged_in_the_mentors_zone_not_utc():
    # Friday 23:00 in New York is already Saturday in UTC; the mentor's Friday counts.
    reached = local("2026-11-13T23:00", NEW_YORK)
    d = request_deadlines(reached, NEW_YORK)
    assert as_local(d.remind_at, NEW_YORK) == "Mon 2026-11-16 23:00"
    # Bangkok's mentor receives the same instant on Saturday morning.
    d_bkk = request_deadlines(reached, "Asia/Bangkok")
    assert as_local(d_bkk.remind_at, "Asia/Bangkok") == "Mon 2026-11-16 11:00"
    assert as_local(d_bkk.expires_at, "Asia/Bangkok") == "Tue 2026-11-17 11:00"


def test_daylight_saving_does_not_move_the_local_time():
    # New York leaves DST on Sunday 2026-11-01: a Friday 09:00 request still expires at 09:00 local.
    d = request_deadlines(local("2026-10-30T09:00", NEW_YORK), NEW_YORK)
    assert as_local(d.remind_at, NEW_YORK) == "Mon 2026-11-02 09:00"
    assert as_local(d.expires_at, NEW_YORK) == "Tue 2026-11-03 09:00"


def test_a_deadline_in_the_spring_gap_fires_after_the_jump():
    # US and EU clocks change on Sundays, which never hold a deadline. Israel's change on
    # Friday 2027-03-26 skips 02:00-03:00: a reminder due at 02:30 fires at 03:30 local.
    jerusalem = "Asia/Jerusalem"
    d = request_deadlines(local("2027-03-24T02:30", jerusalem), jerusalem)
    assert as_local(d.remind_at, jerusalem) == "Fri 2027-03-26 03:30"
    assert d.remind_at == datetime(2027, 3, 26, 0, 30, tzinfo=UTC)
    assert as_local(d.expires_at, jerusalem) == "Mon 2027-03-29 02:30"


@pytest.mark.parametrize(
    "zone", ["America/New_York", "Europe/Zurich", "Africa/Nairobi", "Asia/Bangkok", "Pacific/Auckland", "Asia/Jerusalem"]
)
def test_invariants_hold_for_every_hour_of_two_years(zone: str):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for hours in range(0, 2 * 365 * 24, 7):
        reached = start + timedelta(hours=hours)
        d = request_deadlines(reached, zone)
        remind_local = d.remind_at.astimezone(ZoneInfo(zone))
        expires_local = d.expires_at.astimezone(ZoneInfo(zone))
        assert remind_local.weekday() < 5 and expires_local.weekday() < 5
        assert d.expires_at - reached >= timedelta(days=3) - timedelta(hours=1)  # an hour less only across a DST jump
        assert expires_local.replace(tzinfo=None) - reached.astimezone(ZoneInfo(zone)).replace(tzinfo=None) >= timedelta(days=3)
        assert d.expires_at - d.remind_at >= timedelta(hours=23)  # 24 local hours, an hour less across a DST jump
        assert expires_local.replace(tzinfo=None) - remind_local.replace(tzinfo=None) >= timedelta(days=1)
        assert d.remind_at > reached


def test_a_naive_instant_is_refused():
    with pytest.raises(ValueError, match="aware"):
        request_deadlines(datetime(2026, 11, 16, 10, 0), NEW_YORK)


WEEK = [  # reached at 10:00 local on ... -> (reminder, expiry), both at 10:00 local
    ("2026-11-16", "Wed", "Thu"),  # Monday
    ("2026-11-17", "Thu", "Fri"),  # Tuesday
    ("2026-11-18", "Fri", "Mon"),  # Wednesday: the Saturday expiry moves to Monday
    ("2026-11-19", "Mon", "Tue"),  # Thursday: the Saturday reminder moves to Monday, the expiry a day after it
    ("2026-11-20", "Mon", "Tue"),  # Friday: the rule book's example
    ("2026-11-21", "Mon", "Tue"),  # Saturday
    ("2026-11-22", "Tue", "Wed"),  # Sunday
]


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])  # UTC+14 and UTC-11: both sides of the date line
@pytest.mark.parametrize(("day", "reminder", "expiry"), WEEK, ids=[w[0] for w in WEEK])
def test_each_day_of_the_week_on_both_sides_of_the_date_line(zone: str, day: str, reminder: str, expiry: str):
    d = request_deadlines(local(f"{day}T10:00", zone), zone)
    assert as_local(d.remind_at, zone)[:3] == reminder and as_local(d.remind_at, zone).endswith("10:00")
    assert as_local(d.expires_at, zone)[:3] == expiry and as_local(d.expires_at, zone).endswith("10:00")


NAIROBI = "Africa/Nairobi"


def test_a_public_holiday_counts_like_a_weekend():
    # Kenya's Mashujaa Day, Wednesday 2027-10-20: a Monday request's Wednesday reminder moves to Thursday,
    # and the expiry a day after it, to Friday.
    d = request_deadlines(local("2027-10-18T10:00", NAIROBI), NAIROBI, {date(2027, 10, 20)})
    assert as_local(d.remind_at, NAIROBI) == "Thu 2027-10-21 10:00"
    assert as_local(d.expires_at, NAIROBI) == "Fri 2027-10-22 10:00"


def test_a_holiday_after_a_weekend_moves_the_deadline_past_both():
    # Reached Tuesday 2027-12-21: the Thursday reminder stays; the expiry, Friday 24th (a holiday), moves
    # past the weekend and the Monday and Tuesday holidays to Wednesday.
    days_off = {date(2027, 12, 24), date(2027, 12, 27), date(2027, 12, 28)}
    d = request_deadlines(local("2027-12-21T10:00", NAIROBI), NAIROBI, days_off)
    assert as_local(d.remind_at, NAIROBI) == "Thu 2027-12-23 10:00"
    assert as_local(d.expires_at, NAIROBI) == "Wed 2027-12-29 10:00"


def test_holidays_of_another_day_change_nothing():
    plain = request_deadlines(local("2027-10-18T10:00", NAIROBI), NAIROBI)
    assert request_deadlines(local("2027-10-18T10:00", NAIROBI), NAIROBI, {date(2027, 10, 25)}) == plain


EVERY_4TH_DAY = frozenset(date(2027, 1, 1) + timedelta(days=n) for n in range(0, 400, 4))  # runs included
STATIONS = [
    ("Nairobi", NAIROBI),
    ("Geneva", "Europe/Zurich"),
    ("New York", NEW_YORK),
    ("Bangkok", "Asia/Bangkok"),
    ("Suva", "Pacific/Fiji"),
]
HOLIDAYS = [
    *(pytest.param(zone, EVERY_4TH_DAY, id=f"every 4th day in {zone}") for zone in (NAIROBI, NEW_YORK, "Pacific/Kiritimati")),
    # a duty station's official calendar (`calendar.DaysOff`), and a day its programme team added
    *(
        pytest.param(zone, DaysOff.at(station, official=True, added=[date(2027, 12, 24)]), id=f"official at {station}")
        for station, zone in STATIONS
    ),
]


@pytest.mark.parametrize(("zone", "days_off"), HOLIDAYS)
def test_invariants_hold_with_holidays_for_every_hour_of_a_year(zone: str, days_off: Container[date]):
    start = datetime(2027, 1, 1, tzinfo=UTC)
    for hours in range(0, 365 * 24, 5):
        reached = start + timedelta(hours=hours)
        d = request_deadlines(reached, zone, days_off)
        remind_local, expires_local = d.remind_at.astimezone(ZoneInfo(zone)), d.expires_at.astimezone(ZoneInfo(zone))
        for deadline in (remind_local, expires_local):
            assert deadline.weekday() < 5 and deadline.date() not in days_off
        reached_local = reached.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
        assert expires_local.replace(tzinfo=None) - reached_local >= timedelta(days=3)
        assert expires_local.replace(tzinfo=None) - remind_local.replace(tzinfo=None) >= timedelta(days=1)


# The duty station's official calendar (`calendar.DaysOff`), and deadlines moved when the calendar changes.


def test_the_stations_official_holiday_counts_like_a_weekend_where_the_programme_counts_them():
    # Mashujaa Day from Kenya's official calendar, as the programme team's day did above.
    counted = request_deadlines(local("2027-10-18T10:00", NAIROBI), NAIROBI, DaysOff.at("Nairobi", official=True))
    assert (as_local(counted.remind_at, NAIROBI), as_local(counted.expires_at, NAIROBI)) == (
        "Thu 2027-10-21 10:00",
        "Fri 2027-10-22 10:00",
    )
    not_counted = request_deadlines(local("2027-10-18T10:00", NAIROBI), NAIROBI, DaysOff.at("Nairobi", official=False))
    assert not_counted == request_deadlines(local("2027-10-18T10:00", NAIROBI), NAIROBI)
    removed = DaysOff.at("Nairobi", official=True, removed=[date(2027, 10, 20)])
    assert request_deadlines(local("2027-10-18T10:00", NAIROBI), NAIROBI, removed) == not_counted


WINDOW = [date(2027, 3, 1) + timedelta(days=n) for n in range(40)]


@settings(max_examples=400, deadline=None)
@given(
    zone=st.sampled_from([NAIROBI, NEW_YORK, "Pacific/Kiritimati", "Pacific/Pago_Pago"]),
    reached_hours=st.integers(min_value=0, max_value=20 * 24),
    before=st.sets(st.sampled_from(WINDOW), max_size=12),
    after=st.sets(st.sampled_from(WINDOW), max_size=12),
    changed_after_hours=st.integers(min_value=0, max_value=8 * 24),
)
def test_moved_deadlines_keep_the_invariants_and_never_fall_before_the_change(
    zone: str, reached_hours: int, before: set[date], after: set[date], changed_after_hours: int
):
    reached = datetime(2027, 3, 1, tzinfo=UTC) + timedelta(hours=reached_hours)
    current = request_deadlines(reached, zone, before)
    now = reached + timedelta(hours=changed_after_hours)
    assume(now < current.expires_at)  # else it expired before the change: no longer awaiting an answer
    sent = current.remind_at <= now
    moved = moved_deadlines(reached, zone, after, current=current, reminder_sent=sent, now=now)

    tz = ZoneInfo(zone)
    reached_local = reached.astimezone(tz).replace(tzinfo=None)
    remind_local, expires_local = (moment.astimezone(tz).replace(tzinfo=None) for moment in (moved.remind_at, moved.expires_at))
    if sent:
        assert moved.remind_at == current.remind_at  # a reminder sent stays
    else:
        assert remind_local.weekday() < 5 and remind_local.date() not in after
        assert moved.remind_at == current.remind_at or moved.remind_at >= now
    assert expires_local.weekday() < 5 and expires_local.date() not in after
    assert moved.expires_at == current.expires_at or moved.expires_at >= now
    assert expires_local - reached_local >= timedelta(days=3)
    assert expires_local - remind_local >= timedelta(days=1)
    assert remind_local.time() == expires_local.time() == reached_local.time()  # the mentor's wall clock
    if before == after:
        assert moved == current


def test_a_moved_deadline_needs_aware_instants():
    current = request_deadlines(local("2027-10-18T10:00", NAIROBI), NAIROBI)
    with pytest.raises(ValueError, match="aware"):
        moved_deadlines(datetime(2027, 10, 18, 10), NAIROBI, (), current=current, reminder_sent=False, now=current.remind_at)
