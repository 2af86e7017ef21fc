"""Sessions and series on the real database: time zones, daylight saving, invitations, completion, records.

Scheduling's real app runs in-process on a fresh database; programmes, participants and the
pairing arrive through its own event handlers; partners act over HTTP with their tokens; time
moves with the service's travelling clock. Events are read from the outbox, where they are
committed with the change. Invitations are parsed with the independent `icalendar` package and
their recurrences expanded with `dateutil.rrule`.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import sqlalchemy as sa
from dateutil.rrule import rrulestr
from sqlalchemy.ext.asyncio import AsyncConnection

from scheduling import completion_worker as worker_module
from scheduling.completion_worker import SessionCompletion, completion_worker
from scheduling.consumers import handlers
from scheduling.tables import sessions
from tests.apps import client, service_app
from tests.http.access import check, deliver
from tests.scrape import scrape
from together_contracts.pairing import EndedBy, Engagement, PairingEnded, PairingFormed, RequestSent
from together_contracts.registration import (
    ParticipantRegistered,
    ParticipantWithdrawn,
    ProgrammeCreated,
    ProgrammeKind,
    PublicProfile,
    Role,
)
from together_events.tables import outbox_table
from together_servicekit.runtime import Runtime

pytestmark = pytest.mark.integration

NEW_YORK, BANGKOK = ZoneInfo("America/New_York"), ZoneInfo("Asia/Bangkok")


@pytest.fixture
async def service(stack, create_database, signer):
    async with service_app("scheduling", await create_database("sched"), stack.kafka_bootstrap, signer) as (app, runtime):
        async with client(app) as http:
            yield http, runtime


def profile(name: str, zone: str) -> PublicProfile:
    return PublicProfile(
        display_name=name, entity="DESA", duty_station="x", time_zone=zone, grade="P-4",
        years_of_service=10, job_network="DEVNET", languages=["English"],
    )  # fmt: skip


class Pair:
    """A programme of one kind, a mentee in New York and a mentor in Bangkok, paired."""

    def __init__(self, http, runtime, signer) -> None:
        self.http, self.runtime, self.signer = http, runtime, signer
        self.programme, self.cohort, self.request = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        self.mentee, self.mentor, self.pairing = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        tag = uuid.uuid4().hex[:6]
        self.mentee_person, self.mentor_person = f"mentee-{tag}", f"mentor-{tag}"

    async def form(self, kind: ProgrammeKind = ProgrammeKind.mentoring, engagement: Engagement | None = None) -> Pair:
        now = datetime.now(UTC)
        events = [
            ProgrammeCreated(programme_id=self.programme, name="P", kind=kind, suggestions_per_mentee=3),
            *(
                ParticipantRegistered(
                    participant_id=pid,
                    person_id=person,
                    cohort_id=self.cohort,
                    programme_id=self.programme,
                    roles=[role],
                    profile=profile(name, zone),
                    registered_at=now,
                )
                for pid, person, role, name, zone in (
                    (self.mentee, self.mentee_person, Role.mentee, "Ravi, the mentee", "America/New_York"),
                    (self.mentor, self.mentor_person, Role.mentor, "Amina Diallo", "Asia/Bangkok"),
                )
            ),
        ]
        if engagement is not None:
            events.append(
                RequestSent(
                    request_id=self.request,
                    selection_id=uuid.uuid4(),
                    mentee_id=self.mentee,
                    mentor_id=self.mentor,
                    cohort_id=self.cohort,
                    rank=1,
                    reached_mentor_at=now,
                    remind_at=now,
                    expires_at=now,
                    engagement=engagement,
                )
            )
        events.append(
            PairingFormed(
                pairing_id=self.pairing,
                request_id=self.request,
                mentee_id=self.mentee,
                mentor_id=self.mentor,
                cohort_id=self.cohort,
                programme_id=self.programme,
                mentee_person_id=self.mentee_person,
                mentor_person_id=self.mentor_person,
                formed_at=now,
            )
        )
        await deliver(self.runtime, handlers(self.runtime), *events)
        return self

    @property
    def mentee_h(self) -> dict[str, str]:
        return self.signer.headers(self.mentee_person, "participant")

    @property
    def mentor_h(self) -> dict[str, str]:
        return self.signer.headers(self.mentor_person, "participant")

    @property
    def team_h(self) -> dict[str, str]:
        return self.signer.headers("lead", "programme_team", programmes=["*"])

    async def book(self, local: datetime, zone: str = "America/New_York", minutes: int = 60) -> uuid.UUID:
        body = {"starts_at": local.isoformat(), "time_zone": zone, "duration_minutes": minutes}
        response = await self.http.post(f"/pairings/{self.pairing}/sessions", json=body, headers=self.mentee_h)
        check(response, 201)
        return uuid.UUID(response.json()["id"])

    async def book_series(self, local: datetime, **rule: object) -> uuid.UUID:
        body = {"starts_at": local.isoformat(), "time_zone": "America/New_York", "duration_minutes": 45, **rule}
        response = await self.http.post(f"/pairings/{self.pairing}/series", json=body, headers=self.mentee_h)
        check(response, 201)
        return uuid.UUID(response.json()["id"])

    async def sessions(self) -> list[dict]:
        response = await self.http.get(f"/pairings/{self.pairing}/sessions", headers=self.mentor_h)
        check(response, 200)
        return response.json()

    async def ics(self, path: str) -> icalendar.Calendar:
        response = await self.http.get(path, headers=self.mentor_h)
        check(response, 200)
        assert response.headers["content-type"].startswith("text/calendar")
        assert b"\r\n" in response.content and b"\n" not in response.content.replace(b"\r\n", b"")
        return icalendar.Calendar.from_ical(response.content)

    async def events(self, *types: str) -> list[dict]:
        """The data of the pairing's events in commit order (only `types` if given), with their type."""
        async with self.runtime.engine.connect() as conn:
            rows = await conn.execute(
                sa.select(outbox_table.c.event_type, outbox_table.c.envelope)
                .where(outbox_table.c.envelope["data"]["pairing_id"].astext == str(self.pairing))
                .order_by(outbox_table.c.position)
            )
            found = [{"type": t.split(".")[2], **e["data"]} for t, e in rows]
        return [e for e in found if not types or e["type"] in types]


