"""Where a participant works: the duty station they name, and the time zone that follows from it.

Rule book ("Duty stations and working days"): a participant names a duty station; its country and time
zone follow from it (Geneva is Europe/Zurich). The stations are the maintained list
(`together_contracts.duty_stations`, `GET /duty-stations`). A participant at a station not on it gives
its IANA time zone themself.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any
from zoneinfo import available_timezones

from together_contracts.duty_stations import find_duty_station
from together_servicekit.errors import Violation

_TIME_ZONES = frozenset(available_timezones())
_BY_FOLDED_NAME = {zone.casefold(): zone for zone in _TIME_ZONES}


def placed(answers: Mapping[str, Any]) -> tuple[dict[str, Any], list[Violation]]:
    """The answers with a listed duty station spelled as the list spells it and its time zone, and every reason
    they cannot be placed. A time zone given for a listed station must be the station's."""
    result = dict(answers)
    name, zone = answers.get("duty_station"), answers.get("time_zone")
    station = find_duty_station(name) if name is not None else None
    if station is not None:
        result["duty_station"], result["time_zone"] = station.name, station.time_zone
        if zone is None or zone == station.time_zone:
            return result, []
        if zone not in _TIME_ZONES:
            return result, [_not_a_zone(zone, f": {station.name} is {station.time_zone}")]
        return result, [
            Violation(
                "time_zone",
                "duty_station_time_zone",
                f"'{zone}' is not the time zone of {station.name}, which is {station.time_zone}; "
                "leave time_zone out: it follows from the duty station",
            )
        ]
    if zone is None:
        return result, [
            Violation(
                "time_zone",
                "required_for_unlisted_duty_station",
                f"'{name}' is not a listed duty station (GET /duty-stations): give its IANA time zone, e.g. Africa/Nairobi",
            )
        ]
    if zone not in _TIME_ZONES:
        return result, [_not_a_zone(zone, _hint(zone))]
    return result, []


def _not_a_zone(zone: str, hint: str) -> Violation:
    return Violation("time_zone", "iana_time_zone", f"'{zone}' is not an IANA time zone{hint}")


def _hint(zone: str) -> str:
    """What the participant probably meant: the zone in other letter case, a listed station's zone named after its
    city ('Europe/Geneva': Geneva is Europe/Zurich), or a near spelling."""
    if (same := _BY_FOLDED_NAME.get(zone.casefold())) is not None:
        return f"; did you mean {same}?"
    if (city := find_duty_station(zone.rsplit("/", 1)[-1].replace("_", " "))) is not None:
        return f": {city.name} is {city.time_zone}"
    near = difflib.get_close_matches(zone, _TIME_ZONES, n=1, cutoff=0.8)
    return f"; did you mean {near[0]}?" if near else ""
