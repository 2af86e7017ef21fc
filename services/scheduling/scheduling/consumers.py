"""Scheduling learns of pairings from `together.pairing`."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from scheduling.tables import pairings
from together_events import Envelope, Event, Handler
from together_events.contracts.pairing import PairingEnded, PairingFormed
from together_servicekit.runtime import Runtime


async def on_pairing_formed(conn: AsyncConnection, event: PairingFormed, _: Envelope) -> None:
    await conn.execute(
        insert(pairings)
        .values(
            id=event.pairing_id,
            mentee_id=event.mentee_id,
            mentor_id=event.mentor_id,
            cohort_id=event.cohort_id,
            programme_id=event.programme_id,
            mentee_person_id=event.mentee_person_id,
            mentor_person_id=event.mentor_person_id,
            formed_at=event.formed_at,
        )
        .on_conflict_do_nothing()
    )


async def on_pairing_ended(conn: AsyncConnection, event: PairingEnded, _: Envelope) -> None:
    await conn.execute(pairings.update().where(pairings.c.id == event.pairing_id).values(ended_at=event.ended_at))


def handlers(_: Runtime) -> Mapping[type[Event], Handler]:
    return {PairingFormed: on_pairing_formed, PairingEnded: on_pairing_ended}  # type: ignore[dict-item]