@pytest.fixture
async def pair(service, signer) -> Pair:
    http, runtime = service
    return await Pair(http, runtime, signer).form()


def spring_forward(year: int) -> date:
    """The second Sunday of March: New York's switch to daylight saving time."""
    first = date(year, 3, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7)


async def test_each_partner_sees_the_time_in_their_own_zone_including_the_next_day(pair):
    next_year = pair.runtime.now().year + 1
    await pair.book(datetime(next_year, 6, 1, 13, 0))
    [session] = await pair.sessions()
    by_role = {t["role"]: t for t in session["local_times"]}
    assert by_role["mentee"]["time_zone"] == "America/New_York"
    assert datetime.fromisoformat(by_role["mentee"]["starts_at"]).replace(tzinfo=None) == datetime(next_year, 6, 1, 13, 0)
    bangkok = datetime.fromisoformat(by_role["mentor"]["starts_at"])
    assert (bangkok.date(), bangkok.hour) == (date(next_year, 6, 2), 0)  # 13:00 in New York is 00:00 next day in Bangkok
    assert bangkok.utcoffset() == timedelta(hours=7)
    assert session["agenda_title"].startswith("First session") and session["plan_step"] == 1


async def test_a_series_keeps_the_new_york_wall_clock_time_across_daylight_saving_in_the_invitation(pair):
    switch = spring_forward(pair.runtime.now().year + 1)
    first = datetime.combine(switch - timedelta(days=13), datetime.min.time()).replace(hour=13)  # a Monday, two weeks before
    series_id = await pair.book_series(first, frequency="weekly", interval=1, count=4)
    sessions = await pair.sessions()
    assert [datetime.fromisoformat(s["starts_at"]).astimezone(UTC).hour for s in sessions] == [18, 18, 17, 17]
    assert all(datetime.fromisoformat(s["starts_at"]).astimezone(NEW_YORK).hour == 13 for s in sessions)
    assert {s["series_id"] for s in sessions} == {str(series_id)}
    assert [s["plan_step"] for s in sessions] == [1, 2, 3, 4]

    calendar = await pair.ics(f"/series/{series_id}/invitation.ics")
    assert calendar["METHOD"] == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"series-{series_id}@together" and int(event["SEQUENCE"]) == 0
    assert dict(event["RRULE"]) == {"FREQ": ["WEEKLY"], "INTERVAL": [1], "COUNT": [4]}
    dtstart = event["DTSTART"].dt
    assert str(event["DTSTART"].params["TZID"]) == "America/New_York"
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "America/New_York"
    # Expanded independently, in the zone the invitation names, the occurrences are the booked instants.
    expanded = list(rrulestr(event["RRULE"].to_ical().decode(), dtstart=dtstart.replace(tzinfo=NEW_YORK)))
    assert [o.astimezone(UTC) for o in expanded] == [datetime.fromisoformat(s["starts_at"]) for s in sessions]
    [scheduled] = await pair.events("SeriesScheduled")
    assert scheduled["calendar_uid"] == str(event["UID"]) and scheduled["rrule"] == "FREQ=WEEKLY;INTERVAL=1;COUNT=4"
    assert [datetime.fromisoformat(s) for s in scheduled["occurrence_starts"]] == [o.astimezone(UTC) for o in expanded]


async def test_a_series_with_an_occurrence_in_the_daylight_saving_gap_is_refused(pair):
    switch = spring_forward(pair.runtime.now().year + 1)
    first = datetime.combine(switch - timedelta(days=14), datetime.min.time()).replace(hour=2, minute=30)
    body = {"starts_at": first.isoformat(), "time_zone": "America/New_York", "frequency": "weekly", "count": 3}
    response = await pair.http.post(f"/pairings/{pair.pairing}/series", json=body, headers=pair.mentee_h)
    check(response, 422)
    [detail] = response.json()["error"]["details"]
    assert detail["rule"] == "exists_in_zone" and switch.isoformat() in detail["message"]
    body = {"starts_at": first.replace(hour=9).isoformat(), "time_zone": "America/New_York", "frequency": "weekly"}
    check(await pair.http.post(f"/pairings/{pair.pairing}/series", json=body, headers=pair.mentee_h), 422)  # no count, no end
    far = {**body, "frequency": "monthly", "interval": 12, "count": 7}  # the last one 6 years on
    refused = await pair.http.post(f"/pairings/{pair.pairing}/series", json=far, headers=pair.mentee_h)
    check(refused, 422)
    assert refused.json()["error"]["details"][0]["rule"] == "within_5_years"
    ends = {"starts_at": "9999-12-01T10:00:00", "time_zone": "UTC", "frequency": "monthly", "count": 3}
    check(await pair.http.post(f"/pairings/{pair.pairing}/series", json=ends, headers=pair.mentee_h), 422)  # not a 500


