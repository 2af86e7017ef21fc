"""A mentor's days off besides the weekend: pure rules, no I/O.

Rule book ("Duty stations and working days"): a duty station's public holidays come from its country's
official calendar (per programme, opt-in: `ProgrammeRules.official_holidays`), with the programme team's
additions and removals, and count like weekends for deadlines. The official calendars are the maintained
`holidays` library's, by the country (and, where the calendar is regional, the subdivision) that the
duty station list gives (`together_contracts.duty_stations`). The team's changes are per cohort and
duty station; a station not on the list has no official calendar, only the team's days.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from uuid import UUID

import holidays

from together_contracts.duty_stations import find_duty_station
from together_contracts.working_days import HolidaysChanged
from together_servicekit.errors import invalid

ADDED_BY_THE_TEAM = "added by the programme team"


class HolidayChange(StrEnum):
    added = "added"  # a day that counts like a weekend at the station
    removed = "removed"  # an official holiday that counts as a working day there


@lru_cache(maxsize=512)
def official_holidays(country: str | None, subdivision: str | None, year: int) -> Mapping[date, str]:
    """The country's official public holidays of one year, each with its (English, where the library has it) name."""
    if country is None:
        return {}
    try:
        calendar = holidays.country_holidays(country, subdiv=subdivision, years=year)
    except NotImplementedError:  # a country the library has no calendar for: no official days
        return {}
    if "en_US" in calendar.supported_languages:
        calendar = holidays.country_holidays(country, subdiv=subdivision, years=year, language="en_US")
    return dict(calendar.items())


@dataclass(frozen=True)
class DaysOff:
    """The days besides Saturdays and Sundays that count like weekends for one mentor: a container of dates."""

    country: str | None = None
    subdivision: str | None = None
    official: bool = False  # the programme counts the official holidays
    added: frozenset[date] = frozenset()
    removed: frozenset[date] = frozenset()

    @classmethod
    def at(cls, duty_station: str | None, *, official: bool, added: Iterable[date] = (), removed: Iterable[date] = ()) -> DaysOff:
        """At a duty station (None: not known), with the programme's choice and the cohort's changes there."""
        station = find_duty_station(duty_station) if duty_station is not None else None
        return cls(
            country=station.country if station else None,
            subdivision=station.subdivision if station else None,
            official=official,
            added=frozenset(added),
            removed=frozenset(removed),
        )

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, date):
            return False
        if day in self.added:
            return True
        return self.official and day not in self.removed and day in official_holidays(self.country, self.subdivision, day.year)

    def of_year(self, year: int) -> dict[date, str]:
        """Every day off of the year besides weekends, in date order, with its name."""
        official = official_holidays(self.country, self.subdivision, year) if self.official else {}
        days = {day: name for day, name in official.items() if day not in self.removed}
        days |= {day: ADDED_BY_THE_TEAM for day in self.added if day.year == year and day not in days}
        return dict(sorted(days.items()))


def station_name(name: str) -> str:
    """A listed station as the list spells it (the profile's, since registration spells it so); another as given."""
    listed = find_duty_station(name)
    return listed.name if listed is not None else " ".join(name.split())


def holidays_changed(
    cohort_id: UUID, duty_station: str, *, added: Iterable[date], removed: Iterable[date], now: datetime
) -> HolidaysChanged:
    """The programme team's days added and official holidays removed at a station, each day once, in order."""
    added, removed = sorted(set(added)), sorted(set(removed))
    if both := sorted(set(added) & set(removed)):
        days = ", ".join(day.isoformat() for day in both)
        raise invalid("removed", "added_or_removed", f"{days}: a day is either added or removed, not both")
    return HolidaysChanged(
        cohort_id=cohort_id, duty_station=station_name(duty_station), days_added=added, days_removed=removed, changed_at=now
    )
