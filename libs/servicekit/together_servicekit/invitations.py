"""Calendar invitations (iCalendar, RFC 5545) built from plain values, for any service.

Scheduling serves them (`GET .../invitation.ics`); notifications attaches them to mails. Both
build them here from the fields of scheduling's events (see `together_contracts.scheduling`),
so neither imports the other.

    from together_servicekit.invitations import Person, Moved, invitation

    ics: str = invitation(
        uid=event.calendar_uid,                 # stable for the session or series
        sequence=event.calendar_sequence,       # 0 when booked, +1 on each change / cancellation
        method="REQUEST",                       # "CANCEL" for SessionCancelled / SeriesCancelled
        summary=event.agenda_title,
        starts_at=event.starts_at,              # aware instant (UTC in events)
        time_zone=event.time_zone,              # IANA zone: TZID, with a VTIMEZONE built from zoneinfo
        duration_minutes=event.duration_minutes,
        organizer=Person("Amina Diallo", "amina@un.org"),     # email optional
        attendees=[Person("Ravi Kumar", None, ident=str(ravi_id))],
        stamp=now,                              # DTSTAMP: when this invitation was produced
        rrule=event.rrule,                      # series only, e.g. "FREQ=WEEKLY;INTERVAL=2;COUNT=8"
        recurrence_id=event.recurrence_id,      # one occurrence of a series changed or cancelled alone
        until=last_occurrence,                  # optional: the VTIMEZONE covers the zone until then (default: from the RRULE)
    )

The text uses CRLF line endings, folds lines at 75 octets, escapes TEXT values, and always gives
times as local times with TZID plus a VTIMEZONE whose observances are the zone's real transitions
over the span of the event (so an RRULE keeps its local wall-clock time across daylight-saving
changes, which an RRULE on a UTC DTSTART would not). Outlook needs METHOD, DTSTAMP, UID,
SEQUENCE, ORGANIZER and ATTENDEE; they are always present.

A person without an email address gets a `urn:uuid:` calendar address from `ident` (the
participant id), which calendar clients display but cannot mail.

A published timetable (scheduling's career week) is announced, not an invitation: `announcement(...)`
builds METHOD:PUBLISH (or CANCEL for one entry withdrawn) with several VEVENTs, a VTIMEZONE for each
zone they use, an ORGANIZER (RFC 5546 requires one) and no ATTENDEE: nobody is asked to answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, TypedDict
from zoneinfo import ZoneInfo

PRODID = "-//Together//Scheduling//EN"
CRLF = "\r\n"


@dataclass(frozen=True)
class Person:
    name: str
    email: str | None = None
    ident: str | None = None  # used as urn:uuid:<ident> when there is no email

    def address(self) -> str:
        if self.email:
            return f"mailto:{self.email}"
        if self.ident:
            return f"urn:uuid:{self.ident}"
        raise ValueError(f"{self.name!r} needs an email or an ident for a calendar address")


@dataclass(frozen=True)
class Moved:
    """One occurrence of a series moved on its own: shown as an override with RECURRENCE-ID."""

    recurrence_id: datetime  # the occurrence's original start (aware)
    starts_at: datetime  # its new start (aware)
    duration_minutes: int
    sequence: int


def invitation(
    *,
    uid: str,
    sequence: int,
    method: Literal["REQUEST", "CANCEL"],
    summary: str,
    starts_at: datetime,
    time_zone: str,
    duration_minutes: int,
    organizer: Person,
    attendees: Sequence[Person],
    stamp: datetime,
    rrule: str | None = None,
    recurrence_id: datetime | None = None,
    exdates: Iterable[datetime] = (),
    moved: Iterable[Moved] = (),
    description: str | None = None,
    until: datetime | None = None,
) -> str:
    """A complete VCALENDAR with one VEVENT (plus one per moved occurrence of a series)."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"method must be REQUEST or CANCEL, not {method!r}")
    for instant in (starts_at, stamp, recurrence_id, *exdates):
        if instant is not None and instant.tzinfo is None:
            raise ValueError("times must be aware instants")
    tz = ZoneInfo(time_zone)
    exdates = list(exdates)
    moved = list(moved)
    if rrule and until is None:
        until = rule_end(rrule, starts_at)
    instants = [starts_at, recurrence_id, until, *exdates, *(m.starts_at for m in moved)]
    span_end = max(i for i in instants if i is not None) + timedelta(minutes=duration_minutes)
    lines = vtimezone(time_zone, starts_at, span_end)
    common: _SharedByEvents = {
        "uid": uid,
        "summary": summary,
        "description": description,
        "organizer": organizer,
        "attendees": attendees,
        "stamp": stamp,
        "tz": tz,
        "tzid": time_zone,
        "cancelled": method == "CANCEL",
    }
    lines += _vevent(
        sequence=sequence,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        rrule=rrule,
        recurrence_id=recurrence_id,
        exdates=exdates,
        **common,
    )
    for m in moved:
        lines += _vevent(
            sequence=m.sequence,
            starts_at=m.starts_at,
            duration_minutes=m.duration_minutes,
            rrule=None,
            recurrence_id=m.recurrence_id,
            exdates=[],
            **common,
        )
    return _calendar(method, lines)


