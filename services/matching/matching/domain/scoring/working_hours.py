"""How many hours two people's working days overlap, across time zones and daylight saving. No I/O.

Each side works 09:00-17:00 local time, Monday to Friday, in its IANA zone; the overlap of the two
working weeks (across the date line too: a Monday in Auckland meets a Sunday in New York, which does
not count) is averaged per working day over a week in January and one in July.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WORKING_DAY = (9, 17)  # local working hours, Monday to Friday
WORKING_HOURS = WORKING_DAY[1] - WORKING_DAY[0]
# Working hours are compared on a week in January and one in July (each zone's offsets on those
# dates, so daylight saving in either hemisphere counts) and averaged.
REFERENCE_MONDAYS = (date(2026, 1, 12), date(2026, 7, 13))


@lru_cache(maxsize=4096)
def working_week(zone: str) -> tuple[int, ...] | None:
    """The zone's UTC offset (minutes) on each reference working day; None for an unknown zone."""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    offsets = []
    for monday in REFERENCE_MONDAYS:
        for day in range(5):
            d = monday + timedelta(days=day)
            local = datetime(d.year, d.month, d.day, WORKING_DAY[0], tzinfo=tz)
            offset = local.utcoffset()
            offsets.append(int(offset.total_seconds() // 60) if offset is not None else 0)
    return tuple(offsets)


@lru_cache(maxsize=65536)
def overlap_of_weeks(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    total = 0
    for week in range(len(REFERENCE_MONDAYS)):
        days = range(week * 5, week * 5 + 5)
        # Each working day as minutes from the reference Monday 00:00 UTC.
        spans_a = [((d % 5) * 1440 + WORKING_DAY[0] * 60 - a[d], (d % 5) * 1440 + WORKING_DAY[1] * 60 - a[d]) for d in days]
        spans_b = [((d % 5) * 1440 + WORKING_DAY[0] * 60 - b[d], (d % 5) * 1440 + WORKING_DAY[1] * 60 - b[d]) for d in days]
        for start_a, end_a in spans_a:
            for start_b, end_b in spans_b:
                total += max(0, min(end_a, end_b) - max(start_a, start_b))
    return total / 60 / (5 * len(REFERENCE_MONDAYS))


def working_hours_overlap(zone_a: str, zone_b: str) -> float:
    """Hours a working day (09:00-17:00 local, Monday-Friday) of one zone overlaps the other's, on
    average over a January and a July week. 0 when a zone is unknown."""
    a, b = working_week(zone_a), working_week(zone_b)
    if a is None or b is None:
        return 0.0
    return overlap_of_weeks(a, b)
