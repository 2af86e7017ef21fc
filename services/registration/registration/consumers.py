"""Registration's consumers: the pairings and sessions of its cohorts, their surveys and final assessments, as
pairing and scheduling publish them. They build the outcomes report's read model (`records`) and nothing else:
registration's own state never follows another service's events."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from registration import records
from registration.domain.outcomes import EarlyEnd, PairingState
from together_contracts.pairing import PairingCompleted, PairingEnded, PairingFormed
from together_contracts.scheduling import FinalAssessmentGiven, SessionCompleted, SurveyAnswered
from together_events import Envelope, Handlers


def handlers(_runtime: Any) -> Handlers:
    """The runtime is not needed: each handler writes the read model in the consumer's transaction."""

    async def on_formed(conn: AsyncConnection, event: PairingFormed, _: Envelope) -> None:
        await records.pairing_formed(
            conn,
            pairing_id=event.pairing_id,
            cohort_id=event.cohort_id,
            mentee_id=event.mentee_id,
            mentor_id=event.mentor_id,
            formed_at=event.formed_at,
        )

    async def on_ended(conn: AsyncConnection, event: PairingEnded, _: Envelope) -> None:
        await records.pairing_closed(
            conn,
            pairing_id=event.pairing_id,
            cohort_id=event.cohort_id,
            mentee_id=event.mentee_id,
            mentor_id=event.mentor_id,
            state=PairingState.ended_early,
            early_end=EarlyEnd.of(event.ended_by.value, event.participant_withdrew),
            at=event.ended_at,
        )

    async def on_completed(conn: AsyncConnection, event: PairingCompleted, _: Envelope) -> None:
        await records.pairing_closed(
            conn,
            pairing_id=event.pairing_id,
            cohort_id=event.cohort_id,
            mentee_id=event.mentee_id,
            mentor_id=event.mentor_id,
            state=PairingState.completed,
            early_end=None,
            at=event.completed_at,
        )

    async def on_session(conn: AsyncConnection, event: SessionCompleted, _: Envelope) -> None:
        await records.session_held(
            conn, session_id=event.session_id, pairing_id=event.pairing_id, completed_at=event.completed_at
        )

    async def on_survey(conn: AsyncConnection, event: SurveyAnswered, _: Envelope) -> None:
        await records.survey_answered(
            conn,
            participant_id=event.participant_id,
            survey=event.survey.value,
            cohort_id=event.cohort_id,
            confidence=event.confidence,
            satisfaction=event.satisfaction,
            answered_at=event.answered_at,
        )

    async def on_assessment(conn: AsyncConnection, event: FinalAssessmentGiven, _: Envelope) -> None:
        await records.assessment_given(
            conn,
            pairing_id=event.pairing_id,
            participant_id=event.participant_id,
            cohort_id=event.cohort_id,
            items_rated=event.items_rated,
            items_met=event.items_met,
            given_at=event.given_at,
        )

    return (
        Handlers()
        .on(PairingFormed, on_formed)
        .on(PairingEnded, on_ended)
        .on(PairingCompleted, on_completed)
        .on(SessionCompleted, on_session)
        .on(SurveyAnswered, on_survey)
        .on(FinalAssessmentGiven, on_assessment)
    )
