"""What registration's API reads, and who may read what (ADR 0005: reads are authorised where they are read).

Each query opens its own connection and returns plain values for the API to shape. Who may see a
participant or a credential is stated once here (`sees_participant`, `sees_credential`); the use cases
load through the same rules, so an object the caller may not see answers exactly as a missing one.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from registration import records
from registration.domain import outcomes
from registration.domain.credentials import CredentialStatus
from registration.domain.participant import Participant, ParticipantStatus, answers_of
from registration.domain.programme_rules import rules_of
from registration.domain.questionnaire import TEAM_ONLY, VISIBILITY
from registration.tables import coach_credentials, cohorts, data_keys, participants, programmes
from together_contracts.registration import ProgrammeKind, ProgrammeRules, Role
from together_contracts.sealing import key_text
from together_servicekit.auth import Forbidden, Principal, require_scope, visible_or_missing
from together_servicekit.auth import Role as AuthRole
from together_servicekit.errors import NotFound
from together_servicekit.paging import Page
from together_servicekit.runtime import Runtime

# The scope a service token needs to read a participant's contact (part of this endpoint's contract).
CONTACTS_SCOPE = "registration:contacts"
# The scope a service token needs to read a participant's data key (ADR 0008).
DATA_KEYS_SCOPE = "registration:data-keys"


# --- who sees what -----------------------------------------------------------------------------


def sees_participant(
    caller: Principal, person_id: str, programme_id: UUID, roles: Collection[str], approved: bool, *, verified: bool
) -> bool:
    """Anyone signed in sees a participant's public answers, except a coach whose credential is not
    approved yet, and anyone whose address is not verified yet: themself and their programme team only."""
    insider = caller.is_person(person_id) or caller.runs(programme_id)
    return insider or (verified and not (Role.coach.value in roles and not approved))


def visible_participant(caller: Principal, participant: Participant) -> Participant:
    """A participant a use case loaded, if the caller may see them; else the 404 of a missing one."""
    return visible_or_missing(
        participant,
        lambda p: sees_participant(caller, p.person_id, p.programme_id, p.roles, p.coach_approved, verified=p.verified),
        "participant",
        participant.id,
    )


def _sees_row(caller: Principal, row: dict[str, Any]) -> bool:
    """`sees_participant` on a row of `participants` joined with its cohort's programme."""
    verified = row["verified_at"] is not None
    return sees_participant(caller, row["person_id"], row["programme_id"], row["roles"], row["coach_approved"], verified=verified)


def sees_credential(caller: Principal, coach_person_id: str, programme_id: UUID) -> bool:
    """A coach's credential: the coach themself and their programme team, nobody else."""
    return caller.is_person(coach_person_id) or caller.runs(programme_id)


async def _one(runtime: Runtime, query: sa.Select[Any], what: str, key: UUID) -> dict[str, Any]:
    async with runtime.engine.connect() as conn:
        row = (await conn.execute(query)).mappings().first()
    if row is None:
        raise NotFound(what, key)
    return dict(row)


async def programme(runtime: Runtime, programme_id: UUID) -> dict[str, Any]:
    """Anyone signed in: a programme's name, kind and rules are public."""
    row = await _one(runtime, sa.select(programmes).where(programmes.c.id == programme_id), "programme", programme_id)
    return {**row, "rules": rules_of(ProgrammeKind(row["kind"]), row["rules"])}


async def programme_rules(runtime: Runtime, programme_id: UUID) -> ProgrammeRules:
    rules: ProgrammeRules = (await programme(runtime, programme_id))["rules"]
    return rules


async def cohort(runtime: Runtime, cohort_id: UUID) -> dict[str, Any]:
    """Anyone signed in: a cohort's name, dates and places are public."""
    return await _one(runtime, sa.select(cohorts).where(cohorts.c.id == cohort_id), "cohort", cohort_id)


