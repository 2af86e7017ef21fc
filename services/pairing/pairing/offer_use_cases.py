"""Offers' use cases (`domain/offers.py`): a mentor's proposal in reverse mentoring, the supervisor's nomination in
on-the-job learning, the receiver's answer, and the offer's timers. Each runs in one transaction, in pairing's lock
order (the cohort's lock first, then rows: `repository.lock_cohort`), and records its events there (outbox).

Who acts (ADR 0012): a proposal is made by the mentor themself; a nomination by the cohort's programme team acting
for the supervisor (pairing knows no supervisor principal); only the receiver answers.
"""

from __future__ import annotations

import uuid
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from pairing import offer_records, records
from pairing.access import refuse_after_the_end, visible_cohort, visible_participant
from pairing.domain import offers, preferences
from pairing.domain.deadlines import request_deadlines
from pairing.domain.model import TimerKind, TimerOutcome, TransitionRefused
from pairing.domain.offers import Offer
from pairing.repository import Unit, participant_of
from together_contracts.pairing_kinds import OfferKind, OfferWithdrawalReason
from together_contracts.roles import is_full
from together_contracts.words import DEFAULT_LANGUAGE
from together_servicekit.auth import Forbidden, Principal
from together_servicekit.errors import Conflict, DomainError, NotFound, Violation
from together_servicekit.runtime import Runtime


async def make_offer(
    runtime: Runtime,
    caller: Principal,
    kind: OfferKind,
    *,
    cohort_id: UUID,
    mentee_id: UUID,
    mentor_id: UUID,
    language: str = DEFAULT_LANGUAGE,
) -> UUID:
    """A proposal (rule: the mentor themself) or a nomination (rule: the cohort's programme team, for the supervisor).
    409 in a programme of another kind; 422 with every reason a direct request from this mentee to this mentor
    would meet, and an offer already with the mentee. The offer reaches its receiver at once, with its deadlines."""
    async with runtime.engine.begin() as conn:
        unit = Unit(runtime, conn)
        await unit.lock_cohort(cohort_id)
        mentee = await unit.participant(mentee_id, lock=True)
        mentor = await unit.participant(mentor_id, lock=True)
        if mentee is not None and mentee.cohort_id == cohort_id:
            await refuse_after_the_end(conn, cohort_id)
        mentor = mentor if mentor is not None and mentor.cohort_id == cohort_id else None
        if kind is OfferKind.proposal:
            if mentor is None or not caller.is_person(mentor.person_id):
                if mentor is not None and caller.runs(mentor.programme_id):
                    raise Forbidden("only the mentor proposes to a mentee")
                raise NotFound("mentor in this cohort", mentor_id)
        else:
            await visible_cohort(conn, caller, cohort_id)  # the supervisor's nomination goes through the programme team
        if (wrong := offers.programme_kind_violation(kind, await unit.programme_kind(cohort_id), language)) is not None:
            raise Conflict(wrong.message, [wrong])
        if mentee is None or mentee.cohort_id != cohort_id:
            raise NotFound("mentee in this cohort", mentee_id)
        violations = offers.offer_violations(
            participant_of(mentee),
            preferences.MentorView(
                id=mentor.id,
                is_mentor=participant_of(mentor).offers_places,
                has_free_capacity=not is_full(mentor.capacity, mentor.active_pairings),
                side=records.side_of(mentor),
            )
            if mentor is not None
            else None,
            mentor_id,
            already_paired=await records.has_active_pairing(conn, mentee_id),
            has_open_selection=await records.has_open_selection(conn, mentee_id),
            has_open_offer=await offer_records.has_pending_offer(conn, mentee_id),
            programme=await records.programme_terms(conn, cohort_id),
            mentee_side=records.side_of(mentee),
            language=language,
        )
        if violations:
            raise DomainError(offers.refused(violations, language), violations)
        receiver = await unit.desk(mentee_id if kind is OfferKind.proposal else mentor_id)
        assert receiver is not None  # read above, under the cohort's lock
        now = runtime.now()
        offer, made = Offer.make(
            uuid.uuid4(),
            kind,
            cohort_id=cohort_id,
            mentee_id=mentee_id,
            mentor_id=mentor_id,
            now=now,
            deadlines=request_deadlines(now, receiver.time_zone, receiver.days_off),
        )
        await offer_records.insert(conn, offer, made_by=caller.subject)
        await runtime.record(conn, made)
    return offer.id


async def accept_offer(runtime: Runtime, caller: Principal, *, offer_id: UUID) -> UUID:
    """Rule: the offer's receiver (to anyone else it does not exist). A pairing forms as from an accepted request;
    409 naming the rule if it cannot now (answered already, a side left, the mentor full, the mentee paired or
    trying their own preferences). The mentor full now, their other pending offers are withdrawn (`mentor_full`)."""
    async with runtime.engine.begin() as conn:
        unit = Unit(runtime, conn)
        offer = await _offer_for_its_receiver(unit, caller, offer_id)
        mentee = await unit.participant(offer.mentee_id, lock=True)
        desk = await unit.desk(offer.mentor_id)
        assert mentee is not None and desk is not None  # an offer names participants pairing knows; rows are never deleted
        conflicts = offers.accept_conflicts(
            offer,
            mentee_in_cohort=mentee.withdrawn_at is None,
            mentor_in_cohort=not desk.withdrawn,
            mentor_full=desk.is_full,
            mentee_paired=await records.has_active_pairing(conn, offer.mentee_id),
            mentee_has_open_selection=await records.has_open_selection(conn, offer.mentee_id),
        )
        if conflicts:
            raise Conflict("; ".join(v.message for v in conflicts), conflicts)
        await unit.next_choices_after(desk.open_requests)  # what the accept reaches if it fills the mentor
        pairing = unit.lifecycle.accept_offer(offer, mentee_person_id=mentee.person_id)
        await unit.save()
        await offer_records.settle(conn, offer)
        if desk.is_full:
            await _withdraw(
                runtime, conn, await offer_records.of_mentor(conn, offer.mentor_id), OfferWithdrawalReason.mentor_full
            )
    return pairing.id


