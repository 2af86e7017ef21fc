"""What each participant is asked at the start and at the end of a cohort, its reminder, and the answers
that settle it (domain rules: `domain/outcomes.py`). Each step writes its rows and its events in one
transaction: the consumer's for the asks, the worker's claim for a reminder, the request's for an answer.

- asked: the pre survey on `ParticipantRegistered`; the final assessment (once per partner and pairing)
  and the post survey (once per participant) on `PairingCompleted` or `PairingEnded`;
- reminded: `OutcomeReminderDue`, once, a set number of working days later, unless answered;
- answered: a survey (`SurveyAnswered`, the scores only) or the final assessment (`FinalAssessmentGiven`:
  items rated and met), which settles the participant's ask.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from scheduling import outcome_store
from scheduling.access import own_surveys, require_partner, visible_pairing
from scheduling.domain.outcomes import SURVEY_ASKED, OutcomeAsk, assessment_given
from scheduling.domain.pairing import Pairing
from scheduling.domain.records import check_survey
from scheduling.settings import SchedulingSettings
from together_contracts.scheduling import OutcomeKind, SurveyAnswered, SurveyKind
from together_servicekit.auth import Principal
from together_servicekit.errors import Conflict
from together_servicekit.runtime import Runtime

# Asked --------------------------------------------------------------------------------------------


async def ask(
    runtime: Runtime[SchedulingSettings],
    conn: AsyncConnection,
    *,
    participant_id: UUID,
    cohort_id: UUID,
    kind: OutcomeKind,
    pairing_id: UUID | None = None,
) -> bool:
    """Ask once; a survey already answered is recorded as answered and asked of nobody. True if asked now."""
    now = runtime.now()
    answered_at = None
    if kind is not OutcomeKind.final_assessment:
        survey = await outcome_store.find_survey(conn, participant_id, _survey_of(kind).value)
        answered_at = survey["submitted_at"] if survey is not None else None
    time_zone, days_off = await outcome_store.participant_calendar(conn, participant_id, cohort_id)
    made = OutcomeAsk.make(
        participant_id=participant_id,
        cohort_id=cohort_id,
        pairing_id=pairing_id,
        kind=kind,
        now=now,
        remind_after=runtime.settings.outcome_reminder_working_days,
        time_zone=time_zone,
        days_off=days_off,
        answered_at=answered_at,
    )
    if not await outcome_store.add_ask(conn, made):
        return False
    requested = made.requested()
    if requested is not None:
        await runtime.record(conn, requested)
    return requested is not None


async def ask_pre_survey(
    runtime: Runtime[SchedulingSettings], conn: AsyncConnection, participant_id: UUID, cohort_id: UUID
) -> None:
    """At registration: so before and after can be compared."""
    await ask(runtime, conn, participant_id=participant_id, cohort_id=cohort_id, kind=OutcomeKind.pre_survey)


async def ask_at_pairing_end(
    runtime: Runtime[SchedulingSettings],
    conn: AsyncConnection,
    *,
    pairing_id: UUID,
    cohort_id: UUID,
    partners: Iterable[UUID],
) -> None:
    """Each partner still in the cohort: the pairing's final assessment and (once in the cohort) the post survey."""
    for participant_id in partners:
        if await outcome_store.is_withdrawn(conn, participant_id):
            continue  # they left the cohort: nothing more is asked of them
        for kind in (OutcomeKind.final_assessment, OutcomeKind.post_survey):
            await ask(runtime, conn, participant_id=participant_id, cohort_id=cohort_id, kind=kind, pairing_id=pairing_id)


# Reminded -----------------------------------------------------------------------------------------


async def remind(runtime: Runtime, conn: AsyncConnection, ask_id: UUID, now: datetime) -> bool:
    """The claimed ask's reminder, once; False when it was moot (answered or reminded meanwhile)."""
    reminded, due = (await outcome_store.load_ask(conn, ask_id)).remind(now)
    if due is None:
        return False
    await outcome_store.save_ask(conn, reminded)
    await runtime.record(conn, due)
    return True


