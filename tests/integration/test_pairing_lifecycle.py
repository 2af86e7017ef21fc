"""The request lifecycle on the real database, with the clock: cascades, durable timers, the capacity race.

Pairing's real app runs in-process on a fresh database; participants arrive
through its own event handler; people act over HTTP with their tokens; time
moves with the service's travelling clock, and the deadline worker fires what
is due. Events are read from the service's outbox, where they are committed.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from pairing.consumers import handlers
from pairing.deadline_worker import deadline_worker
from pairing.tables import pairings, participants, requests, timers
from tests.apps import client, service_app
from tests.http.access import deliver, registered
from together_contracts.registration import CohortOpened, ProgrammeKind, Role
from together_events.tables import outbox_table

pytestmark = pytest.mark.integration


@pytest.fixture  # a database and a clock of its own per test: due timers and time travel stay apart
async def pairing(stack, create_database, signer):
    async with service_app("pairing", await create_database("lifecycle"), stack.kafka_bootstrap, signer) as (app, runtime):
        async with client(app) as http:
            yield http, runtime


class Cohort:
    """A fresh cohort per test: people register through pairing's own handler and act with tokens."""

    def __init__(self, http, runtime, signer) -> None:
        self.http, self.runtime, self.signer = http, runtime, signer
        self.id, self.programme = uuid.uuid4(), uuid.uuid4()
        self.person: dict[uuid.UUID, str] = {}

    async def join(self, role: Role, *, capacity: int | None = None) -> uuid.UUID:
        person = f"{role.value}-{uuid.uuid4().hex[:6]}"
        event = registered(
            person, self.programme, self.id, role, mentor_capacity=capacity, grade="P-5" if role == Role.mentor else "G-5"
        )
        await deliver(self.runtime, handlers(self.runtime), event)
        self.person[event.participant_id] = person
        return event.participant_id

    def as_(self, participant: uuid.UUID) -> dict[str, str]:
        return self.signer.headers(self.person[participant], "participant")

    async def prefer(self, mentee: uuid.UUID, *mentors: uuid.UUID) -> None:
        response = await self.http.post(
            f"/cohorts/{self.id}/mentees/{mentee}/preferences",
            json={"mentor_ids": [str(m) for m in mentors]},
            headers=self.as_(mentee),
        )
        assert response.status_code == 201, response.text

    async def pending_for(self, mentor: uuid.UUID) -> dict | None:
        response = await self.http.get(f"/mentors/{mentor}/current-request", headers=self.as_(mentor))
        return response.json() if response.status_code == 200 else None

    async def answer(self, mentor: uuid.UUID, verb: str) -> int:
        request = await self.pending_for(mentor)
        assert request is not None, "the mentor has a request to answer"
        return (await self.http.post(f"/requests/{request['id']}/{verb}", headers=self.as_(mentor))).status_code

    async def history(self, mentee: uuid.UUID) -> list[tuple[str, uuid.UUID | None]]:
        """The events of the mentee's requests (and selection's end) in commit order: (event name, mentor id)."""
        async with self.runtime.engine.connect() as conn:
            rows = await conn.execute(
                sa.select(outbox_table.c.event_type, outbox_table.c.envelope)
                .where(outbox_table.c.envelope["data"]["mentee_id"].astext == str(mentee))
                .where(outbox_table.c.event_type != "together.pairing.PreferencesSubmitted.v1")
                .order_by(outbox_table.c.position)
            )
            return [(t.split(".")[2], uuid.UUID(e["data"]["mentor_id"]) if "mentor_id" in e["data"] else None) for t, e in rows]


@pytest.fixture
async def cohort(pairing, signer):
    http, runtime = pairing
    return Cohort(http, runtime, signer)


async def travel_past_expiry(cohort: Cohort, mentor: uuid.UUID) -> None:
    request = await cohort.pending_for(mentor)
    async with cohort.runtime.engine.connect() as conn:
        expires_at = (
            await conn.execute(sa.select(requests.c.expires_at).where(requests.c.id == uuid.UUID(request["id"])))
        ).scalar_one()
    cohort.runtime.clock.travel(expires_at - cohort.runtime.now() + timedelta(seconds=1))


