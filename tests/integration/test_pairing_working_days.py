"""Working days on the real database and broker: a mentor's duty station's holidays count like weekends; the
programme team adds and removes days per duty station, a programme switches its mentors' official holidays on
or off, and deadlines already set move with the calendar (`RequestDeadlinesMoved`, timers moved in the same
transaction), also while a worker holds the timer.

Pairing's real app runs in-process on a fresh database with the travelling clock; participants and programmes
arrive through its own event handlers; events are read from its outbox, and in the first test from Kafka after
its relay published them.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from pairing import records
from pairing.consumers import handlers
from pairing.deadline_worker import deadline_worker
from pairing.tables import timers
from pairing.use_cases import fire_timer
from tests.apps import client, service_app
from tests.http.access import deliver, registered
from tests.integration.test_pairing_lifecycle import Cohort
from tests.kafka_tools import read_topic
from together_contracts.duty_stations import find_duty_station
from together_contracts.registration import (
    AppointmentType,
    ProgrammeCreated,
    ProgrammeKind,
    ProgrammeRules,
    ProgrammeRulesChanged,
    Role,
    RoleRules,
    SessionPlan,
)
from together_events import Envelope
from together_events.tables import outbox_table
from together_events.topics import Topic, service_topic
from together_operator.provision import delete_topics, ensure_topics
from together_servicekit.clock import TravellingClock

pytestmark = pytest.mark.integration

NAIROBI = "Africa/Nairobi"
MONDAY_10_IN_NAIROBI = datetime(2027, 10, 18, 7, 0, tzinfo=UTC)  # the week of Mashujaa Day, Wednesday 20th
RULES = ProgrammeRules(
    roles={
        Role.mentor: RoleRules(appointment_types=[AppointmentType.permanent], min_capacity=1, max_capacity=2),
        Role.mentee: RoleRules(appointment_types=[AppointmentType.permanent]),
    },
    meeting_languages=["English"],
    session_plan=SessionPlan(period_months=4, meeting_interval="twice a month"),
)


class StationCohort(Cohort):
    async def join_at(self, role: Role, station: str, capacity: int | None = None) -> uuid.UUID:
        """A participant at `station`, with its zone from the list (or UTC for a station not listed)."""
        person = f"{role.value}-{uuid.uuid4().hex[:6]}"
        event = registered(person, self.programme, self.id, role, mentor_capacity=capacity)
        listed = find_duty_station(station)
        zone = listed.time_zone if listed is not None else "UTC"
        event = event.model_copy(
            update={"profile": event.profile.model_copy(update={"duty_station": station, "time_zone": zone})}
        )
        await deliver(self.runtime, handlers(self.runtime), event)
        self.person[event.participant_id] = person
        return event.participant_id

    async def rules(self, *, official_holidays: bool, first: bool = False) -> None:
        """The programme's rules arrive as registration publishes them."""
        rules = RULES.model_copy(update={"official_holidays": official_holidays})
        event: ProgrammeCreated | ProgrammeRulesChanged = (
            ProgrammeCreated(programme_id=self.programme, name="Together", kind=ProgrammeKind.mentoring, suggestions_per_mentee=10, rules=rules)
            if first
            else ProgrammeRulesChanged(programme_id=self.programme, rules=rules, changed_at=self.runtime.now())
        )  # fmt: skip
        await deliver(self.runtime, handlers(self.runtime), event)

    def set_clock(self, at: datetime) -> None:
        self.runtime.clock = TravellingClock(at - datetime.now(UTC))

    @property
    def team(self) -> dict[str, str]:
        return self.signer.headers("lead", "programme_team", programmes=[str(self.programme)])

    async def set_holidays(self, station: str, **days: list[str]) -> dict:
        response = await self.http.put(f"/cohorts/{self.id}/holidays", json={"duty_station": station, **days}, headers=self.team)
        assert response.status_code == 200, response.text
        return response.json()

    async def deadlines(self, mentor: uuid.UUID) -> tuple[str, str]:
        """The pending request's reminder and expiry, local to the mentor's station."""
        request = await self.pending_for(mentor)
        assert request is not None
        zone = ZoneInfo(await self.zone_of(mentor))
        return tuple(
            datetime.fromisoformat(request[k]).astimezone(zone).strftime("%a %H:%M") for k in ("remind_at", "expires_at")
        )  # type: ignore[return-value]

    async def zone_of(self, participant: uuid.UUID) -> str:
        from pairing.tables import participants

        async with self.runtime.engine.connect() as conn:
            return (await conn.execute(sa.select(participants.c.time_zone).where(participants.c.id == participant))).scalar_one()

    async def timers_of(self, mentor: uuid.UUID) -> dict[str, datetime]:
        request = await self.pending_for(mentor)
        assert request is not None
        async with self.runtime.engine.connect() as conn:
            rows = await conn.execute(
                sa.select(timers.c.kind, timers.c.due_at).where(timers.c.request_id == uuid.UUID(request["id"]))
            )
            return dict(rows.all())

    async def fired(self, request_id: str) -> dict[str, str | None]:
        """Each timer of the request: its outcome, None until it fires."""
        async with self.runtime.engine.connect() as conn:
            rows = await conn.execute(
                sa.select(timers.c.kind, timers.c.outcome).where(timers.c.request_id == uuid.UUID(request_id))
            )
            return dict(rows.all())

    async def outbox(self, *names: str) -> list[dict]:
        """The data of the events of these names in the outbox, in commit order."""
        async with self.runtime.engine.connect() as conn:
            rows = await conn.execute(
                sa.select(outbox_table.c.event_type, outbox_table.c.envelope).order_by(outbox_table.c.position)
            )
            return [e["data"] | {"type": t.split(".")[2]} for t, e in rows if t.split(".")[2] in names]


