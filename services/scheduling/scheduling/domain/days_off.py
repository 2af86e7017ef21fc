"""A participant's days off besides the weekend, for their reminders: pure rules, no I/O.

Rule book ("Duty stations and working days"): a duty station's public holidays come from its country's
official calendar where the programme counts them (`ProgrammeRules.official_holidays`), with the
programme team's additions and removals per cohort and station (pairing's `HolidaysChanged`), and count
like weekends for deadlines. The country (and region, where its calendar is regional) is the duty station
list's (`together_contracts.duty_stations`); the official days are the maintained `holidays` library's,
as pairing counts them for a mentor's deadlines. A station not on the list has only the team's days.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import holidays

from together_contracts.duty_stations import find_duty_station


@lru_cache(maxsize=512)
def official_days(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    try:
        return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))
    except NotImplementedError:  # a country the library has no calendar for: no official days
        return frozenset()


@dataclass(frozen=True)
class DaysOff:
    """The dates besides Saturdays and Sundays that count like weekends for one participant: a container."""

    country: str | None = None
    subdivision: str | None = None
    official: bool = False  # the programme counts the station's official holidays
    added: frozenset[date] = frozenset()
    removed: frozenset[date] = frozenset()

    @classmethod
    def at(cls, duty_station: str | None, *, official: bool, added: Iterable[str] = (), removed: Iterable[str] = ()) -> DaysOff:
        """At a duty station (None: not known), with the programme's choice and the team's ISO dates there."""
        station = find_duty_station(duty_station) if duty_station else None
        return cls(
            country=station.country if station else None,
            subdivision=station.subdivision if station else None,
            official=official,
            added=frozenset(date.fromisoformat(day) for day in added),
            removed=frozenset(date.fromisoformat(day) for day in removed),
        )

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, date):
            return False
        if day in self.added:
            return True
        if not self.official or self.country is None or day in self.removed:
            return False
        return day in official_days(self.country, self.subdivision, day.year)
