"""A timetable entry's lifecycle (published, changed, cancelled; final once started) and its calendar
entries, read back by the independent `icalendar` parser."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from scheduling.domain.timetable import Cohort, EntryDetails, EntryStatus, TimetableEntry, entry_calendar, timetable_calendar
from together_contracts.scheduling import (
    TimetableEntryCancelled,
    TimetableEntryChanged,
    TimetableEntryKind,
    TimetableEntryPublished,
    TimetableLanguage,
)
from together_servicekit.errors import Conflict

NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2027, 4, 1, 12, 0, tzinfo=UTC)
COHORT = Cohort(uuid.uuid4(), uuid.uuid4())


def details(**changes: object) -> EntryDetails:
    base = EntryDetails(
        title="Opportunités de carrière aux Nations Unies pour les jeunes professionnels, et conseils; pour réussir",
        kind=TimetableEntryKind.presentation,
        language=TimetableLanguage.french,
        starts_at=datetime(2027, 5, 3, 13, 0, tzinfo=NEW_YORK).astimezone(UTC),
        time_zone="America/New_York",
        duration_minutes=60,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_publishing_announces_the_whole_entry():
    entry, published = TimetableEntry.publish(COHORT, details(), now=NOW)
    assert isinstance(published, TimetableEntryPublished)
    assert published.timetable_entry_id == entry.id and published.aggregate_id() == str(entry.id)
    assert (published.cohort_id, published.programme_id) == (COHORT.id, COHORT.programme_id)
    assert published.kind is TimetableEntryKind.presentation and published.language is TimetableLanguage.french
    assert published.starts_at == datetime(2027, 5, 3, 17, 0, tzinfo=UTC) and published.time_zone == "America/New_York"
    assert (published.calendar_uid, published.calendar_sequence) == (f"timetable-{entry.id}@together", 0)
    assert published.published_at == NOW
    assert entry.details.label.startswith("Pres (F) - Opportunités")


def test_a_change_carries_the_new_state_and_raises_the_sequence_and_the_same_state_again_changes_nothing():
    entry, _ = TimetableEntry.publish(COHORT, details(), now=NOW)
    later = details(starts_at=datetime(2027, 5, 4, 14, 30, tzinfo=NEW_YORK).astimezone(UTC), kind=TimetableEntryKind.clinic)
    changed = entry.change(later, now=NOW)
    assert isinstance(changed, TimetableEntryChanged)
    assert changed.previous_starts_at == datetime(2027, 5, 3, 17, 0, tzinfo=UTC)
    assert changed.starts_at == datetime(2027, 5, 4, 18, 30, tzinfo=UTC) and changed.kind is TimetableEntryKind.clinic
    assert changed.calendar_sequence == entry.calendar_sequence == 1
    assert entry.change(later, now=NOW) is None
    assert entry.calendar_sequence == 1


def test_a_cancellation_is_final():
    entry, _ = TimetableEntry.publish(COHORT, details(), now=NOW)
    cancelled = entry.cancel(now=NOW)
    assert isinstance(cancelled, TimetableEntryCancelled)
    assert (cancelled.calendar_sequence, cancelled.cancelled_at) == (1, NOW)
    assert entry.status is EntryStatus.cancelled
    with pytest.raises(Conflict, match="cancelled"):
        entry.cancel(now=NOW)
    with pytest.raises(Conflict, match="cancelled"):
        entry.change(details(duration_minutes=90), now=NOW)


def test_an_entry_that_has_started_is_no_longer_changed_or_cancelled():
    entry, _ = TimetableEntry.publish(COHORT, details(), now=NOW)
    started = entry.details.starts_at + timedelta(minutes=1)
    with pytest.raises(Conflict, match="already started"):
        entry.change(details(duration_minutes=90), now=started)
    with pytest.raises(Conflict, match="already started"):
        entry.cancel(now=started)
    assert entry.status is EntryStatus.published and entry.calendar_sequence == 0


def parsed(text: str) -> icalendar.Calendar:
    assert text.endswith("\r\n") and all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    return icalendar.Calendar.from_ical(text)


def test_an_entrys_calendar_entry_is_published_with_no_attendee_and_its_cancel_withdraws_it():
    entry, _ = TimetableEntry.publish(COHORT, details(), now=NOW)
    calendar = parsed(entry_calendar(entry, NOW))
    assert calendar["METHOD"] == "PUBLISH"
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == entry.calendar_uid and int(event["SEQUENCE"]) == 0
    assert str(event["SUMMARY"]) == entry.details.label  # the comma and semicolon escaped, read back whole
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert event["DTSTART"].dt == datetime(2027, 5, 3, 13, 0, tzinfo=NEW_YORK)
    assert event["DTEND"].dt - event["DTSTART"].dt == timedelta(hours=1)
    assert str(event["ORGANIZER"]) == f"urn:uuid:{COHORT.programme_id}" and "ATTENDEE" not in event
    assert str(event["STATUS"]) == "CONFIRMED"
    [zone] = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "America/New_York"

    entry.cancel(now=NOW)
    withdrawn = parsed(entry_calendar(entry, NOW))
    assert withdrawn["METHOD"] == "CANCEL"
    [event] = withdrawn.walk("VEVENT")
    assert (str(event["UID"]), int(event["SEQUENCE"]), str(event["STATUS"])) == (entry.calendar_uid, 1, "CANCELLED")


def test_the_timetables_calendar_holds_every_entry_still_on_with_a_zone_for_each_zone_entered():
    in_new_york, _ = TimetableEntry.publish(COHORT, details(), now=NOW)
    bangkok = datetime(2027, 5, 5, 9, 0, tzinfo=ZoneInfo("Asia/Bangkok"))
    in_bangkok, _ = TimetableEntry.publish(
        COHORT, details(title="Construye tu Asistente", starts_at=bangkok.astimezone(UTC), time_zone="Asia/Bangkok"), now=NOW
    )
    called_off, _ = TimetableEntry.publish(COHORT, details(title="Called off"), now=NOW)
    called_off.cancel(now=NOW)
    calendar = parsed(timetable_calendar([in_new_york, in_bangkok, called_off], COHORT.programme_id, NOW))
    assert calendar["METHOD"] == "PUBLISH"
    assert sorted(str(z["TZID"]) for z in calendar.walk("VTIMEZONE")) == ["America/New_York", "Asia/Bangkok"]
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {in_new_york.calendar_uid, in_bangkok.calendar_uid}
    assert events[in_bangkok.calendar_uid]["DTSTART"].dt == bangkok
    assert events[in_bangkok.calendar_uid]["DTSTART"].dt == datetime(2027, 5, 4, 22, 0, tzinfo=NEW_YORK)
