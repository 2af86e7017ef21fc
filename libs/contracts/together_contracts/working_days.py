"""Pairing's events about working days, published on `together.pairing`: a cohort's holidays at a duty
station changed, and the deadlines of requests already with their mentors moved with them.

A mentor's days off are the weekend, their duty station's official public holidays where the programme
counts them (`ProgrammeRules.official_holidays`), and the days the programme team adds, less those it
removes, per cohort and duty station. When that calendar changes, the reminder and expiry of each request
waiting for a mentor's answer are computed again: `RequestDeadlinesMoved` for each that moved, in the
transaction that moves its timers.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from uuid import UUID

from pydantic import AwareDatetime, Field

from together_contracts.pairing import _PairingEvent
from together_events.registry import register


@register
class HolidaysChanged(_PairingEvent):
    """The programme team set a cohort's holidays at one duty station: the days it adds to the station's
    calendar and the official holidays it removes from it (the whole list of each, as it now stands)."""

    aggregate = "cohort"
    cohort_id: UUID
    duty_station: str = Field(description="The station's name, as registration's list spells it for a listed one.")
    days_added: list[date] = Field(description="Local dates that count like weekends at the station.")
    days_removed: list[date] = Field(description="Official holidays that count as working days at the station.")
    changed_at: AwareDatetime


class DeadlinesMovedBecause(StrEnum):
    holidays_changed = "holidays_changed"  # the programme team's HolidaysChanged at the mentor's duty station
    official_holidays_switched = "official_holidays_switched"  # the programme's rules: official holidays count, or no longer


@register
class RequestDeadlinesMoved(_PairingEvent):
    """The reminder or the expiry of a request awaiting its mentor's answer moved because the mentor's days
    off changed. A reminder already sent stays; a deadline never moves before the change."""

    aggregate = "request"
    request_id: UUID
    selection_id: UUID
    mentee_id: UUID
    mentor_id: UUID
    cohort_id: UUID
    remind_at: AwareDatetime
    expires_at: AwareDatetime
    previous_remind_at: AwareDatetime
    previous_expires_at: AwareDatetime
    reason: DeadlinesMovedBecause
    moved_at: AwareDatetime