async def decline_offer(runtime: Runtime, caller: Principal, *, offer_id: UUID) -> None:
    """Rule: the offer's receiver. 409 unless it awaits an answer."""
    async with runtime.engine.begin() as conn:
        unit = Unit(runtime, conn)
        offer = await _offer_for_its_receiver(unit, caller, offer_id)
        try:
            declined = offer.decline(runtime.now())
        except TransitionRefused as refused:
            message = f"the offer is {refused.status}, not awaiting an answer"
            raise Conflict(message, [Violation("offer_id", "pending", message)]) from None
        await offer_records.settle(conn, offer)
        await runtime.record(conn, declined)


async def _offer_for_its_receiver(unit: Unit, caller: Principal, offer_id: UUID) -> Offer:
    cohort_id = await offer_records.cohort_of_offer(unit.conn, offer_id)
    if cohort_id is None:
        raise NotFound("offer", offer_id)
    await unit.lock_cohort(cohort_id)
    offer = await offer_records.offer(unit.conn, offer_id)
    receiver = await unit.participant(offer.receiver_id) if offer is not None else None
    if offer is None or receiver is None or not caller.is_person(receiver.person_id):
        raise NotFound("offer", offer_id)  # to anyone but its receiver, an offer to answer does not exist
    await refuse_after_the_end(unit.conn, cohort_id)
    return offer


async def _withdraw(runtime: Runtime, conn: AsyncConnection, pending: list[Offer], reason: OfferWithdrawalReason) -> None:
    for offer in pending:
        withdrawn = offer.withdraw(reason, runtime.now())
        await offer_records.settle(conn, offer)
        await runtime.record(conn, withdrawn)


async def request_accepted(
    runtime: Runtime, conn: AsyncConnection, *, mentee_id: UUID, mentor_id: UUID, mentor_full: bool
) -> None:
    """A request was just accepted (`use_cases.accept`, same transaction): offers to or for the mentee, and, the
    mentor full now, offers naming the mentor, can no longer be accepted."""
    await _withdraw(runtime, conn, await offer_records.of_participant(conn, mentee_id), OfferWithdrawalReason.mentee_paired)
    if mentor_full:
        await _withdraw(runtime, conn, await offer_records.of_mentor(conn, mentor_id), OfferWithdrawalReason.mentor_full)


async def participant_withdrew(runtime: Runtime, conn: AsyncConnection, participant_id: UUID) -> None:
    """The participant left the cohort (`use_cases.participant_withdrew`, under the cohort's lock): their pending
    offers, made to them or naming them, will not be answered."""
    await _withdraw(
        runtime, conn, await offer_records.of_participant(conn, participant_id), OfferWithdrawalReason.participant_withdrew
    )


async def cohort_ended(runtime: Runtime, conn: AsyncConnection, cohort_id: UUID) -> None:
    """The cohort ended (`use_cases.cohort_ended`, under the cohort's lock): its pending offers will not be answered."""
    await _withdraw(runtime, conn, await offer_records.of_cohort(conn, cohort_id), OfferWithdrawalReason.cohort_ended)


# Called by the deadline worker, in the transaction that claimed the timer.


async def fire_offer_timer(runtime: Runtime, conn: AsyncConnection, timer: sa.Row) -> TimerOutcome:
    """The offer's cohort is locked, then the offer; the timer is marked fired with its outcome."""
    cohort_id = await offer_records.cohort_of_offer(conn, timer.offer_id)
    if cohort_id is None:
        raise NotFound("offer", timer.offer_id)
    unit = Unit(runtime, conn)
    await unit.lock_cohort(cohort_id)
    offer = await offer_records.offer(conn, timer.offer_id)
    if offer is None:
        raise NotFound("offer", timer.offer_id)
    outcome, event = offer.fire(TimerKind(timer.kind), runtime.now())
    if outcome is TimerOutcome.expired:
        await offer_records.settle(conn, offer)
    if event is not None:
        await runtime.record(conn, event)
    await offer_records.mark_timer_fired(conn, timer.id, runtime.now(), outcome)
    return outcome


# Reads.


async def offers_of(runtime: Runtime, caller: Principal, participant_id: UUID) -> list[dict[str, object]]:
    """The participant's offers (made to them, by them, or naming them), oldest first. Rule: themself or their team."""
    async with runtime.engine.connect() as conn:
        unit = Unit(runtime, conn)
        visible_participant(caller, await unit.participant(participant_id), "participant", participant_id)
        return [
            {**row._asdict(), "receiver_id": row.mentee_id if row.kind == OfferKind.proposal else row.mentor_id}
            for row in await offer_records.offers_of(conn, participant_id)
        ]
