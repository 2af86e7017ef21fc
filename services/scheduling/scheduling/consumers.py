"""Scheduling learns of programmes and participants from `together.registration`, and of
requests and pairings from `together.pairing`. Each handler is idempotent by construction (upserts,
updates to a final state, asks made once each); the inbox makes a replayed event a no-op anyway.
A registration asks the pre-programme survey, a pairing's end (completed or early) the final
assessment and the post-programme survey (`use_cases.outcomes`)."""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from scheduling.settings import SchedulingSettings
from scheduling.tables import cohorts, pairings, participants, programmes, request_engagements, station_holidays
from scheduling.use_cases import endings, outcomes
from together_contracts.pairing import EndedBy, PairingCompleted, PairingEnded, PairingFormed, RequestSent
from together_contracts.registration import (
    ERASED_ANSWER,
    ERASED_DISPLAY_NAME,
    ERASED_TIME_ZONE,
    CohortOpened,
    ParticipantAnswersErased,
    ParticipantProfileUpdated,
    ParticipantRegistered,
    ParticipantRoleGranted,
    ParticipantWithdrawn,
    ProgrammeCreated,
    ProgrammeRulesChanged,
)
from together_contracts.working_days import HolidaysChanged
from together_events import Envelope, Handlers
from together_servicekit.data_keys import ProfileOpener
from together_servicekit.runtime import Runtime


async def on_programme_created(conn: AsyncConnection, event: ProgrammeCreated, _: Envelope) -> None:
    plan = event.rules.session_plan.model_dump(mode="json") if event.rules is not None else None
    official = event.rules.official_holidays if event.rules is not None else False
    await conn.execute(
        insert(programmes)
        .values(id=event.programme_id, kind=event.kind.value, session_plan=plan, official_holidays=official)
        .on_conflict_do_nothing()
    )


async def on_programme_rules_changed(conn: AsyncConnection, event: ProgrammeRulesChanged, _: Envelope) -> None:
    await conn.execute(
        programmes.update()
        .where(programmes.c.id == event.programme_id)
        .values(session_plan=event.rules.session_plan.model_dump(mode="json"), official_holidays=event.rules.official_holidays)
    )


async def on_cohort_opened(conn: AsyncConnection, event: CohortOpened, _: Envelope) -> None:
    await conn.execute(
        insert(cohorts)
        .values(id=event.cohort_id, programme_id=event.programme_id, kind=event.programme_kind.value)
        .on_conflict_do_nothing()
    )


async def on_participant_state(
    conn: AsyncConnection, event: ParticipantRegistered | ParticipantProfileUpdated | ParticipantRoleGranted, _: Envelope
) -> None:
    """Name and time zone from the public profile: each partner sees times in their own zone; the cohort
    and programme: who reads a programme's timetable."""
    values = {
        "person_id": event.person_id,
        "display_name": event.profile.display_name,
        "time_zone": event.profile.time_zone,
        "cohort_id": event.cohort_id,
        "programme_id": event.programme_id,
        "duty_station": event.profile.duty_station,
    }
    await conn.execute(
        insert(participants).values(id=event.participant_id, **values).on_conflict_do_update(index_elements=["id"], set_=values)
    )


async def erase_copy(conn: AsyncConnection, participant_id: UUID) -> None:
    """Our copy of their public answers (name and zone) becomes registration's placeholders; ids,
    pairings, sessions and series stay with their times (audit), so invitations name the placeholder.
    Idempotent: the same values however often it runs."""
    await conn.execute(
        participants.update()
        .where(participants.c.id == participant_id)
        .values(
            display_name=ERASED_DISPLAY_NAME, time_zone=ERASED_TIME_ZONE, duty_station=ERASED_ANSWER
        )  # registration's placeholders
    )


async def on_answers_erased(conn: AsyncConnection, event: ParticipantAnswersErased, _: Envelope) -> None:
    await erase_copy(conn, event.participant_id)


