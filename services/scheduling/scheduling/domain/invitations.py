"""The current invitation (.ics) of a session or a series.

Built with `together_servicekit.invitations` like the mails notifications sends, from the same
values the events carry. A cancelled session or series is served as its CANCEL.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from uuid import UUID

from scheduling.domain.pairing import Pairing
from scheduling.domain.series import Series, SeriesStatus
from scheduling.domain.sessions import UNTITLED, Session, SessionStatus, session_uid
from together_servicekit.invitations import Moved, Person, invitation


def people(pairing: Pairing, organiser_id: UUID | None, names: Mapping[UUID, str]) -> tuple[Person, list[Person]]:
    """Organiser and attendees by display name; addresses are urn:uuid (emails stay with registration)."""

    def person(participant_id: UUID, fallback: str) -> Person:
        return Person(names.get(participant_id, fallback), None, ident=str(participant_id))

    mentee, mentor = person(pairing.mentee_id, "Mentee"), person(pairing.mentor_id, "Mentor")
    organiser = mentor if organiser_id == pairing.mentor_id else mentee
    return organiser, [mentee, mentor]


def session_invitation(session: Session, pairing: Pairing, names: Mapping[UUID, str], stamp: datetime) -> str:
    """A single session's invitation (an occurrence's is its series')."""
    organiser, attendees = people(pairing, session.organiser_id, names)
    return invitation(
        uid=session_uid(session.id),
        sequence=session.calendar_sequence,
        method="CANCEL" if session.status is SessionStatus.cancelled else "REQUEST",
        summary=session.agenda_title or UNTITLED,
        starts_at=session.starts_at,
        time_zone=session.time_zone,
        duration_minutes=session.duration_minutes,
        organizer=organiser,
        attendees=attendees,
        stamp=stamp,
    )


def series_invitation(series: Series, pairing: Pairing, names: Mapping[UUID, str], stamp: datetime) -> str:
    """The series with its RRULE; occurrences cancelled alone as EXDATE, moved ones as overrides.
    A series ended part-way is a REQUEST whose RRULE ends with UNTIL: its cancelled occurrences after
    that need no EXDATE."""
    organiser, attendees = people(pairing, series.organiser_id, names)
    whole_cancelled = series.status is SeriesStatus.cancelled
    originals = series.original_starts
    live = [(o, start) for o, start in zip(series.occurrences, originals, strict=True) if o.is_live]
    last = max((start for _, start in live), default=originals[-1])
    exdates = [
        start
        for o, start in zip(series.occurrences, originals, strict=True)
        if not o.is_live and not whole_cancelled and (series.status is not SeriesStatus.ended or start < last)
    ]
    moved = [
        Moved(start, o.starts_at, o.duration_minutes, o.calendar_sequence)
        for o, start in live
        if o.starts_at != start or o.duration_minutes != series.duration_minutes
    ]
    return invitation(
        uid=series.calendar_uid,
        sequence=series.calendar_sequence,
        method="CANCEL" if whole_cancelled else "REQUEST",
        summary=series.agenda_title,
        starts_at=originals[0],
        time_zone=series.time_zone,
        duration_minutes=series.duration_minutes,
        organizer=organiser,
        attendees=attendees,
        stamp=stamp,
        rrule=series.rrule,
        exdates=exdates,
        moved=[] if whole_cancelled else moved,
        until=originals[-1],
    )
