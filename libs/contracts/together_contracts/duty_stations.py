"""The duty stations: the one maintained list of where staff work, with each station's country and time zone.

What a profile's `duty_station` names. Registration offers the list (`GET /duty-stations`) and derives a
participant's time zone from their station (Geneva is Europe/Zurich); pairing finds a mentor's country here
to count its public holidays. A participant at a station not listed names its time zone themself.

`country` is the ISO 3166-1 alpha-2 code whose official calendar holds the station's public holidays;
`subdivision` (ISO 3166-2, without the country) where that calendar is regional, e.g. Geneva's canton.
The UN's main duty stations come first, then the regional commissions, offices, service centres,
missions and field stations the synthetic cohorts and the demo use.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DutyStation:
    name: str
    country: str | None  # None where no one national calendar applies: the programme team adds the days
    time_zone: str  # IANA
    subdivision: str | None = None


DUTY_STATIONS: tuple[DutyStation, ...] = (
    # Headquarters and offices away from headquarters
    DutyStation("New York", "US", "America/New_York"),
    DutyStation("Geneva", "CH", "Europe/Zurich", "GE"),  # Switzerland's holidays are the cantons'
    DutyStation("Vienna", "AT", "Europe/Vienna"),
    DutyStation("Nairobi", "KE", "Africa/Nairobi"),
    # Regional commissions
    DutyStation("Bangkok", "TH", "Asia/Bangkok"),
    DutyStation("Addis Ababa", "ET", "Africa/Addis_Ababa"),
    DutyStation("Beirut", "LB", "Asia/Beirut"),
    DutyStation("Santiago", "CL", "America/Santiago"),
    DutyStation("Mexico City", "MX", "America/Mexico_City"),
    DutyStation("Port of Spain", "TT", "America/Port_of_Spain"),
    # Other offices and service centres
    DutyStation("The Hague", "NL", "Europe/Amsterdam"),
    DutyStation("Arusha", "TZ", "Africa/Dar_es_Salaam"),
    DutyStation("Kingston", "JM", "America/Jamaica"),
    DutyStation("Entebbe", "UG", "Africa/Kampala"),
    DutyStation("Brindisi", "IT", "Europe/Rome"),
    DutyStation("Valencia", "ES", "Europe/Madrid", "VC"),  # the Valencian Community's calendar
    # Peace operations and special political missions
    DutyStation("Juba", "SS", "Africa/Juba"),
    DutyStation("Kinshasa", "CD", "Africa/Kinshasa"),
    DutyStation("Goma", "CD", "Africa/Lubumbashi"),
    DutyStation("Bangui", "CF", "Africa/Bangui"),
    DutyStation("Naqoura", "LB", "Asia/Beirut"),
    DutyStation("Kabul", "AF", "Asia/Kabul"),
    DutyStation("Baghdad", "IQ", "Asia/Baghdad"),
    DutyStation("Mogadishu", "SO", "Africa/Mogadishu"),
    DutyStation("Port-au-Prince", "HT", "America/Port-au-Prince"),
    DutyStation("Pristina", "XK", "Europe/Belgrade"),  # XK: the user-assigned code in common use, ISO assigns none
    DutyStation("Nicosia", "CY", "Asia/Nicosia"),
    DutyStation("Jerusalem", None, "Asia/Jerusalem"),
    # Field offices
    DutyStation("Bamako", "ML", "Africa/Bamako"),
    DutyStation("Dakar", "SN", "Africa/Dakar"),
    DutyStation("Amman", "JO", "Asia/Amman"),
    DutyStation("Panama City", "PA", "America/Panama"),
    DutyStation("Apia", "WS", "Pacific/Apia"),
    DutyStation("Suva", "FJ", "Pacific/Fiji"),
)


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


_BY_NAME = {_key(station.name): station for station in DUTY_STATIONS}


def find_duty_station(name: str) -> DutyStation | None:
    """The listed station of this name, whatever its case and spacing; None for a station not listed."""
    return _BY_NAME.get(_key(name))