async def cohort_outcomes(runtime: Runtime, cohort_id: UUID, caller: Principal) -> tuple[dict[str, Any], list[outcomes.Row]]:
    """The team of the cohort's programme: the cohort's outcomes report, no group under five people (ADR 0011)."""
    row = await cohort(runtime, cohort_id)
    if not caller.runs(row["programme_id"]):
        raise Forbidden("only the team running this programme reads its cohorts' outcomes")
    async with runtime.engine.connect() as conn:
        facts = await records.cohort_facts(conn, cohort_id)
    return row, outcomes.report(facts)


@dataclass(frozen=True)
class ParticipantView:
    """A participant as the caller may see them; `insider`: the participant or their team, who see every answer."""

    fields: dict[str, Any]
    insider: bool


def _view(row: dict[str, Any], insider: bool) -> ParticipantView:
    answers = [
        {"field": name, "value": value, "visibility": VISIBILITY[name]}
        for name, value in answers_of(row).items()
        if insider or name not in TEAM_ONLY
    ]
    waitlisted = row["status"] == ParticipantStatus.waitlisted
    return ParticipantView({**row, "waitlisted": waitlisted, "answers": answers}, insider)


def _participants_query() -> sa.Select[Any]:
    return sa.select(participants, cohorts.c.programme_id).join(cohorts, cohorts.c.id == participants.c.cohort_id)


async def _participant(runtime: Runtime, participant_id: UUID) -> dict[str, Any]:
    query = _participants_query().where(participants.c.id == participant_id)
    return await _one(runtime, query, "participant", participant_id)


async def participant(runtime: Runtime, participant_id: UUID, caller: Principal) -> ParticipantView:
    """The participant and their programme team see every answer; anyone else signed in, the public
    answers. A coach whose credential is not approved is visible to themself and the team only."""
    row = visible_or_missing(
        await _participant(runtime, participant_id),
        lambda r: _sees_row(caller, r),
        "participant",
        participant_id,
    )
    return _view(row, insider=caller.is_person(row["person_id"]) or caller.runs(row["programme_id"]))


async def cohort_participants(runtime: Runtime, cohort_id: UUID, caller: Principal, page: Page) -> list[ParticipantView]:
    """The team of the cohort's programme: a page of participants with every answer, in registration order."""
    if not caller.runs((await cohort(runtime, cohort_id))["programme_id"]):
        raise Forbidden("only the team running this programme lists its participants")
    query = (
        _participants_query()
        .where(participants.c.cohort_id == cohort_id)
        .order_by(participants.c.registered_at, participants.c.id)
        .limit(page.limit)
        .offset(page.offset)
    )
    async with runtime.engine.connect() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return [_view(dict(row), insider=True) for row in rows]


async def contact(runtime: Runtime, participant_id: UUID, caller: Principal) -> dict[str, Any]:
    """A `service` token granted the scope `registration:contacts` only (the notifications service
    addresses its mails with it): no other service token reads addresses."""
    require_scope(caller, AuthRole.service, CONTACTS_SCOPE)
    row = await _participant(runtime, participant_id)
    if row["verified_at"] is None:  # mailed nothing but the verification mail (`use_cases.verification.mail_link`)
        raise NotFound("participant", participant_id)
    return {
        "participant_id": row["id"],
        "email": row["email"],
        "display_name": row["public_profile"]["display_name"],
        "preferred_language": row["preferred_language"],
        "withdrawn": row["status"] == ParticipantStatus.withdrawn,
    }


async def data_key(runtime: Runtime, participant_id: UUID, caller: Principal) -> dict[str, Any]:
    """A `service` token granted the scope `registration:data-keys` only (the services that open
    profiles in events). An erased participant's key is gone: 404, exactly as for an unknown id."""
    require_scope(caller, AuthRole.service, DATA_KEYS_SCOPE)
    async with runtime.engine.connect() as conn:
        key = await conn.scalar(sa.select(data_keys.c.key).where(data_keys.c.participant_id == participant_id))
    if key is None:
        raise NotFound("participant", participant_id)
    return {"participant_id": participant_id, "key": key_text(bytes(key))}