async def test_a_reschedule_raises_the_sequence_and_a_cancellation_sends_cancel(pair):
    next_year = pair.runtime.now().year + 1
    session_id = await pair.book(datetime(next_year, 2, 10, 9, 0))
    before = (await pair.ics(f"/sessions/{session_id}/invitation.ics")).walk("VEVENT")[0]
    move = {"starts_at": datetime(next_year, 2, 11, 10, 30).isoformat(), "time_zone": "Europe/Paris"}
    check(await pair.http.post(f"/sessions/{session_id}/reschedule", json=move, headers=pair.mentor_h), 204)
    after = (await pair.ics(f"/sessions/{session_id}/invitation.ics")).walk("VEVENT")[0]
    assert str(after["UID"]) == str(before["UID"])
    assert (int(before["SEQUENCE"]), int(after["SEQUENCE"])) == (0, 1)
    assert after["DTSTART"].dt == datetime(next_year, 2, 11, 10, 30, tzinfo=ZoneInfo("Europe/Paris"))

    check(await pair.http.post(f"/sessions/{session_id}/cancel", headers=pair.mentee_h), 204)
    cancelled = await pair.ics(f"/sessions/{session_id}/invitation.ics")
    event = cancelled.walk("VEVENT")[0]
    assert cancelled["METHOD"] == "CANCEL" and int(event["SEQUENCE"]) == 2 and str(event["UID"]) == str(before["UID"])
    assert [(e["type"], e["calendar_sequence"]) for e in await pair.events()] == [
        ("SessionScheduled", 0), ("SessionRescheduled", 1), ("SessionCancelled", 2),
    ]  # fmt: skip
    check(await pair.http.post(f"/sessions/{session_id}/cancel", headers=pair.mentee_h), 409)
    [plan_item] = [
        p
        for p in (await pair.http.get(f"/pairings/{pair.pairing}/plan", headers=pair.mentee_h)).json()["sessions"]
        if p["step"] == 1
    ]
    assert plan_item["state"] == "open"  # a cancelled session frees its place in the plan


async def test_one_occurrence_moves_or_is_cancelled_alone_and_the_whole_series_is_cancelled(pair):
    next_year = pair.runtime.now().year + 1
    series_id = await pair.book_series(
        datetime(next_year, 1, 5, 9, 0), frequency="monthly", until=date(next_year, 4, 30).isoformat()
    )
    first, second, third, fourth = await pair.sessions()
    moved_to = datetime(next_year, 2, 6, 11, 0)
    move = {"starts_at": moved_to.isoformat(), "time_zone": "America/New_York"}
    check(await pair.http.post(f"/sessions/{second['id']}/reschedule", json=move, headers=pair.mentor_h), 204)
    check(await pair.http.post(f"/sessions/{third['id']}/cancel", headers=pair.mentor_h), 204)
    calendar = await pair.ics(f"/series/{series_id}/invitation.ics")
    master, override = calendar.walk("VEVENT")
    assert int(master["SEQUENCE"]) == 2 and dict(master["RRULE"]) == {"FREQ": ["MONTHLY"], "INTERVAL": [1], "COUNT": [4]}
    assert [d.dt.astimezone(UTC) for d in master["EXDATE"].dts] == [datetime.fromisoformat(third["starts_at"])]
    assert override["RECURRENCE-ID"].dt.astimezone(UTC) == datetime.fromisoformat(second["starts_at"])
    assert override["DTSTART"].dt == moved_to.replace(tzinfo=NEW_YORK) and str(override["UID"]) == str(master["UID"])
    moved_event, cancelled_event = await pair.events("SessionRescheduled", "SessionCancelled")
    assert moved_event["calendar_uid"] == cancelled_event["calendar_uid"] == f"series-{series_id}@together"
    assert datetime.fromisoformat(cancelled_event["recurrence_id"]) == datetime.fromisoformat(third["starts_at"])

    check(await pair.http.post(f"/series/{series_id}/cancel", headers=pair.mentee_h), 204)
    calendar = await pair.ics(f"/series/{series_id}/invitation.ics")
    assert calendar["METHOD"] == "CANCEL" and int(calendar.walk("VEVENT")[0]["SEQUENCE"]) == 3
    [whole] = await pair.events("SeriesCancelled")
    assert sorted(whole["cancelled_session_ids"]) == sorted([first["id"], second["id"], fourth["id"]])
    assert {s["status"] for s in await pair.sessions()} == {"cancelled"}


async def test_a_series_cancelled_part_way_ends_keeping_the_held_occurrences(pair):
    start = (pair.runtime.now() + timedelta(hours=1)).astimezone(NEW_YORK).replace(tzinfo=None, second=0, microsecond=0)
    series_id = await pair.book_series(start, frequency="weekly", count=5)
    occurrences = await pair.sessions()
    starts = [datetime.fromisoformat(s["starts_at"]) for s in occurrences]
    check(await pair.http.post(f"/sessions/{occurrences[1]['id']}/cancel", headers=pair.mentor_h), 204)  # alone: EXDATE
    pair.runtime.clock.travel(timedelta(hours=1, minutes=5))
    check(await pair.http.post(f"/sessions/{occurrences[0]['id']}/done", headers=pair.mentor_h), 204)
    pair.runtime.clock.travel(timedelta(weeks=2))  # the third occurrence has started too

    check(await pair.http.post(f"/series/{series_id}/cancel", headers=pair.mentee_h), 204)
    assert await pair.events("SeriesCancelled") == []  # a CANCEL of the UID would erase the held ones
    [ended] = await pair.events("SeriesEnded")
    assert ended["calendar_sequence"] == 2 and ended["reason"] == "partner_cancelled"
    assert sorted(ended["cancelled_session_ids"]) == sorted([occurrences[3]["id"], occurrences[4]["id"]])
    assert datetime.fromisoformat(ended["ends_before"]) == starts[3]
    assert [s["status"] for s in await pair.sessions()] == ["completed", "cancelled", "scheduled", "cancelled", "cancelled"]

    calendar = await pair.ics(f"/series/{series_id}/invitation.ics")
    [master] = calendar.walk("VEVENT")
    assert calendar["METHOD"] == "REQUEST" and int(master["SEQUENCE"]) == 2
    rule = dict(master["RRULE"])
    assert "COUNT" not in rule and rule["UNTIL"][0].tzinfo is not None and rule["UNTIL"][0].utcoffset() == timedelta(0)
    assert "UNTIL=" in ended["rrule"] and ended["rrule"].endswith("Z")
    expanded = rrulestr(master["RRULE"].to_ical().decode(), dtstart=master["DTSTART"].dt, forceset=True)
    for exdate in master["EXDATE"].dts:
        expanded.exdate(exdate.dt)
    assert [o.astimezone(UTC) for o in expanded] == [starts[0], starts[2]]  # held stay; the rest vanish


