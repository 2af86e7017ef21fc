"""The current invitation (.ics) of a session or a series, from scheduling's own rows.

Built with `together_servicekit.invitations` like the mails notifications sends, from the same
values the events carry. A cancelled session or series is served as its CANCEL.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from scheduling.tables import participants, series, sessions
from scheduling.use_cases import series_uid, session_uid
from together_servicekit.invitations import Moved, Person, invitation


async def people(conn: AsyncConnection, pairing: sa.Row, organiser_id: UUID | None) -> tuple[Person, list[Person]]:
    """Organiser and attendees by display name; addresses are urn:uuid (emails stay with registration)."""
    names = {
        row.id: row.display_name
        for row in await conn.execute(
            sa.select(participants.c.id, participants.c.display_name).where(
                participants.c.id.in_([pairing.mentee_id, pairing.mentor_id])
            )
        )
    }

    def person(pid: UUID, fallback: str) -> Person:
        return Person(names.get(pid, fallback), None, ident=str(pid))

    mentee, mentor = person(pairing.mentee_id, "Mentee"), person(pairing.mentor_id, "Mentor")
    organiser = mentor if organiser_id == pairing.mentor_id else mentee
    return organiser, [mentee, mentor]


async def session_ics(conn: AsyncConnection, row: sa.Row, pairing: sa.Row, stamp: datetime) -> str:
    organiser, attendees = await people(conn, pairing, row.organiser_id)
    return invitation(
        uid=session_uid(row.id),
        sequence=row.calendar_sequence,
        method="CANCEL" if row.status == "cancelled" else "REQUEST",
        summary=row.agenda_title or "Together session",
        starts_at=row.starts_at,
        time_zone=row.time_zone,
        duration_minutes=row.duration_minutes,
        organizer=organiser,
        attendees=attendees,
        stamp=stamp,
    )


async def series_ics(conn: AsyncConnection, series_id: UUID, pairing: sa.Row, stamp: datetime) -> str:
    """The series with its RRULE; occurrences cancelled alone as EXDATE, moved ones as overrides.
    A series ended part-way (status `ended`) is a REQUEST whose RRULE ends with UNTIL: its cancelled
    occurrences after that need no EXDATE."""
    owner = (await conn.execute(sa.select(series).where(series.c.id == series_id))).one()
    rows = list(
        await conn.execute(sa.select(sessions).where(sessions.c.series_id == series_id).order_by(sessions.c.recurrence_id))
    )
    organiser, attendees = await people(conn, pairing, owner.organiser_id)
    whole_cancelled = owner.status == "cancelled"
    last = max((r.recurrence_id for r in rows if r.status != "cancelled"), default=rows[-1].recurrence_id)
    exdates = [
        r.recurrence_id
        for r in rows
        if r.status == "cancelled" and not whole_cancelled and (owner.status != "ended" or r.recurrence_id < last)
    ]
    moved = [
        Moved(r.recurrence_id, r.starts_at, r.duration_minutes, r.calendar_sequence)
        for r in rows
        if r.status != "cancelled" and (r.starts_at != r.recurrence_id or r.duration_minutes != owner.duration_minutes)
    ]
    return invitation(
        uid=series_uid(series_id),
        sequence=owner.calendar_sequence,
        method="CANCEL" if whole_cancelled else "REQUEST",
        summary=owner.agenda_title,
        starts_at=rows[0].recurrence_id,
        time_zone=owner.time_zone,
        duration_minutes=owner.duration_minutes,
        organizer=organiser,
        attendees=attendees,
        stamp=stamp,
        rrule=owner.rrule,
        exdates=exdates,
        moved=[] if whole_cancelled else moved,
        until=rows[-1].recurrence_id,
    )
