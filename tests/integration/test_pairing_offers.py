"""Offers on the real database, with the clock: reverse mentoring's proposals and on-the-job learning's
nominations are checked where they are made (the rules a request meets, and the kind of programme), answered by
their receiver, accepted into a pairing as a request is, and expire on their durable timers.

Pairing's real app runs in-process on a fresh database; participants and cohorts arrive through its own event
handlers; people act over HTTP with their tokens; events are read from the service's outbox.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from pairing.consumers import handlers
from pairing.deadline_worker import offer_deadline_worker
from pairing.tables import offers, participants
from tests.http.access import deliver, registered
from tests.integration.test_pairing_lifecycle import Cohort, open_cohort, pairing  # noqa: F401 (the fixture)
from together_contracts.registration import CohortEnded, ParticipantWithdrawn, ProgrammeKind, Role
from together_events.tables import outbox_table

pytestmark = pytest.mark.integration


class KindCohort(Cohort):
    async def joins(self, role: Role, grade: str, *, capacity: int | None = None) -> uuid.UUID:
        person = f"{role.value}-{uuid.uuid4().hex[:6]}"
        event = registered(person, self.programme, self.id, role, mentor_capacity=capacity, grade=grade)
        await deliver(self.runtime, handlers(self.runtime), event)
        self.person[event.participant_id] = person
        return event.participant_id

    @property
    def team(self) -> dict[str, str]:
        return self.signer.headers("supervisors-desk", "programme_team", programmes=[str(self.programme)])

    async def propose(self, mentor: uuid.UUID, mentee: uuid.UUID, **headers: str):
        return await self.http.post(
            f"/cohorts/{self.id}/mentees/{mentee}/proposals",
            json={"mentor_id": str(mentor)},
            headers={**self.as_(mentor), **headers},
        )

    async def nominate(self, mentor: uuid.UUID, mentee: uuid.UUID, headers: dict[str, str] | None = None):
        return await self.http.post(
            f"/cohorts/{self.id}/nominations",
            json={"mentee_id": str(mentee), "mentor_id": str(mentor)},
            headers=headers or self.team,
        )

    async def events_of(self, offer_id: str) -> list[str]:
        async with self.runtime.engine.connect() as conn:
            rows = await conn.execute(
                sa.select(outbox_table.c.event_type)
                .where(
                    sa.or_(
                        outbox_table.c.envelope["data"]["offer_id"].astext == offer_id,
                        outbox_table.c.envelope["data"]["request_id"].astext == offer_id,
                    )
                )
                .order_by(outbox_table.c.position)
            )
            return [event_type.split(".")[2] for event_type in rows.scalars()]

    async def status_of(self, offer_id: str) -> str:
        async with self.runtime.engine.connect() as conn:
            return str((await conn.execute(sa.select(offers.c.status).where(offers.c.id == uuid.UUID(offer_id)))).scalar_one())


@pytest.fixture
async def cohort(pairing, signer):  # noqa: F811 (the fixture imported above)
    http, runtime = pairing
    return KindCohort(http, runtime, signer)


def rules_of(response) -> list[tuple[str, str]]:
    return [(d["field"], d["rule"]) for d in response.json()["error"]["details"]]


async def test_a_mentor_proposes_in_reverse_mentoring_and_the_mentees_accept_forms_a_pairing(cohort):
    await open_cohort(cohort, ProgrammeKind.reverse_mentoring)
    junior, other_junior = await cohort.joins(Role.mentor, "G-5", capacity=1), await cohort.joins(Role.mentor, "G-4", capacity=1)
    senior = await cohort.joins(Role.mentee, "D-1")
    proposed = await cohort.propose(junior, senior)
    assert proposed.status_code == 201, proposed.text
    offer_id = proposed.json()["offer_id"]
    assert (await cohort.propose(other_junior, senior)).status_code == 422  # one offer awaits the mentee's answer

    listed = await cohort.http.get(f"/participants/{senior}/offers", headers=cohort.as_(senior))
    assert listed.status_code == 200, listed.text
    [seen] = listed.json()
    assert (seen["id"], seen["kind"], seen["receiver_id"], seen["status"]) == (offer_id, "proposal", str(senior), "pending")

    # Only the receiver answers: to the mentor who proposed, the offer to accept does not exist.
    assert (await cohort.http.post(f"/offers/{offer_id}/accept", headers=cohort.as_(junior))).status_code == 404
    accepted = await cohort.http.post(f"/offers/{offer_id}/accept", headers=cohort.as_(senior))
    assert accepted.status_code == 200, accepted.text
    pairing_id = accepted.json()["pairing_id"]
    assert await cohort.events_of(offer_id) == ["OfferMade", "OfferAccepted", "PairingFormed"]
    again = await cohort.http.post(f"/offers/{offer_id}/accept", headers=cohort.as_(senior))
    assert (again.status_code, rules_of(again)) == (409, [("offer_id", "pending")])
    async with cohort.runtime.engine.connect() as conn:
        taken = await conn.execute(sa.select(participants.c.active_pairings).where(participants.c.id == junior))
        assert taken.scalar_one() == 1  # the mentor's place is counted as an accepted request's

    # The pairing is any other: its partners read it and the mentee ends it.
    shown = await cohort.http.get(f"/pairings/{pairing_id}", headers=cohort.as_(junior))
    assert (shown.status_code, shown.json()["mentee_id"]) == (200, str(senior))
    ended = await cohort.http.post(
        f"/pairings/{pairing_id}/end", json={"message_to_partner": "thank you"}, headers=cohort.as_(senior)
    )
    assert ended.status_code == 204, ended.text
    assert (await cohort.propose(other_junior, senior)).status_code == 201  # back in selection


async def test_an_offer_is_refused_where_it_is_made_naming_the_rule(cohort):
    await open_cohort(cohort, ProgrammeKind.reverse_mentoring)
    senior_mentor, full_mentor = (
        await cohort.joins(Role.mentor, "D-2", capacity=1),
        await cohort.joins(Role.mentor, "G-3", capacity=0),
    )
    mentee = await cohort.joins(Role.mentee, "P-4")
    refused = await cohort.propose(senior_mentor, mentee)
    assert (refused.status_code, rules_of(refused)) == (422, [("mentor_id", "grade")])  # reverse mentoring inverts the rule
    assert (await cohort.propose(full_mentor, mentee)).json()["error"]["details"][0]["rule"] == "free_capacity"
    in_french = await cohort.propose(senior_mentor, mentee, **{"Accept-Language": "fr"})
    assert in_french.json()["error"]["message"].startswith("offre refusée : ")

    # A nomination is on-the-job learning's: in reverse mentoring it is refused as a conflict naming the rule.
    wrong = await cohort.nominate(full_mentor, mentee)
    assert (wrong.status_code, rules_of(wrong)) == (409, [("cohort_id", "nomination_in_on_the_job_learning")])
    # And only the programme team nominates, for the supervisor: to a participant the cohort does not exist.
    assert (await cohort.nominate(full_mentor, mentee, headers=cohort.as_(mentee))).status_code == 404


async def test_a_proposal_outside_reverse_mentoring_is_a_conflict_naming_the_rule(cohort):
    await open_cohort(cohort, ProgrammeKind.mentoring)
    mentor, mentee = await cohort.joins(Role.mentor, "G-3", capacity=1), await cohort.joins(Role.mentee, "P-4")
    wrong = await cohort.propose(mentor, mentee)
    assert (wrong.status_code, rules_of(wrong)) == (409, [("cohort_id", "proposal_in_reverse_mentoring")])


async def test_a_nomination_the_mentor_leaves_unanswered_is_reminded_then_expires_on_the_clock(cohort):
    await open_cohort(cohort, ProgrammeKind.on_the_job_learning)
    mentor, mentee = await cohort.joins(Role.mentor, "P-5", capacity=2), await cohort.joins(Role.mentee, "P-2")
    nominated = await cohort.nominate(mentor, mentee)
    assert nominated.status_code == 201, nominated.text
    offer_id = nominated.json()["offer_id"]
    [listed] = (await cohort.http.get(f"/participants/{mentor}/offers", headers=cohort.as_(mentor))).json()
    assert (listed["kind"], listed["receiver_id"]) == ("nomination", str(mentor))

    worker = offer_deadline_worker(cohort.runtime)
    assert await worker.run_due() == []  # nothing is due yet
    async with cohort.runtime.engine.connect() as conn:
        expires_at = (await conn.execute(sa.select(offers.c.expires_at).where(offers.c.id == uuid.UUID(offer_id)))).scalar_one()
    cohort.runtime.clock.travel(expires_at - cohort.runtime.now() + timedelta(seconds=1))
    assert sorted(await worker.run_due()) == ["expired", "reminded"]
    assert await worker.run_due() == []  # fired once
    assert await cohort.status_of(offer_id) == "expired"
    assert await cohort.events_of(offer_id) == ["OfferMade", "OfferReminderDue", "OfferExpired"]
    late = await cohort.http.post(f"/offers/{offer_id}/accept", headers=cohort.as_(mentor))
    assert (late.status_code, rules_of(late)) == (409, [("offer_id", "pending")])

    # The supervisor nominates again; this time the mentor declines, and the offer is over.
    again = await cohort.nominate(mentor, mentee)
    assert again.status_code == 201, again.text
    declined = await cohort.http.post(f"/offers/{again.json()['offer_id']}/decline", headers=cohort.as_(mentor))
    assert declined.status_code == 204, declined.text
    assert await cohort.events_of(again.json()["offer_id"]) == ["OfferMade", "OfferDeclined"]
    assert await worker.run_due() == []


async def test_offers_that_can_no_longer_be_accepted_are_withdrawn_saying_why(cohort):
    await open_cohort(cohort, ProgrammeKind.on_the_job_learning)
    mentor, leaving = await cohort.joins(Role.mentor, "P-5", capacity=1), await cohort.joins(Role.mentor, "P-5", capacity=1)
    first, second, third = [await cohort.joins(Role.mentee, "P-2") for _ in range(3)]
    offer_ids = []
    for mentee, nominee in ((first, mentor), (second, mentor), (third, leaving)):
        made = await cohort.nominate(nominee, mentee)
        assert made.status_code == 201, made.text
        offer_ids.append(made.json()["offer_id"])

    # The mentor accepts one nomination: full now, the other one for them is withdrawn.
    assert (await cohort.http.post(f"/offers/{offer_ids[0]}/accept", headers=cohort.as_(mentor))).status_code == 200
    assert await cohort.events_of(offer_ids[1]) == ["OfferMade", "OfferWithdrawn"]
    # A mentor who leaves the cohort: the offer naming them is withdrawn with their other items.
    left = ParticipantWithdrawn(
        participant_id=leaving, person_id=cohort.person[leaving], cohort_id=cohort.id, programme_id=cohort.programme,
        withdrawn_at=cohort.runtime.now(), answers_erased=False,
    )  # fmt: skip
    await deliver(cohort.runtime, handlers(cohort.runtime), left)
    assert await cohort.events_of(offer_ids[2]) == ["OfferMade", "OfferWithdrawn"]
    async with cohort.runtime.engine.connect() as conn:
        reasons = await conn.execute(
            sa.select(outbox_table.c.envelope["data"]["reason"].astext)
            .where(outbox_table.c.event_type == "together.pairing.OfferWithdrawn.v1")
            .order_by(outbox_table.c.position)
        )
        assert list(reasons.scalars()) == ["mentor_full", "participant_withdrew"]


async def test_a_request_accepted_first_withdraws_the_offers_it_makes_moot(cohort):
    await open_cohort(cohort, ProgrammeKind.reverse_mentoring)
    junior, requested = await cohort.joins(Role.mentor, "G-5", capacity=1), await cohort.joins(Role.mentor, "G-4", capacity=1)
    senior, other = await cohort.joins(Role.mentee, "D-1"), await cohort.joins(Role.mentee, "D-2")
    to_senior = (await cohort.propose(junior, senior)).json()["offer_id"]
    from_requested = await cohort.propose(requested, other)
    assert from_requested.status_code == 201, from_requested.text
    # The senior's own request reaches the other mentor first, who accepts it: full, and the senior paired.
    await cohort.prefer(senior, requested)
    assert await cohort.answer(requested, "accept") == 200
    assert await cohort.events_of(to_senior) == ["OfferMade", "OfferWithdrawn"]  # the senior was paired first
    assert await cohort.events_of(from_requested.json()["offer_id"]) == ["OfferMade", "OfferWithdrawn"]  # the mentor is full
    async with cohort.runtime.engine.connect() as conn:
        reasons = await conn.execute(
            sa.select(outbox_table.c.envelope["data"]["reason"].astext)
            .where(outbox_table.c.event_type == "together.pairing.OfferWithdrawn.v1")
            .order_by(outbox_table.c.position)
        )
        assert list(reasons.scalars()) == ["mentee_paired", "mentor_full"]


async def test_the_cohorts_end_withdraws_its_pending_offers_and_refuses_new_ones(cohort):
    await open_cohort(cohort, ProgrammeKind.on_the_job_learning)
    mentor, other = await cohort.joins(Role.mentor, "P-5", capacity=1), await cohort.joins(Role.mentor, "P-5", capacity=1)
    mentee, late = await cohort.joins(Role.mentee, "P-2"), await cohort.joins(Role.mentee, "P-2")
    made = await cohort.nominate(mentor, mentee)
    assert made.status_code == 201, made.text
    offer_id = made.json()["offer_id"]

    ended = CohortEnded(
        cohort_id=cohort.id, programme_id=cohort.programme, ends_on=cohort.runtime.now().date(), ended_at=cohort.runtime.now()
    )
    await deliver(cohort.runtime, handlers(cohort.runtime), ended)
    assert await cohort.events_of(offer_id) == ["OfferMade", "OfferWithdrawn"]
    assert await cohort.status_of(offer_id) == "withdrawn"
    async with cohort.runtime.engine.connect() as conn:
        reason = await conn.execute(
            sa.select(outbox_table.c.envelope["data"]["reason"].astext).where(
                outbox_table.c.event_type == "together.pairing.OfferWithdrawn.v1"
            )
        )
        assert reason.scalar_one() == "cohort_ended"

    # Nothing new in an ended cohort: neither an offer nor an answer to one.
    refused = await cohort.nominate(other, late)
    assert (refused.status_code, rules_of(refused)) == (409, [("cohort_id", "cohort_ended")])
    answered = await cohort.http.post(f"/offers/{offer_id}/accept", headers=cohort.as_(mentor))
    assert (answered.status_code, rules_of(answered)) == (409, [("cohort_id", "cohort_ended")])