async def test_a_whole_series_moves_before_it_starts_keeping_its_rhythm(pair):
    next_year = pair.runtime.now().year + 1
    series_id = await pair.book_series(datetime(next_year, 1, 4, 9, 0), frequency="weekly", interval=2, count=3)
    move = {"starts_at": datetime(next_year, 1, 6, 15, 0).isoformat(), "time_zone": "Europe/Paris", "duration_minutes": 30}
    check(await pair.http.post(f"/series/{series_id}/reschedule", json=move, headers=pair.mentor_h), 204)
    starts = [datetime.fromisoformat(s["starts_at"]).astimezone(ZoneInfo("Europe/Paris")) for s in await pair.sessions()]
    assert [(s.day, s.hour) for s in starts] == [(6, 15), (20, 15), (3, 15)]
    event = (await pair.ics(f"/series/{series_id}/invitation.ics")).walk("VEVENT")[0]
    assert int(event["SEQUENCE"]) == 1 and event["DTEND"].dt - event["DTSTART"].dt == timedelta(minutes=30)
    [moved] = await pair.events("SeriesRescheduled")
    assert (moved["calendar_sequence"], moved["time_zone"]) == (1, "Europe/Paris")
    second = (await pair.sessions())[1]["id"]
    alone = {"starts_at": datetime(next_year, 1, 21, 15, 0).isoformat(), "time_zone": "Europe/Paris"}
    check(await pair.http.post(f"/sessions/{second}/reschedule", json=alone, headers=pair.mentee_h), 204)
    check(await pair.http.post(f"/series/{series_id}/reschedule", json=move, headers=pair.mentor_h), 409)  # one moved alone


async def test_the_worker_completes_a_session_once_after_its_end_even_after_a_restart(pair):
    start = (pair.runtime.now() + timedelta(hours=2)).astimezone(NEW_YORK).replace(tzinfo=None, second=0, microsecond=0)
    session_id = await pair.book(start, minutes=60)
    grace = timedelta(hours=1)
    worker = completion_worker(pair.runtime, grace=grace)
    assert await worker.run_due() == []
    pair.runtime.clock.travel(timedelta(hours=3, minutes=30))  # past the end, within the grace: partners may still mark it done
    assert await worker.run_due() == []
    # /metrics counts it due by the service's own grace (COMPLETE_AFTER_MINUTES, 0 here): ended half an hour ago.
    due = await scrape(pair.http)
    assert due.value("together_timers_due", worker="completion-worker") == 1
    assert 1800 <= due.value("together_timers_oldest_due_seconds", worker="completion-worker") < 1860
    pair.runtime.clock.travel(timedelta(hours=1))
    # Two workers at once (a restart while the old one still runs, or two replicas): one completes it.
    results = await asyncio.gather(worker.run_due(), completion_worker(pair.runtime, grace=grace).run_due())
    assert sorted(r for done in results for r in done) == ["completed"]
    assert (await scrape(pair.http)).value("together_timers_due", worker="completion-worker") == 0
    restarted = completion_worker(pair.runtime, grace=grace)  # a new process finds nothing left to do
    assert await restarted.run_due() == []
    completed = await pair.events("SessionCompleted")
    assert [(e["session_id"], e["completed_by"]) for e in completed] == [(str(session_id), "end_time_passed")]
    [reminder] = await pair.events("NextSessionReminderDue")
    assert reminder["sessions_completed"] == 1 and reminder["next_agenda_title"] == "Mentoring meeting 2"
    check(await pair.http.post(f"/sessions/{session_id}/done", headers=pair.mentee_h), 409)


async def test_marking_done_asks_for_feedback_whose_comment_stays_home(pair):
    start = (pair.runtime.now() + timedelta(hours=1)).astimezone(NEW_YORK).replace(tzinfo=None, second=0, microsecond=0)
    session_id = await pair.book(start)
    await pair.book(start + timedelta(days=14))  # the next one is booked: no reminder
    check(await pair.http.post(f"/sessions/{session_id}/feedback", json={"rating": 5}, headers=pair.mentee_h), 409)
    pair.runtime.clock.travel(timedelta(hours=1, minutes=5))
    check(await pair.http.post(f"/sessions/{session_id}/done", headers=pair.mentor_h), 204)
    body = {"rating": 4, "comment": "Useful; we set goals."}
    check(await pair.http.post(f"/sessions/{session_id}/feedback", json=body, headers=pair.mentee_h), 201)
    check(await pair.http.post(f"/sessions/{session_id}/feedback", json=body, headers=pair.mentee_h), 409)  # once
    bad = await pair.http.post(f"/sessions/{session_id}/feedback", json={"rating": 6}, headers=pair.mentor_h)
    check(bad, 422)
    assert bad.json()["error"]["details"][0]["field"] == "body.rating"
    mine = (await pair.http.get(f"/sessions/{session_id}/feedback", headers=pair.mentee_h)).json()
    assert (mine["rating"], mine["comment"]) == (4, "Useful; we set goals.")
    check(await pair.http.get(f"/sessions/{session_id}/feedback", headers=pair.mentor_h), 404)  # the partner's is not theirs
    check(await pair.http.get(f"/sessions/{session_id}/feedback", headers=pair.team_h), 403)
    [completed] = await pair.events("SessionCompleted")
    assert completed["completed_by"] == "marked_done"
    [given] = await pair.events("FeedbackGiven")
    assert given["rating"] == 4 and given["participant_id"] == str(pair.mentee) and "comment" not in given
    assert await pair.events("NextSessionReminderDue") == []
    assert all("Useful" not in str(e) for e in await pair.events())


