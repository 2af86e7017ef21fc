"""A participant names a duty station; its time zone follows from it (rule book: "Geneva is Europe/Zurich").
A station not on the list keeps the time zone given for it, which must be an IANA zone. (How a registration
and an edit use it: `test_cohort.py`, "duty stations".)"""

from __future__ import annotations

from typing import Any

from registration.domain.duty_stations import placed


def rules_broken(answers: dict[str, Any]) -> list[tuple[str, str]]:
    return [(v.field, v.rule) for v in placed(answers)[1]]


def message(answers: dict[str, Any]) -> str:
    [violation] = placed(answers)[1]
    return violation.message


def test_a_listed_station_gives_its_time_zone_and_its_spelling():
    assert placed({"duty_station": "Geneva"}) == ({"duty_station": "Geneva", "time_zone": "Europe/Zurich"}, [])
    assert placed({"duty_station": "  addis   ABABA ", "time_zone": None})[0] == {
        "duty_station": "Addis Ababa",
        "time_zone": "Africa/Addis_Ababa",
    }
    assert placed({"duty_station": "Geneva", "time_zone": "Europe/Zurich"}) == (
        {"duty_station": "Geneva", "time_zone": "Europe/Zurich"},
        [],
    )  # the station's own zone may still be given


def test_another_time_zone_for_a_listed_station_is_refused_with_the_stations():
    assert rules_broken({"duty_station": "Nairobi", "time_zone": "Asia/Bangkok"}) == [("time_zone", "duty_station_time_zone")]
    assert message({"duty_station": "Nairobi", "time_zone": "Asia/Bangkok"}) == (
        "'Asia/Bangkok' is not the time zone of Nairobi, which is Africa/Nairobi; "
        "leave time_zone out: it follows from the duty station"
    )


def test_a_zone_that_is_no_zone_gets_a_hint():
    assert rules_broken({"duty_station": "Geneva", "time_zone": "Europe/Geneva"}) == [("time_zone", "iana_time_zone")]
    assert message({"duty_station": "Geneva", "time_zone": "Europe/Geneva"}) == (
        "'Europe/Geneva' is not an IANA time zone: Geneva is Europe/Zurich"
    )
    unlisted = "Tindouf liaison office"
    assert message({"duty_station": unlisted, "time_zone": "Europe/Geneva"}).endswith(": Geneva is Europe/Zurich")
    assert message({"duty_station": unlisted, "time_zone": "africa/nairobi"}).endswith("; did you mean Africa/Nairobi?")
    assert message({"duty_station": unlisted, "time_zone": "Africa/Algeirs"}).endswith("; did you mean Africa/Algiers?")
    assert message({"duty_station": unlisted, "time_zone": "Mars/Olympus"}) == "'Mars/Olympus' is not an IANA time zone"


def test_a_station_not_listed_keeps_its_given_zone_and_needs_one():
    assert placed({"duty_station": "Tindouf", "time_zone": "Africa/Algiers"}) == (
        {"duty_station": "Tindouf", "time_zone": "Africa/Algiers"},
        [],
    )
    assert rules_broken({"duty_station": "Tindouf", "time_zone": None}) == [("time_zone", "required_for_unlisted_duty_station")]
    assert "GET /duty-stations" in message({"duty_station": "Tindouf"})
