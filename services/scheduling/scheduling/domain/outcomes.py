"""What each participant is asked at the start and at the end of a cohort, and when they are reminded:
pure rules, no I/O.

Rule book ("Outcomes and the end of a cohort"): the pre-programme survey is asked at registration, so
before and after can be compared; when a pairing completes or ends, both partners are asked for the
final assessment (the agreement's skills and goals, scored again) and the post-programme survey.
Reminders fall on working days.

An ask (`OutcomeAsk`) is made once: the pre- and post-programme surveys once per participant (a
participant is one registration in one cohort), the final assessment once per partner and pairing. Its
reminder is due a set number of working days after it, at the same local wall-clock time where the
participant works; it is sent once, and never once the ask is answered.
"""

from __future__ import annotations

import uuid
from collections.abc import Container, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from together_contracts.scheduling import FinalAssessmentGiven, OutcomeKind, OutcomeReminderDue, OutcomeRequested, SurveyKind

MET_FROM = 4  # an item rated 4 or 5 of 5 was met
SATURDAY = 5

SURVEY_ASKED = {SurveyKind.pre: OutcomeKind.pre_survey, SurveyKind.post: OutcomeKind.post_survey}


def is_working_day(day: date, days_off: Container[date] = ()) -> bool:
    """Not a Saturday or Sunday, nor a day that counts like one (`days_off`: a duty station's holidays)."""
    return day.weekday() < SATURDAY and day not in days_off


def after_working_days(at: datetime, working_days: int, time_zone: str, days_off: Container[date] = ()) -> datetime:
    """`working_days` working days after `at`, where the participant works (`time_zone`), at the same local
    wall-clock time: asked on a Friday at 10:00, 5 working days later is the next Friday at 10:00, asked on
    a Saturday, the Friday after. A wall-clock time a daylight-saving gap skips moves forward past it."""
    if at.tzinfo is None:
        raise ValueError("at must be an aware datetime")
    if working_days < 1:
        raise ValueError("working_days must be at least 1")
    zone = ZoneInfo(time_zone)
    local = at.astimezone(zone).replace(tzinfo=None)  # naive wall-clock time: adding days never crosses an offset
    counted = 0
    while counted < working_days:
        local += timedelta(days=1)
        if is_working_day(local.date(), days_off):
            counted += 1
    # Round trip through UTC: a time in a spring gap comes back as the same instant, one offset later.
    return local.replace(tzinfo=zone).astimezone(UTC)


def items_met(ratings: Sequence[int]) -> int:
    """How many of a final assessment's items were met: rated 4 or 5 of 5."""
    return sum(1 for rating in ratings if rating >= MET_FROM)


def assessment_given(
    *, pairing_id: UUID, cohort_id: UUID, giver: UUID, ratings: Sequence[int], now: datetime
) -> FinalAssessmentGiven:
    """The scores only: how many items were rated and met (the items and comments stay here)."""
    return FinalAssessmentGiven(
        pairing_id=pairing_id,
        cohort_id=cohort_id,
        participant_id=giver,
        items_rated=len(ratings),
        items_met=items_met(ratings),
        given_at=now,
    )


@dataclass(frozen=True)
class OutcomeAsk:
    """One thing a participant is asked, once; its reminder is its timer."""

    id: UUID
    participant_id: UUID
    cohort_id: UUID
    pairing_id: UUID | None  # the final assessment and post survey: the pairing whose end asked it
    kind: OutcomeKind
    asked_at: datetime
    remind_at: datetime | None  # None: answered before it was asked, nothing to remind of
    reminded_at: datetime | None = None
    answered_at: datetime | None = None

    @classmethod
    def make(
        cls,
        *,
        participant_id: UUID,
        cohort_id: UUID,
        pairing_id: UUID | None,
        kind: OutcomeKind,
        now: datetime,
        remind_after: int,
        time_zone: str,
        days_off: Container[date] = (),
        answered_at: datetime | None = None,
    ) -> OutcomeAsk:
        """Asked now; reminded `remind_after` working days later where the participant works (`time_zone`,
        `days_off`: their duty station's holidays), unless it was answered already."""
        return cls(
            id=uuid.uuid4(),
            participant_id=participant_id,
            cohort_id=cohort_id,
            pairing_id=pairing_id,
            kind=kind,
            asked_at=now,
            remind_at=None if answered_at is not None else after_working_days(now, remind_after, time_zone, days_off),
            answered_at=answered_at,
        )

    def requested(self) -> OutcomeRequested | None:
        """The ask's event; none for one answered before it was asked (nobody is asked for what they gave)."""
        if self.answered_at is not None:
            return None
        return OutcomeRequested(
            participant_id=self.participant_id,
            cohort_id=self.cohort_id,
            pairing_id=self.pairing_id,
            kind=self.kind,
            requested_at=self.asked_at,
            remind_at=self.remind_at,
        )

    def remind(self, now: datetime) -> tuple[OutcomeAsk, OutcomeReminderDue | None]:
        """The reminder, once, when due and still unanswered; otherwise nothing (moot)."""
        if self.answered_at is not None or self.reminded_at is not None or self.remind_at is None or now < self.remind_at:
            return self, None
        due = OutcomeReminderDue(
            participant_id=self.participant_id,
            cohort_id=self.cohort_id,
            pairing_id=self.pairing_id,
            kind=self.kind,
            reminded_at=now,
        )
        return replace(self, reminded_at=now), due

    def answer(self, now: datetime) -> OutcomeAsk:
        """The first answer counts: a revision leaves the ask answered when it first was."""
        return self if self.answered_at is not None else replace(self, answered_at=now)