async def test_notes_are_private_until_shared_and_never_readable_by_the_programme_team(pair):
    session_id = await pair.book(datetime(pair.runtime.now().year + 1, 3, 1, 9, 0))
    written = await pair.http.post(f"/sessions/{session_id}/notes", json={"text": "my private thoughts"}, headers=pair.mentee_h)
    check(written, 201)
    note_id = written.json()["id"]
    assert (await pair.http.get(f"/sessions/{session_id}/notes", headers=pair.mentor_h)).json() == []
    assert [n["text"] for n in (await pair.http.get(f"/sessions/{session_id}/notes", headers=pair.mentee_h)).json()] == [
        "my private thoughts"
    ]
    check(await pair.http.patch(f"/notes/{note_id}", json={"shared": True}, headers=pair.mentor_h), 404)  # not theirs to see
    check(await pair.http.patch(f"/notes/{note_id}", json={"shared": True}, headers=pair.mentee_h), 200)
    check(await pair.http.patch(f"/notes/{note_id}", json={"text": "mine now"}, headers=pair.mentor_h), 403)  # read, not theirs
    [shared] = (await pair.http.get(f"/sessions/{session_id}/notes", headers=pair.mentor_h)).json()
    assert (shared["text"], shared["mine"]) == ("my private thoughts", False)
    for team in (pair.team_h, pair.signer.headers("t", "programme_team", programmes=[str(pair.programme)])):
        check(await pair.http.get(f"/sessions/{session_id}/notes", headers=team), 403)
        check(await pair.http.post(f"/sessions/{session_id}/notes", json={"text": "x"}, headers=team), 403)
    assert all("private thoughts" not in str(e) for e in await pair.events())


async def test_agreement_and_assessment_for_both_partners_and_the_team_surveys_for_author_and_aggregates(pair):
    agreement = {
        "skills_and_goals": ["negotiation", "public speaking"],
        "development_plan": "Shadow two meetings.",
        "schedule": "Twice a month",
    }
    check(await pair.http.put(f"/pairings/{pair.pairing}/agreement", json=agreement, headers=pair.team_h), 403)
    check(await pair.http.put(f"/pairings/{pair.pairing}/agreement", json=agreement, headers=pair.mentee_h), 200)
    for reader in (pair.mentor_h, pair.team_h):
        assert (await pair.http.get(f"/pairings/{pair.pairing}/agreement", headers=reader)).json()[
            "skills_and_goals"
        ] == agreement["skills_and_goals"]
    other_team = pair.signer.headers("x", "programme_team", programmes=[str(uuid.uuid4())])
    check(await pair.http.get(f"/pairings/{pair.pairing}/agreement", headers=other_team), 404)  # not theirs to see

    wrong = {"ratings": [{"skill_or_goal": "negotiation", "rating": 4}, {"skill_or_goal": "chess", "rating": 2}]}
    refused = await pair.http.put(f"/pairings/{pair.pairing}/assessment", json=wrong, headers=pair.mentor_h)
    check(refused, 422)
    assert sorted(d["message"] for d in refused.json()["error"]["details"]) == [
        "'chess' is not a skill or goal of the agreement", "'public speaking' is in the agreement but not rated",
    ]  # fmt: skip
    right = {"ratings": [{"skill_or_goal": "negotiation", "rating": 4}, {"skill_or_goal": "public speaking", "rating": 3}]}
    check(await pair.http.put(f"/pairings/{pair.pairing}/assessment", json=right, headers=pair.mentor_h), 200)
    assert len((await pair.http.get(f"/pairings/{pair.pairing}/assessment", headers=pair.team_h)).json()["ratings"]) == 2

    check(
        await pair.http.put(
            f"/pairings/{pair.pairing}/surveys/pre", json={"confidence": 2, "comment": "shy"}, headers=pair.mentee_h
        ),
        200,
    )
    check(await pair.http.put(f"/pairings/{pair.pairing}/surveys/pre", json={"confidence": 4}, headers=pair.mentor_h), 200)
    post = {"confidence": 4, "satisfaction": 5}
    check(
        await pair.http.put(f"/pairings/{pair.pairing}/surveys/pre", json=post, headers=pair.mentee_h), 422
    )  # satisfaction: post only
    check(await pair.http.put(f"/pairings/{pair.pairing}/surveys/post", json=post, headers=pair.mentee_h), 200)
    assert (await pair.http.get(f"/pairings/{pair.pairing}/surveys/pre", headers=pair.mentee_h)).json()["comment"] == "shy"
    check(await pair.http.get(f"/pairings/{pair.pairing}/surveys/pre", headers=pair.team_h), 403)  # no single answer
    summary = await pair.http.get(f"/programmes/{pair.programme}/survey-summary", headers=pair.team_h)
    check(summary, 200)
    assert summary.json()["pre"] == {"answers": 2, "mean_confidence": 3.0, "mean_satisfaction": None}
    assert summary.json()["post"] == {"answers": 1, "mean_confidence": 4.0, "mean_satisfaction": 5.0}
    check(await pair.http.get(f"/programmes/{pair.programme}/survey-summary", headers=pair.mentee_h), 403)
    # Only scores travel: the assessment's counts (an item rated 4 or 5 was met) and each survey's scores,
    # never an agreement, an item, a summary or a comment.
    [given] = await pair.events()
    assert given["type"] == "FinalAssessmentGiven"
    assert (given["participant_id"], given["items_rated"], given["items_met"]) == (str(pair.mentor), 2, 1)
    async with pair.runtime.engine.connect() as conn:
        answered = (
            (
                await conn.execute(
                    sa.select(outbox_table.c.envelope["data"])
                    .where(outbox_table.c.event_type.like("%.SurveyAnswered.%"))
                    .where(outbox_table.c.envelope["data"]["participant_id"].astext.in_([str(pair.mentee), str(pair.mentor)]))
                    .order_by(outbox_table.c.position)
                )
            )
            .scalars()
            .all()
        )
    assert [(a["survey"], a["confidence"], a["satisfaction"]) for a in answered] == [
        ("pre", 2, None), ("pre", 4, None), ("post", 4, 5),
    ]  # fmt: skip
    assert "shy" not in str(answered) and "negotiation" not in str(given)