@dataclass(frozen=True)
class Announced:
    """One event of a published timetable: announced to its readers, nobody is asked to answer."""

    uid: str
    sequence: int
    summary: str
    starts_at: datetime  # aware
    time_zone: str  # IANA zone: its TZID
    duration_minutes: int


def announcement(
    events: Sequence[Announced], *, organizer: Person, stamp: datetime, method: Literal["PUBLISH", "CANCEL"] = "PUBLISH"
) -> str:
    """A complete VCALENDAR announcing `events` (PUBLISH), or withdrawing them (CANCEL: STATUS:CANCELLED)."""
    if method not in ("PUBLISH", "CANCEL"):
        raise ValueError(f"method must be PUBLISH or CANCEL, not {method!r}")
    for instant in (stamp, *(event.starts_at for event in events)):
        if instant.tzinfo is None:
            raise ValueError("times must be aware instants")
    lines: list[str] = []
    for zone in dict.fromkeys(event.time_zone for event in events):
        spans = [(e.starts_at, e.starts_at + timedelta(minutes=e.duration_minutes)) for e in events if e.time_zone == zone]
        lines += vtimezone(zone, min(start for start, _ in spans), max(end for _, end in spans))
    for event in events:
        lines += _vevent(
            uid=event.uid,
            sequence=event.sequence,
            summary=event.summary,
            description=None,
            organizer=organizer,
            attendees=[],
            stamp=stamp,
            tz=ZoneInfo(event.time_zone),
            tzid=event.time_zone,
            cancelled=method == "CANCEL",
            starts_at=event.starts_at,
            duration_minutes=event.duration_minutes,
            rrule=None,
            recurrence_id=None,
            exdates=[],
        )
    return _calendar(method, lines)


def _calendar(method: str, components: list[str]) -> str:
    """The VCALENDAR around `components`: CRLF line endings, lines folded at 75 octets."""
    lines = ["BEGIN:VCALENDAR", f"PRODID:{PRODID}", "VERSION:2.0", "CALSCALE:GREGORIAN", f"METHOD:{method}", *components]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)


class _SharedByEvents(TypedDict):
    """What the series' VEVENT and each moved occurrence's have in common."""

    uid: str
    summary: str
    description: str | None
    organizer: Person
    attendees: Sequence[Person]
    stamp: datetime
    tz: ZoneInfo
    tzid: str
    cancelled: bool


def _vevent(
    *,
    uid: str,
    sequence: int,
    summary: str,
    description: str | None,
    organizer: Person,
    attendees: Sequence[Person],
    stamp: datetime,
    tz: ZoneInfo,
    tzid: str,
    cancelled: bool,
    starts_at: datetime,
    duration_minutes: int,
    rrule: str | None,
    recurrence_id: datetime | None,
    exdates: list[datetime],
) -> list[str]:
    ends_at = starts_at + timedelta(minutes=duration_minutes)
    lines = [
        "BEGIN:VEVENT",
        f"UID:{escape_text(uid)}",
        f"SEQUENCE:{sequence}",
        f"DTSTAMP:{utc_text(stamp)}",
        f"DTSTART;TZID={tzid}:{local_text(starts_at, tz)}",
        f"DTEND;TZID={tzid}:{local_text(ends_at, tz)}",
    ]
    if recurrence_id is not None:
        lines.append(f"RECURRENCE-ID;TZID={tzid}:{local_text(recurrence_id, tz)}")
    if rrule:
        lines.append(f"RRULE:{rrule}")
    if exdates:
        lines.append(f"EXDATE;TZID={tzid}:" + ",".join(local_text(x, tz) for x in sorted(exdates)))
    lines += [
        f"SUMMARY:{escape_text(summary)}",
        *([f"DESCRIPTION:{escape_text(description)}"] if description else []),
        f"ORGANIZER;CN={param_value(organizer.name)}:{organizer.address()}",
        *(
            f"ATTENDEE;CN={param_value(a.name)};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:{a.address()}"
            for a in attendees
        ),
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        "TRANSP:OPAQUE",
        "END:VEVENT",
    ]
    return lines


_STEP = {"DAILY": timedelta(days=1), "WEEKLY": timedelta(weeks=1), "MONTHLY": timedelta(days=31), "YEARLY": timedelta(days=366)}


