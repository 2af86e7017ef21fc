"""Offers and their durable timers in pairing's tables (`domain/offers.py`): read, written, claimed."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from pairing.domain.model import TimerKind, TimerOutcome
from pairing.domain.offers import Offer, OfferStatus
from pairing.tables import offer_timers, offers
from together_contracts.pairing_kinds import OfferKind
from together_servicekit.jobs import Failure


def _offer(row: sa.Row) -> Offer:
    return Offer(
        id=row.id,
        kind=OfferKind(row.kind),
        cohort_id=row.cohort_id,
        mentee_id=row.mentee_id,
        mentor_id=row.mentor_id,
        status=OfferStatus(row.status),
        made_at=row.made_at,
        remind_at=row.remind_at,
        expires_at=row.expires_at,
        answered_at=row.answered_at,
        pairing_id=row.pairing_id,
    )


async def cohort_of_offer(conn: AsyncConnection, offer_id: UUID) -> UUID | None:
    """Read before the cohort's lock, to learn which cohort: never trusted for a decision."""
    return (await conn.execute(sa.select(offers.c.cohort_id).where(offers.c.id == offer_id))).scalar()


async def offer(conn: AsyncConnection, offer_id: UUID) -> Offer | None:
    """The offer as it is now, its row locked (under the cohort's lock: pairing's lock order)."""
    row = (await conn.execute(sa.select(offers).where(offers.c.id == offer_id).with_for_update())).first()
    return _offer(row) if row is not None else None


async def pending_offers(conn: AsyncConnection, where: sa.ColumnElement[bool]) -> list[Offer]:
    query = sa.select(offers).where(where, offers.c.status == OfferStatus.pending).order_by(offers.c.made_at, offers.c.id)
    return [_offer(row) for row in await conn.execute(query.with_for_update())]


async def of_mentor(conn: AsyncConnection, mentor_id: UUID) -> list[Offer]:
    return await pending_offers(conn, offers.c.mentor_id == mentor_id)


async def of_participant(conn: AsyncConnection, participant_id: UUID) -> list[Offer]:
    return await pending_offers(conn, sa.or_(offers.c.mentee_id == participant_id, offers.c.mentor_id == participant_id))


async def of_cohort(conn: AsyncConnection, cohort_id: UUID) -> list[Offer]:
    return await pending_offers(conn, offers.c.cohort_id == cohort_id)


async def has_pending_offer(conn: AsyncConnection, mentee_id: UUID) -> bool:
    query = sa.select(sa.exists().where(offers.c.mentee_id == mentee_id, offers.c.status == OfferStatus.pending))
    return bool((await conn.execute(query)).scalar_one())


async def insert(conn: AsyncConnection, offer: Offer, *, made_by: str) -> None:
    """The new offer and its two durable timers (`deadline_worker.OfferTimers`), in the transaction that made it."""
    await conn.execute(
        offers.insert().values(
            id=offer.id,
            kind=offer.kind,
            cohort_id=offer.cohort_id,
            mentee_id=offer.mentee_id,
            mentor_id=offer.mentor_id,
            made_by=made_by,
            status=offer.status,
            made_at=offer.made_at,
            remind_at=offer.remind_at,
            expires_at=offer.expires_at,
        )
    )
    await conn.execute(
        offer_timers.insert(),
        [
            {"offer_id": offer.id, "kind": TimerKind.reminder, "due_at": offer.remind_at},
            {"offer_id": offer.id, "kind": TimerKind.expiry, "due_at": offer.expires_at},
        ],
    )


async def settle(conn: AsyncConnection, offer: Offer) -> None:
    await conn.execute(
        offers.update()
        .where(offers.c.id == offer.id)
        .values(status=offer.status, answered_at=offer.answered_at, pairing_id=offer.pairing_id)
    )


async def offers_of(conn: AsyncConnection, participant_id: UUID) -> list[sa.Row]:
    """Every offer the participant made, received or was named in, oldest first."""
    query = (
        sa.select(offers)
        .where(sa.or_(offers.c.mentee_id == participant_id, offers.c.mentor_id == participant_id))
        .order_by(offers.c.made_at, offers.c.id)
    )
    return list(await conn.execute(query))


# The timers, as `records.claim_due_timer` and its neighbours do for requests.


async def claim_due_timer(conn: AsyncConnection, now: datetime) -> sa.Row | None:
    query = (
        sa.select(offer_timers)
        .where(
            offer_timers.c.fired_at.is_(None),
            offer_timers.c.failed_at.is_(None),
            offer_timers.c.due_at <= now,
            sa.or_(offer_timers.c.next_attempt_at.is_(None), offer_timers.c.next_attempt_at <= now),
        )
        .order_by(offer_timers.c.due_at, offer_timers.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return (await conn.execute(query)).first()


async def mark_timer_fired(conn: AsyncConnection, timer_id: int, fired_at: datetime, outcome: TimerOutcome) -> None:
    await conn.execute(offer_timers.update().where(offer_timers.c.id == timer_id).values(fired_at=fired_at, outcome=outcome))


async def record_timer_failure(conn: AsyncConnection, timer_id: int, failure: Failure, now: datetime) -> None:
    await conn.execute(
        offer_timers.update()
        .where(offer_timers.c.id == timer_id, offer_timers.c.fired_at.is_(None))
        .values(
            attempts=failure.attempts,
            last_error=failure.reason,
            next_attempt_at=failure.retry_at,
            failed_at=now if failure.retry_at is None else None,
        )
    )