async def test_the_plan_follows_the_programme_kind_and_the_request(service, signer):
    http, runtime = service
    coaching = await Pair(http, runtime, signer).form(ProgrammeKind.coaching)
    plan = (await http.get(f"/pairings/{coaching.pairing}/plan", headers=coaching.team_h)).json()
    assert [(s["title"], s["minutes"]) for s in plan["sessions"]] == [
        ("Introduction meeting", 45),
        *((f"Coaching session {n}", 45) for n in range(1, 6)),
    ]
    session_id = await coaching.book(datetime(runtime.now().year + 1, 1, 12, 9, 0), minutes=45)
    states = [
        (s["state"], s["session_id"])
        for s in (await http.get(f"/pairings/{coaching.pairing}/plan", headers=coaching.mentee_h)).json()["sessions"]
    ]
    assert states[0] == ("booked", str(session_id)) and {s for s, _ in states[1:]} == {"open"}
    networking = await Pair(http, runtime, signer).form(ProgrammeKind.networking_mentoring, Engagement.networking_meetings)
    plan = (await http.get(f"/pairings/{networking.pairing}/plan", headers=networking.mentor_h)).json()
    assert (len(plan["sessions"]), plan["minimum_sessions"]) == (2, 1)
    check(await http.get(f"/pairings/{networking.pairing}/plan", headers=coaching.mentee_h), 404)  # not theirs to see


async def test_future_sessions_are_cancelled_when_the_pairing_ends_or_a_partner_withdraws(service, signer):
    http, runtime = service
    ended, left = await Pair(http, runtime, signer).form(), await Pair(http, runtime, signer).form()
    next_year = runtime.now().year + 1
    for pair in (ended, left):
        await pair.book(datetime(next_year, 1, 5, 9, 0))
        await pair.book_series(datetime(next_year, 2, 1, 9, 0), frequency="weekly", count=2)
    at = runtime.now()
    await deliver(
        runtime, handlers(runtime),
        PairingEnded(pairing_id=ended.pairing, mentee_id=ended.mentee, mentor_id=ended.mentor, cohort_id=ended.cohort,
                     ended_by=EndedBy.mentee, ended_at=at),
        ParticipantWithdrawn(participant_id=left.mentor, person_id=left.mentor_person, cohort_id=left.cohort,
                             programme_id=left.programme, withdrawn_at=at, answers_erased=False),
    )  # fmt: skip
    for pair, reason in ((ended, "pairing_ended"), (left, "participant_withdrawn")):
        cancels = await pair.events("SessionCancelled", "SeriesCancelled")
        assert sorted((e["type"], e["reason"], e["calendar_sequence"]) for e in cancels) == [
            ("SeriesCancelled", reason, 1), ("SessionCancelled", reason, 1),
        ]  # fmt: skip
        assert {s["status"] for s in await pair.sessions()} == {"cancelled"}
        refused = await pair.http.post(
            f"/pairings/{pair.pairing}/sessions",
            json={"starts_at": f"{next_year}-03-01T09:00:00", "time_zone": "UTC"},
            headers=pair.mentee_h,
        )
        check(refused, 409)
    # Delivered again (a replay), nothing more happens.
    await deliver(
        runtime, handlers(runtime),
        PairingEnded(pairing_id=ended.pairing, mentee_id=ended.mentee, mentor_id=ended.mentor, cohort_id=ended.cohort,
                     ended_by=EndedBy.mentee, ended_at=at),
    )  # fmt: skip
    assert len(await ended.events("SessionCancelled", "SeriesCancelled")) == 2


