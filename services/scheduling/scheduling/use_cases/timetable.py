"""A cohort's timetable (a career week): the programme team publishes, changes and cancels its entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from scheduling import repository
from scheduling.access import require_team, visible_cohort, visible_timetable_entry
from scheduling.domain import times
from scheduling.domain.timetable import EntryDetails, TimetableEntry
from together_contracts.scheduling import TimetableEntryKind, TimetableLanguage
from together_servicekit.auth import Forbidden, Principal, Role
from together_servicekit.runtime import Runtime

PUBLISHERS = "only the programme's team publishes, changes and cancels its timetable"


@dataclass(frozen=True)
class Entered:
    """An entry as the team enters it: its start a local wall-clock time in a named zone."""

    title: str
    kind: TimetableEntryKind
    language: TimetableLanguage
    local_start: datetime
    time_zone: str
    duration_minutes: int

    def details(self, now: datetime) -> EntryDetails:
        """The start ahead of `now`, as an instant (422 naming the field otherwise: the rules of a session's start)."""
        starts_at = times.session_start(self.local_start, self.time_zone, now)
        return EntryDetails(self.title, self.kind, self.language, starts_at, self.time_zone, self.duration_minutes)


def _publisher(caller: Principal) -> None:
    """The role the routes need, checked before any lookup (ADR 0005)."""
    if not caller.has(Role.programme_team):
        raise Forbidden(PUBLISHERS)


async def publish_entry(runtime: Runtime, caller: Principal, *, cohort_id: UUID, entered: Entered) -> UUID:
    _publisher(caller)
    details = entered.details(runtime.now())
    async with runtime.engine.begin() as conn:
        cohort, _ = await visible_cohort(conn, caller, cohort_id)
        require_team(caller, cohort.programme_id, PUBLISHERS)
        entry, published = TimetableEntry.publish(cohort, details, now=runtime.now())
        await repository.add_timetable_entry(conn, entry)
        await runtime.record(conn, published)
    return entry.id


async def change_entry(runtime: Runtime, caller: Principal, *, entry_id: UUID, entered: Entered) -> None:
    """The entry's new state, before it starts; the same state again changes nothing (no event)."""
    _publisher(caller)
    details = entered.details(runtime.now())
    async with runtime.engine.begin() as conn:
        entry = await visible_timetable_entry(conn, caller, entry_id, lock=True)
        require_team(caller, entry.programme_id, PUBLISHERS)
        changed = entry.change(details, now=runtime.now())
        if changed is not None:
            await repository.save_timetable_entry(conn, entry)
            await runtime.record(conn, changed)


async def cancel_entry(runtime: Runtime, caller: Principal, *, entry_id: UUID) -> None:
    _publisher(caller)
    async with runtime.engine.begin() as conn:
        entry = await visible_timetable_entry(conn, caller, entry_id, lock=True)
        require_team(caller, entry.programme_id, PUBLISHERS)
        cancelled = entry.cancel(now=runtime.now())
        await repository.save_timetable_entry(conn, entry)
        await runtime.record(conn, cancelled)
