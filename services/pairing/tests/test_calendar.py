"""A mentor's days off: their duty station's official holidays (by country, from the `holidays` library) where
the programme counts them, with the programme team's additions and removals; and what a change does to a request
already with its mentor (the lifecycle, on plain objects)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from pairing.domain.calendar import ADDED_BY_THE_TEAM, DaysOff, holidays_changed, official_holidays, station_name
from pairing.domain.lifecycle import Lifecycle
from pairing.domain.model import MentorDesk, Request, RequestStatus, TimerKind
from together_contracts.duty_stations import DUTY_STATIONS
from together_contracts.working_days import DeadlinesMovedBecause, RequestDeadlinesMoved
from together_servicekit.errors import DomainError

MASHUJAA_DAY = date(2027, 10, 20)  # Kenya, a Wednesday
GENEVAN_FAST = date(2027, 9, 9)  # Geneva's canton only, a Thursday


def test_every_listed_countrys_official_calendar_is_in_the_library():
    for station in DUTY_STATIONS:
        if station.country is not None:
            assert official_holidays(station.country, station.subdivision, 2027), station.name
    assert official_holidays(None, None, 2027) == {}


def test_official_holidays_count_only_where_the_programme_counts_them():
    assert MASHUJAA_DAY in DaysOff.at("Nairobi", official=True)
    assert MASHUJAA_DAY not in DaysOff.at("Nairobi", official=False)
    assert MASHUJAA_DAY not in DaysOff.at("Geneva", official=True)  # another country's
    assert official_holidays("KE", None, 2027)[MASHUJAA_DAY] == "Mashujaa Day"


def test_a_regional_calendar_is_the_stations_subdivisions():
    assert GENEVAN_FAST in DaysOff.at("Geneva", official=True)  # Geneva's canton, not all of Switzerland
    assert GENEVAN_FAST not in official_holidays("CH", None, 2027)


def test_the_teams_additions_and_removals():
    added, removed = date(2027, 10, 21), MASHUJAA_DAY
    nairobi = DaysOff.at("nairobi", official=True, added=[added], removed=[removed])
    assert added in nairobi and removed not in nairobi and date(2027, 12, 12) in nairobi  # Jamhuri Day stays
    assert added in DaysOff.at("Nairobi", official=False, added=[added])  # added days count without the official ones
    unlisted = DaysOff.at("Tindouf", official=True, added=[added])  # no country: the team's days only
    assert unlisted.country is None and added in unlisted and date(2027, 1, 1) not in unlisted
    assert "2027-10-21" not in nairobi  # only dates are days
    assert DaysOff.at(None, official=True) == DaysOff(official=True)  # a station not known yet: weekends only


def test_the_years_days_off_are_named_and_in_order():
    year = DaysOff.at("Nairobi", official=True, added=[date(2027, 10, 21), date(2028, 1, 3)], removed=[MASHUJAA_DAY]).of_year(
        2027
    )
    assert list(year) == sorted(year)
    assert MASHUJAA_DAY not in year and year[date(2027, 10, 21)] == ADDED_BY_THE_TEAM and year[date(2027, 6, 1)] == "Madaraka Day"
    assert date(2028, 1, 3) not in year


def test_a_holiday_change_is_spelled_as_the_list_and_a_day_is_added_or_removed():
    now = datetime(2027, 10, 1, tzinfo=UTC)
    cohort = UUID(int=1)
    changed = holidays_changed(
        cohort, " geneva ", added=[date(2027, 9, 2), date(2027, 9, 1), date(2027, 9, 1)], removed=[], now=now
    )
    assert (changed.duty_station, changed.days_added, changed.days_removed) == (
        "Geneva",
        [date(2027, 9, 1), date(2027, 9, 2)],
        [],
    )
    assert station_name("Tindouf  office") == "Tindouf office"
    with pytest.raises(DomainError) as refused:
        holidays_changed(cohort, "Nairobi", added=[MASHUJAA_DAY], removed=[MASHUJAA_DAY], now=now)
    assert [(v.field, v.rule) for v in refused.value.violations] == [("removed", "added_or_removed")]


# What a change of days off does to the request a mentor has before them.

NAIROBI = "Africa/Nairobi"
MONDAY_10 = datetime(2027, 10, 18, 10, 0, tzinfo=ZoneInfo(NAIROBI))  # the week of Mashujaa Day


class Desk:
    """One Nairobi mentor's desk in a lifecycle whose clock the test sets."""

    def __init__(self) -> None:
        self.now = MONDAY_10
        self.desk = MentorDesk(
            mentor_id=UUID(int=10),
            cohort_id=UUID(int=1),
            person_id="amina",
            programme_id=UUID(int=2),
            capacity=1,
            active_pairings=0,
            time_zone=NAIROBI,
        )
        self.lifecycle = Lifecycle(
            lambda: self.now, desks={self.desk.mentor_id: self.desk}, selections={}, requests={}, pairings={}
        )
        self.request = Request(
            id=UUID(int=7),
            selection_id=UUID(int=8),
            mentee_id=UUID(int=9),
            mentor_id=self.desk.mentor_id,
            cohort_id=UUID(int=1),
            rank=1,
            status=RequestStatus.waiting,
            created_at=MONDAY_10,
        )
        self.desk.take(self.request)
        self.desk.deliver_next(MONDAY_10)

    def days_off_become(self, days_off: DaysOff, at: datetime) -> list[RequestDeadlinesMoved]:
        self.now, self.desk.days_off = at, days_off
        self.lifecycle.days_off_changed(self.desk.mentor_id, DeadlinesMovedBecause.holidays_changed)
        moved = [e for e in self.lifecycle.events if isinstance(e, RequestDeadlinesMoved)]
        self.lifecycle.events.clear()
        return moved

    def deadlines(self) -> tuple[str, str]:
        assert self.request.remind_at is not None and self.request.expires_at is not None
        return local(self.request.remind_at), local(self.request.expires_at)