async def test_a_completion_that_fails_is_retried_later_and_does_not_stall_the_others(pair, monkeypatch):
    start = (pair.runtime.now() + timedelta(hours=1)).astimezone(NEW_YORK).replace(tzinfo=None, second=0, microsecond=0)
    broken, fine = await pair.book(start, minutes=30), await pair.book(start + timedelta(hours=1), minutes=30)
    real_complete = worker_module.complete_ended_session

    async def failing_for_broken(runtime: Runtime, conn: AsyncConnection, session_id: uuid.UUID, now: datetime) -> None:
        if session_id == broken:
            raise RuntimeError("a bug in one session's completion")
        await real_complete(runtime, conn, session_id, now)

    monkeypatch.setattr(worker_module, "complete_ended_session", failing_for_broken)
    pair.runtime.clock.travel(timedelta(hours=3))
    worker = completion_worker(pair.runtime, grace=timedelta(0))
    assert await worker.run_due() == ["failed_attempt", "completed"]  # the broken one is set aside, the next one completes
    row = await completion_of(pair, broken)
    assert (row.status, row.completion_attempts) == ("scheduled", 1) and "a bug" in row.completion_error
    assert [e["session_id"] for e in await pair.events("SessionCompleted")] == [str(fine)]
    monkeypatch.setattr(worker_module, "complete_ended_session", real_complete)  # fixed
    assert await worker.run_due() == []  # not before its retry time
    pair.runtime.clock.travel(timedelta(minutes=2))
    assert await worker.run_due() == ["completed"]
    assert sorted(e["session_id"] for e in await pair.events("SessionCompleted")) == sorted([str(broken), str(fine)])


async def test_a_completion_failing_every_time_ends_failed_with_its_reason_and_is_tried_no_more(pair, monkeypatch):
    start = (pair.runtime.now() + timedelta(hours=1)).astimezone(NEW_YORK).replace(tzinfo=None, second=0, microsecond=0)
    broken = await pair.book(start, minutes=30)

    async def always_failing(runtime: Runtime, conn: AsyncConnection, session_id: uuid.UUID, now: datetime) -> None:
        raise RuntimeError("the pairing's plan cannot be read")

    monkeypatch.setattr(worker_module, "complete_ended_session", always_failing)
    pair.runtime.clock.travel(timedelta(hours=2))
    worker = completion_worker(pair.runtime, grace=timedelta(0))
    attempts = SessionCompletion.backoff.attempts
    for attempt in range(1, attempts + 1):
        assert await worker.run_due() == ["failed_attempt"], attempt
        row = await completion_of(pair, broken)
        assert row.completion_attempts == attempt
        pair.runtime.clock.travel(timedelta(hours=1))  # past the longest back-off
    assert row.completion_failed_at is not None and row.completion_retry_at is None
    assert (row.status, row.completion_error) == ("scheduled", "RuntimeError: the pairing's plan cannot be read")
    pair.runtime.clock.travel(timedelta(days=1))
    assert await worker.run_due() == []  # set aside: tried no more
    assert (await completion_of(pair, broken)).completion_attempts == attempts
    assert await pair.events("SessionCompleted") == []
    check(await pair.http.post(f"/sessions/{broken}/done", headers=pair.mentee_h), 204)  # the partners still may


async def completion_of(pair: Pair, session_id: uuid.UUID) -> sa.Row:
    async with pair.runtime.engine.connect() as conn:
        return (await conn.execute(sa.select(sessions).where(sessions.c.id == session_id))).one()


# Agenda content and sessions held elsewhere ------------------------------------------------------


async def test_each_booked_session_shows_its_agenda_content_and_its_event_carries_it(service, signer):
    http, runtime = service
    coaching = await Pair(http, runtime, signer).form(ProgrammeKind.coaching)
    plan = (await http.get(f"/pairings/{coaching.pairing}/plan", headers=coaching.mentor_h)).json()["sessions"]
    assert [len(s["themes"]) > 0 for s in plan] == [True] * 6
    assert "Confidentiality: what is shared stays with the coach" in plan[0]["themes"]
    next_year = runtime.now().year + 1
    single = await coaching.book(datetime(next_year, 1, 12, 9, 0), minutes=45)
    await coaching.book_series(datetime(next_year, 2, 12, 9, 0), frequency="monthly", count=2)
    listed = await coaching.sessions()
    assert [(s["plan_step"], s["agenda_themes"]) for s in listed] == [(p["step"], p["themes"]) for p in plan[:3]]
    assert listed[0]["id"] == str(single) and listed[0]["held_elsewhere"] is False
    team_view = (await http.get(f"/pairings/{coaching.pairing}/sessions", headers=coaching.team_h)).json()
    assert team_view[1]["agenda_themes"] == plan[1]["themes"]  # programme text: the team sees it too
    [booked] = await coaching.events("SessionScheduled")
    assert booked["agenda_themes"] == plan[0]["themes"]
    [series] = await coaching.events("SeriesScheduled")
    assert series["agenda_themes"] == plan[1]["themes"]  # the first occurrence's


async def record(pair: Pair, local: datetime, headers: dict[str, str], **more: object):
    body = {"starts_at": local.isoformat(), "time_zone": "America/New_York", "duration_minutes": 50, **more}
    return await pair.http.post(f"/pairings/{pair.pairing}/recorded-sessions", json=body, headers=headers)


def new_york(instant: datetime) -> datetime:
    """The local wall-clock time in New York, as a partner there types it."""
    return instant.astimezone(NEW_YORK).replace(tzinfo=None, second=0, microsecond=0)