def rule_end(rrule: str, starts_at: datetime) -> datetime:
    """An instant at or after the rule's last occurrence, for the VTIMEZONE's span when `until`
    is not given: from UNTIL, else COUNT x INTERVAL steps (generous), else two years."""
    parts = dict(part.split("=", 1) for part in rrule.upper().split(";") if "=" in part)
    if "UNTIL" in parts:
        text = parts["UNTIL"].rstrip("Z")
        fmt = "%Y%m%dT%H%M%S" if "T" in text else "%Y%m%d"
        return datetime.strptime(text, fmt).replace(tzinfo=UTC) + timedelta(days=1)
    step = _STEP.get(parts.get("FREQ", ""), timedelta(days=31))
    if "COUNT" in parts:
        return starts_at + step * int(parts.get("INTERVAL", "1")) * int(parts["COUNT"])
    return starts_at + timedelta(days=2 * 366)


def vtimezone(time_zone: str, span_start: datetime, span_end: datetime) -> list[str]:
    """A VTIMEZONE for `time_zone` whose observances are the zone's actual offsets from the
    start of `span_start`'s year to the end of `span_end`'s year (one per transition)."""
    tz = ZoneInfo(time_zone)
    first = datetime(span_start.astimezone(tz).year, 1, 1, tzinfo=UTC)
    last = datetime(span_end.astimezone(tz).year + 1, 1, 1, tzinfo=UTC)
    lines = ["BEGIN:VTIMEZONE", f"TZID:{time_zone}"]
    before = first - timedelta(days=1)
    lines += _observance(tz, before, first)  # the offset in force when the span begins
    for moment in transitions(tz, first, last):
        lines += _observance(tz, moment - timedelta(seconds=1), moment)
    lines.append("END:VTIMEZONE")
    return lines


def transitions(tz: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """The UTC instants in [start, end) at which the zone's UTC offset (or name) changes."""
    found: list[datetime] = []
    step = timedelta(hours=6)  # no zone changes offset twice within six hours
    moment = start
    while moment < end:
        following = min(moment + step, end)
        if _state(tz, moment) != _state(tz, following):
            low, high = moment, following  # bisect to the second
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                middle = middle.replace(microsecond=0)
                if middle <= low:
                    break
                if _state(tz, middle) == _state(tz, low):
                    low = middle
                else:
                    high = middle
            found.append(high)
        moment = following
    return found


def _state(tz: ZoneInfo, instant: datetime) -> tuple[timedelta | None, str | None]:
    local = instant.astimezone(tz)
    return local.utcoffset(), local.tzname()


def _observance(tz: ZoneInfo, before: datetime, at: datetime) -> list[str]:
    old, new = before.astimezone(tz), at.astimezone(tz)
    kind = "DAYLIGHT" if new.dst() else "STANDARD"
    # DTSTART of an observance is the local time of the onset, in the offset that was in force before it.
    onset = at.astimezone(UTC) + (old.utcoffset() or timedelta(0))
    return [
        f"BEGIN:{kind}",
        f"DTSTART:{onset:%Y%m%dT%H%M%S}",
        f"TZOFFSETFROM:{offset_text(old.utcoffset())}",
        f"TZOFFSETTO:{offset_text(new.utcoffset())}",
        f"TZNAME:{escape_text(new.tzname() or '')}",
        f"END:{kind}",
    ]


def offset_text(offset: timedelta | None) -> str:
    seconds = int((offset or timedelta(0)).total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours:02d}{minutes:02d}" + (f"{secs:02d}" if secs else "")


def local_text(instant: datetime, tz: ZoneInfo) -> str:
    return f"{instant.astimezone(tz):%Y%m%dT%H%M%S}"


def utc_text(instant: datetime) -> str:
    return f"{instant.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def escape_text(value: str) -> str:
    """RFC 5545 TEXT: backslash, semicolon, comma escaped; line breaks as \\n."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def param_value(value: str) -> str:
    """A parameter value (e.g. CN): quoted, since names hold commas; DQUOTE and controls cannot appear."""
    cleaned = "".join(ch for ch in value if ch != '"' and ch >= " " and ch != "\x7f")
    return f'"{cleaned}"'


def fold(line: str, limit: int = 75) -> str:
    """Split a content line into lines of at most `limit` octets (UTF-8), never inside a
    character; each continuation line starts with one space."""
    encoded = line.encode()
    if len(encoded) <= limit:
        return line
    parts: list[str] = []
    current = ""
    size = 0
    budget = limit
    for ch in line:
        width = len(ch.encode())
        if size + width > budget:
            parts.append(current)
            current, size, budget = "", 0, limit - 1  # the leading space counts
        current += ch
        size += width
    parts.append(current)
    return (CRLF + " ").join(parts)
