"""One start and duration as several zones see it at once: the career week's four columns and day marks.

The career week's timetable is a grid: a row per slot, giving its times in New York, Europe (Geneva),
Nairobi and Bangkok, and a column per day. The day headings are New York's dates (New York is the
first column, and every New York time in the grid falls on its heading's day), so that is the
convention here: a time that falls on another day than the start's date in New York carries a mark,
`(+1)` for the next day and `(-1)` for the day before. In the May 2026 week, 13:00-14:00 in New York
is `00:00(+1)-01:00(+1)` in Bangkok. The reader's own zone is marked the same way, against the same New
York date, and its cell holds its own full date and time too. Both ends of a slot are marked, each
on its own: a slot that crosses midnight in a zone is `23:30-00:30(+1)` there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Column:
    name: str
    time_zone: str


NEW_YORK = Column("New York", "America/New_York")
COLUMNS = (NEW_YORK, Column("Europe", "Europe/Zurich"), Column("Nairobi", "Africa/Nairobi"), Column("Bangkok", "Asia/Bangkok"))


@dataclass(frozen=True)
class Cell:
    """A slot in one zone: its local start and end, each with its day relative to the New York date."""

    column: str  # the column's name; the zone's own name for the reader's cell
    time_zone: str
    starts_at: datetime  # aware, in time_zone
    ends_at: datetime
    start_day: int  # 0 on the New York date of the start, +1 the next day, -1 the day before
    end_day: int

    @property
    def text(self) -> str:
        """As the timetable prints it: `14:00-15:00`, `00:00(+1)-01:00(+1)`."""
        return f"{_marked(self.starts_at, self.start_day)}-{_marked(self.ends_at, self.end_day)}"


def _marked(moment: datetime, day: int) -> str:
    return f"{moment:%H:%M}" + (f"({day:+d})" if day else "")


@dataclass(frozen=True)
class Slot:
    day: date  # the start's date in New York: the timetable's day heading
    columns: tuple[Cell, ...]  # New York, Europe, Nairobi, Bangkok
    yours: Cell | None  # in the reader's zone, when one is known


def new_york_day(starts_at: datetime) -> date:
    return starts_at.astimezone(ZoneInfo(NEW_YORK.time_zone)).date()


def cell(column: Column, starts_at: datetime, duration_minutes: int, day: date) -> Cell:
    """The slot starting at the instant `starts_at` as `column`'s zone sees it, marked against `day`."""
    tz = ZoneInfo(column.time_zone)
    start = starts_at.astimezone(tz)
    end = (starts_at + timedelta(minutes=duration_minutes)).astimezone(tz)
    return Cell(column.name, column.time_zone, start, end, (start.date() - day).days, (end.date() - day).days)


def slot(starts_at: datetime, duration_minutes: int, reader_zone: str | None) -> Slot:
    """The four columns of the timetable, and the reader's own zone (a name ZoneInfo knows) if given."""
    day = new_york_day(starts_at)
    yours = cell(Column(reader_zone, reader_zone), starts_at, duration_minutes, day) if reader_zone else None
    return Slot(day, tuple(cell(c, starts_at, duration_minutes, day) for c in COLUMNS), yours)