async def test_a_session_held_elsewhere_is_recorded_counted_as_held_and_asks_both_for_feedback(pair):
    pair.runtime.clock.travel(timedelta(days=10))
    held = new_york(pair.runtime.now() - timedelta(days=3))
    recorded = await record(pair, held, pair.mentor_h)
    check(recorded, 201)
    session_id = recorded.json()["id"]

    [session] = await pair.sessions()
    assert (session["id"], session["status"], session["held_elsewhere"]) == (session_id, "completed", True)
    assert datetime.fromisoformat(session["starts_at"]) == held.replace(tzinfo=NEW_YORK).astimezone(UTC)
    assert (session["duration_minutes"], session["plan_step"]) == (50, 1)
    assert session["agenda_title"].startswith("First session") and "Introductions and background" in session["agenda_themes"]
    plan = (await pair.http.get(f"/pairings/{pair.pairing}/plan", headers=pair.team_h)).json()["sessions"]
    assert (plan[0]["state"], plan[0]["session_id"]) == ("done", session_id)

    # Its events: recorded, then completed as a booked one is marked done, then the reminder to book the next.
    events = await pair.events()
    assert [e["type"] for e in events] == ["SessionRecorded", "SessionCompleted", "NextSessionReminderDue"]
    recorded_event, completed, reminder = events
    assert (recorded_event["session_id"], recorded_event["recorded_by"]) == (session_id, str(pair.mentor))
    assert (recorded_event["duration_minutes"], recorded_event["time_zone"]) == (50, "America/New_York")
    assert (completed["session_id"], completed["completed_by"]) == (session_id, "marked_done")
    assert sorted(completed["participant_ids"]) == sorted([str(pair.mentee), str(pair.mentor)])
    assert (reminder["sessions_completed"], reminder["next_agenda_title"]) == (1, "Mentoring meeting 2")

    # Both give feedback on it as on any held session; it has no invitation and changes no more.
    for headers in (pair.mentee_h, pair.mentor_h):
        check(await pair.http.post(f"/sessions/{session_id}/feedback", json={"rating": 5}, headers=headers), 201)
    assert len(await pair.events("FeedbackGiven")) == 2
    check(await pair.http.get(f"/sessions/{session_id}/invitation.ics", headers=pair.mentee_h), 409)
    check(await pair.http.post(f"/sessions/{session_id}/done", headers=pair.mentee_h), 409)
    check(await pair.http.post(f"/sessions/{session_id}/cancel", headers=pair.mentee_h), 409)

    # A second one counts too: the reminder says two were held.
    check(await record(pair, held + timedelta(days=1), pair.mentee_h, plan_step=3), 201)
    *_, second_reminder = await pair.events("NextSessionReminderDue")
    assert (second_reminder["sessions_completed"], second_reminder["next_agenda_title"]) == (2, "Mentoring meeting 2")
    assert [s["plan_step"] for s in await pair.sessions()] == [1, 3]


async def test_recording_refuses_the_future_before_the_pairing_and_a_duplicate_naming_the_field(pair):
    pair.runtime.clock.travel(timedelta(days=10))
    now = pair.runtime.now()

    async def refused(local: datetime, status: int, rule: str, headers: dict[str, str] | None = None, **more: object) -> None:
        response = await record(pair, local, headers or pair.mentee_h, **more)
        check(response, status)
        details = response.json()["error"]["details"]
        assert [(d["field"], d["rule"]) for d in details][:1] == [("plan_step" if "plan_step" in more else "starts_at", rule)]

    await refused(new_york(now + timedelta(hours=2)), 422, "not_in_the_future")
    await refused(new_york(now - timedelta(days=11)), 422, "after_pairing_formed")
    await refused(new_york(now - timedelta(days=2)), 422, "in_plan", plan_step=9)
    booked_start = new_york(now + timedelta(hours=1))
    await pair.book(booked_start)  # booked, about to be held
    pair.runtime.clock.travel(timedelta(hours=2))
    await refused(booked_start + timedelta(minutes=15), 409, "not_already_recorded")  # mark the booked one done instead
    await refused(new_york(now - timedelta(days=2)), 409, "open_step", plan_step=1)  # the booking holds step 1
    check(await record(pair, new_york(now - timedelta(days=2)), pair.mentee_h), 201)
    await refused(new_york(now - timedelta(days=2)), 409, "not_already_recorded", pair.mentor_h)  # the partner, the same one
    check(await record(pair, new_york(now - timedelta(days=2)), pair.team_h), 403)  # the team sees, does not record
    bad_zone = {"starts_at": "2027-01-01T10:00:00", "time_zone": "Mars/Olympus", "duration_minutes": 50}
    check(await pair.http.post(f"/pairings/{pair.pairing}/recorded-sessions", json=bad_zone, headers=pair.mentee_h), 422)
    no_duration = {"starts_at": "2027-01-01T10:00:00", "time_zone": "UTC"}
    missing = await pair.http.post(f"/pairings/{pair.pairing}/recorded-sessions", json=no_duration, headers=pair.mentee_h)
    check(missing, 422)
    assert missing.json()["error"]["details"][0]["field"] == "body.duration_minutes"
    assert [e["type"] for e in await pair.events("SessionRecorded")] == ["SessionRecorded"]  # the one accepted


async def test_a_session_held_before_the_pairing_ended_is_still_recorded_after_it(pair):
    pair.runtime.clock.travel(timedelta(days=10))
    held = new_york(pair.runtime.now() - timedelta(days=5))
    await deliver(
        pair.runtime, handlers(pair.runtime),
        PairingEnded(pairing_id=pair.pairing, mentee_id=pair.mentee, mentor_id=pair.mentor, cohort_id=pair.cohort,
                     ended_by=EndedBy.mentee, ended_at=pair.runtime.now() - timedelta(days=1)),
    )  # fmt: skip
    check(await record(pair, held, pair.mentee_h), 201)
    late = await record(pair, new_york(pair.runtime.now() - timedelta(hours=3)), pair.mentee_h)
    check(late, 422)
    assert late.json()["error"]["details"][0]["rule"] == "before_pairing_ended"
    sessions_told = await pair.events("SessionRecorded", "SessionCompleted", "NextSessionReminderDue")
    assert [e["type"] for e in sessions_told] == ["SessionRecorded", "SessionCompleted"]  # ended: no reminder
