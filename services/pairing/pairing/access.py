"""Who sees what in pairing (ADR 0005), stated once. The use cases and the queries load through here,
so an object the caller may not see answers exactly as one pairing does not know (404, word for word);
a 403 is for a caller who sees the object but may not do this with it.

- a participant (their requests, their preferences, whom they follow): themself and their programme team;
- a cohort (its statistics and holidays): the team running its programme;
- a request to answer: its mentor only (`use_cases.accept`, `decline`);
- a pairing: its partners and the programme team (`domain.preferences.Readers`).
"""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from pairing import records
from pairing.domain.preferences import cohort_ended_violation
from together_servicekit.auth import Principal, visible_or_missing
from together_servicekit.errors import Conflict


def sees_participant(caller: Principal, participant: sa.Row) -> bool:
    return caller.is_person(participant.person_id) or caller.runs(participant.programme_id)


def visible_participant(caller: Principal, participant: sa.Row | None, what: str, participant_id: UUID) -> sa.Row:
    """The participant's row if it exists and the caller sees it; else 404 as for one pairing does not know."""
    return visible_or_missing(participant, lambda row: sees_participant(caller, row), what, participant_id)


async def visible_cohort(conn: AsyncConnection, caller: Principal, cohort_id: UUID) -> UUID:
    """The cohort's programme, to the team running it; to anyone else, 404 as for a cohort pairing knows
    neither from `CohortOpened` nor from a participant."""
    return visible_or_missing(await records.programme_of_cohort(conn, cohort_id), caller.runs, "cohort", cohort_id)


async def refuse_after_the_end(conn: AsyncConnection, cohort_id: UUID) -> None:
    """409 `cohort_ended` once the cohort ended: nobody acts in it any more (read under the cohort's lock, so its
    end is not half done)."""
    if (violation := cohort_ended_violation(await records.cohort_ended_at(conn, cohort_id))) is not None:
        raise Conflict(violation.message, [violation])