@pytest.fixture
async def cohort(stack, create_database, signer, monkeypatch):
    monkeypatch.setenv("TOGETHER_TOPIC_NAMESPACE", f"t{uuid.uuid4().hex[:8]}.")  # a topic of this test's own
    topic = service_topic("pairing")
    await ensure_topics(stack.kafka_bootstrap, [Topic(topic, 2)])
    try:
        async with service_app("pairing", await create_database("working_days"), stack.kafka_bootstrap, signer) as (app, runtime):
            async with client(app) as http:
                world = StationCohort(http, runtime, signer)
                world.set_clock(MONDAY_10_IN_NAIROBI)
                yield world
    finally:
        await delete_topics(stack.kafka_bootstrap, [topic])


async def test_a_deadline_already_set_moves_when_the_team_adds_a_holiday(cohort, stack):
    in_nairobi, in_geneva = await cohort.join_at(Role.mentor, "Nairobi", 1), await cohort.join_at(Role.mentor, "Geneva", 1)
    for mentor in (in_nairobi, in_geneva):
        await cohort.prefer(await cohort.join_at(Role.mentee, "Nairobi"), mentor)
    assert await cohort.deadlines(in_nairobi) == ("Wed 10:00", "Thu 10:00")
    before = await cohort.timers_of(in_nairobi)

    # Monday noon: the team makes Wednesday a holiday at Nairobi (spelt as they like).
    cohort.runtime.clock.travel(timedelta(hours=2))
    saved = await cohort.set_holidays("nairobi", added=["2027-10-20", "2027-10-20"])
    assert saved == {"duty_station": "Nairobi", "added": ["2027-10-20"], "removed": [], "deadlines_moved": 1}
    assert await cohort.deadlines(in_nairobi) == ("Thu 10:00", "Fri 10:00")
    assert await cohort.deadlines(in_geneva) == ("Wed 09:00", "Thu 09:00")  # another station's holiday
    request = await cohort.pending_for(in_nairobi)
    moved_timers = await cohort.timers_of(in_nairobi)
    assert moved_timers == {
        "reminder": datetime.fromisoformat(request["remind_at"]),
        "expiry": datetime.fromisoformat(request["expires_at"]),
    }  # the timers moved with the request, in its transaction

    # Published: the team's change, then the moved deadlines with the previous ones, on the pairing topic.
    while await cohort.runtime.relay.publish_pending():
        pass
    records_on_kafka = await read_topic(stack.kafka_bootstrap, service_topic("pairing"))
    published = [Envelope.from_json_bytes(r.value) for r in records_on_kafka]
    changed = [e for e in published if e.type == "together.pairing.HolidaysChanged.v1"]
    moved = [e for e in published if e.type == "together.pairing.RequestDeadlinesMoved.v1"]
    assert [e.data["duty_station"] for e in changed] == ["Nairobi"] and changed[0].subject == str(cohort.id)
    assert len(moved) == 1 and moved[0].subject == request["id"] and moved[0].data["reason"] == "holidays_changed"
    assert datetime.fromisoformat(moved[0].data["previous_remind_at"]) == before["reminder"]
    assert datetime.fromisoformat(moved[0].data["expires_at"]) == moved_timers["expiry"]

    # Nothing fires on the holiday at Nairobi (Geneva's reminder, at the same instant, does); Nairobi's comes on Thursday.
    worker = deadline_worker(cohort.runtime)
    cohort.set_clock(before["reminder"] + timedelta(minutes=1))
    assert await worker.run_due() == ["reminded"] and await cohort.fired(request["id"]) == {"reminder": None, "expiry": None}
    cohort.set_clock(moved_timers["reminder"])
    assert await worker.run_due() == ["reminded"] and await cohort.fired(request["id"]) == {
        "reminder": "reminded",
        "expiry": None,
    }
    # Thursday 11:00 the team takes the holiday back: the reminder was sent, the expiry stays a day after it.
    cohort.runtime.clock.travel(timedelta(hours=1))
    assert (await cohort.set_holidays("Nairobi"))["deadlines_moved"] == 0
    assert await cohort.deadlines(in_nairobi) == ("Thu 10:00", "Fri 10:00")