# Answered -----------------------------------------------------------------------------------------


async def _settle(
    conn: AsyncConnection, participant_id: UUID, kind: OutcomeKind, now: datetime, pairing_id: UUID | None = None
) -> None:
    """The participant's open ask of this kind is answered: no reminder follows."""
    asked = await outcome_store.open_ask(conn, participant_id, kind, pairing_id)
    if asked is not None:
        await outcome_store.save_ask(conn, asked.answer(now))


async def _survey_given(
    runtime: Runtime,
    conn: AsyncConnection,
    *,
    participant_id: UUID,
    cohort_id: UUID,
    programme_id: UUID,
    kind: SurveyKind,
    confidence: int,
    satisfaction: int | None,
    comment: str,
) -> datetime:
    now = runtime.now()
    check_survey(kind.value, satisfaction)
    values = {
        "cohort_id": cohort_id,
        "programme_id": programme_id,
        "confidence": confidence,
        "satisfaction": satisfaction,
        "comment": comment,
        "submitted_at": now,
    }
    await outcome_store.save_survey(conn, participant_id, kind.value, values)
    answered = SurveyAnswered(
        participant_id=participant_id,
        cohort_id=cohort_id,
        survey=kind,
        confidence=confidence,
        satisfaction=satisfaction,
        answered_at=now,
    )
    await runtime.record(conn, answered)
    await _settle(conn, participant_id, SURVEY_ASKED[kind], now)
    return now


async def answer_survey(
    runtime: Runtime,
    caller: Principal,
    *,
    participant_id: UUID,
    kind: SurveyKind,
    confidence: int,
    satisfaction: int | None,
    comment: str,
) -> datetime:
    """Answer (or revise) one's own pre- or post-programme survey. Returns when."""
    async with runtime.engine.begin() as conn:
        respondent = await own_surveys(conn, caller, participant_id)
        if respondent.cohort_id is None or respondent.programme_id is None:
            raise Conflict("scheduling does not know your cohort yet: try again once registration has told it")
        return await _survey_given(
            runtime,
            conn,
            participant_id=participant_id,
            cohort_id=respondent.cohort_id,
            programme_id=respondent.programme_id,
            kind=kind,
            confidence=confidence,
            satisfaction=satisfaction,
            comment=comment,
        )


async def answer_survey_in_pairing(
    runtime: Runtime,
    caller: Principal,
    *,
    pairing_id: UUID,
    kind: SurveyKind,
    confidence: int,
    satisfaction: int | None,
    comment: str,
) -> datetime:
    """The older route: the partner's own survey, found through their pairing. Returns when."""
    async with runtime.engine.begin() as conn:
        pairing = await visible_pairing(conn, caller, pairing_id)
        participant_id = require_partner(caller, pairing, "only the partners answer the programme's surveys")
        return await _survey_given(
            runtime,
            conn,
            participant_id=participant_id,
            cohort_id=pairing.cohort_id,
            programme_id=pairing.programme_id,
            kind=kind,
            confidence=confidence,
            satisfaction=satisfaction,
            comment=comment,
        )


async def assessment_answered(
    runtime: Runtime, conn: AsyncConnection, pairing: Pairing, giver: UUID, ratings: Sequence[int], now: datetime
) -> None:
    """The final assessment was given (or revised) by `giver`: its scores, and their ask is answered."""
    given = assessment_given(pairing_id=pairing.id, cohort_id=pairing.cohort_id, giver=giver, ratings=ratings, now=now)
    await runtime.record(conn, given)
    await _settle(conn, giver, OutcomeKind.final_assessment, now, pairing.id)


def _survey_of(kind: OutcomeKind) -> SurveyKind:
    return next(survey for survey, asked in SURVEY_ASKED.items() if asked is kind)