async def test_a_decline_sends_the_next_choice_and_the_last_one_asks_for_new_preferences(cohort):
    first, second = await cohort.join(Role.mentor, capacity=1), await cohort.join(Role.mentor, capacity=1)
    mentee = await cohort.join(Role.mentee)
    await cohort.prefer(mentee, first, second)
    assert await cohort.answer(first, "decline") == 204
    assert (await cohort.pending_for(second))["mentee_id"] == str(mentee)
    assert await cohort.answer(second, "decline") == 204
    assert await cohort.history(mentee) == [
        ("RequestQueued", first), ("RequestSent", first), ("RequestDeclined", first),
        ("RequestQueued", second), ("RequestSent", second), ("RequestDeclined", second),
        ("PreferencesExhausted", None),
    ]  # fmt: skip
    await cohort.prefer(mentee, first)  # asked for new preferences, the mentee may submit them
    assert (await cohort.pending_for(first))["rank"] == 1


async def test_the_reminder_and_the_expiry_fire_once_and_the_next_choice_is_tried(cohort):
    first, second = await cohort.join(Role.mentor, capacity=1), await cohort.join(Role.mentor, capacity=1)
    mentee = await cohort.join(Role.mentee)
    await cohort.prefer(mentee, first, second)
    worker = deadline_worker(cohort.runtime)
    assert await worker.run_due() == []  # nothing is due yet
    await travel_past_expiry(cohort, first)
    assert sorted(await worker.run_due()) == ["expired", "reminded"]
    assert await worker.run_due() == []  # fired once
    assert await cohort.pending_for(first) is None
    assert (await cohort.pending_for(second))["mentee_id"] == str(mentee)
    assert await cohort.history(mentee) == [
        ("RequestQueued", first), ("RequestSent", first), ("RequestReminderDue", first), ("RequestExpired", first),
        ("RequestQueued", second), ("RequestSent", second),
    ]  # fmt: skip


async def test_a_mentor_who_becomes_full_releases_the_requests_waiting_for_them(cohort):
    popular, fallback = await cohort.join(Role.mentor, capacity=1), await cohort.join(Role.mentor, capacity=1)
    early, late = await cohort.join(Role.mentee), await cohort.join(Role.mentee)
    await cohort.prefer(early, popular)
    await cohort.prefer(late, popular, fallback)
    assert (await cohort.pending_for(popular))["mentee_id"] == str(early)  # one request at a time; late's waits
    assert await cohort.answer(popular, "accept") == 200
    assert await cohort.history(late) == [
        ("RequestQueued", popular), ("RequestWithdrawn", popular), ("RequestQueued", fallback), ("RequestSent", fallback),
    ]  # fmt: skip
    assert (await cohort.pending_for(fallback))["mentee_id"] == str(late)


async def test_an_accept_and_an_expiry_racing_never_overfill_the_mentor(cohort):
    """Many rounds: the mentor's accept and the expiry worker hit the same request at once."""
    winners = []
    for _ in range(12):
        mentor = await cohort.join(Role.mentor, capacity=1)
        first, waiting = await cohort.join(Role.mentee), await cohort.join(Role.mentee)
        await cohort.prefer(first, mentor)
        await cohort.prefer(waiting, mentor)
        request_id = uuid.UUID((await cohort.pending_for(mentor))["id"])
        await travel_past_expiry(cohort, mentor)
        accept = cohort.http.post(f"/requests/{request_id}/accept", headers=cohort.as_(mentor))  # this request, not the next
        response, _ = await asyncio.gather(accept, deadline_worker(cohort.runtime).run_due())
        accepted = response.status_code
        async with cohort.runtime.engine.connect() as conn:
            active = (await conn.execute(sa.select(sa.func.count()).where(pairings.c.mentor_id == mentor))).scalar_one()
            counted = (
                await conn.execute(sa.select(participants.c.active_pairings).where(participants.c.id == mentor))
            ).scalar_one()
            status = (await conn.execute(sa.select(requests.c.status).where(requests.c.id == request_id))).scalar_one()
            expiry = (
                await conn.execute(
                    sa.select(timers.c.outcome).where(timers.c.request_id == request_id, timers.c.kind == "expiry")
                )
            ).scalar_one()
        assert active == counted <= 1
        if accepted == 200:  # the mentor won: the expiry was moot, the waiting mentee was released
            assert (status, expiry, active) == ("accepted", "moot", 1)
            assert ("RequestWithdrawn", mentor) in await cohort.history(waiting)
        else:  # the deadline won: the accept was refused, the waiting request reached the mentor
            assert (accepted, status, expiry, active) == (409, "expired", "expired", 0)
            assert (await cohort.pending_for(mentor))["mentee_id"] == str(waiting)
        winners.append(accepted)
    assert set(winners) <= {200, 409}


