"""Pairing's read model of participants, kept from registration events."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from pairing.tables import cohorts, participants
from together_events import Envelope, Event, Handler
from together_events.contracts.registration import CohortOpened, ParticipantRegistered
from together_servicekit.runtime import Runtime


async def on_participant_registered(conn: AsyncConnection, event: ParticipantRegistered, _: Envelope) -> None:
    values = {
        "person_id": event.person_id,
        "programme_id": event.programme_id,
        "cohort_id": event.cohort_id,
        "roles": [r.value for r in event.roles],
        "capacity": event.mentor_capacity or 0,
        "time_zone": event.profile.time_zone,
    }
    await conn.execute(
        insert(participants).values(id=event.participant_id, **values).on_conflict_do_update(index_elements=["id"], set_=values)
    )


async def on_cohort_opened(conn: AsyncConnection, event: CohortOpened, _: Envelope) -> None:
    values = {"programme_id": event.programme_id, "programme_kind": event.programme_kind.value}
    await conn.execute(
        insert(cohorts).values(id=event.cohort_id, **values).on_conflict_do_update(index_elements=["id"], set_=values)
    )


def handlers(_: Runtime) -> Mapping[type[Event], Handler]:
    return {ParticipantRegistered: on_participant_registered, CohortOpened: on_cohort_opened}  # type: ignore[dict-item]