def local(instant: datetime) -> str:
    return instant.astimezone(ZoneInfo(NAIROBI)).strftime("%a %d %H:%M")


def test_a_holiday_added_moves_the_pending_requests_deadlines_and_says_so():
    desk = Desk()
    assert desk.deadlines() == ("Wed 20 10:00", "Thu 21 10:00")
    [moved] = desk.days_off_become(DaysOff.at("Nairobi", official=True), at=MONDAY_10 + timedelta(hours=2))
    assert desk.deadlines() == ("Thu 21 10:00", "Fri 22 10:00")
    assert (local(moved.previous_remind_at), local(moved.previous_expires_at)) == ("Wed 20 10:00", "Thu 21 10:00")
    assert (moved.remind_at, moved.expires_at) == (desk.request.remind_at, desk.request.expires_at)
    assert (moved.request_id, moved.mentor_id, moved.reason) == (desk.request.id, desk.desk.mentor_id, "holidays_changed")
    assert desk.days_off_become(DaysOff.at("Nairobi", official=True), at=MONDAY_10 + timedelta(hours=3)) == []  # no change


def test_a_holiday_removed_moves_them_back_but_never_before_the_change():
    desk = Desk()
    desk.days_off_become(DaysOff.at("Nairobi", official=True), at=MONDAY_10)
    # Wednesday 12:00, the holiday is removed: the reminder would have been this morning; it comes on the next
    # working day at 10:00 instead, and the expiry a day after it.
    desk.days_off_become(DaysOff.at("Nairobi", official=True, removed=[MASHUJAA_DAY]), at=MONDAY_10 + timedelta(days=2, hours=2))
    assert desk.deadlines() == ("Thu 21 10:00", "Fri 22 10:00")
    # Removed on Tuesday instead: both move a day earlier.
    early = Desk()
    early.days_off_become(DaysOff.at("Nairobi", official=True), at=MONDAY_10)
    early.days_off_become(DaysOff.at("Nairobi", official=True, removed=[MASHUJAA_DAY]), at=MONDAY_10 + timedelta(days=1))
    assert early.deadlines() == ("Wed 20 10:00", "Thu 21 10:00")


def test_a_reminder_already_sent_stays_and_the_expiry_keeps_a_day_after_it():
    desk = Desk()  # reminder Wednesday 10:00, expiry Thursday 10:00
    desk.now = MONDAY_10 + timedelta(days=2)
    desk.lifecycle.fire(TimerKind.reminder, desk.request)
    assert desk.request.reminder_sent
    # Wednesday 11:00 the team adds Thursday: the reminder happened; the expiry moves to Friday.
    [moved] = desk.days_off_become(
        DaysOff.at("Nairobi", official=False, added=[date(2027, 10, 21)]), at=MONDAY_10 + timedelta(days=2, hours=1)
    )
    assert desk.deadlines() == ("Wed 20 10:00", "Fri 22 10:00") and moved.previous_remind_at == moved.remind_at


def test_only_a_request_awaiting_its_answer_moves():
    desk = Desk()
    desk.request.decline(MONDAY_10 + timedelta(minutes=5))  # answered: no longer before the mentor
    assert desk.days_off_become(DaysOff.at("Nairobi", official=True), at=MONDAY_10 + timedelta(hours=1)) == []
    assert desk.deadlines() == ("Wed 20 10:00", "Thu 21 10:00")
