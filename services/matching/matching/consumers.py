"""Matching keeps its read model current from events (entrypoints room)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from matching.tables import candidates, mentor_pairings
from together_events import Envelope, Event, Handler
from together_events.contracts.pairing import PairingEnded, PairingFormed
from together_events.contracts.registration import ParticipantRegistered
from together_servicekit.runtime import Runtime


async def on_participant_registered(conn: AsyncConnection, event: ParticipantRegistered, _: Envelope) -> None:
    values = {
        "person_id": event.person_id,
        "programme_id": event.programme_id,
        "cohort_id": event.cohort_id,
        "roles": [r.value for r in event.roles],
        "capacity": event.mentor_capacity or 0,
        "profile": event.profile.model_dump(mode="json"),
        "registered_at": event.registered_at,
    }
    await conn.execute(
        insert(candidates)
        .values(participant_id=event.participant_id, **values)
        .on_conflict_do_update(index_elements=["participant_id"], set_=values)
    )


async def on_pairing_formed(conn: AsyncConnection, event: PairingFormed, _: Envelope) -> None:
    await conn.execute(
        insert(mentor_pairings).values(pairing_id=event.pairing_id, mentor_id=event.mentor_id).on_conflict_do_nothing()
    )


async def on_pairing_ended(conn: AsyncConnection, event: PairingEnded, _: Envelope) -> None:
    await conn.execute(mentor_pairings.delete().where(mentor_pairings.c.pairing_id == event.pairing_id))


def handlers(_: Runtime) -> Mapping[type[Event], Handler]:
    return {
        ParticipantRegistered: on_participant_registered,
        PairingFormed: on_pairing_formed,
        PairingEnded: on_pairing_ended,
    }  # type: ignore[dict-item]
