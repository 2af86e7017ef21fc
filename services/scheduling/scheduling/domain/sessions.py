"""A session: booked, moved or cancelled before it starts, completed once it has started.

Each method checks that the change is allowed (raising the `DomainError` the API answers with) and
returns the event it produces. A single session is its own calendar object (UID `session-<id>`);
an occurrence of a series belongs to the series' calendar object, so it changes through its
`Series`, which owns the SEQUENCE they share.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal
from uuid import UUID

from scheduling.domain.pairing import Pairing
from scheduling.domain.plans import AgendaItem, Plan
from together_contracts.scheduling import (
    CancelledBecause,
    CompletedBy,
    NextSessionReminderDue,
    SessionCancelled,
    SessionCompleted,
    SessionRescheduled,
    SessionScheduled,
)
from together_servicekit.errors import Conflict

UNTITLED = "Together session"  # sessions from before agendas were kept


class SessionStatus(StrEnum):
    scheduled = "scheduled"
    completed = "completed"
    cancelled = "cancelled"


def session_uid(session_id: UUID) -> str:
    return f"session-{session_id}@together"


def series_uid(series_id: UUID) -> str:
    return f"series-{series_id}@together"


@dataclass
class Session:
    id: UUID
    pairing_id: UUID
    starts_at: datetime  # UTC instant
    time_zone: str  # the organiser's
    duration_minutes: int
    status: SessionStatus
    organiser_id: UUID | None  # None for sessions from before it was kept: the mentee
    calendar_sequence: int
    plan_step: int | None = None  # the plan's agenda item it holds while live
    agenda_title: str | None = None
    agenda_themes: tuple[str, ...] = ()  # the agenda item's content, as the plan had it when booked
    series_id: UUID | None = None
    recurrence_id: datetime | None = None  # an occurrence: its start as the series first set it
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None
    held_elsewhere: bool = False  # held outside the platform and recorded afterwards: never booked here

    @classmethod
    def book(
        cls,
        pairing: Pairing,
        *,
        starts_at: datetime,
        time_zone: str,
        duration_minutes: int,
        organiser_id: UUID,
        agenda: AgendaItem,
    ) -> tuple[Session, SessionScheduled]:
        pairing.check_open()
        session = cls(
            id=uuid.uuid4(),
            pairing_id=pairing.id,
            starts_at=starts_at,
            time_zone=time_zone,
            duration_minutes=duration_minutes,
            status=SessionStatus.scheduled,
            organiser_id=organiser_id,
            calendar_sequence=0,
            plan_step=agenda.step,
            agenda_title=agenda.title,
            agenda_themes=agenda.themes,
        )
        return session, SessionScheduled(
            session_id=session.id,
            pairing_id=pairing.id,
            participant_ids=pairing.partners,
            starts_at=starts_at,
            time_zone=time_zone,
            duration_minutes=duration_minutes,
            organiser_id=organiser_id,
            agenda_title=agenda.title,
            calendar_uid=session.calendar_uid,
            calendar_sequence=0,
            agenda_themes=list(agenda.themes),
        )

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def calendar_uid(self) -> str:
        return session_uid(self.id) if self.series_id is None else series_uid(self.series_id)

    @property
    def is_live(self) -> bool:
        return self.status is not SessionStatus.cancelled

    def is_upcoming(self, now: datetime) -> bool:
        return self.status is SessionStatus.scheduled and self.starts_at > now

    def has_begun(self, now: datetime) -> bool:
        """Held or under way: completed, or scheduled and started."""
        return self.status is SessionStatus.completed or (self.status is SessionStatus.scheduled and self.starts_at <= now)

    def reschedule(
        self, pairing: Pairing, *, starts_at: datetime, time_zone: str, duration_minutes: int | None, now: datetime
    ) -> SessionRescheduled:
        """Move a single session before it starts."""
        self._check_single()
        self.check_changeable(pairing, now)
        return self._move(pairing, starts_at, time_zone, duration_minutes, self.calendar_sequence + 1, now)

    def cancel(self, pairing: Pairing, *, now: datetime) -> SessionCancelled:
        """A partner cancels a single session before it starts."""
        self._check_single()
        self.check_changeable(pairing, now)
        return self._cancel(pairing, CancelledBecause.partner_cancelled, self.calendar_sequence + 1, now)

    def call_off(self, pairing: Pairing, reason: CancelledBecause, at: datetime) -> SessionCancelled | None:
        """The pairing ended at `at`: a single session after it is cancelled; one before it stays as it is."""
        self._check_single()
        if not self.is_upcoming(at):
            return None
        return self._cancel(pairing, reason, self.calendar_sequence + 1, at)

    def complete(self, pairing: Pairing, *, by: CompletedBy, now: datetime) -> SessionCompleted:
        """Completed once, by a partner or by the clock, once it has started; even after the pairing ended."""
        if self.status is not SessionStatus.scheduled:
            raise Conflict(f"the session is already {self.status}")
        if now < self.starts_at:
            raise Conflict(f"the session starts at {self.starts_at.isoformat()}; it can be marked done once it has started")
        self.status, self.completed_at = SessionStatus.completed, now
        return SessionCompleted(
            session_id=self.id,
            pairing_id=self.pairing_id,
            participant_ids=pairing.partners,
            completed_at=now,
            completed_by=by,
            series_id=self.series_id,
            agenda_title=self.agenda_title,
        )

    def check_changeable(self, pairing: Pairing, now: datetime) -> None:
        """Moved or cancelled only while the pairing lasts, the session is scheduled and has not started."""
        pairing.check_open()
        if self.status is not SessionStatus.scheduled:
            raise Conflict(f"the session is {self.status}")
        if self.starts_at <= now:
            raise Conflict("the session has already started: it can be marked done, not moved or cancelled")

    # The changes themselves, unchecked: the public methods above and `Series` check first, and
    # decide the SEQUENCE (an occurrence takes its series').

    def _move(
        self, pairing: Pairing, starts_at: datetime, time_zone: str, duration_minutes: int | None, sequence: int, now: datetime
    ) -> SessionRescheduled:
        previous = self.starts_at
        self.starts_at, self.time_zone = starts_at, time_zone
        self.duration_minutes = duration_minutes or self.duration_minutes
        self.calendar_sequence = sequence
        return SessionRescheduled(
            session_id=self.id,
            pairing_id=self.pairing_id,
            participant_ids=pairing.partners,
            organiser_id=self.organiser_id or pairing.mentee_id,
            previous_starts_at=previous,
            starts_at=starts_at,
            time_zone=time_zone,
            duration_minutes=self.duration_minutes,
            agenda_title=self.agenda_title or UNTITLED,
            calendar_uid=self.calendar_uid,
            calendar_sequence=sequence,
            series_id=self.series_id,
            recurrence_id=self.recurrence_id if self.series_id else None,
            rescheduled_at=now,
        )

    def _cancel(self, pairing: Pairing, reason: CancelledBecause, sequence: int, now: datetime) -> SessionCancelled:
        self._mark_cancelled(sequence, now)
        return SessionCancelled(
            session_id=self.id,
            pairing_id=self.pairing_id,
            participant_ids=pairing.partners,
            organiser_id=self.organiser_id or pairing.mentee_id,
            starts_at=self.starts_at,
            time_zone=self.time_zone,
            duration_minutes=self.duration_minutes,
            agenda_title=self.agenda_title or UNTITLED,
            calendar_uid=self.calendar_uid,
            calendar_sequence=sequence,
            series_id=self.series_id,
            recurrence_id=self.recurrence_id if self.series_id else None,
            reason=reason,
            cancelled_at=now,
        )

    def _mark_cancelled(self, sequence: int, now: datetime) -> None:
        """Cancelled: it frees its agenda item for the next booking."""
        self.status, self.cancelled_at, self.calendar_sequence, self.plan_step = SessionStatus.cancelled, now, sequence, None

    def _check_single(self) -> None:
        if self.series_id is not None:
            raise ValueError("an occurrence of a series changes through its series")


def taken_steps(sessions: Iterable[Session]) -> set[int]:
    """The agenda items live sessions hold."""
    return {s.plan_step for s in sessions if s.is_live and s.plan_step is not None}


def next_session_reminder(
    pairing: Pairing, completed: Session, sessions: Sequence[Session], plan: Plan, now: datetime
) -> NextSessionReminderDue | None:
    """After a completion, when the pairing lasts and nothing is booked next: remind both partners to
    book, naming the plan's next agenda item. `sessions` are all the pairing's, `completed` among them."""
    if pairing.ended_at is not None or any(s.is_upcoming(now) for s in sessions):
        return None
    (item,) = plan.open_items(taken_steps(sessions), 1)
    return NextSessionReminderDue(
        pairing_id=pairing.id,
        participant_ids=pairing.partners,
        after_session_id=completed.id,
        sessions_completed=sum(s.status is SessionStatus.completed for s in sessions),
        sessions_planned=len(plan.sessions),
        next_agenda_title=item.title if item.step is not None else None,
        reminded_at=now,
    )


@dataclass(frozen=True)
class PlannedItemState:
    step: int
    title: str
    minutes: int
    themes: tuple[str, ...]
    state: Literal["open", "booked", "done"]
    session_id: UUID | None


def plan_progress(plan: Plan, sessions: Iterable[Session]) -> list[PlannedItemState]:
    """Each agenda item of the plan: open, or booked or done by the live session holding it."""
    holders = {s.plan_step: s for s in sessions if s.is_live and s.plan_step is not None}
    items = []
    for planned in plan.sessions:
        holder = holders.get(planned.step)
        state: Literal["open", "booked", "done"] = (
            "open" if holder is None else ("done" if holder.status is SessionStatus.completed else "booked")
        )
        items.append(
            PlannedItemState(planned.step, planned.title, planned.minutes, planned.themes, state, holder.id if holder else None)
        )
    return items
