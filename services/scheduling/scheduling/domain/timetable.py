"""A cohort's timetable (a career week): entries the programme team publishes, changes and cancels.

An entry is a presentation, a panel discussion or a clinic, given in English, French or Spanish,
starting at an instant (entered as a local time in a named zone, kept as UTC plus that zone) for a
duration. Each change is checked and returns its event; an entry that has started is final. Its
calendar entry is announced (METHOD:PUBLISH, no attendees) with a UID that never changes and a
SEQUENCE raised by each change or cancellation.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal
from uuid import UUID

from together_contracts.scheduling import (
    TimetableEntryCancelled,
    TimetableEntryChanged,
    TimetableEntryKind,
    TimetableEntryPublished,
    TimetableLanguage,
)
from together_servicekit.errors import Conflict
from together_servicekit.invitations import Announced, Person, announcement

# How the timetable abbreviates them: "Pres (E) - Thriving in Uncertainty".
KIND_LABELS = {TimetableEntryKind.presentation: "Pres", TimetableEntryKind.discussion: "PD", TimetableEntryKind.clinic: "Clinic"}
LANGUAGE_LETTERS = {TimetableLanguage.english: "E", TimetableLanguage.french: "F", TimetableLanguage.spanish: "S"}
ORGANISER = "Programme team"


class EntryStatus(StrEnum):
    published = "published"
    cancelled = "cancelled"


@dataclass(frozen=True)
class Cohort:
    """The cohort a timetable belongs to, as scheduling knows it from `CohortOpened`."""

    id: UUID
    programme_id: UUID  # whose team publishes it


@dataclass(frozen=True)
class EntryDetails:
    title: str
    kind: TimetableEntryKind
    language: TimetableLanguage
    starts_at: datetime  # UTC instant
    time_zone: str  # the zone it was entered in
    duration_minutes: int

    @property
    def label(self) -> str:
        return f"{KIND_LABELS[self.kind]} ({LANGUAGE_LETTERS[self.language]}) - {self.title}"


def entry_uid(entry_id: UUID) -> str:
    return f"timetable-{entry_id}@together"


@dataclass
class TimetableEntry:
    id: UUID
    cohort_id: UUID
    programme_id: UUID
    details: EntryDetails
    status: EntryStatus
    calendar_sequence: int
    published_at: datetime
    cancelled_at: datetime | None = None

    @classmethod
    def publish(cls, cohort: Cohort, details: EntryDetails, *, now: datetime) -> tuple[TimetableEntry, TimetableEntryPublished]:
        entry = cls(uuid.uuid4(), cohort.id, cohort.programme_id, details, EntryStatus.published, 0, now)
        return entry, TimetableEntryPublished.model_validate({**entry._facts(), "published_at": now})

    @property
    def cohort(self) -> Cohort:
        return Cohort(self.cohort_id, self.programme_id)

    @property
    def calendar_uid(self) -> str:
        return entry_uid(self.id)

    @property
    def ends_at(self) -> datetime:
        return self.details.starts_at + timedelta(minutes=self.details.duration_minutes)

    def change(self, details: EntryDetails, *, now: datetime) -> TimetableEntryChanged | None:
        """Its new state, before it starts; None when nothing differs (the same request twice)."""
        self._check_changeable(now)
        if details == self.details:
            return None
        previous = self.details.starts_at
        self.details, self.calendar_sequence = details, self.calendar_sequence + 1
        return TimetableEntryChanged.model_validate({**self._facts(), "previous_starts_at": previous, "changed_at": now})

    def cancel(self, *, now: datetime) -> TimetableEntryCancelled:
        self._check_changeable(now)
        self.status, self.cancelled_at, self.calendar_sequence = EntryStatus.cancelled, now, self.calendar_sequence + 1
        return TimetableEntryCancelled.model_validate({**self._facts(), "cancelled_at": now})

    def _check_changeable(self, now: datetime) -> None:
        if self.status is not EntryStatus.published:
            raise Conflict(f"the timetable entry is {self.status}")
        if self.details.starts_at <= now:
            raise Conflict("the timetable entry has already started: it is no longer changed or cancelled")

    def _facts(self) -> dict[str, object]:
        """What every event of the entry carries: its state now."""
        d = self.details
        return {
            "timetable_entry_id": self.id,
            "cohort_id": self.cohort_id,
            "programme_id": self.programme_id,
            "title": d.title,
            "kind": d.kind,
            "language": d.language,
            "starts_at": d.starts_at,
            "time_zone": d.time_zone,
            "duration_minutes": d.duration_minutes,
            "calendar_uid": self.calendar_uid,
            "calendar_sequence": self.calendar_sequence,
        }


def entry_calendar(entry: TimetableEntry, stamp: datetime) -> str:
    """One entry's calendar entry: announced (PUBLISH), or, once cancelled, its CANCEL, so a calendar
    that holds it drops it."""
    method: Literal["PUBLISH", "CANCEL"] = "CANCEL" if entry.status is EntryStatus.cancelled else "PUBLISH"
    return announcement([_announced(entry)], organizer=_organiser(entry.programme_id), stamp=stamp, method=method)


def timetable_calendar(entries: Sequence[TimetableEntry], programme_id: UUID, stamp: datetime) -> str:
    """The whole timetable as one calendar (PUBLISH): its entries still on, each with its own UID."""
    live = [_announced(e) for e in entries if e.status is EntryStatus.published]
    return announcement(live, organizer=_organiser(programme_id), stamp=stamp)


def _announced(entry: TimetableEntry) -> Announced:
    d = entry.details
    return Announced(entry.calendar_uid, entry.calendar_sequence, d.label, d.starts_at, d.time_zone, d.duration_minutes)


def _organiser(programme_id: UUID) -> Person:
    """The programme's team (RFC 5546 wants an ORGANIZER); no address to mail: urn:uuid of the programme."""
    return Person(ORGANISER, ident=str(programme_id))