async def test_several_workers_and_a_crashed_one_fire_every_due_timer_exactly_once(cohort):
    mentors = [await cohort.join(Role.mentor, capacity=1) for _ in range(6)]
    for mentor in mentors:
        await cohort.prefer(await cohort.join(Role.mentee), mentor)
    cohort.runtime.clock.travel(timedelta(days=8))  # every deadline is due
    # A worker claims a timer and dies before committing: its claim goes with its transaction.
    async with cohort.runtime.engine.connect() as conn:
        transaction = await conn.begin()
        await conn.execute(sa.select(timers).where(timers.c.fired_at.is_(None)).limit(1).with_for_update(skip_locked=True))
        await transaction.rollback()
    results = await asyncio.gather(*(deadline_worker(cohort.runtime).run_due() for _ in range(3)))
    fired = [outcome for result in results for outcome in result]
    assert sorted(fired) == ["expired"] * 6 + ["reminded"] * 6
    async with cohort.runtime.engine.connect() as conn:
        unfired = (await conn.execute(sa.select(sa.func.count()).where(timers.c.fired_at.is_(None)))).scalar_one()
    assert unfired == 0


async def test_the_programme_team_sees_how_the_cohorts_pairing_goes(cohort):
    mentor, busy = await cohort.join(Role.mentor, capacity=1), await cohort.join(Role.mentor, capacity=1)
    paired, refused, idle = await cohort.join(Role.mentee), await cohort.join(Role.mentee), await cohort.join(Role.mentee)
    await cohort.prefer(paired, mentor)
    cohort.runtime.clock.travel(timedelta(hours=5))
    assert await cohort.answer(mentor, "accept") == 200
    await cohort.prefer(refused, busy)
    assert await cohort.answer(busy, "decline") == 204
    team = cohort.signer.headers("lead", "programme_team", programmes=[str(cohort.programme)])
    response = await cohort.http.get(f"/cohorts/{cohort.id}/statistics", headers=team)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "cohort_id": str(cohort.id),
        "mentees": {"paired": 1, "waiting": 0, "exhausted": 1, "without_preferences": 1, "withdrawn": 0},
        "requests": {
            "waiting": 0,
            "pending": 0,
            "accepted": 1,
            "declined": 1,
            "expired": 0,
            "withdrawn": 0,
            "cancelled": 0,
            "lapsed": 0,
        },
        "median_hours_to_answer": 2.5,  # 5 hours for the accept, none for the decline
        "failed_timers": 0,
    }
    # The cohort is its programme team's to see here: to anyone else, as if it did not exist (ADR 0005).
    assert (await cohort.http.get(f"/cohorts/{cohort.id}/statistics", headers=cohort.as_(idle))).status_code == 404
    other_team = cohort.signer.headers("lead", "programme_team", programmes=[str(uuid.uuid4())])
    assert (await cohort.http.get(f"/cohorts/{cohort.id}/statistics", headers=other_team)).status_code == 404


async def open_cohort(cohort: Cohort, kind: ProgrammeKind) -> None:
    today = date.today()
    event = CohortOpened(
        cohort_id=cohort.id, programme_id=cohort.programme, programme_kind=kind, name="c",
        registration_opens_on=today, registration_closes_on=today, starts_on=today, ends_on=today + timedelta(days=120),
    )  # fmt: skip
    await deliver(cohort.runtime, handlers(cohort.runtime), event)


async def pair(cohort: Cohort, capacity: int = 1) -> tuple[uuid.UUID, uuid.UUID, str]:
    mentor, mentee = await cohort.join(Role.mentor, capacity=capacity), await cohort.join(Role.mentee)
    await cohort.prefer(mentee, mentor)
    request = await cohort.pending_for(mentor)
    accepted = await cohort.http.post(f"/requests/{request['id']}/accept", headers=cohort.as_(mentor))
    assert accepted.status_code == 200
    return mentor, mentee, accepted.json()["pairing_id"]


