"""The outcomes report's rows (adapters room): the read model pairing's and scheduling's events build, the
refusals registration counts itself, and the facts of one cohort as the report (`domain.outcomes`) takes them.

Every write is idempotent and order-tolerant: a pairing's end may be handled before its forming (the row is
made by whichever comes first), and only the latest survey answer or assessment is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from registration.domain.outcomes import (
    Assessment,
    CohortFacts,
    EarlyEnd,
    PairingOutcome,
    PairingState,
    Refusal,
    Registrant,
    SurveyScores,
    groups_of,
)
from registration.domain.participant import ParticipantStatus
from registration.tables import (
    outcome_assessments,
    outcome_pairings,
    outcome_sessions,
    outcome_surveys,
    participants,
    registration_refusals,
)
from together_contracts.registration import RegistrationRefused


async def add_refusal(conn: AsyncConnection, refusal_id: UUID, refused: RegistrationRefused, answers: Mapping[str, Any]) -> None:
    await conn.execute(
        registration_refusals.insert().values(
            id=refusal_id,
            cohort_id=refused.cohort_id,
            failed_rules=list(refused.failed_rules),
            refused_at=refused.refused_at,
            **groups_of(answers),
        )
    )


async def pairing_formed(
    conn: AsyncConnection, *, pairing_id: UUID, cohort_id: UUID, mentee_id: UUID, mentor_id: UUID, formed_at: datetime
) -> None:
    row = {"cohort_id": cohort_id, "mentee_id": mentee_id, "mentor_id": mentor_id, "formed_at": formed_at}
    statement = insert(outcome_pairings).values(pairing_id=pairing_id, state=PairingState.open.value, **row)
    await conn.execute(statement.on_conflict_do_update(index_elements=[outcome_pairings.c.pairing_id], set_=row))


async def pairing_closed(
    conn: AsyncConnection,
    *,
    pairing_id: UUID,
    cohort_id: UUID,
    mentee_id: UUID,
    mentor_id: UUID,
    state: PairingState,
    early_end: EarlyEnd | None,
    at: datetime,
) -> None:
    """Ended early or completed: final either way (a pairing ends once)."""
    closing = {"state": state.value, "early_end": early_end.value if early_end else None, "ended_at": at}
    statement = insert(outcome_pairings).values(
        pairing_id=pairing_id, cohort_id=cohort_id, mentee_id=mentee_id, mentor_id=mentor_id, **closing
    )
    await conn.execute(statement.on_conflict_do_update(index_elements=[outcome_pairings.c.pairing_id], set_=closing))


async def session_held(conn: AsyncConnection, *, session_id: UUID, pairing_id: UUID, completed_at: datetime) -> None:
    statement = insert(outcome_sessions).values(session_id=session_id, pairing_id=pairing_id, completed_at=completed_at)
    await conn.execute(statement.on_conflict_do_nothing())


async def survey_answered(
    conn: AsyncConnection,
    *,
    participant_id: UUID,
    survey: str,
    cohort_id: UUID,
    confidence: int,
    satisfaction: int | None,
    answered_at: datetime,
) -> None:
    """The last answer of each survey counts: an older one arriving late changes nothing."""
    answer = {"cohort_id": cohort_id, "confidence": confidence, "satisfaction": satisfaction, "answered_at": answered_at}
    statement = insert(outcome_surveys).values(participant_id=participant_id, survey=survey, **answer)
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=[outcome_surveys.c.participant_id, outcome_surveys.c.survey],
            set_=answer,
            where=outcome_surveys.c.answered_at <= statement.excluded.answered_at,
        )
    )


async def assessment_given(
    conn: AsyncConnection,
    *,
    pairing_id: UUID,
    participant_id: UUID,
    cohort_id: UUID,
    items_rated: int,
    items_met: int,
    given_at: datetime,
) -> None:
    """The last assessment of each partner of a pairing counts."""
    given = {"cohort_id": cohort_id, "items_rated": items_rated, "items_met": items_met, "given_at": given_at}
    statement = insert(outcome_assessments).values(pairing_id=pairing_id, participant_id=participant_id, **given)
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=[outcome_assessments.c.pairing_id, outcome_assessments.c.participant_id],
            set_=given,
            where=outcome_assessments.c.given_at <= statement.excluded.given_at,
        )
    )


async def cohort_facts(conn: AsyncConnection, cohort_id: UUID) -> CohortFacts:
    """What the report of one cohort is computed from."""
    registrants = [
        Registrant(
            id=row.id,
            groups=groups_of(row.public_profile),
            # A place at verification, or later from the waitlist.
            placed_at=row.admitted_at or (None if row.waitlisted_at is not None else row.verified_at),
            waitlisted=row.status == ParticipantStatus.waitlisted,
            withdrawn=row.status == ParticipantStatus.withdrawn,
        )
        for row in await conn.execute(
            sa.select(
                participants.c.id,
                participants.c.public_profile,
                participants.c.status,
                participants.c.verified_at,
                participants.c.admitted_at,
                participants.c.waitlisted_at,
            ).where(participants.c.cohort_id == cohort_id, participants.c.verified_at.is_not(None))
        )
    ]
    refusals = [
        Refusal(id=row.id, rules=tuple(row.failed_rules), groups=_groups(row))
        for row in await conn.execute(sa.select(registration_refusals).where(registration_refusals.c.cohort_id == cohort_id))
    ]
    held = (
        sa.select(sa.func.count())
        .select_from(outcome_sessions)
        .where(outcome_sessions.c.pairing_id == outcome_pairings.c.pairing_id)
        .scalar_subquery()
    )
    pairings = [
        PairingOutcome(
            id=row.pairing_id,
            mentee_id=row.mentee_id,
            mentor_id=row.mentor_id,
            formed_at=row.formed_at,
            state=PairingState(row.state),
            early_end=EarlyEnd(row.early_end) if row.early_end else None,
            sessions_held=row.held,
        )
        for row in await conn.execute(
            sa.select(outcome_pairings, held.label("held")).where(outcome_pairings.c.cohort_id == cohort_id)
        )
    ]
    answers: dict[UUID, dict[str, int | None]] = {}
    for row in await conn.execute(sa.select(outcome_surveys).where(outcome_surveys.c.cohort_id == cohort_id)):
        scores = answers.setdefault(row.participant_id, {})
        scores[f"{row.survey}_confidence"] = row.confidence
        if row.survey == "post":
            scores["post_satisfaction"] = row.satisfaction
    surveys = [
        SurveyScores(
            participant_id=participant_id,
            pre_confidence=scores.get("pre_confidence"),
            post_confidence=scores.get("post_confidence"),
            post_satisfaction=scores.get("post_satisfaction"),
        )
        for participant_id, scores in answers.items()
    ]
    assessments = [
        Assessment(
            pairing_id=row.pairing_id, participant_id=row.participant_id, items_rated=row.items_rated, items_met=row.items_met
        )
        for row in await conn.execute(sa.select(outcome_assessments).where(outcome_assessments.c.cohort_id == cohort_id))
    ]
    return CohortFacts(tuple(registrants), tuple(refusals), tuple(pairings), tuple(surveys), tuple(assessments))


def _groups(row: Any) -> dict[str, str]:
    return {"entity": row.entity, "grade_band": row.grade_band, "gender": row.gender, "duty_station": row.duty_station}
