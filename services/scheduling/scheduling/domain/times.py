"""Times, free of I/O: local bookings become instants, series expand, times render per reader.

The daylight-saving rule. A booking is a local wall-clock time in a named IANA zone (the
organiser's). A single session is that instant. A series repeats the LOCAL wall-clock time in
that zone: every occurrence starts at the same local hour and minute, so its UTC instant moves
by the zone's offset change across a daylight-saving switch (13:00 New York is 18:00 UTC in
February and 17:00 UTC in April). A local time that does not exist (skipped by a jump forward)
is refused, for a single session and for any occurrence of a series (422 `exists_in_zone`,
naming the date). A local time that occurs twice (clocks go back) means its first occurrence,
as RFC 5545 reads it too.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from together_servicekit.errors import DomainError, Violation, invalid

MAX_OCCURRENCES = 52
# Programmes run for months: a booking further ahead is a typo (and calendars need no zone rules for it).
BOOKING_HORIZON = timedelta(days=5 * 366)


def zone(name: str, field: str = "time_zone") -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: a name too long for a file
        raise invalid(field, "iana_time_zone", f"'{name}' is not an IANA time zone") from exc


def local_start_to_utc(local_start: datetime, time_zone: str, field: str = "starts_at") -> datetime:
    """The instant a booking in a named zone starts. A wall time that does not
    exist there (skipped by a daylight-saving jump) is refused, not guessed."""
    if local_start.tzinfo is not None:
        raise invalid(field, "local_time", "give the local wall-clock time without an offset; the zone is time_zone")
    tz = zone(time_zone)
    try:
        instant = local_start.replace(tzinfo=tz).astimezone(UTC)
        exists = instant.astimezone(tz).replace(tzinfo=None) == local_start
    except OverflowError as exc:  # within a day of year 1 or 9999, the offset leaves the calendar
        raise invalid(field, "in_range", f"{local_start.isoformat()} is too close to the ends of the calendar") from exc
    if not exists:
        raise invalid(field, "exists_in_zone", f"{local_start.isoformat()} does not exist in {time_zone} (clocks jump that day)")
    return instant


def session_start(local_start: datetime, time_zone: str, now: datetime) -> datetime:
    """The instant a single session booked at `local_start` in `time_zone` starts: ahead of `now`, within the horizon."""
    starts_at = local_start_to_utc(local_start, time_zone)
    _ahead(starts_at, now, local_start, time_zone)
    return starts_at


def _ahead(instant: datetime, now: datetime, local: datetime, time_zone: str, last: datetime | None = None) -> None:
    if instant <= now:
        raise invalid("starts_at", "in_the_future", f"{local.isoformat()} in {time_zone} has already passed")
    if (last or instant) > now + BOOKING_HORIZON:
        field = "starts_at" if last is None else "count"
        raise invalid(field, "within_5_years", "sessions are booked at most 5 years ahead")


class Frequency(StrEnum):
    weekly = "weekly"  # every `interval` weeks
    monthly = "monthly"  # every `interval` months, on the same day of the month


@dataclass(frozen=True)
class Recurrence:
    frequency: Frequency
    interval: int
    count: int | None = None
    until: date | None = None  # the last local date an occurrence may fall on


def expand(local_start: datetime, time_zone: str, rule: Recurrence) -> list[datetime]:
    """The UTC starts of a series: the local wall-clock time repeated in `time_zone`.

    Monthly on a day a month lacks (the 31st) skips that month, as RRULE does. Every local
    occurrence must exist in the zone (else 422 naming it); at most MAX_OCCURRENCES."""
    if (rule.count is None) == (rule.until is None):
        raise invalid("count", "count_or_until", "give either count or until, not both and not neither")
    locals_: list[datetime] = []
    k = 0
    while True:
        if rule.count is not None and len(locals_) >= rule.count:
            break
        try:
            candidate = _nth(local_start, rule, k)
        except (OverflowError, ValueError) as exc:  # past year 9999
            raise invalid("starts_at", "in_range", "the series runs past the end of the calendar") from exc
        k += 1
        if candidate is None:
            continue  # that month has no such day
        if rule.until is not None and candidate.date() > rule.until:
            break
        locals_.append(candidate)
        if len(locals_) > MAX_OCCURRENCES:
            field = "count" if rule.count is not None else "until"
            raise invalid(field, "at_most_52_occurrences", f"a series has at most {MAX_OCCURRENCES} occurrences")
    if not locals_:
        raise invalid("until", "after_start", "the series has no occurrence before its end date")
    instants: list[datetime] = []
    gaps: list[Violation] = []
    for local in locals_:
        try:
            instants.append(local_start_to_utc(local, time_zone))
        except DomainError as refused:
            gaps += [Violation("starts_at", v.rule, f"occurrence {local.isoformat()}: {v.message}") for v in refused.violations]
    if gaps:
        raise DomainError("some occurrences of the series do not exist in the zone", gaps, code="invalid_input")
    return instants


def series_starts(local_start: datetime, time_zone: str, rule: Recurrence, now: datetime) -> list[datetime]:
    """The starts of a series booked from `local_start`: the first ahead of `now`, the last within the horizon."""
    starts = expand(local_start, time_zone, rule)
    _ahead(starts[0], now, local_start, time_zone)
    _ahead(starts[0], now, local_start, time_zone, last=starts[-1])
    return starts


def _nth(local_start: datetime, rule: Recurrence, k: int) -> datetime | None:
    if rule.frequency is Frequency.weekly:
        return local_start + timedelta(weeks=rule.interval * k)  # naive: keeps the wall-clock time
    months = local_start.month - 1 + rule.interval * k
    year, month = local_start.year + months // 12, months % 12 + 1
    if local_start.day > calendar.monthrange(year, month)[1]:
        return None
    return local_start.replace(year=year, month=month)


def rrule_text(rule: Recurrence, occurrences: int) -> str:
    """The RRULE value. Always with COUNT (the occurrences counted here), so no UNTIL in UTC is needed."""
    freq = "WEEKLY" if rule.frequency is Frequency.weekly else "MONTHLY"
    return f"FREQ={freq};INTERVAL={rule.interval};COUNT={occurrences}"


def rrule_until_text(frequency: Frequency, interval: int, until: datetime) -> str:
    """The RRULE value of a series ended early: UNTIL in UTC (RFC 5545, as DTSTART has a TZID), no COUNT."""
    freq = "WEEKLY" if frequency is Frequency.weekly else "MONTHLY"
    return f"FREQ={freq};INTERVAL={interval};UNTIL={until.astimezone(UTC):%Y%m%dT%H%M%SZ}"


@dataclass(frozen=True)
class LocalTime:
    time_zone: str
    starts_at: datetime  # aware, in time_zone
    ends_at: datetime


def as_seen_in(starts_at: datetime, duration_minutes: int, time_zone: str) -> LocalTime:
    """A session's times as someone in `time_zone` sees them (the date may differ from the organiser's)."""
    tz = ZoneInfo(time_zone)
    return LocalTime(time_zone, starts_at.astimezone(tz), (starts_at + timedelta(minutes=duration_minutes)).astimezone(tz))