async def test_a_mentee_who_requests_a_new_mentor_frees_the_place_and_followers_are_told(cohort):
    await open_cohort(cohort, ProgrammeKind.mentoring)
    mentor, mentee, pairing_id = await pair(cohort)
    follower = await cohort.join(Role.mentee)
    followed = await cohort.http.put(f"/mentors/{mentor}/followers/{follower}", headers=cohort.as_(follower))
    assert followed.json() == {"following": True, "newly": True}
    end = {"message_to_partner": "Thank you.\nOur goals drifted apart.", "note_to_programme_team": "Schedules never matched."}
    assert (await cohort.http.post(f"/pairings/{pairing_id}/end", json=end, headers=cohort.as_(mentor))).status_code == 403
    assert (await cohort.http.post(f"/pairings/{pairing_id}/end", json=end, headers=cohort.as_(follower))).status_code == 404
    assert (await cohort.http.post(f"/pairings/{pairing_id}/end", json={}, headers=cohort.as_(mentee))).status_code == 422
    assert (await cohort.http.post(f"/pairings/{pairing_id}/end", json=end, headers=cohort.as_(mentee))).status_code == 204
    assert (await cohort.http.post(f"/pairings/{pairing_id}/end", json=end, headers=cohort.as_(mentee))).status_code == 409

    seen_by_mentor = (await cohort.http.get(f"/pairings/{pairing_id}", headers=cohort.as_(mentor))).json()
    assert (seen_by_mentor["status"], seen_by_mentor["ended_by"]) == ("ended", "mentee")
    assert (seen_by_mentor["message_to_partner"], seen_by_mentor["note_to_programme_team"]) == (end["message_to_partner"], None)
    team = cohort.signer.headers("lead", "programme_team", programmes=[str(cohort.programme)])
    seen_by_team = (await cohort.http.get(f"/pairings/{pairing_id}", headers=team)).json()
    assert (seen_by_team["message_to_partner"], seen_by_team["note_to_programme_team"]) == (None, end["note_to_programme_team"])
    assert (await cohort.http.get(f"/pairings/{pairing_id}", headers=cohort.as_(follower))).status_code == 404

    async with cohort.runtime.engine.connect() as conn:
        active = (await conn.execute(sa.select(participants.c.active_pairings).where(participants.c.id == mentor))).scalar_one()
        events = (
            await conn.execute(sa.select(outbox_table.c.event_type, outbox_table.c.envelope).order_by(outbox_table.c.position))
        ).all()
    assert active == 0
    assert all(
        "drifted" not in str(envelope) and "Schedules" not in str(envelope) for _, envelope in events
    )  # free text stays home
    available = [e["data"] for t, e in events if t.endswith("MentorAvailable.v1")]
    assert available == [{"mentor_id": str(mentor), "mentee_id": str(follower), "available_at": available[0]["available_at"]}]
    await cohort.prefer(mentee, mentor)  # back in selection: the mentee may choose again (even the same mentor)


async def test_in_coaching_either_side_may_end_the_pairing(cohort):
    await open_cohort(cohort, ProgrammeKind.coaching)
    coach, client, pairing_id = await pair(cohort)
    ended = await cohort.http.post(
        f"/pairings/{pairing_id}/end", json={"message_to_partner": "All the best."}, headers=cohort.as_(coach)
    )
    assert ended.status_code == 204
    assert (await cohort.http.get(f"/pairings/{pairing_id}", headers=cohort.as_(client))).json()["ended_by"] == "mentor"


async def test_a_networking_request_goes_to_one_mentor_and_says_what_it_is_for(cohort):
    await open_cohort(cohort, ProgrammeKind.networking_mentoring)
    mentor, other, mentee = (
        await cohort.join(Role.mentor, capacity=2),
        await cohort.join(Role.mentor, capacity=2),
        await cohort.join(Role.mentee),
    )
    url = f"/cohorts/{cohort.id}/mentees/{mentee}/preferences"
    refused = await cohort.http.post(url, json={"mentor_ids": [str(mentor), str(other)]}, headers=cohort.as_(mentee))
    assert refused.status_code == 422
    assert {(d["field"], d["rule"]) for d in refused.json()["error"]["details"]} == {
        ("mentor_ids", "one_direct_request"), ("engagement", "required_for_networking"),
    }  # fmt: skip
    asked = await cohort.http.post(
        url, json={"mentor_ids": [str(mentor)], "engagement": "networking_meetings"}, headers=cohort.as_(mentee)
    )
    assert asked.status_code == 201, asked.text
    async with cohort.runtime.engine.connect() as conn:
        sent = (
            await conn.execute(
                sa.select(outbox_table.c.envelope).where(outbox_table.c.event_type == "together.pairing.RequestSent.v1")
            )
        ).scalar_one()
    assert sent["data"]["engagement"] == "networking_meetings"
