"""Pairing's consumers: registration's participants, cohorts and programmes (its read model, and what a capacity
change, a withdrawal, a cohort's end or official holidays switched on or off set off) and matching's accepted assignments. Each
translates the event and calls a use case."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from pairing import use_cases
from pairing.settings import PairingSettings
from pairing.use_cases import ParticipantState
from together_contracts.matching import AssignmentAccepted
from together_contracts.registration import (
    CoachCredentialApproved,
    CohortEnded,
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
from together_events import Envelope, Handlers
from together_servicekit.data_keys import ProfileOpener
from together_servicekit.runtime import Runtime


def handlers(runtime: Runtime[PairingSettings]) -> Handlers:
    """The v2 profile events are opened with the participant's data key first (`ProfileOpener`)."""

    async def on_participant_state(conn: AsyncConnection, event: ParticipantState, _: Envelope) -> None:
        await use_cases.participant_stated(runtime, conn, event)

    async def on_participant_withdrawn(conn: AsyncConnection, event: ParticipantWithdrawn, _: Envelope) -> None:
        await use_cases.participant_withdrew(runtime, conn, event)

    async def on_assignment_accepted(conn: AsyncConnection, event: AssignmentAccepted, _: Envelope) -> None:
        await use_cases.assignment_accepted(runtime, conn, event)

    async def on_coach_approved(conn: AsyncConnection, event: CoachCredentialApproved, _: Envelope) -> None:
        await use_cases.coach_approved(conn, event)

    async def on_admitted(conn: AsyncConnection, event: ParticipantAdmitted, _: Envelope) -> None:
        await use_cases.participant_admitted(conn, event)

    async def on_answers_erased(conn: AsyncConnection, event: ParticipantAnswersErased, _: Envelope) -> None:
        await use_cases.answers_erased(conn, event)

    async def on_cohort_opened(conn: AsyncConnection, event: CohortOpened, _: Envelope) -> None:
        await use_cases.cohort_opened(conn, event)

    async def on_cohort_ended(conn: AsyncConnection, event: CohortEnded, _: Envelope) -> None:
        await use_cases.cohort_ended(runtime, conn, event)

    async def on_programme_rules(conn: AsyncConnection, event: ProgrammeCreated | ProgrammeRulesChanged, _: Envelope) -> None:
        await use_cases.programme_rules_stated(runtime, conn, event)

    registry = (
        Handlers()
        .on(ParticipantRegistered, on_participant_state)
        .on(ParticipantProfileUpdated, on_participant_state)
        .on(ParticipantRoleGranted, on_participant_state)
        .on(CoachCredentialApproved, on_coach_approved)
        .on(ParticipantAdmitted, on_admitted)
        .on(ParticipantWithdrawn, on_participant_withdrawn)
        .on(ParticipantAnswersErased, on_answers_erased)
        .on(CohortOpened, on_cohort_opened)
        .on(CohortEnded, on_cohort_ended)
        .on(ProgrammeCreated, on_programme_rules)
        .on(ProgrammeRulesChanged, on_programme_rules)
        .on(AssignmentAccepted, on_assignment_accepted)
    )
    return ProfileOpener.of(runtime.settings).take_sealed(registry)
