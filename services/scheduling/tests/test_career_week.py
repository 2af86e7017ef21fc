"""The career week's timetable against the seed's own grid (`career_week_2026.tsv`: the timetable of the
week of 4 May 2026 as the seed prints it, unchanged). Every entry is published from its New York time,
and each column of its row (New York, Europe, Nairobi, Bangkok) must come out at the seed's times with
the seed's next-day marks: in that week, 13:00 in New York is 00:00 the next day in Bangkok.

The seed's day headings are New York's dates. It writes a next-day mark (<sup>1</sup>) after each time
(`01:30 <sup>1</sup> -02:30 <sup>1</sup>`), or once after a slot whose two ends are both on the next
day (`00:00-01:00 <sup>1</sup>`); the parser below reads the second form as both ends marked.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from scheduling.domain.times import local_start_to_utc
from scheduling.domain.timetable import Cohort, EntryDetails, TimetableEntry
from scheduling.domain.world_clock import COLUMNS, new_york_day, slot
from together_contracts.scheduling import TimetableEntryKind, TimetableLanguage

FIXTURE = Path(__file__).with_name("career_week_2026.tsv")
YEAR = 2026
KINDS = {"Pres": TimetableEntryKind.presentation, "PD": TimetableEntryKind.discussion, "Clinic": TimetableEntryKind.clinic}
LANGUAGES = {"E": TimetableLanguage.english, "F": TimetableLanguage.french, "S": TimetableLanguage.spanish}
MARK = r" <sup>1</sup>"
TIMES = re.compile(rf"(\d\d:\d\d)({MARK} )?-(\d\d:\d\d)({MARK})? \((New York|Europe|Nairobi|Bangkok)\)")
CELL = re.compile(r"(Pres|PD|Clinic) \(([EFS])\)( -)? (.+)")


@dataclass(frozen=True)
class SeedTimes:
    column: str
    start: str  # HH:MM
    start_day: int  # 1: marked as the next day
    end: str
    end_day: int


@dataclass(frozen=True)
class SeedEntry:
    day: date  # the column's heading
    kind: TimetableEntryKind
    language: TimetableLanguage
    title: str
    printed: str  # the cell as the seed prints it
    times: tuple[SeedTimes, ...]  # its row: New York, Europe, Nairobi, Bangkok


def seed_times(found: re.Match[str]) -> SeedTimes:
    start, start_mark, end, end_mark, column = found.groups()
    whole_slot = end_mark is not None and start_mark is None  # `00:00-01:00 <sup>1</sup>`
    return SeedTimes(column, start, int(start_mark is not None or whole_slot), end, int(end_mark is not None))


def seed_week() -> list[SeedEntry]:
    heading, *rows = FIXTURE.read_text(encoding="utf-8").splitlines()
    days = []
    for printed in heading.split("\t")[1:]:
        day = datetime.strptime(f"{printed} {YEAR}", "%A, %d %B %Y").date()
        assert f"{day:%A, %d %B}" == printed  # the weekday is that date's in 2026
        days.append(day)
    entries = []
    for row in rows:
        header, *cells = row.split("\t")
        times = tuple(seed_times(found) for found in TIMES.finditer(header))
        assert [t.column for t in times] == ["New York", "Europe", "Nairobi", "Bangkok"], header
        assert len(cells) == len(days) == 5
        for day, cell in zip(days, cells, strict=True):
            parsed = CELL.fullmatch(cell.strip())
            assert parsed is not None, cell
            kind, language, _, title = parsed.groups()
            entries.append(SeedEntry(day, KINDS[kind], LANGUAGES[language], title, cell.strip(), times))
    return entries


SEED_WEEK = seed_week()
COHORT = Cohort(id=uuid.uuid4(), programme_id=uuid.uuid4())
BEFORE_THE_WEEK = datetime(2026, 4, 1, tzinfo=UTC)


def published(entry: SeedEntry) -> TimetableEntry:
    """The entry as the programme team enters it: its New York start, its New York duration."""
    new_york = entry.times[0]
    local_start = datetime.combine(entry.day, time.fromisoformat(new_york.start))
    minutes = (datetime.combine(entry.day, time.fromisoformat(new_york.end)) - local_start) // timedelta(minutes=1)
    starts_at = local_start_to_utc(local_start, "America/New_York")
    details = EntryDetails(entry.title, entry.kind, entry.language, starts_at, "America/New_York", minutes)
    made, _ = TimetableEntry.publish(COHORT, details, now=BEFORE_THE_WEEK)
    return made


def test_the_fixture_is_the_seeds_whole_week():
    assert len(SEED_WEEK) == 40  # eight slots a day, Monday 4 to Friday 8 May
    assert {e.day for e in SEED_WEEK} == {date(2026, 5, 4) + timedelta(days=n) for n in range(5)}
    assert sum(e.language is TimetableLanguage.french for e in SEED_WEEK) == 3
    assert sum(e.language is TimetableLanguage.spanish for e in SEED_WEEK) == 3
    assert sum(e.kind is TimetableEntryKind.clinic for e in SEED_WEEK) == 4
    assert sum(e.kind is TimetableEntryKind.discussion for e in SEED_WEEK) == 5


@pytest.mark.parametrize("entry", SEED_WEEK, ids=[f"{e.day:%a}-{e.times[0].start}" for e in SEED_WEEK])
def test_every_entry_shows_its_rows_four_columns_and_marks_as_the_seed_prints_them(entry: SeedEntry):
    made = published(entry)
    shown = slot(made.details.starts_at, made.details.duration_minutes, None)
    assert shown.day == entry.day  # the seed's day heading is the New York date
    assert [(c.column, c.time_zone) for c in shown.columns] == [(c.name, c.time_zone) for c in COLUMNS]
    for cell, seed in zip(shown.columns, entry.times, strict=True):
        assert cell.column == seed.column
        assert (f"{cell.starts_at:%H:%M}", cell.start_day) == (seed.start, seed.start_day), seed
        assert (f"{cell.ends_at:%H:%M}", cell.end_day) == (seed.end, seed.end_day), seed
        assert cell.starts_at == made.details.starts_at  # the same instant, only seen elsewhere
    if " - " in entry.printed:  # one cell of the seed lacks the dash
        assert made.details.label == entry.printed


def test_thirteen_hundred_in_new_york_is_midnight_the_next_day_in_bangkok():
    monday = next(e for e in SEED_WEEK if e.day == date(2026, 5, 4) and e.times[0].start == "13:00")
    assert monday.language is TimetableLanguage.french and monday.title.startswith("Opportunités de carrière")
    made = published(monday)
    new_york, europe, nairobi, bangkok = slot(made.details.starts_at, 60, None).columns
    assert [c.text for c in (new_york, europe, nairobi, bangkok)] == [
        "13:00-14:00",
        "19:00-20:00",
        "20:00-21:00",
        "00:00(+1)-01:00(+1)",
    ]
    assert bangkok.starts_at.replace(tzinfo=None) == datetime(2026, 5, 5, 0, 0)


def test_the_reader_sees_it_in_their_own_zone_marked_against_the_new_york_date():
    first = next(e for e in SEED_WEEK if e.day == date(2026, 5, 4) and e.times[0].start == "03:00")
    made = published(first)
    in_bangkok = slot(made.details.starts_at, 60, "Asia/Bangkok").yours
    assert in_bangkok is not None and in_bangkok.text == "14:00-15:00" and in_bangkok.column == "Asia/Bangkok"
    in_honolulu = slot(made.details.starts_at, 60, "Pacific/Honolulu").yours  # west of New York: the day before
    assert in_honolulu is not None
    assert in_honolulu.text == "21:00(-1)-22:00(-1)"
    assert in_honolulu.starts_at.replace(tzinfo=None) == datetime(2026, 5, 3, 21, 0)
    assert slot(made.details.starts_at, 60, None).yours is None


def test_a_slot_across_midnight_marks_its_end_only():
    starts_at = local_start_to_utc(datetime(2026, 5, 4, 12, 30), "America/New_York")
    bangkok = slot(starts_at, 60, None).columns[3]
    assert (bangkok.text, bangkok.start_day, bangkok.end_day) == ("23:30-00:30(+1)", 0, 1)


def test_the_columns_follow_each_zones_own_daylight_saving():
    # 15 March 2027: New York has moved to summer time (14 March), Geneva not yet (28 March): 5 hours apart, not 6.
    starts_at = local_start_to_utc(datetime(2027, 3, 15, 9, 0), "America/New_York")
    assert [c.text for c in slot(starts_at, 90, None).columns] == ["09:00-10:30", "14:00-15:30", "16:00-17:30", "20:00-21:30"]
    # In January both keep standard time: 6 hours apart.
    winter = local_start_to_utc(datetime(2027, 1, 11, 9, 0), "America/New_York")
    assert [c.text for c in slot(winter, 60, None).columns][:2] == ["09:00-10:00", "15:00-16:00"]


def test_the_day_heading_is_the_date_in_new_york_whatever_zone_it_was_entered_in():
    starts_at = local_start_to_utc(datetime(2026, 5, 5, 0, 0), "Asia/Bangkok")  # Monday 13:00 in New York
    assert new_york_day(starts_at) == date(2026, 5, 4)
