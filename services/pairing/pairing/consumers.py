"""Pairing's read model of participants and cohorts, kept from registration events; and what
other services' events start: a withdrawal's cascade, an accepted assignment's requests."""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from pairing import domain, lifecycle
from pairing.assignments import assignment_accepted
from pairing.tables import cohorts, participants
from pairing.withdrawal import participant_withdrew
from together_events import Envelope, Event, Handler
from together_events.contracts.matching import AssignmentAccepted
from together_events.contracts.registration import (
    CoachCredentialApproved,
    CohortOpened,
    ParticipantAdmitted,
    ParticipantProfileUpdated,
    ParticipantRegistered,
    ParticipantRoleGranted,
    ParticipantWithdrawn,
)
from together_servicekit.runtime import Runtime

ParticipantState = ParticipantRegistered | ParticipantProfileUpdated | ParticipantRoleGranted


async def upsert_participant(runtime: Runtime, conn: AsyncConnection, event: ParticipantState) -> None:
    """The participant's roles, capacity and time zone as the event states them. A capacity raised with a
    place now free tells followers; lowered to full, it releases requests not yet accepted. Deadlines
    already set keep the time zone they were computed in."""
    roles = [r.value for r in event.roles]
    values = {
        "person_id": event.person_id,
        "programme_id": event.programme_id,
        "cohort_id": event.cohort_id,
        "roles": roles,
        "capacity": domain.capacity_of(roles, event.mentor_capacity, event.coach_capacity),
        "time_zone": event.profile.time_zone,
    }
    if isinstance(event, ParticipantRegistered):
        values["coach_approved"] = event.coach_approved  # later changes come as CoachCredentialApproved
        values["waitlisted"] = event.waitlisted  # and as ParticipantAdmitted
    await lifecycle.lock_cohort(conn, event.cohort_id)
    before = await lifecycle.lock_participant(conn, event.participant_id)
    await conn.execute(
        insert(participants).values(id=event.participant_id, **values).on_conflict_do_update(index_elements=["id"], set_=values)
    )
    if before is not None:
        await lifecycle.capacity_changed(runtime, conn, before, event.participant_id)


async def on_coach_approved(conn: AsyncConnection, event: CoachCredentialApproved, _: Envelope) -> None:
    await _set(conn, event.cohort_id, event.participant_id, coach_approved=True)


async def on_admitted(conn: AsyncConnection, event: ParticipantAdmitted, _: Envelope) -> None:
    await _set(conn, event.cohort_id, event.participant_id, waitlisted=False)


async def on_cohort_opened(conn: AsyncConnection, event: CohortOpened, _: Envelope) -> None:
    await lifecycle.lock_cohort(conn, event.cohort_id)
    values = {"programme_id": event.programme_id, "programme_kind": event.programme_kind.value}
    await conn.execute(
        insert(cohorts).values(id=event.cohort_id, **values).on_conflict_do_update(index_elements=["id"], set_=values)
    )


async def _set(conn: AsyncConnection, cohort_id: UUID, participant_id: UUID, **values: object) -> None:
    await lifecycle.lock_cohort(conn, cohort_id)
    await conn.execute(sa.update(participants).where(participants.c.id == participant_id).values(**values))


def handlers(runtime: Runtime) -> Mapping[type[Event], Handler]:
    async def on_participant_state(conn: AsyncConnection, event: ParticipantState, _: Envelope) -> None:
        await upsert_participant(runtime, conn, event)

    async def on_participant_withdrawn(conn: AsyncConnection, event: ParticipantWithdrawn, _: Envelope) -> None:
        await participant_withdrew(runtime, conn, event.participant_id, event.withdrawn_at)

    async def on_assignment_accepted(conn: AsyncConnection, event: AssignmentAccepted, _: Envelope) -> None:
        await assignment_accepted(runtime, conn, event)

    return {  # type: ignore[dict-item]
        ParticipantRegistered: on_participant_state,
        ParticipantProfileUpdated: on_participant_state,
        ParticipantRoleGranted: on_participant_state,
        CoachCredentialApproved: on_coach_approved,
        ParticipantAdmitted: on_admitted,
        ParticipantWithdrawn: on_participant_withdrawn,
        CohortOpened: on_cohort_opened,
        AssignmentAccepted: on_assignment_accepted,
    }
