"""A series: a recurring booking and its occurrences, one calendar object (UID `series-<id>`).

The series owns the SEQUENCE its occurrences share: moving or cancelling one occurrence alone, or
the whole series, raises it by one. Cancelled before any occurrence started, the series is
`cancelled` (its invitation CANCELled); cancelled part-way it `ended`: a CANCEL of its UID would
also erase the held occurrences from calendars, so its RRULE ends with an UNTIL instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from scheduling.domain.pairing import Pairing
from scheduling.domain.plans import AgendaItem
from scheduling.domain.sessions import Session, SessionStatus, series_uid
from scheduling.domain.times import Recurrence, rrule_text, rrule_until_text, series_starts
from together_contracts.scheduling import (
    CancelledBecause,
    SeriesCancelled,
    SeriesEnded,
    SeriesRescheduled,
    SeriesScheduled,
    SessionCancelled,
    SessionRescheduled,
)
from together_servicekit.errors import Conflict


class SeriesStatus(StrEnum):
    scheduled = "scheduled"
    cancelled = "cancelled"  # before any occurrence started: the invitation is CANCELled
    ended = "ended"  # part-way: the RRULE ends with UNTIL after the last held occurrence


@dataclass
class Series:
    id: UUID
    pairing_id: UUID
    organiser_id: UUID
    local_start: datetime  # wall-clock time in time_zone, no offset
    time_zone: str
    duration_minutes: int
    recurrence: Recurrence
    rrule: str
    agenda_title: str
    calendar_sequence: int
    status: SeriesStatus
    created_at: datetime
    occurrences: list[Session] = field(default_factory=list)  # by original start (recurrence_id)

    @classmethod
    def book(
        cls,
        pairing: Pairing,
        *,
        local_start: datetime,
        time_zone: str,
        duration_minutes: int,
        recurrence: Recurrence,
        starts: Sequence[datetime],
        organiser_id: UUID,
        agenda: Sequence[AgendaItem],
        now: datetime,
    ) -> tuple[Series, SeriesScheduled]:
        """A series with one occurrence at each of `starts` (from `series_starts`), each taking the next
        agenda item."""
        pairing.check_open()
        series_id = uuid.uuid4()
        first = agenda[0].title
        series = cls(
            id=series_id,
            pairing_id=pairing.id,
            organiser_id=organiser_id,
            local_start=local_start,
            time_zone=time_zone,
            duration_minutes=duration_minutes,
            recurrence=recurrence,
            rrule=rrule_text(recurrence, len(starts)),
            agenda_title=first if len(starts) == 1 else f"{first} (and {len(starts) - 1} more)",
            calendar_sequence=0,
            status=SeriesStatus.scheduled,
            created_at=now,
            occurrences=[
                Session(
                    id=uuid.uuid4(),
                    pairing_id=pairing.id,
                    starts_at=start,
                    time_zone=time_zone,
                    duration_minutes=duration_minutes,
                    status=SessionStatus.scheduled,
                    organiser_id=organiser_id,
                    calendar_sequence=0,
                    plan_step=item.step,
                    agenda_title=item.title,
                    agenda_themes=item.themes,
                    series_id=series_id,
                    recurrence_id=start,
                )
                for start, item in zip(starts, agenda, strict=True)
            ],
        )
        return series, SeriesScheduled(
            series_id=series_id,
            pairing_id=pairing.id,
            participant_ids=pairing.partners,
            organiser_id=organiser_id,
            starts_at=starts[0],
            time_zone=time_zone,
            duration_minutes=duration_minutes,
            rrule=series.rrule,
            occurrence_starts=list(starts),
            session_ids=[o.id for o in series.occurrences],
            agenda_title=series.agenda_title,
            calendar_uid=series.calendar_uid,
            calendar_sequence=0,
            agenda_themes=list(agenda[0].themes),
        )

    @property
    def calendar_uid(self) -> str:
        return series_uid(self.id)

    @property
    def original_starts(self) -> list[datetime]:
        """Each occurrence's start as the series set it (its RECURRENCE-ID)."""
        return [_original_start(o) for o in self.occurrences]

    def occurrence(self, session_id: UUID) -> Session:
        return next(o for o in self.occurrences if o.id == session_id)

    def reschedule(
        self, pairing: Pairing, *, local_start: datetime, time_zone: str, duration_minutes: int | None, now: datetime
    ) -> SeriesRescheduled:
        """Move the whole series, same rhythm and number of occurrences from the new first start: only
        before its first occurrence and while none was moved or cancelled alone."""
        self._check_changeable(pairing)
        if any(
            o.status is not SessionStatus.scheduled or o.starts_at <= now or o.starts_at != o.recurrence_id
            for o in self.occurrences
        ):
            raise Conflict(
                "a series moves as a whole only before its first occurrence and while none was moved or cancelled alone; "
                "move or cancel occurrences one by one"
            )
        recurrence = Recurrence(self.recurrence.frequency, self.recurrence.interval, count=len(self.occurrences))
        starts = series_starts(local_start, time_zone, recurrence, now)
        previous = self.original_starts[0]
        self.local_start, self.time_zone, self.recurrence = local_start, time_zone, recurrence
        self.duration_minutes = duration_minutes or self.duration_minutes
        self.rrule = rrule_text(recurrence, len(starts))
        self.calendar_sequence += 1
        for occurrence, start in zip(self.occurrences, starts, strict=True):
            occurrence.starts_at = occurrence.recurrence_id = start
            occurrence.time_zone, occurrence.duration_minutes = time_zone, self.duration_minutes
            occurrence.calendar_sequence = self.calendar_sequence
        return SeriesRescheduled(
            series_id=self.id,
            pairing_id=self.pairing_id,
            participant_ids=pairing.partners,
            organiser_id=self.organiser_id,
            previous_starts_at=previous,
            starts_at=starts[0],
            time_zone=time_zone,
            duration_minutes=self.duration_minutes,
            rrule=self.rrule,
            occurrence_starts=starts,
            session_ids=[o.id for o in self.occurrences],
            agenda_title=self.agenda_title,
            calendar_uid=self.calendar_uid,
            calendar_sequence=self.calendar_sequence,
            rescheduled_at=now,
        )

    def cancel(self, pairing: Pairing, *, now: datetime) -> SeriesCancelled | SeriesEnded:
        """A partner cancels every occurrence that has not started."""
        self._check_changeable(pairing)
        return self._cancel_rest(pairing, CancelledBecause.partner_cancelled, now)

    def call_off(self, pairing: Pairing, reason: CancelledBecause, at: datetime) -> SeriesCancelled | SeriesEnded | None:
        """The pairing ended at `at`: the occurrences after it are cancelled; nothing when none is left."""
        if self.status is not SeriesStatus.scheduled or not any(o.is_upcoming(at) for o in self.occurrences):
            return None
        return self._cancel_rest(pairing, reason, at)

    def reschedule_occurrence(
        self,
        session_id: UUID,
        pairing: Pairing,
        *,
        starts_at: datetime,
        time_zone: str,
        duration_minutes: int | None,
        now: datetime,
    ) -> SessionRescheduled:
        """Move one occurrence alone before it starts (sent with its RECURRENCE-ID)."""
        occurrence = self.occurrence(session_id)
        occurrence.check_changeable(pairing, now)
        return occurrence._move(pairing, starts_at, time_zone, duration_minutes, self._next_sequence(), now)

    def cancel_occurrence(self, session_id: UUID, pairing: Pairing, *, now: datetime) -> SessionCancelled:
        """Cancel one occurrence alone before it starts (an EXDATE in the series' invitation)."""
        occurrence = self.occurrence(session_id)
        occurrence.check_changeable(pairing, now)
        return occurrence._cancel(pairing, CancelledBecause.partner_cancelled, self._next_sequence(), now)

    def _check_changeable(self, pairing: Pairing) -> None:
        pairing.check_open()
        if self.status is not SeriesStatus.scheduled:
            raise Conflict(f"the series is {self.status}")

    def _next_sequence(self) -> int:
        self.calendar_sequence += 1
        return self.calendar_sequence

    def _cancel_rest(self, pairing: Pairing, reason: CancelledBecause, now: datetime) -> SeriesCancelled | SeriesEnded:
        """Cancel the occurrences that have not started: the whole series when none has, else it ends."""
        upcoming = [o for o in self.occurrences if o.is_upcoming(now)]
        held = [o for o in self.occurrences if o.has_begun(now)]
        if held:
            return self._end(pairing, held, upcoming, reason, now)
        self.status = SeriesStatus.cancelled
        sequence = self._next_sequence()
        for occurrence in upcoming:
            occurrence._mark_cancelled(sequence, now)
        return SeriesCancelled(
            series_id=self.id,
            pairing_id=self.pairing_id,
            participant_ids=pairing.partners,
            organiser_id=self.organiser_id,
            starts_at=self.original_starts[0],
            time_zone=self.time_zone,
            duration_minutes=self.duration_minutes,
            rrule=self.rrule,
            cancelled_session_ids=[o.id for o in upcoming],
            agenda_title=self.agenda_title,
            calendar_uid=self.calendar_uid,
            calendar_sequence=sequence,
            reason=reason,
            cancelled_at=now,
        )

    def _end(
        self, pairing: Pairing, held: list[Session], upcoming: list[Session], reason: CancelledBecause, now: datetime
    ) -> SeriesEnded:
        """End after the last held occurrence: the RRULE gets an UNTIL just before the first occurrence
        after it (RFC 5545: in UTC, since DTSTART has a TZID), SEQUENCE + 1, sent as REQUEST."""
        last_held = max(_original_start(o) for o in held)
        after = [start for start in self.original_starts if start > last_held]
        ends_before = min(after) if after else last_held + timedelta(seconds=1)
        previous_rrule = self.rrule
        self.rrule = rrule_until_text(self.recurrence.frequency, self.recurrence.interval, ends_before - timedelta(seconds=1))
        self.status = SeriesStatus.ended
        sequence = self._next_sequence()
        for occurrence in upcoming:
            occurrence._mark_cancelled(sequence, now)
        return SeriesEnded(
            series_id=self.id,
            pairing_id=self.pairing_id,
            participant_ids=pairing.partners,
            organiser_id=self.organiser_id,
            starts_at=self.original_starts[0],
            time_zone=self.time_zone,
            duration_minutes=self.duration_minutes,
            rrule=self.rrule,
            previous_rrule=previous_rrule,
            ends_before=ends_before,
            last_held_at=last_held,
            # Occurrences before the end that are cancelled (alone earlier, or now: moved past a held one) stay out.
            exdates=[
                _original_start(o)
                for o in self.occurrences
                if _original_start(o) < ends_before and o.status is SessionStatus.cancelled
            ],
            held_session_ids=[o.id for o in held],
            cancelled_session_ids=[o.id for o in upcoming],
            agenda_title=self.agenda_title,
            calendar_uid=self.calendar_uid,
            calendar_sequence=sequence,
            reason=reason,
            ended_at=now,
        )


def _original_start(occurrence: Session) -> datetime:
    assert occurrence.recurrence_id is not None, "an occurrence of a series has its original start"
    return occurrence.recurrence_id
