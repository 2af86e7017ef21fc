"""The deadline worker with the clock, on the real database: requests reached on each day of the
week on both sides of the date line and across a DST change fire at the mentor's local times; a
timer whose effect keeps failing holds back none behind it and ends up failed and visible; a
restarted service fires what fell due while it was down; /readyz reports the worker.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from pairing.consumers import handlers
from pairing.deadline_worker import DeadlineTimers, deadline_worker, workers
from pairing.tables import participants, requests, timers
from tests.apps import client, service_app
from tests.http.access import deliver, registered
from tests.integration.test_pairing_lifecycle import Cohort
from tests.scrape import scrape
from together_contracts.registration import Role
from together_servicekit.clock import TravellingClock

pytestmark = pytest.mark.integration


class ZonedCohort(Cohort):
    async def join_in(self, role: Role, zone: str, capacity: int | None = None) -> uuid.UUID:
        person = f"{role.value}-{uuid.uuid4().hex[:6]}"
        event = registered(person, self.programme, self.id, role, mentor_capacity=capacity)
        event = event.model_copy(update={"profile": event.profile.model_copy(update={"time_zone": zone})})
        await deliver(self.runtime, handlers(self.runtime), event)
        self.person[event.participant_id] = person
        return event.participant_id

    def set_clock(self, at: datetime) -> None:
        """The service clock at `at` (the clock only moves forward: a new one each time)."""
        self.runtime.clock = TravellingClock(at - datetime.now(UTC))

    async def timer_outcomes(self, request_id: str) -> dict[str, str | None]:
        async with self.runtime.engine.connect() as conn:
            rows = await conn.execute(
                sa.select(timers.c.kind, timers.c.outcome).where(timers.c.request_id == uuid.UUID(request_id))
            )
            return dict(rows.all())


@pytest.fixture
async def database(create_database):
    return await create_database("timers")


@pytest.fixture
async def cohort(stack, database, signer):
    async with service_app("pairing", database, stack.kafka_bootstrap, signer) as (app, runtime):
        async with client(app) as http:
            yield ZonedCohort(http, runtime, signer)


def local(instant: datetime, zone: str) -> str:
    return instant.astimezone(ZoneInfo(zone)).strftime("%a %H:%M")


WEEK = [  # reached at 10:00 local on ... -> reminder, expiry (10:00 local)
    ("2027-01-04", "Wed", "Thu"),  # Monday
    ("2027-01-05", "Thu", "Fri"),
    ("2027-01-06", "Fri", "Mon"),  # the Saturday expiry moves to Monday
    ("2027-01-07", "Mon", "Tue"),  # the Saturday reminder moves to Monday
    ("2027-01-08", "Mon", "Tue"),  # Friday: the rule book's example
    ("2027-01-09", "Mon", "Tue"),  # Saturday
    ("2027-01-10", "Tue", "Wed"),  # Sunday
]


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])  # UTC+14 and UTC-11
async def test_requests_sent_on_each_day_of_the_week_fire_at_the_mentors_local_times(cohort, zone):
    worker = deadline_worker(cohort.runtime)
    for day, reminder, expiry in WEEK:
        cohort.set_clock(datetime.fromisoformat(f"{day}T10:00").replace(tzinfo=ZoneInfo(zone)))
        mentor, mentee = await cohort.join_in(Role.mentor, zone, capacity=1), await cohort.join_in(Role.mentee, "Europe/Zurich")
        await cohort.prefer(mentee, mentor)
        request = await cohort.pending_for(mentor)
        remind_at, expires_at = (datetime.fromisoformat(request[k]) for k in ("remind_at", "expires_at"))
        assert (local(remind_at, zone), local(expires_at, zone)) == (f"{reminder} 10:00", f"{expiry} 10:00"), day
        cohort.set_clock(remind_at - timedelta(seconds=1))
        await worker.run_due()
        assert await cohort.timer_outcomes(request["id"]) == {"reminder": None, "expiry": None}
        cohort.set_clock(remind_at)
        await worker.run_due()
        assert await cohort.timer_outcomes(request["id"]) == {"reminder": "reminded", "expiry": None}
        cohort.set_clock(expires_at)
        await worker.run_due()
        assert await cohort.timer_outcomes(request["id"]) == {"reminder": "reminded", "expiry": "expired"}


async def test_across_a_dst_change_deadlines_keep_the_mentors_wall_clock(cohort):
    # New York moves its clocks forward on Sunday 2027-03-14: a Friday 09:00 request is reminded
    # on Monday 09:00 (now UTC-4) and expires on Tuesday 09:00, an hour sooner in elapsed time.
    zone = "America/New_York"
    cohort.set_clock(datetime(2027, 3, 12, 14, 0, tzinfo=UTC))  # Friday 09:00 EST
    mentor, mentee = await cohort.join_in(Role.mentor, zone, capacity=1), await cohort.join_in(Role.mentee, zone)
    await cohort.prefer(mentee, mentor)
    request = await cohort.pending_for(mentor)
    to_the_minute = {k: datetime.fromisoformat(request[k]).replace(second=0, microsecond=0) for k in ("remind_at", "expires_at")}
    assert to_the_minute == {
        "remind_at": datetime(2027, 3, 15, 13, 0, tzinfo=UTC),  # Monday 09:00 EDT
        "expires_at": datetime(2027, 3, 16, 13, 0, tzinfo=UTC),  # Tuesday 09:00 EDT
    }
    worker = deadline_worker(cohort.runtime)
    cohort.set_clock(datetime(2027, 3, 15, 12, 59, tzinfo=UTC))  # 08:59 EDT; a wrong 72 hours would be 09:00 EST = 14:00 UTC
    assert await worker.run_due() == []
    cohort.set_clock(datetime(2027, 3, 15, 13, 1, tzinfo=UTC))  # 09:01 EDT
    assert await worker.run_due() == ["reminded"]
    cohort.set_clock(datetime(2027, 3, 16, 13, 1, tzinfo=UTC))
    assert await worker.run_due() == ["expired"]


async def test_a_timer_that_keeps_failing_holds_back_nobody_and_ends_failed_and_visible(cohort):
    first = await cohort.join_in(Role.mentor, "Europe/Zurich", capacity=1)
    broken_next = await cohort.join_in(Role.mentor, "Europe/Zurich", capacity=1)
    other = await cohort.join_in(Role.mentor, "Europe/Zurich", capacity=1)
    stuck, fine = await cohort.join_in(Role.mentee, "Europe/Zurich"), await cohort.join_in(Role.mentee, "Europe/Zurich")
    await cohort.prefer(stuck, first, broken_next)
    cohort.runtime.clock.travel(timedelta(minutes=1))
    await cohort.prefer(fine, other)  # due a minute after stuck's: behind it in the worker's order
    # A mentor row with a time zone the deadline rules cannot read: expiring stuck's request sends it there, and fails.
    async with cohort.runtime.engine.begin() as conn:
        await conn.execute(participants.update().where(participants.c.id == broken_next).values(time_zone="Nowhere/Atlantis"))
    stuck_request = uuid.UUID((await cohort.pending_for(first))["id"])

    worker = deadline_worker(cohort.runtime)
    assert worker.progress.health() == "no pass completed yet"
    cohort.runtime.clock.travel(timedelta(days=8))
    assert sorted(await worker.run_due()) == ["expired", "failed_attempt", "reminded", "reminded"]  # fine's expired
    assert worker.progress.health() == "ok"
    assert (await cohort.pending_for(other)) is None  # fine's request expired behind the failing one
    async with cohort.runtime.engine.connect() as conn:
        status = (await conn.execute(sa.select(requests.c.status).where(requests.c.id == stuck_request))).scalar_one()
        failing = (
            await conn.execute(sa.select(timers).where(timers.c.request_id == stuck_request, timers.c.kind == "expiry"))
        ).one()
    assert status == "pending"  # the failed attempt rolled back whole
    assert (failing.attempts, failing.fired_at, failing.failed_at) == (1, None, None)
    assert "Nowhere/Atlantis" in failing.last_error and failing.next_attempt_at > cohort.runtime.now()
    assert await worker.run_due() == []  # not retried before its backoff

    for attempt in range(2, DeadlineTimers.backoff.attempts + 1):
        cohort.runtime.clock.travel(timedelta(hours=1))  # past any backoff
        assert await worker.run_due() == ["failed_attempt"], attempt
    cohort.runtime.clock.travel(timedelta(days=1))
    assert await worker.run_due() == []  # failed: no longer tried
    async with cohort.runtime.engine.connect() as conn:
        failing = (await conn.execute(sa.select(timers).where(timers.c.id == failing.id))).one()
    assert failing.attempts == DeadlineTimers.backoff.attempts and failing.failed_at is not None and failing.fired_at is None
    team = cohort.signer.headers("lead", "programme_team", programmes=[str(cohort.programme)])
    statistics = (await cohort.http.get(f"/cohorts/{cohort.id}/statistics", headers=team)).json()
    assert statistics["failed_timers"] == 1


async def test_a_restarted_service_fires_the_timers_that_fell_due_while_it_was_down(stack, database, signer):
    async with service_app("pairing", database, stack.kafka_bootstrap, signer) as (app, runtime):
        async with client(app) as http:
            before = ZonedCohort(http, runtime, signer)
            mentors = [await before.join_in(Role.mentor, "Asia/Bangkok", capacity=1) for _ in range(3)]
            for mentor in mentors:
                await before.prefer(await before.join_in(Role.mentee, "Asia/Bangkok"), mentor)
            offset = runtime.clock.offset
    # Down for eight days: every deadline passes. A new process on the same database catches up.
    async with service_app("pairing", database, stack.kafka_bootstrap, signer) as (app, runtime):
        runtime.clock = TravellingClock(offset + timedelta(days=8))
        # What the service starts: the workers of requests' and of offers' timers, each with its readiness check.
        [(name, run), (offers_name, run_offers)] = workers(runtime)
        worker = run.__self__
        async with client(app) as http:
            operator = signer.headers("operator", "service")  # the checks are for operators
            ready = await http.get("/readyz", headers=operator)
            assert ready.status_code == 503 and ready.json()["checks"]["deadline-worker"] == "no pass completed yet"
            assert sorted(await worker.run_due()) == ["expired"] * 3 + ["reminded"] * 3
            assert await run_offers.__self__.run_due() == []  # no offer was made
            ready = await http.get("/readyz", headers=operator)
            assert ready.status_code == 200 and ready.json()["checks"]["deadline-worker"] == "ok", ready.text
        assert (name, offers_name) == ("deadline-worker", "offer-deadline-worker")
        async with runtime.engine.connect() as conn:
            unfired = (await conn.execute(sa.select(sa.func.count()).where(timers.c.fired_at.is_(None)))).scalar_one()
        assert unfired == 0


async def test_a_due_timer_shows_on_metrics_until_the_worker_fires_it(cohort):
    mentor, mentee = await cohort.join_in(Role.mentor, "Europe/Zurich", capacity=1), await cohort.join_in(Role.mentee, "UTC")
    await cohort.prefer(mentee, mentor)
    remind_at = datetime.fromisoformat((await cohort.pending_for(mentor))["remind_at"])
    before = await scrape(cohort.http)
    assert before.value("together_timers_due", worker="deadline-worker") == 0
    cohort.set_clock(remind_at + timedelta(minutes=5))

    due = await scrape(cohort.http)
    assert due.value("together_timers_due", worker="deadline-worker") == 1
    assert 300 <= due.value("together_timers_oldest_due_seconds", worker="deadline-worker") < 310
    assert await deadline_worker(cohort.runtime).run_due() == ["reminded"]
    fired = await scrape(cohort.http)
    assert fired.value("together_timers_due", worker="deadline-worker") == 0
    assert fired.value("together_timers_oldest_due_seconds", worker="deadline-worker") == 0
