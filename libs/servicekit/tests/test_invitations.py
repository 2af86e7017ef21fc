"""Invitations as calendar clients read them: parsed by an independent parser (`icalendar`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from dateutil.rrule import rrulestr

from together_servicekit.invitations import Announced, Moved, Person, announcement, fold, invitation

NEW_YORK = ZoneInfo("America/New_York")
STAMP = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)


def series_ics(**overrides: object) -> str:
    values: dict = {
        "uid": "series-1@together",
        "sequence": 0,
        "method": "REQUEST",
        "summary": "Mentoring; goals, and the plan",
        "starts_at": datetime(2027, 2, 23, 13, 0, tzinfo=NEW_YORK),
        "time_zone": "America/New_York",
        "duration_minutes": 45,
        "organizer": Person("Diallo, Amina", "amina@un.org"),
        "attendees": [Person("Diallo, Amina", "amina@un.org"), Person("Ravi Kumar", None, ident="6f1c")],
        "stamp": STAMP,
        "rrule": "FREQ=WEEKLY;INTERVAL=2;COUNT=4",
        "until": datetime(2027, 4, 6, 13, 0, tzinfo=NEW_YORK),
    }
    return invitation(**{**values, **overrides})


def test_the_text_has_crlf_lines_of_at_most_75_octets_and_parses():
    ics = series_ics(description="A long agenda " * 20)
    assert ics.endswith("\r\n")
    lines = ics.split("\r\n")[:-1]
    assert all(len(line.encode()) <= 75 for line in lines)
    assert "\n" not in ics.replace("\r\n", "")
    calendar = icalendar.Calendar.from_ical(ics)
    assert calendar["METHOD"] == "REQUEST"
    event = calendar.walk("VEVENT")[0]
    assert str(event["DESCRIPTION"]) == "A long agenda " * 20  # folded, unfolded intact
    assert str(event["SUMMARY"]) == "Mentoring; goals, and the plan"  # escaped, read back unescaped
    assert str(event["UID"]) == "series-1@together"
    assert int(event["SEQUENCE"]) == 0
    assert event["DTSTAMP"].dt == STAMP
    assert str(event["ORGANIZER"]) == "mailto:amina@un.org"
    assert event["ORGANIZER"].params["CN"] == "Diallo, Amina"
    assert [str(a) for a in event["ATTENDEE"]] == ["mailto:amina@un.org", "urn:uuid:6f1c"]


def test_folding_never_splits_a_character():
    line = "SUMMARY:" + "é" * 100
    folded = fold(line)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line


def test_a_series_keeps_its_new_york_wall_clock_time_across_daylight_saving():
    ics = series_ics()
    calendar = icalendar.Calendar.from_ical(ics)
    event = calendar.walk("VEVENT")[0]
    start = event["DTSTART"].dt
    assert start.tzinfo is not None and start.replace(tzinfo=None) == datetime(2027, 2, 23, 13, 0)
    # The zone as the VTIMEZONE describes it: its observances are the real 2027 transitions.
    tz = calendar.walk("VTIMEZONE")[0]
    observances = {(c.name, c["DTSTART"].dt) for c in tz.subcomponents}
    assert ("DAYLIGHT", datetime(2027, 3, 14, 2, 0)) in observances
    assert ("STANDARD", datetime(2027, 11, 7, 2, 0)) in observances
    rule = event["RRULE"].to_ical().decode()
    occurrences = list(rrulestr(rule, dtstart=datetime(2027, 2, 23, 13, 0, tzinfo=NEW_YORK)))
    assert [o.astimezone(UTC).hour for o in occurrences] == [
        18,
        18,
        17,
        17,
    ]  # 23 Feb, 9 Mar in EST; 23 Mar, 6 Apr in EDT (from 14 March)
    assert all(o.astimezone(NEW_YORK).hour == 13 for o in occurrences)


def test_a_change_to_one_occurrence_and_a_cancellation():
    original = datetime(2027, 3, 9, 13, 0, tzinfo=NEW_YORK)
    moved = Moved(original, datetime(2027, 3, 10, 9, 30, tzinfo=NEW_YORK), 45, sequence=2)
    ics = series_ics(sequence=1, exdates=[datetime(2027, 3, 23, 13, 0, tzinfo=NEW_YORK)], moved=[moved])
    events = icalendar.Calendar.from_ical(ics).walk("VEVENT")
    master, override = events
    assert [d.dt for d in master["EXDATE"].dts] == [datetime(2027, 3, 23, 13, 0, tzinfo=NEW_YORK)]
    assert override["RECURRENCE-ID"].dt == original and override["DTSTART"].dt == moved.starts_at
    assert str(override["UID"]) == str(master["UID"]) and int(override["SEQUENCE"]) == 2

    cancel = series_ics(method="CANCEL", sequence=3, rrule=None, recurrence_id=original)
    calendar = icalendar.Calendar.from_ical(cancel)
    event = calendar.walk("VEVENT")[0]
    assert calendar["METHOD"] == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
    assert event["RECURRENCE-ID"].dt == original


def test_a_zone_without_daylight_saving_and_a_date_line_crossing():
    ics = series_ics(
        time_zone="Asia/Bangkok", rrule=None, until=None, starts_at=datetime(2027, 2, 24, 0, 0, tzinfo=ZoneInfo("Asia/Bangkok"))
    )
    event = icalendar.Calendar.from_ical(ics).walk("VEVENT")[0]
    assert event["DTSTART"].dt.astimezone(NEW_YORK) == datetime(2027, 2, 23, 12, 0, tzinfo=NEW_YORK)
    assert event["DTEND"].dt - event["DTSTART"].dt == timedelta(minutes=45)


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        series_ics(starts_at=datetime(2027, 2, 23, 13, 0))


def test_without_until_the_zone_still_covers_a_series_into_the_next_year():
    ics = series_ics(starts_at=datetime(2027, 10, 4, 13, 0, tzinfo=NEW_YORK), rrule="FREQ=MONTHLY;COUNT=8", until=None)
    calendar = icalendar.Calendar.from_ical(ics)
    observances = {(c.name, c["DTSTART"].dt) for c in calendar.walk("VTIMEZONE")[0].subcomponents}
    assert ("DAYLIGHT", datetime(2028, 3, 12, 2, 0)) in observances  # the May 2028 occurrence is in EDT


def test_an_announcement_publishes_several_events_in_their_own_zones_and_asks_nobody_to_answer():
    bangkok = ZoneInfo("Asia/Bangkok")
    events = [
        Announced(
            "a@together",
            0,
            "Pres (E) - Thriving, in; Uncertainty",
            datetime(2027, 5, 3, 13, 0, tzinfo=NEW_YORK),
            "America/New_York",
            60,
        ),
        Announced("b@together", 2, "Clinic (S) - Mentoría", datetime(2027, 5, 4, 9, 0, tzinfo=bangkok), "Asia/Bangkok", 90),
    ]
    calendar = icalendar.Calendar.from_ical(announcement(events, organizer=Person("Programme team", ident="p1"), stamp=STAMP))
    assert calendar["METHOD"] == "PUBLISH"
    assert [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")] == ["America/New_York", "Asia/Bangkok"]
    first, second = calendar.walk("VEVENT")
    assert str(first["SUMMARY"]) == "Pres (E) - Thriving, in; Uncertainty"
    assert first["DTSTART"].dt == datetime(2027, 5, 3, 13, 0, tzinfo=NEW_YORK)
    assert (str(second["UID"]), int(second["SEQUENCE"])) == ("b@together", 2)
    assert second["DTEND"].dt - second["DTSTART"].dt == timedelta(minutes=90)
    for event in (first, second):
        assert "ATTENDEE" not in event and str(event["ORGANIZER"]) == "urn:uuid:p1"
        assert str(event["STATUS"]) == "CONFIRMED"
    cancelled = icalendar.Calendar.from_ical(
        announcement(events[:1], organizer=Person("Team", ident="p1"), stamp=STAMP, method="CANCEL")
    )
    assert cancelled["METHOD"] == "CANCEL" and str(cancelled.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"


def test_an_announcement_refuses_an_invitations_method_and_naive_times():
    event = Announced("a@together", 0, "x", datetime(2027, 5, 3, 13, 0, tzinfo=NEW_YORK), "America/New_York", 60)
    with pytest.raises(ValueError, match="PUBLISH or CANCEL"):
        announcement([event], organizer=Person("Team", ident="p1"), stamp=STAMP, method="REQUEST")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="aware"):
        announcement([replace(event, starts_at=datetime(2027, 5, 3, 13, 0))], organizer=Person("Team", ident="p1"), stamp=STAMP)
