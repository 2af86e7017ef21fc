"""Session rules, free of I/O: turning a local booking into an instant."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from together_servicekit.errors import invalid


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise invalid("time_zone", "iana_time_zone", f"'{name}' is not an IANA time zone") from exc


def local_start_to_utc(local_start: datetime, time_zone: str) -> datetime:
    """The instant a booking in a named zone starts. A wall time that does not
    exist there (skipped by a daylight-saving jump) is refused, not guessed."""
    if local_start.tzinfo is not None:
        raise invalid(
            "starts_at",
            "local_time",
            "give the local wall-clock time without an offset; the zone is time_zone",
        )
    tz = zone(time_zone)
    try:
        instant = local_start.replace(tzinfo=tz).astimezone(UTC)
        exists = instant.astimezone(tz).replace(tzinfo=None) == local_start
    except OverflowError as exc:  # within a day of year 1 or 9999, the offset leaves the calendar
        raise invalid("starts_at", "in_range", f"{local_start.isoformat()} is too close to the ends of the calendar") from exc
    if not exists:
        raise invalid(
            "starts_at",
            "exists_in_zone",
            f"{local_start.isoformat()} does not exist in {time_zone} (clocks jump that day)",
        )
    return instant
