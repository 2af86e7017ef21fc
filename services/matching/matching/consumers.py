"""Matching keeps its read model current from events (entrypoints room).

Every handler is an upsert or a guarded update, so a redelivered event changes nothing (the inbox
already skips it) and events of different aggregates may arrive in any order: a pairing before the
mentor's registration, a registration before its programme or cohort. Each handler that changes who
may be suggested, or how they score (a mentor's or coach's state, a pairing, the programme's rules),
bumps the cohort's change counter in the same transaction, which tells every process's in-memory
cohort index to rebuild. A mentee's own changes do not: they are read per request.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from matching.domain.participants import erased_answers
from matching.settings import MatchingSettings
from matching.tables import candidates, cohort_changes, cohorts, mentor_pairings, preferences, programmes
from together_contracts.pairing import PairingEnded, PairingFormed, PreferencesSubmitted
from together_contracts.registration import (
    CoachCredentialApproved,
    CohortOpened,
    ParticipantAdmitted,
    ParticipantAnswersErased,
    ParticipantProfileUpdated,
    ParticipantRegistered,
    ParticipantRoleGranted,
    ParticipantWithdrawn,
    ProgrammeCreated,
    ProgrammeRulesChanged,
)
from together_contracts.roles import capacity_of, offers_partnership
from together_events import Envelope, Handlers
from together_servicekit.data_keys import ProfileOpener
from together_servicekit.runtime import Runtime


async def cohort_changed(conn: AsyncConnection, cohort_id: UUID) -> None:
    await conn.execute(
        insert(cohort_changes)
        .values(cohort_id=cohort_id, version=1)
        .on_conflict_do_update(index_elements=["cohort_id"], set_={"version": cohort_changes.c.version + 1})
    )


async def programme_changed(conn: AsyncConnection, programme_id: UUID) -> None:
    """A programme's rules changed: every cohort of it scores differently."""
    known = (
        sa.select(cohorts.c.cohort_id)
        .where(cohorts.c.programme_id == programme_id)
        .union(sa.select(candidates.c.cohort_id).where(candidates.c.programme_id == programme_id))
    )
    for cohort_id in (await conn.execute(known)).scalars().all():
        await cohort_changed(conn, cohort_id)


# --- registration ------------------------------------------------------------------------


async def on_programme_created(conn: AsyncConnection, event: ProgrammeCreated, _: Envelope) -> None:
    values = {
        "name": event.name,
        "kind": event.kind.value,
        "suggestions_per_mentee": event.suggestions_per_mentee,
        "rules": event.rules.model_dump(mode="json") if event.rules is not None else None,
    }
    await conn.execute(
        insert(programmes)
        .values(programme_id=event.programme_id, **values)
        .on_conflict_do_update(index_elements=["programme_id"], set_=values)
    )
    await programme_changed(conn, event.programme_id)


async def on_programme_rules_changed(conn: AsyncConnection, event: ProgrammeRulesChanged, _: Envelope) -> None:
    # The same aggregate (and so partition) as ProgrammeCreated: the programme is known by now.
    await conn.execute(
        programmes.update()
        .where(programmes.c.programme_id == event.programme_id)
        .values(rules=event.rules.model_dump(mode="json"))
    )
    await programme_changed(conn, event.programme_id)


async def on_cohort_opened(conn: AsyncConnection, event: CohortOpened, _: Envelope) -> None:
    values = {"programme_id": event.programme_id, "programme_kind": event.programme_kind.value, "name": event.name}
    await conn.execute(
        insert(cohorts)
        .values(cohort_id=event.cohort_id, **values)
        .on_conflict_do_update(index_elements=["cohort_id"], set_=values)
    )
    await cohort_changed(conn, event.cohort_id)


def _offers_places(roles: Iterable[str] | None) -> bool:
    return roles is not None and offers_partnership(roles)


async def _roles(conn: AsyncConnection, participant_id: UUID) -> list[str] | None:
    return (
        await conn.execute(sa.select(candidates.c.roles).where(candidates.c.participant_id == participant_id))
    ).scalar_one_or_none()


async def _upsert_participant(
    conn: AsyncConnection, participant_id: UUID, insert_only: dict[str, Any], values: dict[str, Any]
) -> None:
    """Insert or update a participant; the cohort changed if they offer places, before or after."""
    before = await _roles(conn, participant_id)
    await conn.execute(
        insert(candidates)
        .values(participant_id=participant_id, **insert_only, **values)
        .on_conflict_do_update(index_elements=["participant_id"], set_=values)
    )
    if _offers_places(before) or _offers_places(values["roles"]):
        await cohort_changed(conn, values["cohort_id"])


async def on_participant_registered(conn: AsyncConnection, event: ParticipantRegistered, _: Envelope) -> None:
    values = {
        "person_id": event.person_id,
        "programme_id": event.programme_id,
        "cohort_id": event.cohort_id,
        "roles": [r.value for r in event.roles],
        "capacity": capacity_of(event.roles, event.mentor_capacity, event.coach_capacity),
        "profile": event.profile.model_dump(mode="json"),
        "registered_at": event.registered_at,
        "coach_approved": event.coach_approved,
        "waitlisted": event.waitlisted,
        "withdrawn": False,
    }
    await _upsert_participant(conn, event.participant_id, {}, values)


async def _participant_state(
    conn: AsyncConnection, event: ParticipantProfileUpdated | ParticipantRoleGranted, at: datetime
) -> None:
    """The full public state after a change (waitlist included); approval and withdrawal are other events' business."""
    values = {
        "person_id": event.person_id,
        "programme_id": event.programme_id,
        "cohort_id": event.cohort_id,
        "roles": [r.value for r in event.roles],
        "capacity": capacity_of(event.roles, event.mentor_capacity, event.coach_capacity),
        "profile": event.profile.model_dump(mode="json"),
        "waitlisted": event.waitlisted,
    }
    await _upsert_participant(conn, event.participant_id, {"registered_at": at}, values)