def _credentials_query() -> sa.Select[Any]:
    """Credentials with their coach's cohort, programme, person and name; never the file itself."""
    return (
        sa.select(
            *(column for column in coach_credentials.c if column.name != "content"),
            participants.c.cohort_id,
            participants.c.person_id,
            cohorts.c.programme_id,
            participants.c.public_profile["display_name"].astext.label("display_name"),
        )
        .join(participants, participants.c.id == coach_credentials.c.participant_id)
        .join(cohorts, cohorts.c.id == participants.c.cohort_id)
    )


async def _credential_rows(runtime: Runtime, query: sa.Select[Any]) -> list[dict[str, Any]]:
    async with runtime.engine.connect() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return [dict(row) for row in rows]


async def programme_credentials(
    runtime: Runtime, programme_id: UUID, status: CredentialStatus | None, caller: Principal, page: Page
) -> list[dict[str, Any]]:
    """The programme's own team: a page of its coaches' credentials (of one status, or all), oldest first."""
    if not caller.runs(programme_id):
        raise Forbidden("only the team running this programme reviews its coaches' credentials")
    query = (
        _credentials_query()
        .where(cohorts.c.programme_id == programme_id)
        .order_by(coach_credentials.c.submitted_at, coach_credentials.c.id)
        .limit(page.limit)
        .offset(page.offset)
    )
    if status is not None:
        query = query.where(coach_credentials.c.status == status.value)
    return await _credential_rows(runtime, query)


async def coach_credentials_of(runtime: Runtime, participant_id: UUID, caller: Principal, page: Page) -> list[dict[str, Any]]:
    """The coach themself and their programme team: a page of the coach's credentials, newest first, each with
    the team's decision and reason. Whoever may not see the coach gets the 404 of a missing participant; whoever
    sees them but is neither, 403."""
    row = visible_or_missing(
        await _participant(runtime, participant_id), lambda r: _sees_row(caller, r), "participant", participant_id
    )
    if not sees_credential(caller, row["person_id"], row["programme_id"]):
        raise Forbidden("only the coach and their programme team see the coach's credentials")
    query = (
        _credentials_query()
        .where(coach_credentials.c.participant_id == participant_id)
        .order_by(coach_credentials.c.submitted_at.desc(), coach_credentials.c.id)
        .limit(page.limit)
        .offset(page.offset)
    )
    return await _credential_rows(runtime, query)


async def credential(runtime: Runtime, credential_id: UUID, caller: Principal) -> dict[str, Any]:
    """The coach themself and their programme team (to anyone else it does not exist): where the credential
    stands and, once rejected, the team's reason, which no event carries (ADR 0008)."""
    return visible_or_missing(
        await _one(runtime, _credentials_query().where(coach_credentials.c.id == credential_id), "credential", credential_id),
        lambda r: sees_credential(caller, r["person_id"], r["programme_id"]),
        "credential",
        credential_id,
    )


@dataclass(frozen=True)
class CredentialFile:
    content: bytes
    content_type: str


async def credential_file(runtime: Runtime, credential_id: UUID, caller: Principal) -> CredentialFile:
    """The programme's team, and the coach themself (to anyone else it does not exist). A reference-only
    (or erased) credential has no file: 404."""
    query = (
        sa.select(coach_credentials.c.content, coach_credentials.c.content_type, cohorts.c.programme_id, participants.c.person_id)
        .join(participants, participants.c.id == coach_credentials.c.participant_id)
        .join(cohorts, cohorts.c.id == participants.c.cohort_id)
        .where(coach_credentials.c.id == credential_id)
    )
    row = visible_or_missing(
        await _one(runtime, query, "credential", credential_id),
        lambda r: sees_credential(caller, r["person_id"], r["programme_id"]),
        "credential",
        credential_id,
    )
    if row["content"] is None:
        raise NotFound("credential file", credential_id)
    return CredentialFile(content=row["content"], content_type=row["content_type"])
