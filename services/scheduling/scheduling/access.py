"""Who may see and act on a pairing's sessions and records (ADR 0005): the use cases check writes, the
queries reads, both loading through here. "A partner" is a participant whose person id is the mentee's
or the mentor's; "the programme team" is a programme_team token whose programmes claim lists the pairing's.

Who sees what: a pairing, its sessions and series are seen by the partners and the programme team; a
note by its author, and by the partner once shared (never by the team); a cohort's timetable and its
entries by the programme team and everyone registered in the programme (any of its cohorts, not
withdrawn); a participant's surveys by that participant, their existence by the programme's team. To
anyone else each answers exactly as one that does not exist (404, word for word). Who
sees it but may not do this gets 403.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from scheduling import outcome_store, repository
from scheduling.domain.pairing import Pairing
from scheduling.domain.series import Series
from scheduling.domain.sessions import Session
from scheduling.domain.timetable import Cohort, TimetableEntry
from scheduling.outcome_store import Respondent
from together_servicekit.auth import Forbidden, Principal, Role, visible_or_missing


def is_partner(caller: Principal, pairing: Pairing) -> bool:
    return caller.is_person(pairing.mentee_person_id) or caller.is_person(pairing.mentor_person_id)


def sees_pairing(caller: Principal, pairing: Pairing) -> bool:
    """The pairing, and through it its sessions, series and plan: the partners and the programme team."""
    return is_partner(caller, pairing) or caller.runs(pairing.programme_id)


async def visible_pairing(conn: AsyncConnection, caller: Principal, pairing_id: UUID, *, lock: bool = False) -> Pairing:
    found = await repository.find_pairing(conn, pairing_id, lock=lock)
    return visible_or_missing(found, lambda pairing: sees_pairing(caller, pairing), "pairing", pairing_id)


async def visible_session(
    conn: AsyncConnection, caller: Principal, session_id: UUID, *, lock: bool = False
) -> tuple[Session, Pairing]:
    session = await repository.load_session(conn, session_id, lock=lock)
    pairing = await repository.load_pairing(conn, session.pairing_id)
    visible_or_missing(pairing, lambda p: sees_pairing(caller, p), "session", session_id)
    return session, pairing


async def visible_series(
    conn: AsyncConnection, caller: Principal, series_id: UUID, *, lock: bool = False
) -> tuple[Series, Pairing]:
    owner = await repository.load_series(conn, series_id, lock=lock)
    pairing = await repository.load_pairing(conn, owner.pairing_id)
    visible_or_missing(pairing, lambda p: sees_pairing(caller, p), "series", series_id)
    return owner, pairing


async def visible_note(conn: AsyncConnection, caller: Principal, note_id: UUID, *, lock: bool = False) -> sa.Row[Any]:
    """A session note: its author, and the partner once the author shared it; never the programme team."""
    note = await repository.load_note(conn, note_id, lock=lock)
    pairing = await repository.load_pairing(conn, (await repository.load_session(conn, note.session_id)).pairing_id)
    readers = is_partner(caller, pairing) and (note.author_person_id == caller.subject or note.shared)
    return visible_or_missing(note, lambda _: readers, "note", note_id)


def require_partner(caller: Principal, pairing: Pairing, rule: str) -> UUID:
    """The caller's participant id in the pairing; 403 with `rule` for anyone else (who sees it: the team)."""
    if not is_partner(caller, pairing):
        raise Forbidden(rule)
    return pairing.participant_of(caller.subject)


async def visible_cohort(conn: AsyncConnection, caller: Principal, cohort_id: UUID) -> tuple[Cohort, str | None]:
    """The cohort whose timetable the caller reads: its programme's team, or a participant registered in
    the programme; with that participant's time zone (None for the team)."""
    cohort = await repository.find_cohort(conn, cohort_id)
    zone = await _registered_zone(conn, caller, cohort)
    return visible_or_missing(cohort, lambda c: caller.runs(c.programme_id) or zone is not None, "cohort", cohort_id), zone


async def visible_timetable_entry(
    conn: AsyncConnection, caller: Principal, entry_id: UUID, *, lock: bool = False
) -> TimetableEntry:
    """An entry of a timetable: seen by whoever sees the timetable."""
    entry = await repository.load_timetable_entry(conn, entry_id, lock=lock)
    zone = await _registered_zone(conn, caller, entry.cohort)
    return visible_or_missing(entry, lambda e: caller.runs(e.programme_id) or zone is not None, "timetable entry", entry_id)


async def _registered_zone(conn: AsyncConnection, caller: Principal, cohort: Cohort | None) -> str | None:
    if cohort is None or not caller.has(Role.participant):
        return None
    return await repository.registered_zone(conn, caller.subject, cohort)


def require_team(caller: Principal, programme_id: UUID, rule: str) -> None:
    """403 with `rule` for anyone but the programme's team (who sees it: a participant of the programme)."""
    if not caller.runs(programme_id):
        raise Forbidden(rule)


async def own_surveys(conn: AsyncConnection, caller: Principal, participant_id: UUID) -> Respondent:
    """A participant's surveys: the participant themself answers and reads them. Their programme's team
    sees that they exist (403: it reads aggregates only); to anyone else they are missing (404)."""
    found = await outcome_store.find_respondent(conn, participant_id)
    respondent = visible_or_missing(
        found,
        lambda r: caller.is_person(r.person_id) or (r.programme_id is not None and caller.runs(r.programme_id)),
        "participant",
        participant_id,
    )
    if not caller.is_person(respondent.person_id):
        raise Forbidden("only the participant answers and reads their own surveys; the programme team reads aggregates")
    return respondent
