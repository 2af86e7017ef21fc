"""When a request's reminder and expiry fall: pure rules, in the mentor's time zone.

The rule book's invariants, and how this code keeps them:
1. Nothing fires on a Saturday or Sunday local to the mentor: a deadline that
   lands on one moves to the Monday after, same local wall-clock time. The
   mentor's days off (`calendar.DaysOff`: their duty station's public holidays)
   count like weekends: a deadline on one moves to the next day that is neither.
2. Expiry is never earlier than 3 days after the request reached the mentor.
3. The reminder comes at least 24 hours before the expiry: the expiry is at
   least one local day after the (possibly moved) reminder.
4. Daylight-saving changes never shift a local wall-clock deadline: "48 hours"
   and "3 days" are counted on the mentor's wall clock (2 and 3 calendar days at
   the same local time), so across a DST change the elapsed time is an hour
   more or less, and the local time the mentor sees stays the same.

The exact instant: a local wall-clock time is turned into a UTC instant with
Python's zoneinfo and fold=0. A time that occurs twice (clocks go back) means
its first occurrence; a time that does not exist (clocks go forward) is read
with the offset in force before the jump, i.e. it lands that many minutes
later on the new wall clock (02:30 in a one-hour spring gap fires at 03:30).
Deadlines are stored and published as UTC instants.

When the mentor's days off change while a request waits for their answer, its deadlines are
computed again from the moment it reached them (`moved_deadlines`), keeping 1-4: a reminder
already sent stays, and a deadline that moves never moves before the change: one the new
calendar puts in the past falls on the next working day at the same local time instead.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

REMINDER_AFTER = timedelta(days=2)
EXPIRY_AFTER = timedelta(days=3)
REMINDER_BEFORE_EXPIRY = timedelta(days=1)
SATURDAY = 5


@dataclass(frozen=True)
class Deadlines:
    remind_at: datetime
    expires_at: datetime


def _is_day_off(local: datetime, days_off: Container[date]) -> bool:
    return local.weekday() >= SATURDAY or local.date() in days_off


def _skip_days_off(local: datetime, days_off: Container[date]) -> datetime:
    """The same wall-clock time on the first day from `local`'s that is neither a Saturday, a Sunday nor a day off."""
    while _is_day_off(local, days_off):
        local += timedelta(days=1)
    return local


def _to_utc(local_wall: datetime, zone: ZoneInfo) -> datetime:
    return local_wall.replace(tzinfo=zone, fold=0).astimezone(UTC)


def request_deadlines(reached_at: datetime, mentor_time_zone: str, days_off: Container[date] = ()) -> Deadlines:
    """`days_off`: local dates in the mentor's time zone that count like weekends (their holidays)."""
    if reached_at.tzinfo is None:
        raise ValueError("reached_at must be an aware datetime")
    zone = ZoneInfo(mentor_time_zone)
    # Work on naive local wall-clock times so adding days never crosses an offset.
    reached_local = reached_at.astimezone(zone).replace(tzinfo=None)
    remind_local = _skip_days_off(reached_local + REMINDER_AFTER, days_off)
    expires_local = _skip_days_off(max(reached_local + EXPIRY_AFTER, remind_local + REMINDER_BEFORE_EXPIRY), days_off)
    return Deadlines(remind_at=_to_utc(remind_local, zone), expires_at=_to_utc(expires_local, zone))


def moved_deadlines(
    reached_at: datetime,
    mentor_time_zone: str,
    days_off: Container[date],
    *,
    current: Deadlines,
    reminder_sent: bool,
    now: datetime,
) -> Deadlines:
    """The deadlines of a request that reached its mentor at `reached_at`, after the mentor's days off changed
    at `now` (`current`: as they stood). A reminder already sent stays where it was. A deadline the new
    calendar leaves where it was stays; one it moves lands on a working day at or after `now`, at the same
    local wall-clock time, so the invariants hold and nothing fires in the past."""
    if reached_at.tzinfo is None or now.tzinfo is None:
        raise ValueError("reached_at and now must be aware datetimes")
    zone = ZoneInfo(mentor_time_zone)
    reached_local = reached_at.astimezone(zone).replace(tzinfo=None)

    def not_before_now(local: datetime, was: datetime) -> datetime:
        local = _skip_days_off(local, days_off)
        if _to_utc(local, zone) == was:
            return local  # the new calendar leaves it where it was
        while _to_utc(local, zone) < now or _is_day_off(local, days_off):
            local += timedelta(days=1)
        return local

    if reminder_sent:  # on its day, at the wall-clock time it was set for (not where a spring gap pushed it)
        remind_local = datetime.combine(current.remind_at.astimezone(zone).date(), reached_local.time())
    else:
        remind_local = not_before_now(reached_local + REMINDER_AFTER, current.remind_at)
    expires_local = not_before_now(max(reached_local + EXPIRY_AFTER, remind_local + REMINDER_BEFORE_EXPIRY), current.expires_at)
    return Deadlines(remind_at=_to_utc(remind_local, zone), expires_at=_to_utc(expires_local, zone))
