"""What registration's and matching's events do to the request lifecycle, on the real database:
a participant's withdrawal, coaches and clients, capacities raised and lowered, accepted
assignments; and following only a full mentor.

Events are applied through pairing's own handlers (as its consumer does); the last test sends
them over the real broker to pairing's consumer, duplicates included.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from pairing.consumers import handlers
from pairing.deadline_worker import deadline_worker
from pairing.tables import followers, pairings, participants, requests, selections
from tests.apps import client, service_app
from tests.http.access import deliver, envelope_of, registered
from tests.integration.test_pairing_lifecycle import Cohort, open_cohort
from tests.kafka_tools import group_caught_up, wait_until
from together_contracts.matching import AssignedPair, AssignmentAccepted
from together_contracts.registration import (
    CoachCredentialApproved,
    ParticipantAdmitted,
    ParticipantProfileUpdated,
    ParticipantRegistered,
    ParticipantRoleGranted,
    ParticipantWithdrawn,
    ProgrammeKind,
    Role,
)
from together_contracts.topics import declared_topics
from together_events import EventConsumer, build_producer
from together_events.tables import outbox_table
from together_events.topics import service_topic
from together_operator.provision import delete_topics, ensure_topics

pytestmark = pytest.mark.integration


@pytest.fixture
async def pairing(stack, create_database, signer):
    async with service_app("pairing", await create_database("participants"), stack.kafka_bootstrap, signer) as (app, runtime):
        async with client(app) as http:
            yield http, runtime


class World(Cohort):
    """A cohort whose registrations are kept, so later participant events can restate them."""

    def __init__(self, http, runtime, signer) -> None:
        super().__init__(http, runtime, signer)
        self.registration: dict[uuid.UUID, ParticipantRegistered] = {}

    async def register(self, *roles: Role, capacity: int | None = None, **fields: object) -> uuid.UUID:
        person = f"{roles[0].value}-{uuid.uuid4().hex[:6]}"
        event = registered(person, self.programme, self.id, *roles, mentor_capacity=capacity).model_copy(update=fields)
        await deliver(self.runtime, handlers(self.runtime), event)
        self.person[event.participant_id], self.registration[event.participant_id] = person, event
        return event.participant_id

    async def join(self, role: Role, *, capacity: int | None = None) -> uuid.UUID:
        return await self.register(role, capacity=capacity)

    async def apply(self, *events) -> None:
        await deliver(self.runtime, handlers(self.runtime), *events)

    def updated(self, participant: uuid.UUID, **changes: object) -> ParticipantProfileUpdated:
        state = self.registration[participant].model_dump(include=set(ParticipantProfileUpdated.model_fields))
        return ParticipantProfileUpdated(**{**state, **changes, "changed": sorted(changes), "updated_at": datetime.now(UTC)})

    def withdrawn(self, participant: uuid.UUID) -> ParticipantWithdrawn:
        return ParticipantWithdrawn(
            participant_id=participant, person_id=self.person[participant], cohort_id=self.id, programme_id=self.programme,
            withdrawn_at=datetime.now(UTC), answers_erased=False,
        )  # fmt: skip

    async def follow(self, mentor: uuid.UUID, mentee: uuid.UUID):
        return await self.http.put(f"/mentors/{mentor}/followers/{mentee}", headers=self.as_(mentee))

    async def submit(self, mentee: uuid.UUID, *mentors: uuid.UUID):
        return await self.http.post(
            f"/cohorts/{self.id}/mentees/{mentee}/preferences",
            json={"mentor_ids": [str(m) for m in mentors]},
            headers=self.as_(mentee),
        )

    async def events(self, name: str, version: int = 1) -> list[dict]:
        async with self.runtime.engine.connect() as conn:
            rows = await conn.execute(
                sa.select(outbox_table.c.envelope)
                .where(outbox_table.c.event_type == f"together.pairing.{name}.v{version}")
                .order_by(outbox_table.c.position)
            )
            return [envelope["data"] for (envelope,) in rows]

    async def outbox_size(self) -> int:
        async with self.runtime.engine.connect() as conn:
            return (await conn.execute(sa.select(sa.func.count()).select_from(outbox_table))).scalar_one()

    async def value(self, column: sa.Column, *where: sa.ColumnElement[bool]):
        async with self.runtime.engine.connect() as conn:
            return (await conn.execute(sa.select(column).where(*where))).scalar_one()


@pytest.fixture
async def world(pairing, signer):
    http, runtime = pairing
    return World(http, runtime, signer)


async def paired(world: World, mentor: uuid.UUID, mentee: uuid.UUID) -> None:
    assert (await world.submit(mentee, mentor)).status_code == 201
    assert await world.answer(mentor, "accept") == 200


async def test_a_withdrawn_mentee_leaves_every_queue_and_their_pairing_ends(world):
    busy, full = await world.join(Role.mentor, capacity=1), await world.join(Role.mentor, capacity=1)
    leaving, behind = await world.join(Role.mentee), await world.join(Role.mentee)
    paired_leaving, follower = await world.join(Role.mentee), await world.join(Role.mentee)
    assert (await world.submit(leaving, busy)).status_code == 201
    assert (await world.submit(behind, busy)).status_code == 201  # waits behind leaving's pending request
    await paired(world, full, paired_leaving)
    assert (await world.follow(full, follower)).status_code == 200

    before = await world.outbox_size()
    await world.apply(world.withdrawn(leaving))
    assert await world.history(leaving) == [("RequestQueued", busy), ("RequestSent", busy), ("RequestCancelled", busy)]
    assert (await world.pending_for(busy))["mentee_id"] == str(behind)  # the mentor's next waiting request reached them
    assert await world.value(selections.c.status, selections.c.mentee_id == leaving) == "closed"
    cancelled = (await world.events("RequestCancelled"))[-1]
    assert (cancelled["withdrawn_participant_id"], cancelled["was_pending"]) == (str(leaving), True)

    await world.apply(world.withdrawn(paired_leaving))
    ended = (await world.events("PairingEnded"))[-1]
    assert (ended["mentee_id"], ended["ended_by"], ended["participant_withdrew"]) == (str(paired_leaving), "mentee", True)
    assert await world.value(participants.c.active_pairings, participants.c.id == full) == 0
    told = await world.events("MentorAvailable")
    assert [(e["mentor_id"], e["mentee_id"]) for e in told] == [(str(full), str(follower))]  # the mentor has a place
    after = await world.outbox_size()

    # The same withdrawals again (a second event, not a redelivery the inbox would absorb): nothing more happens.
    await world.apply(world.withdrawn(leaving), world.withdrawn(paired_leaving))
    assert await world.outbox_size() == after > before
    refused = await world.submit(leaving, full)
    assert refused.status_code == 422 and refused.json()["error"]["details"][0]["rule"] == "still_in_cohort"

    # The cancelled request's timers fire as moot (as the accepted one's do); behind's request expires on its own.
    world.runtime.clock.travel(timedelta(days=8))
    assert sorted(await deadline_worker(world.runtime).run_due()) == ["expired"] + ["moot"] * 4 + ["reminded"]


async def test_a_withdrawn_mentors_mentees_move_on_and_their_followers_are_not_told(world):
    leaving = await world.join(Role.mentor, capacity=1)
    fallback, second_fallback = await world.join(Role.mentor, capacity=1), await world.join(Role.mentor, capacity=1)
    pending_mentee, waiting_mentee = await world.join(Role.mentee), await world.join(Role.mentee)
    assert (await world.submit(pending_mentee, leaving, fallback)).status_code == 201
    assert (await world.submit(waiting_mentee, leaving, second_fallback)).status_code == 201

    full, partner, follower = (
        await world.join(Role.mentor, capacity=1),
        await world.join(Role.mentee),
        await world.join(Role.mentee),
    )
    await paired(world, full, partner)
    assert (await world.follow(full, follower)).status_code == 200

    await world.apply(world.withdrawn(leaving), world.withdrawn(full))
    assert await world.history(pending_mentee) == [
        ("RequestQueued", leaving), ("RequestSent", leaving), ("RequestCancelled", leaving),
        ("RequestQueued", fallback), ("RequestSent", fallback),
    ]  # fmt: skip
    assert await world.history(waiting_mentee) == [
        ("RequestQueued", leaving), ("RequestCancelled", leaving), ("RequestQueued", second_fallback), ("RequestSent", second_fallback),
    ]  # fmt: skip
    ended = (await world.events("PairingEnded"))[-1]
    assert (ended["mentor_id"], ended["ended_by"], ended["participant_withdrew"]) == (str(full), "mentor", True)
    assert await world.events("MentorAvailable") == []  # the mentor left: no place opened
    async with world.runtime.engine.connect() as conn:
        assert (await conn.execute(sa.select(sa.func.count()).select_from(followers))).scalar_one() == 0
    # The partner is back in selection, but not with the mentor who left; nobody follows them either.
    refused = await world.submit(partner, full)
    assert [(d["field"], d["rule"]) for d in refused.json()["error"]["details"]] == [("mentor_ids.0", "mentor_in_cohort")]
    assert (await world.submit(partner, fallback)).status_code == 201
    assert (await world.follow(full, follower)).json()["error"]["details"][0]["rule"] == "mentor_in_cohort"
    team = world.signer.headers("lead", "programme_team", programmes=[str(world.programme)])
    statistics = (await world.http.get(f"/cohorts/{world.id}/statistics", headers=team)).json()
    assert statistics["requests"]["cancelled"] == 2


async def test_a_choice_whose_mentor_left_meanwhile_is_made_cancelled_and_the_next_one_tried(world):
    first, gone, last = (await world.join(Role.mentor, capacity=1), await world.join(Role.mentor, capacity=1),
                         await world.join(Role.mentor, capacity=1))  # fmt: skip
    mentee = await world.join(Role.mentee)
    assert (await world.submit(mentee, first, gone, last)).status_code == 201
    await world.apply(world.withdrawn(gone))
    assert await world.answer(first, "decline") == 204
    assert await world.history(mentee) == [
        ("RequestQueued", first), ("RequestSent", first), ("RequestDeclined", first),
        ("RequestQueued", gone), ("RequestCancelled", gone), ("RequestQueued", last), ("RequestSent", last),
    ]  # fmt: skip


async def test_a_capacity_raised_tells_followers_and_a_capacity_lowered_keeps_pairings_but_forms_no_new_one(world):
    mentor = await world.join(Role.mentor, capacity=1)
    first, second, third, follower = (await world.join(Role.mentee), await world.join(Role.mentee),
                                      await world.join(Role.mentee), await world.join(Role.mentee))  # fmt: skip
    await paired(world, mentor, first)
    assert (await world.follow(mentor, follower)).status_code == 200

    await world.apply(world.updated(mentor, mentor_capacity=2))
    assert [e["mentee_id"] for e in await world.events("MentorAvailable")] == [str(follower)]
    await paired(world, mentor, second)
    assert await world.value(participants.c.active_pairings, participants.c.id == mentor) == 2

    await world.apply(world.updated(mentor, mentor_capacity=3))  # room again; no follower left to tell
    assert (await world.submit(third, mentor)).status_code == 201
    await world.apply(world.updated(mentor, mentor_capacity=1))  # lowered below the pairings it holds
    assert await world.value(participants.c.active_pairings, participants.c.id == mentor) == 2  # both pairings stay
    assert await world.history(third) == [
        ("RequestQueued", mentor),
        ("RequestSent", mentor),
        ("RequestWithdrawn", mentor),
        ("PreferencesExhausted", None),
    ]  # fmt: skip  the pending request could only be refused: it is released
    refused = await world.submit(third, mentor)
    assert [(d["field"], d["rule"]) for d in refused.json()["error"]["details"]] == [("mentor_ids.0", "free_capacity")]
    assert (await world.follow(mentor, third)).status_code == 200  # full: may be followed
    assert len(await world.events("MentorAvailable")) == 1  # lowering tells nobody


async def test_only_a_full_mentor_can_be_followed(world):
    mentor, mentee, follower = (
        await world.join(Role.mentor, capacity=1),
        await world.join(Role.mentee),
        await world.join(Role.mentee),
    )
    refused = await world.follow(mentor, follower)
    assert refused.status_code == 422
    assert [(d["field"], d["rule"]) for d in refused.json()["error"]["details"]] == [("mentor_id", "mentor_full")]
    await paired(world, mentor, mentee)
    assert (await world.follow(mentor, follower)).json() == {"following": True, "newly": True}


async def test_coaches_are_requested_by_clients_once_approved_and_a_role_grant_raises_capacity(world):
    await open_cohort(world, ProgrammeKind.coaching)
    coach = await world.register(Role.coach, coach_capacity=1)
    client_, other_client = await world.register(Role.client), await world.register(Role.client)
    refused = await world.submit(client_, coach)
    assert [(d["field"], d["rule"]) for d in refused.json()["error"]["details"]] == [("mentor_ids.0", "mentor_in_cohort")]

    await world.apply(
        CoachCredentialApproved(
            participant_id=coach, person_id=world.person[coach], cohort_id=world.id, programme_id=world.programme,
            credential_id=uuid.uuid4(), approved_at=datetime.now(UTC),
        )
    )  # fmt: skip
    assert (await world.submit(client_, coach)).status_code == 201
    assert await world.answer(coach, "accept") == 200
    assert await world.value(participants.c.capacity, participants.c.id == coach) == 1
    assert (await world.follow(coach, other_client)).status_code == 200  # the coach is full

    state = world.updated(coach).model_dump(exclude={"changed", "updated_at"})
    grant = ParticipantRoleGranted(
        **{**state, "roles": [Role.coach, Role.mentor], "mentor_capacity": 1},
        granted_role=Role.mentor,
        granted_at=datetime.now(UTC),
    )
    await world.apply(grant)
    assert await world.value(participants.c.capacity, participants.c.id == coach) == 2
    assert [e["mentee_id"] for e in await world.events("MentorAvailable")] == [str(other_client)]
    assert (await world.submit(other_client, coach)).status_code == 201


async def test_an_accepted_assignment_sends_each_free_pair_through_the_lifecycle_once(world):
    mentors = [await world.join(Role.mentor, capacity=1) for _ in range(3)]
    fresh, already_paired, choosing = await world.join(Role.mentee), await world.join(Role.mentee), await world.join(Role.mentee)
    await paired(world, mentors[1], already_paired)
    assert (await world.submit(choosing, mentors[2])).status_code == 201
    stranger = uuid.uuid4()
    assignment = AssignmentAccepted(
        assignment_id=uuid.uuid4(), cohort_id=world.id, programme_id=world.programme, accepted_at=datetime.now(UTC),
        pairs=[AssignedPair(mentee_id=fresh, mentor_id=mentors[0], score=0.9),
               AssignedPair(mentee_id=already_paired, mentor_id=mentors[0], score=0.8),
               AssignedPair(mentee_id=choosing, mentor_id=mentors[0], score=0.7),
               AssignedPair(mentee_id=fresh, mentor_id=stranger, score=0.1)],
    )  # fmt: skip
    await world.apply(assignment)
    assert await world.history(fresh) == [
        ("RequestQueued", mentors[0]), ("RequestSent", mentors[0]),
        ("AssignedPairSkipped", stranger), ("AssignedPairSkipped", stranger),  # v2, and v1 beside it while they overlap
    ]  # fmt: skip
    submitted = (await world.events("PreferencesSubmitted"))[-1]
    assert (submitted["mentee_id"], submitted["assignment_id"]) == (str(fresh), str(assignment.assignment_id))
    request = await world.pending_for(mentors[0])
    assert request["rank"] == 1 and request["remind_at"] and request["expires_at"]

    await world.apply(assignment)  # the same assignment again, as a new event: nothing is sent twice
    skipped = [(e["mentee_id"], e["reason"]) for e in await world.events("AssignedPairSkipped")]
    first_time = [(str(already_paired), "mentee_paired"), (str(choosing), "open_selection"), (str(fresh), "mentor_unknown")]
    assert skipped[:3] == first_time
    assert skipped[3:] == [(str(fresh), "already_sent"), *first_time]
    assert [(e["mentee_id"], e["reason"]) for e in await world.events("AssignedPairSkipped", version=2)] == skipped
    assert await world.value(sa.func.count(), selections.c.mentee_id == fresh) == 1
    assert await world.answer(mentors[0], "accept") == 200  # the mentor may answer as any request


async def test_a_withdrawal_racing_an_accept_and_an_expiry_never_overfills_the_mentor(world):
    """Each round: the mentor's accept, the expiry and the mentee's withdrawal hit one request at once."""
    outcomes = set()
    for _ in range(8):
        mentor = await world.join(Role.mentor, capacity=1)
        leaving, waiting = await world.join(Role.mentee), await world.join(Role.mentee)
        assert (await world.submit(leaving, mentor)).status_code == 201
        assert (await world.submit(waiting, mentor)).status_code == 201
        request_id = uuid.UUID((await world.pending_for(mentor))["id"])
        expires_at = await world.value(requests.c.expires_at, requests.c.id == request_id)
        world.runtime.clock.travel(expires_at - world.runtime.now() + timedelta(seconds=1))
        accept = world.http.post(f"/requests/{request_id}/accept", headers=world.as_(mentor))  # this request, not the next
        response, _, _ = await asyncio.gather(
            accept, deadline_worker(world.runtime).run_due(), world.apply(world.withdrawn(leaving))
        )
        accepted = response.status_code
        async with world.runtime.engine.connect() as conn:
            active = (
                await conn.execute(
                    sa.select(sa.func.count()).where(pairings.c.mentor_id == mentor, pairings.c.status == "active")
                )
            ).scalar_one()
            counted = (
                await conn.execute(sa.select(participants.c.active_pairings).where(participants.c.id == mentor))
            ).scalar_one()
            status = (await conn.execute(sa.select(requests.c.status).where(requests.c.id == request_id))).scalar_one()
            waiting_status = (
                await conn.execute(sa.select(requests.c.status).where(requests.c.mentee_id == waiting))
            ).scalar_one()
        assert active == counted <= 1
        assert status in {"accepted", "expired", "cancelled"} and accepted in {200, 409}
        assert (accepted == 200) == (status == "accepted")
        if status == "accepted":  # the withdrawal came after and ended the pairing; the waiting one was withdrawn (full)
            assert (active, waiting_status) == (0, "withdrawn")
        else:  # the request ended without a pairing: the waiting one reached the mentor
            assert (active, waiting_status) == (0, "pending")
        outcomes.add(status)
    assert outcomes <= {"accepted", "expired", "cancelled"}


async def test_registration_and_matching_events_over_the_broker_duplicates_included(stack, create_database, signer):
    namespace = f"pairingev{uuid.uuid4().hex[:8]}."
    topics = declared_topics(namespace)
    await ensure_topics(stack.kafka_bootstrap, topics)
    producer = build_producer(stack.kafka_bootstrap, client_id="test-pairing-events")
    await producer.start()
    database = await create_database("participants_broker")
    try:
        async with service_app("pairing", database, stack.kafka_bootstrap, signer) as (_app, runtime):
            world = World(None, runtime, signer)
            mentor, mentee = (registered(f"p-{uuid.uuid4().hex[:6]}", world.programme, world.id, role, mentor_capacity=1)
                              for role in (Role.mentor, Role.mentee))  # fmt: skip
            world.person[mentor.participant_id] = mentor.person_id
            assignment = AssignmentAccepted(
                assignment_id=uuid.uuid4(), cohort_id=world.id, programme_id=world.programme, accepted_at=datetime.now(UTC),
                pairs=[AssignedPair(mentee_id=mentee.participant_id, mentor_id=mentor.participant_id, score=1.0)],
            )  # fmt: skip
            withdrawal = envelope_of(world.withdrawn(mentor.participant_id))
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv("TOGETHER_TOPIC_NAMESPACE", namespace)
                consumer = EventConsumer(
                    name="pairing", group_id=f"{namespace}pairing", engine=runtime.engine, bootstrap_servers=stack.kafka_bootstrap,
                    handlers=handlers(runtime), dead_letters=producer, now=runtime.now,
                )  # fmt: skip
            task = asyncio.create_task(consumer.run())

            async def publish(*envelopes) -> None:
                """Each step is handled before the next is sent: the two topics are not ordered with each other."""
                for envelope in envelopes:
                    topic = service_topic(envelope.type.split(".")[1], namespace)
                    await producer.send_and_wait(
                        topic, value=envelope.to_json_bytes(), key=envelope.subject.encode(), headers=envelope.kafka_headers()
                    )
                for name in consumer.topics:
                    await wait_until(lambda t=name: group_caught_up(stack.kafka_bootstrap, consumer.group_id, t), what=name)

            try:
                await publish(envelope_of(mentor), envelope_of(mentee))
                await publish(envelope_of(assignment))
                await publish(withdrawal, withdrawal)  # the same record twice: a redelivery
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            assert await world.history(mentee.participant_id) == [
                ("RequestQueued", mentor.participant_id),
                ("RequestSent", mentor.participant_id),
                ("RequestCancelled", mentor.participant_id),
                ("PreferencesExhausted", None),
            ]  # fmt: skip  sent by the assignment, cancelled once by the withdrawal delivered twice
            assert await world.value(participants.c.withdrawn_at.is_not(None), participants.c.id == mentor.participant_id)
    finally:
        await producer.stop()
        await delete_topics(stack.kafka_bootstrap, [t.name for t in topics])


async def test_a_waitlisted_mentee_requests_nobody_until_admitted(world):
    mentor, mentee = await world.join(Role.mentor, capacity=1), await world.register(Role.mentee, waitlisted=True)
    refused = await world.submit(mentee, mentor)
    assert [(d["field"], d["rule"]) for d in refused.json()["error"]["details"]] == [("mentee_id", "admitted")]
    assignment = AssignmentAccepted(
        assignment_id=uuid.uuid4(), cohort_id=world.id, programme_id=world.programme, accepted_at=datetime.now(UTC),
        pairs=[AssignedPair(mentee_id=mentee, mentor_id=mentor, score=1.0)],
    )  # fmt: skip
    await world.apply(assignment)
    assert [e["reason"] for e in await world.events("AssignedPairSkipped")] == ["mentee_unknown"]
    admitted = ParticipantAdmitted(
        participant_id=mentee, cohort_id=world.id, programme_id=world.programme, admitted_at=datetime.now(UTC)
    )
    await world.apply(admitted)
    assert (await world.submit(mentee, mentor)).status_code == 201