async def test_switching_the_programmes_official_holidays_moves_its_mentors_deadlines(cohort):
    await cohort.rules(official_holidays=False, first=True)
    in_nairobi, in_geneva = await cohort.join_at(Role.mentor, "Nairobi", 1), await cohort.join_at(Role.mentor, "Geneva", 1)
    for mentor in (in_nairobi, in_geneva):
        await cohort.prefer(await cohort.join_at(Role.mentee, "Geneva"), mentor)
    assert await cohort.deadlines(in_nairobi) == ("Wed 10:00", "Thu 10:00")  # Mashujaa Day not counted

    await cohort.rules(official_holidays=True)  # Kenya's official calendar has Wednesday 20th
    assert await cohort.deadlines(in_nairobi) == ("Thu 10:00", "Fri 10:00")
    assert await cohort.deadlines(in_geneva) == ("Wed 09:00", "Thu 09:00")
    [moved] = await cohort.outbox("RequestDeadlinesMoved")
    assert moved["reason"] == "official_holidays_switched" and moved["mentor_id"] == str(in_nairobi)
    await cohort.rules(official_holidays=True)  # the same rules again: nothing moves
    assert len(await cohort.outbox("RequestDeadlinesMoved")) == 1

    # The team counts Mashujaa Day as a working day at Nairobi: the official holiday is removed there.
    assert (await cohort.set_holidays("Nairobi", removed=["2027-10-20"]))["deadlines_moved"] == 1
    assert await cohort.deadlines(in_nairobi) == ("Wed 10:00", "Thu 10:00")
    await cohort.set_holidays("Nairobi")
    await cohort.rules(official_holidays=False)  # switched off: back to weekends only
    assert await cohort.deadlines(in_nairobi) == ("Wed 10:00", "Thu 10:00")
    assert [m["reason"] for m in await cohort.outbox("RequestDeadlinesMoved")] == [
        "official_holidays_switched",
        "holidays_changed",
        "holidays_changed",
        "official_holidays_switched",
    ]