def handlers(runtime: Runtime[SchedulingSettings]) -> Handlers:
    """The v2 profile events are opened with the participant's data key first (`ProfileOpener`)."""

    async def on_participant_withdrawn(conn: AsyncConnection, event: ParticipantWithdrawn, _: Envelope) -> None:
        await conn.execute(
            participants.update().where(participants.c.id == event.participant_id).values(withdrawn_at=event.withdrawn_at)
        )
        if event.answers_erased:  # ParticipantAnswersErased follows; erasing now too leaves no window with the answers
            await erase_copy(conn, event.participant_id)
        # Their pairings take no more bookings, and every future session is cancelled with its invitation.
        await endings.partner_withdrawn(runtime, conn, event.participant_id, event.withdrawn_at)

    async def on_participant_registered(conn: AsyncConnection, event: ParticipantRegistered, envelope: Envelope) -> None:
        await on_participant_state(conn, event, envelope)
        await outcomes.ask_pre_survey(runtime, conn, event.participant_id, event.cohort_id)

    async def on_pairing_ended(conn: AsyncConnection, event: PairingEnded, _: Envelope) -> None:
        await endings.pairing_ended(runtime, conn, event.pairing_id, event.ended_at)
        # Ending early is an end too: both partners are asked, but not one who left the cohort.
        left = (
            {EndedBy.mentee: event.mentee_id, EndedBy.mentor: event.mentor_id}[event.ended_by]
            if event.participant_withdrew
            else None
        )
        partners = [p for p in (event.mentee_id, event.mentor_id) if p != left]
        await outcomes.ask_at_pairing_end(
            runtime, conn, pairing_id=event.pairing_id, cohort_id=event.cohort_id, partners=partners
        )

    async def on_pairing_completed(conn: AsyncConnection, event: PairingCompleted, _: Envelope) -> None:
        """Ran to its end (the cohort ended): ended here as an early end is, no more bookings; both partners are asked."""
        await endings.pairing_ended(runtime, conn, event.pairing_id, event.completed_at)
        partners = (event.mentee_id, event.mentor_id)
        await outcomes.ask_at_pairing_end(
            runtime, conn, pairing_id=event.pairing_id, cohort_id=event.cohort_id, partners=partners
        )

    registry = (
        Handlers()
        .on(ProgrammeCreated, on_programme_created)
        .on(ProgrammeRulesChanged, on_programme_rules_changed)
        .on(CohortOpened, on_cohort_opened)
        .on(ParticipantRegistered, on_participant_registered)
        .on(ParticipantProfileUpdated, on_participant_state)
        .on(ParticipantRoleGranted, on_participant_state)
        .on(ParticipantWithdrawn, on_participant_withdrawn)
        .on(ParticipantAnswersErased, on_answers_erased)
        .on(RequestSent, on_request_sent)
        .on(PairingFormed, on_pairing_formed)
        .on(PairingEnded, on_pairing_ended)
        .on(PairingCompleted, on_pairing_completed)
        .on(HolidaysChanged, on_holidays_changed)
    )
    return ProfileOpener.of(runtime.settings).take_sealed(registry)


async def on_request_sent(conn: AsyncConnection, event: RequestSent, _: Envelope) -> None:
    if event.engagement is not None:
        await conn.execute(
            insert(request_engagements)
            .values(request_id=event.request_id, engagement=event.engagement.value)
            .on_conflict_do_nothing()
        )


async def on_pairing_formed(conn: AsyncConnection, event: PairingFormed, _: Envelope) -> None:
    # A rebuild may read a partner's withdrawal (another topic) first: the pairing is born ended then,
    # as the live one ended when the withdrawal arrived (nothing was booked yet, so nothing to cancel).
    withdrawn_at = (
        await conn.execute(
            sa.select(sa.func.min(participants.c.withdrawn_at)).where(participants.c.id.in_([event.mentee_id, event.mentor_id]))
        )
    ).scalar_one()
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
            request_id=event.request_id,
            ended_at=withdrawn_at,
        )
        .on_conflict_do_nothing()
    )


async def on_holidays_changed(conn: AsyncConnection, event: HolidaysChanged, _: Envelope) -> None:
    """The team's days at a station, as they now stand (the whole lists): reminders skip them."""
    values = {
        "days_added": [day.isoformat() for day in event.days_added],
        "days_removed": [day.isoformat() for day in event.days_removed],
    }
    await conn.execute(
        insert(station_holidays)
        .values(cohort_id=event.cohort_id, duty_station=event.duty_station, **values)
        .on_conflict_do_update(index_elements=["cohort_id", "duty_station"], set_=values)
    )
