"""A career week's timetable on the real stack: scheduling learns of the cohort and its participants from
Kafka, the programme team publishes entries over HTTP, the relay puts each fact on Kafka, and the
participants list the timetable in their own zone and in the four columns, and take it into their
calendars (.ics read back by the independent `icalendar` parser). Changes and cancellations follow the
same road. And migration 0011 places the participants it finds by their pairings.

The entries are Monday's of the seed's week (4 May 2026: career_week_2026.tsv beside scheduling's unit
tests), on the first Monday of May next year, so they lie ahead of the clock: the offsets are those of
any May (New York and Geneva on summer time), and 13:00 in New York is still 00:00 the next day in Bangkok.
The topics are this module's own (a namespace), so the run shares the broker with anything else.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import sqlalchemy as sa
from alembic import command

from scheduling.consumers import handlers
from tests.apps import client, service_app
from tests.http.access import check
from tests.integration.test_scheduling_broker import envelope, running
from tests.kafka_tools import read_topic, wait_until
from together_contracts.registration import CohortOpened, ParticipantRegistered, ProgrammeKind, PublicProfile, Role
from together_contracts.topics import declared_topics
from together_events import Envelope, EventConsumer, build_producer
from together_events.topics import service_topic
from together_operator.provision import delete_topics, ensure_topics
from together_operator.rebuild import compare, rebuild
from together_servicekit.db import alembic_config, make_engine

pytestmark = pytest.mark.integration

RUN = uuid.uuid4().hex[:8]
NS = f"week{RUN}."
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
async def topics(stack, monkeypatch) -> AsyncIterator[None]:
    created = list(declared_topics(NS))
    await ensure_topics(stack.kafka_bootstrap, created)
    monkeypatch.setenv("TOGETHER_TOPIC_NAMESPACE", NS)  # the consumer subscribes, and the outbox records, here
    yield
    await delete_topics(stack.kafka_bootstrap, [t.name for t in created])


def first_monday_of_may(year: int) -> date:
    first = date(year, 5, 1)
    return first + timedelta(days=(7 - first.weekday()) % 7)


def monday(at: str, title: str, kind: str, language: str, week: date) -> dict[str, object]:
    """One of the seed's Monday entries, entered in New York's time."""
    return {"title": title, "kind": kind, "language": language, "starts_at": f"{week}T{at}:00", "time_zone": "America/New_York"}


async def test_published_on_kafka_listed_in_each_zone_and_taken_into_calendars(stack, topics, create_database, signer):
    database = await create_database("sched_week")
    async with service_app("scheduling", database, stack.kafka_bootstrap, signer) as (app, runtime):
        consumer = EventConsumer(
            name="scheduling", group_id=f"week-{RUN}", engine=runtime.engine, bootstrap_servers=stack.kafka_bootstrap,
            handlers=handlers(runtime), dead_letters=runtime.producer, now=runtime.now,
        )  # fmt: skip
        programme, cohort = uuid.uuid4(), uuid.uuid4()
        week = first_monday_of_may(runtime.now().year + 1)
        in_bangkok, in_geneva = f"bangkok-{RUN}", f"geneva-{RUN}"

        def registered(person: str, zone: str) -> ParticipantRegistered:
            return ParticipantRegistered(
                participant_id=uuid.uuid4(), person_id=person, cohort_id=cohort, programme_id=programme, roles=[Role.mentee],
                profile=PublicProfile(display_name=person, entity="UNDP", duty_station="x", time_zone=zone, grade="P-3",
                                      years_of_service=4, job_network="DEVNET", languages=["English"]),
                registered_at=datetime.now(UTC),
            )  # fmt: skip

        opened = CohortOpened(
            cohort_id=cohort, programme_id=programme, programme_kind=ProgrammeKind.mentoring, name="Career week",
            registration_opens_on=week - timedelta(days=60), registration_closes_on=week - timedelta(days=7),
            starts_on=week, ends_on=week + timedelta(days=4),
        )  # fmt: skip
        producer = build_producer(stack.kafka_bootstrap, client_id=f"week-test-{RUN}")
        await producer.start()
        try:
            for event in (opened, registered(in_bangkok, "Asia/Bangkok"), registered(in_geneva, "Europe/Zurich")):
                e = envelope(event)
                await producer.send_and_wait(
                    service_topic("registration", NS), value=e.to_json_bytes(), key=e.subject.encode(), headers=e.kafka_headers()
                )
        finally:
            await producer.stop()

        team = signer.headers(f"team-{RUN}", "programme_team", programmes=[str(programme)])
        bangkok_h, geneva_h = signer.headers(in_bangkok, "participant"), signer.headers(in_geneva, "participant")
        async with client(app) as http, running(consumer.run):

            async def known() -> bool:
                return (await http.get(f"/cohorts/{cohort}/timetable", headers=geneva_h)).status_code == 200

            await wait_until(known, what="scheduling learns of the cohort and its participants from Kafka")

            # The programme team publishes three of the seed's Monday entries.
            bodies = [
                monday("03:00", "From the UN to the Private Sector: Skills that enable Career Transition", "presentation", "English", week),
                monday("13:00", "Opportunités de carrière aux Nations Unies pour les jeunes professionnels", "presentation", "French", week),
                monday("14:30", "Mastering Job Interviews: Turning Your Experience into Impact", "presentation", "English", week),
            ]  # fmt: skip
            ids = []
            for body in bodies:
                published = await http.post(f"/cohorts/{cohort}/timetable", json=body, headers=team)
                check(published, 201)
                ids.append(published.json()["id"])
            first, midnight, late = ids
            check(await http.post(f"/cohorts/{cohort}/timetable", json=bodies[0], headers=bangkok_h), 403)

            # In Bangkok, from the reader's registration: the 13:00 New York entry is 00:00 the next day there.
            listed = await http.get(f"/cohorts/{cohort}/timetable", headers=bangkok_h)
            check(listed, 200)
            timetable = listed.json()
            assert timetable["time_zone"] == "Asia/Bangkok" and timetable["programme_id"] == str(programme)
            assert [e["id"] for e in timetable["entries"]] == ids
            entry = timetable["entries"][1]
            assert entry["label"] == "Pres (F) - Opportunités de carrière aux Nations Unies pour les jeunes professionnels"
            assert entry["day"] == week.isoformat()
            assert [(c["column"], c["text"]) for c in entry["columns"]] == [
                ("New York", "13:00-14:00"), ("Europe", "19:00-20:00"), ("Nairobi", "20:00-21:00"), ("Bangkok", "00:00(+1)-01:00(+1)"),
            ]  # fmt: skip
            assert entry["yours"]["text"] == "00:00(+1)-01:00(+1)"
            assert datetime.fromisoformat(entry["yours"]["starts_at"]) == datetime.combine(
                week + timedelta(days=1), datetime.min.time(), tzinfo=ZoneInfo("Asia/Bangkok")
            )
            assert timetable["entries"][2]["columns"][3]["text"] == "01:30(+1)-02:30(+1)"

            # In Geneva by default; in any zone with ?tz=, one west of New York marked the day before; a zone
            # that does not exist is refused, naming the parameter.
            in_zurich = (await http.get(f"/cohorts/{cohort}/timetable", headers=geneva_h)).json()
            assert in_zurich["time_zone"] == "Europe/Zurich" and in_zurich["entries"][0]["yours"]["text"] == "09:00-10:00"
            honolulu = await http.get(f"/cohorts/{cohort}/timetable", params={"tz": "Pacific/Honolulu"}, headers=geneva_h)
            check(honolulu, 200)
            assert honolulu.json()["entries"][0]["yours"]["text"] == "21:00(-1)-22:00(-1)"
            refused = await http.get(f"/cohorts/{cohort}/timetable", params={"tz": "Europe/Atlantis"}, headers=geneva_h)
            check(refused, 422)
            assert [(d["field"], d["rule"]) for d in refused.json()["error"]["details"]] == [("tz", "iana_time_zone")]
            team_view = (await http.get(f"/cohorts/{cohort}/timetable", headers=team)).json()
            assert team_view["time_zone"] is None and all(e["yours"] is None for e in team_view["entries"])

            # The week's calendar and one entry's, as a calendar client reads them.
            week_ics = await http.get(f"/cohorts/{cohort}/timetable.ics", headers=bangkok_h)
            check(week_ics, 200)
            assert week_ics.headers["content-type"] == "text/calendar; charset=utf-8; method=PUBLISH"
            calendar = icalendar.Calendar.from_ical(week_ics.text)
            starts = {str(e["UID"]): e["DTSTART"].dt for e in calendar.walk("VEVENT")}
            assert starts == {
                f"timetable-{i}@together": datetime.combine(
                    week, datetime.strptime(b["starts_at"][11:16], "%H:%M").time(), tzinfo=NEW_YORK
                )
                for i, b in zip(ids, bodies, strict=True)
            }
            one = icalendar.Calendar.from_ical(
                (await http.get(f"/timetable-entries/{midnight}/calendar.ics", headers=bangkok_h)).text
            )
            [vevent] = one.walk("VEVENT")
            assert one["METHOD"] == "PUBLISH" and int(vevent["SEQUENCE"]) == 0 and "ATTENDEE" not in vevent
            assert vevent["DTSTART"].dt.astimezone(ZoneInfo("Asia/Bangkok")).replace(tzinfo=None) == datetime.combine(
                week + timedelta(days=1), datetime.min.time()
            )

            # A change (moved to 14:00) and a cancellation, each before the entry starts.
            moved = {**bodies[1], "starts_at": f"{week}T14:00:00", "kind": "discussion"}
            check(await http.put(f"/timetable-entries/{midnight}", json=moved, headers=team), 204)
            check(await http.put(f"/timetable-entries/{midnight}", json=moved, headers=team), 204)  # the same again: no event
            check(await http.post(f"/timetable-entries/{late}/cancel", headers=team), 204)
            check(await http.post(f"/timetable-entries/{late}/cancel", headers=team), 409)
            after = (await http.get(f"/cohorts/{cohort}/timetable", headers=bangkok_h)).json()["entries"]
            assert [e["id"] for e in after] == [first, midnight]
            assert (after[1]["label"][:6], after[1]["yours"]["text"], after[1]["calendar_sequence"]) == (
                "PD (F)", "01:00(+1)-02:00(+1)", 1,
            )  # fmt: skip
            withdrawn = icalendar.Calendar.from_ical(
                (await http.get(f"/timetable-entries/{late}/calendar.ics", headers=geneva_h)).text
            )
            assert withdrawn["METHOD"] == "CANCEL" and int(withdrawn.walk("VEVENT")[0]["SEQUENCE"]) == 1
            week_after = icalendar.Calendar.from_ical((await http.get(f"/cohorts/{cohort}/timetable.ics", headers=team)).text)
            assert {str(e["UID"]) for e in week_after.walk("VEVENT")} == {
                f"timetable-{first}@together",
                f"timetable-{midnight}@together",
            }

        # Every fact is on Kafka, keyed by its entry, in order.
        while await runtime.relay.publish_pending():
            pass
        records = [
            (r.key.decode(), Envelope.from_json_bytes(r.value))
            for r in await read_topic(stack.kafka_bootstrap, service_topic("scheduling", NS))
        ]
        records = [(key, e) for key, e in records if e.aggregatetype == "timetable_entry"]  # not the registrations' asks
        facts = [(key, e.type.split(".")[2], e.sequence) for key, e in records]
        assert sorted(facts) == sorted([
            (first, "TimetableEntryPublished", 1), (midnight, "TimetableEntryPublished", 1),
            (late, "TimetableEntryPublished", 1), (midnight, "TimetableEntryChanged", 2), (late, "TimetableEntryCancelled", 2),
        ])  # fmt: skip
        data = {(key, e.type.split(".")[2]): e.data for key, e in records}
        published = data[midnight, "TimetableEntryPublished"]
        assert (published["cohort_id"], published["programme_id"]) == (str(cohort), str(programme))
        assert (published["kind"], published["language"], published["time_zone"]) == (
            "presentation",
            "French",
            "America/New_York",
        )
        assert datetime.fromisoformat(published["starts_at"]) == datetime.combine(
            week, datetime.min.time(), tzinfo=NEW_YORK
        ) + timedelta(hours=13)
        changed = data[midnight, "TimetableEntryChanged"]
        assert changed["previous_starts_at"] == published["starts_at"] and changed["kind"] == "discussion"
        assert changed["calendar_sequence"] == 1 and changed["calendar_uid"] == f"timetable-{midnight}@together"
        assert data[late, "TimetableEntryCancelled"]["calendar_sequence"] == 1

        # Where each participant registered is rebuilt from the topics as the live service learnt it.
        fresh = await create_database("sched_week_rebuilt")
        await rebuild("scheduling", fresh, bootstrap=stack.kafka_bootstrap, prefix=NS)
        comparison = await compare("scheduling", fresh, database)
        assert comparison.equal, comparison.lines()
        assert [(t.table, t.rebuilt_rows) for t in comparison.tables if t.rebuilt_rows] == [("cohorts", 1), ("participants", 2)]


async def test_participants_from_before_the_timetable_are_placed_by_their_pairings(create_database):
    """Migration 0011: a participant's cohort and programme come from their pairing where they have one
    (not the nil programme of pairings from before 0002); one never paired has none."""
    url = await create_database("sched_0011")
    config = alembic_config("scheduling", url)
    await asyncio.to_thread(command.upgrade, config, "0008")
    programme, cohort, old_cohort = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    mentee, mentor, from_before_0002, unpaired = (uuid.uuid4() for _ in range(4))
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            for pid in (mentee, mentor, from_before_0002, unpaired):
                await conn.execute(
                    sa.text("INSERT INTO participants (id, person_id, display_name, time_zone) VALUES (:id, 'p', 'n', 'UTC')"),
                    {"id": pid},
                )
            insert = sa.text(
                "INSERT INTO pairings (id, mentee_id, mentor_id, cohort_id, programme_id, mentee_person_id, "
                "mentor_person_id, formed_at) VALUES (:id, :mentee, :mentor, :cohort, :programme, '', '', now())"
            )
            await conn.execute(
                insert, {"id": uuid.uuid4(), "mentee": mentee, "mentor": mentor, "cohort": cohort, "programme": programme}
            )
            await conn.execute(
                insert,
                {
                    "id": uuid.uuid4(),
                    "mentee": from_before_0002,
                    "mentor": uuid.uuid4(),
                    "cohort": old_cohort,
                    "programme": uuid.UUID(int=0),
                },
            )
        await asyncio.to_thread(command.upgrade, config, "head")
        async with engine.connect() as conn:
            placed = {
                row.id: (row.cohort_id, row.programme_id)
                for row in await conn.execute(sa.text("SELECT id, cohort_id, programme_id FROM participants"))
            }
    finally:
        await engine.dispose()
    assert placed == {
        mentee: (cohort, programme),
        mentor: (cohort, programme),
        from_before_0002: (None, None),
        unpaired: (None, None),
    }