async def test_a_timer_a_worker_holds_is_not_waited_for_and_the_worker_reschedules_it(cohort):
    mentor = await cohort.join_at(Role.mentor, "Nairobi", 1)
    await cohort.prefer(await cohort.join_at(Role.mentee, "Nairobi"), mentor)
    due = await cohort.timers_of(mentor)
    cohort.set_clock(due["reminder"] + timedelta(seconds=1))  # Wednesday 10:00: the reminder is due
    async with cohort.runtime.engine.connect() as held:
        transaction = await held.begin()
        claimed = await records.claim_due_timer(held, cohort.runtime.now())  # what a worker does first
        assert claimed is not None and claimed.kind == "reminder"
        # Meanwhile the team makes Wednesday a holiday: the change does not wait for the worker's lock.
        saved = await asyncio.wait_for(cohort.set_holidays("Nairobi", added=["2027-10-20"]), timeout=10)
        assert saved["deadlines_moved"] == 1 and await cohort.deadlines(mentor) == ("Thu 10:00", "Fri 10:00")
        assert (await cohort.timers_of(mentor))["reminder"] == due["reminder"]  # held: left to its worker
        assert await fire_timer(cohort.runtime, held, claimed) is None  # the worker finds the deadline moved
        await transaction.commit()
    request = await cohort.pending_for(mentor)
    assert (await cohort.timers_of(mentor))["reminder"] == datetime.fromisoformat(request["remind_at"])
    worker = deadline_worker(cohort.runtime)
    assert await worker.run_due() == []  # not fired on the holiday
    cohort.set_clock(datetime.fromisoformat(request["remind_at"]))
    assert await worker.run_due() == ["reminded"]
    assert await cohort.outbox("RequestReminderDue") != []


async def test_the_team_reads_each_stations_days_off_and_bad_changes_are_refused(cohort):
    await cohort.rules(official_holidays=True, first=True)
    await cohort.join_at(Role.mentor, "Nairobi", 1)
    await cohort.join_at(Role.mentee, "Geneva")
    await cohort.set_holidays("Nairobi", added=["2027-10-21"], removed=["2027-10-20"])
    await cohort.set_holidays("Tindouf office", added=["2027-10-21"])
    response = await cohort.http.get(f"/cohorts/{cohort.id}/holidays", params={"year": 2027}, headers=cohort.team)
    assert response.status_code == 200, response.text
    by_station = {c["duty_station"]: c for c in response.json()}
    assert list(by_station) == ["Geneva", "Nairobi", "Tindouf office"]
    nairobi = by_station["Nairobi"]
    assert (nairobi["country"], nairobi["official_holidays"], nairobi["added"], nairobi["removed"]) == (
        "KE",
        True,
        ["2027-10-21"],
        ["2027-10-20"],
    )
    days = {d["day"]: d["name"] for d in nairobi["days_off"]}
    assert days["2027-06-01"] == "Madaraka Day" and "2027-10-20" not in days
    assert days["2027-10-21"] == "added by the programme team"
    assert {d["day"]: d["name"] for d in by_station["Geneva"]["days_off"]}["2027-09-09"] == "Genevan Fast"
    tindouf = by_station["Tindouf office"]
    assert tindouf["country"] is None and [d["day"] for d in tindouf["days_off"]] == ["2027-10-21"]

    url = f"/cohorts/{cohort.id}/holidays"
    both = await cohort.http.put(
        url, json={"duty_station": "Nairobi", "added": ["2027-10-20"], "removed": ["2027-10-20"]}, headers=cohort.team
    )
    assert both.status_code == 422 and both.json()["error"]["details"][0]["rule"] == "added_or_removed"
    old_shape = await cohort.http.put(url, json={"time_zone": NAIROBI, "dates": ["2027-10-20"]}, headers=cohort.team)
    assert old_shape.status_code == 422  # holidays are per duty station now
    year = await cohort.http.get(url, params={"year": 1900}, headers=cohort.team)
    assert year.status_code == 422