async def on_profile_updated(conn: AsyncConnection, event: ParticipantProfileUpdated, _: Envelope) -> None:
    await _participant_state(conn, event, event.updated_at)


async def on_role_granted(conn: AsyncConnection, event: ParticipantRoleGranted, _: Envelope) -> None:
    await _participant_state(conn, event, event.granted_at)


async def _set_flag(conn: AsyncConnection, participant_id: UUID, cohort_id: UUID, **flags: object) -> None:
    roles = (
        await conn.execute(
            candidates.update().where(candidates.c.participant_id == participant_id).values(**flags).returning(candidates.c.roles)
        )
    ).scalar_one_or_none()
    if _offers_places(roles):
        await cohort_changed(conn, cohort_id)


async def on_coach_approved(conn: AsyncConnection, event: CoachCredentialApproved, _: Envelope) -> None:
    await _set_flag(conn, event.participant_id, event.cohort_id, coach_approved=True)


async def on_participant_admitted(conn: AsyncConnection, event: ParticipantAdmitted, _: Envelope) -> None:
    await _set_flag(conn, event.participant_id, event.cohort_id, waitlisted=False)


async def on_participant_withdrawn(conn: AsyncConnection, event: ParticipantWithdrawn, _: Envelope) -> None:
    await _set_flag(conn, event.participant_id, event.cohort_id, withdrawn=True)
    if event.answers_erased:  # ParticipantAnswersErased follows; erasing now too leaves no window with the answers
        await erase_answers(conn, event.participant_id, event.cohort_id)


async def erase_answers(conn: AsyncConnection, participant_id: UUID, cohort_id: UUID) -> None:
    """Our copy of their public answers becomes placeholders (the search document follows, PostgreSQL
    computes it); ids, roles, capacity and the withdrawn flag stay for audit and counts. Placeholders
    of placeholders are the same placeholders: erasing twice changes nothing."""
    stored = (
        await conn.execute(sa.select(candidates.c.profile).where(candidates.c.participant_id == participant_id).with_for_update())
    ).scalar_one_or_none()
    if stored is not None:
        await _set_flag(conn, participant_id, cohort_id, profile=erased_answers(stored))


async def on_answers_erased(conn: AsyncConnection, event: ParticipantAnswersErased, _: Envelope) -> None:
    await erase_answers(conn, event.participant_id, event.cohort_id)


# --- pairing -----------------------------------------------------------------------------


async def on_pairing_formed(conn: AsyncConnection, event: PairingFormed, _: Envelope) -> None:
    values = {
        "mentor_id": event.mentor_id,
        "mentee_id": event.mentee_id,
        "cohort_id": event.cohort_id,
        "formed_at": event.formed_at,
    }
    await conn.execute(
        insert(mentor_pairings)
        .values(pairing_id=event.pairing_id, **values)
        .on_conflict_do_update(index_elements=["pairing_id"], set_=values)  # keeps ended_at
    )
    await cohort_changed(conn, event.cohort_id)


async def on_pairing_ended(conn: AsyncConnection, event: PairingEnded, _: Envelope) -> None:
    # Kept, not deleted: the fairness report counts every acceptance. The mentor's place is free again.
    await conn.execute(
        insert(mentor_pairings)
        .values(
            pairing_id=event.pairing_id,
            mentor_id=event.mentor_id,
            mentee_id=event.mentee_id,
            cohort_id=event.cohort_id,
            ended_at=event.ended_at,
        )
        .on_conflict_do_update(index_elements=["pairing_id"], set_={"ended_at": event.ended_at})
    )
    await cohort_changed(conn, event.cohort_id)


async def on_preferences_submitted(conn: AsyncConnection, event: PreferencesSubmitted, envelope: Envelope) -> None:
    if event.assignment_id is not None:  # a pair of an accepted assignment, not the mentee's own ranking
        return
    # Each selection is its own aggregate, so a mentee's selections may arrive out of order: the latest wins.
    values = {
        "cohort_id": event.cohort_id,
        "selection_id": event.selection_id,
        "ranked_mentor_ids": list(event.ranked_mentor_ids),
        "submitted_at": envelope.time,
    }
    statement = insert(preferences).values(mentee_id=event.mentee_id, **values)
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=["mentee_id"], set_=values, where=preferences.c.submitted_at <= statement.excluded.submitted_at
        )
    )


def handlers(runtime: Runtime[MatchingSettings] | None) -> Handlers:
    """The v2 profile events are opened with the participant's data key first (`ProfileOpener`)."""
    opener = ProfileOpener.of(runtime.settings if runtime is not None else MatchingSettings())
    registry = (
        Handlers()
        .on(ProgrammeCreated, on_programme_created)
        .on(ProgrammeRulesChanged, on_programme_rules_changed)
        .on(CohortOpened, on_cohort_opened)
        .on(ParticipantRegistered, on_participant_registered)
        .on(ParticipantProfileUpdated, on_profile_updated)
        .on(ParticipantRoleGranted, on_role_granted)
        .on(CoachCredentialApproved, on_coach_approved)
        .on(ParticipantAdmitted, on_participant_admitted)
        .on(ParticipantWithdrawn, on_participant_withdrawn)
        .on(ParticipantAnswersErased, on_answers_erased)
        .on(PairingFormed, on_pairing_formed)
        .on(PairingEnded, on_pairing_ended)
        .on(PreferencesSubmitted, on_preferences_submitted)
    )
    return opener.take_sealed(registry)
