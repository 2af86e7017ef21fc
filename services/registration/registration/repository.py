"""Loads and saves registration's aggregates (adapters room), taking the locks the use cases need.

Lock order, so concurrent requests never deadlock: the cohort row, then participant rows, then
credential and address verification rows. A cohort loaded FOR UPDATE serialises the counting of its places; registrations
that take no place share it (FOR SHARE), so they run in parallel.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from registration.domain.cohort import Cohort, CohortStatus
from registration.domain.credentials import Credential, CredentialStatus, Upload, content_type_of
from registration.domain.dates import CohortDates
from registration.domain.errors import Duplicate
from registration.domain.participant import Participant, ParticipantStatus, WithdrawnBy
from registration.domain.programme import Programme
from registration.domain.programme_rules import rules_of
from registration.domain.verification import AddressVerification, VerificationStatus
from registration.tables import address_verifications, coach_credentials, cohorts, data_keys, participants, programmes
from together_contracts.registration import (
    AppointmentType,
    CredentialKind,
    ParticipantAdmitted,
    ProgrammeKind,
    Role,
)
from together_contracts.roles import SEEKING_ROLES
from together_events.registry import Event
from together_servicekit.errors import NotFound
from together_servicekit.jobs import Failure

# --- programmes -------------------------------------------------------------------------------


def _programme(row: sa.RowMapping) -> Programme:
    kind = ProgrammeKind(row["kind"])
    return Programme(
        id=row["id"],
        name=row["name"],
        kind=kind,
        suggestions_per_mentee=row["suggestions_per_mentee"],
        created_at=row["created_at"],
        rules=rules_of(kind, row["rules"]),
        rules_changed_at=row["rules_changed_at"],
    )


async def load_programme(conn: AsyncConnection, programme_id: UUID, *, for_update: bool = False) -> Programme:
    query = sa.select(programmes).where(programmes.c.id == programme_id)
    row = (await conn.execute(query.with_for_update() if for_update else query)).mappings().first()
    if row is None:
        raise NotFound("programme", programme_id)
    return _programme(row)


async def add_programme(conn: AsyncConnection, programme: Programme) -> None:
    await conn.execute(
        programmes.insert().values(
            id=programme.id,
            name=programme.name,
            kind=programme.kind.value,
            suggestions_per_mentee=programme.suggestions_per_mentee,
            created_at=programme.created_at,
            rules=programme.rules.model_dump(mode="json"),
        )
    )


async def save_programme(conn: AsyncConnection, programme: Programme) -> None:
    await conn.execute(
        programmes.update()
        .where(programmes.c.id == programme.id)
        .values(rules=programme.rules.model_dump(mode="json"), rules_changed_at=programme.rules_changed_at)
    )


# --- cohorts, their places and the waitlist ---------------------------------------------------


def _cohort_query() -> sa.Select[Any]:
    return sa.select(cohorts, programmes.c.kind, programmes.c.rules.label("programme_rules")).join(
        programmes, programmes.c.id == cohorts.c.programme_id
    )


def _cohort(row: sa.RowMapping) -> Cohort:
    return Cohort(
        id=row["id"],
        programme_id=row["programme_id"],
        name=row["name"],
        rules=rules_of(ProgrammeKind(row["kind"]), row["programme_rules"]),
        dates=CohortDates(row["registration_opens_on"], row["registration_closes_on"], row["starts_on"], row["ends_on"]),
        places=row["places"],
        status=CohortStatus(row["status"]),
        closed_at=row["closed_at"],
        ended_at=row["ended_at"],
    )


async def _count_seats(conn: AsyncConnection, cohort: Cohort) -> None:
    """The places taken and the waitlist, for a cohort that has places (no one waits in one without)."""
    if cohort.places is None:
        return
    seeking = [role.value for role in SEEKING_ROLES]
    cohort.places_taken = (
        await conn.execute(
            sa.select(sa.func.count())
            .select_from(participants)
            .where(
                participants.c.cohort_id == cohort.id,
                participants.c.status == ParticipantStatus.active,
                participants.c.roles.overlap(sa.cast(seeking, participants.c.roles.type)),
            )
        )
    ).scalar_one()
    cohort.waitlist = list(
        (
            await conn.execute(
                sa.select(participants.c.id)
                .where(participants.c.cohort_id == cohort.id, participants.c.status == ParticipantStatus.waitlisted)
                .order_by(participants.c.waitlisted_at, participants.c.id)
            )
        ).scalars()
    )


async def load_cohort(conn: AsyncConnection, cohort_id: UUID, *, shared: bool = False, seats: bool = True) -> Cohort:
    """The cohort with its programme's rules, locked FOR UPDATE (or FOR SHARE: registrations that take
    no place run side by side, yet a closing or a withdrawal waits for them and they for it);
    with `seats`, its places taken and its waitlist."""
    query = _cohort_query().where(cohorts.c.id == cohort_id).with_for_update(of=cohorts, read=shared)
    row = (await conn.execute(query)).mappings().first()
    if row is None:
        raise NotFound("cohort", cohort_id)
    cohort = _cohort(row)
    if seats:
        await _count_seats(conn, cohort)
    return cohort


async def claim_due_cohort(conn: AsyncConnection, now: datetime) -> tuple[Cohort, int] | None:
    """An open cohort whose window passed before `now`'s date, locked, with its failed closing attempts so far;
    one another transaction holds, one waiting to be tried again and one set aside as failed are skipped."""
    query = (
        _cohort_query()
        .add_columns(cohorts.c.close_attempts)
        .where(
            cohorts.c.status == CohortStatus.open,
            cohorts.c.registration_closes_on < now.date(),
            cohorts.c.close_failed_at.is_(None),
            sa.or_(cohorts.c.close_retry_at.is_(None), cohorts.c.close_retry_at <= now),
        )
        .order_by(cohorts.c.registration_closes_on, cohorts.c.id)
        .limit(1)
        .with_for_update(of=cohorts, skip_locked=True)
    )
    row = (await conn.execute(query)).mappings().first()
    return (_cohort(row), row["close_attempts"]) if row is not None else None


async def record_close_failure(conn: AsyncConnection, cohort_id: UUID, failure: Failure, now: datetime) -> None:
    await conn.execute(
        cohorts.update()
        .where(cohorts.c.id == cohort_id)
        .values(
            close_attempts=failure.attempts,
            close_error=failure.reason,
            close_retry_at=failure.retry_at,
            close_failed_at=now if failure.retry_at is None else None,
        )
    )


async def claim_ending_cohort(conn: AsyncConnection, now: datetime) -> tuple[Cohort, int] | None:
    """A cohort not ended yet whose end date passed before `now`'s date, locked, with its failed attempts to end
    it so far; one another transaction holds, one waiting to be tried again and one set aside as failed are skipped."""
    query = (
        _cohort_query()
        .add_columns(cohorts.c.end_attempts)
        .where(
            cohorts.c.ended_at.is_(None),
            cohorts.c.ends_on < now.date(),
            cohorts.c.end_failed_at.is_(None),
            sa.or_(cohorts.c.end_retry_at.is_(None), cohorts.c.end_retry_at <= now),
        )
        .order_by(cohorts.c.ends_on, cohorts.c.id)
        .limit(1)
        .with_for_update(of=cohorts, skip_locked=True)
    )
    row = (await conn.execute(query)).mappings().first()
    return (_cohort(row), row["end_attempts"]) if row is not None else None


async def record_end_failure(conn: AsyncConnection, cohort_id: UUID, failure: Failure, now: datetime) -> None:
    await conn.execute(
        cohorts.update()
        .where(cohorts.c.id == cohort_id)
        .values(
            end_attempts=failure.attempts,
            end_error=failure.reason,
            end_retry_at=failure.retry_at,
            end_failed_at=now if failure.retry_at is None else None,
        )
    )


async def add_cohort(conn: AsyncConnection, cohort: Cohort) -> None:
    await conn.execute(
        cohorts.insert().values(
            id=cohort.id,
            programme_id=cohort.programme_id,
            name=cohort.name,
            registration_opens_on=cohort.dates.opens,
            registration_closes_on=cohort.dates.closes,
            starts_on=cohort.dates.starts,
            ends_on=cohort.dates.ends,
            places=cohort.places,
            status=cohort.status.value,
        )
    )


async def save_cohort(conn: AsyncConnection, cohort: Cohort) -> None:
    await conn.execute(
        cohorts.update()
        .where(cohorts.c.id == cohort.id)
        .values(status=cohort.status.value, closed_at=cohort.closed_at, ended_at=cohort.ended_at)
    )


async def save_admissions(conn: AsyncConnection, events: Iterable[Event]) -> None:
    """The waitlisted whom these events admit: the cohort gave them a place; their rows follow."""
    for admitted in (event for event in events if isinstance(event, ParticipantAdmitted)):
        await conn.execute(
            participants.update()
            .where(participants.c.id == admitted.participant_id)
            .values(status=ParticipantStatus.active.value, waitlisted_at=None, admitted_at=admitted.admitted_at)
        )


# --- participants -----------------------------------------------------------------------------


def _participant(row: sa.RowMapping) -> Participant:
    return Participant(
        id=row["id"],
        person_id=row["person_id"],
        cohort_id=row["cohort_id"],
        programme_id=row["programme_id"],
        email=row["email"],
        index_number=row["index_number"],
        appointment_type=AppointmentType(row["appointment_type"]) if row["appointment_type"] is not None else None,
        preferred_language=row["preferred_language"],
        roles=[Role(r) for r in row["roles"]],
        mentor_capacity=row["mentor_capacity"],
        coach_capacity=row["coach_capacity"],
        profile=dict(row["public_profile"]),
        registered_at=row["registered_at"],
        status=ParticipantStatus(row["status"]),
        waitlisted_at=row["waitlisted_at"],
        admitted_at=row["admitted_at"],
        updated_at=row["updated_at"],
        withdrawn_at=row["withdrawn_at"],
        withdrawn_by=WithdrawnBy(row["withdrawn_by"]) if row["withdrawn_by"] is not None else None,
        answers_erased=row["answers_erased"],
        coach_approved=row["coach_approved"],
        verified_at=row["verified_at"],
    )


def _participant_query() -> sa.Select[Any]:
    return sa.select(participants, cohorts.c.programme_id).join(cohorts, cohorts.c.id == participants.c.cohort_id)


async def load_participant(conn: AsyncConnection, participant_id: UUID) -> Participant:
    """The participant, their row locked (and not their cohort's)."""
    query = _participant_query().where(participants.c.id == participant_id).with_for_update(of=participants)
    row = (await conn.execute(query)).mappings().first()
    if row is None:
        raise NotFound("participant", participant_id)
    return _participant(row)


async def cohort_name(conn: AsyncConnection, cohort_id: UUID) -> str:
    """A cohort's name (never changed: read without a lock)."""
    name = (await conn.execute(sa.select(cohorts.c.name).where(cohorts.c.id == cohort_id))).scalar()
    if name is None:
        raise NotFound("cohort", cohort_id)
    return str(name)


async def load_participant_in_cohort(conn: AsyncConnection, participant_id: UUID) -> tuple[Cohort, Participant]:
    """The participant and their cohort (with its places and waitlist), both locked, the cohort first."""
    cohort_id = (await conn.execute(sa.select(participants.c.cohort_id).where(participants.c.id == participant_id))).scalar()
    if cohort_id is None:
        raise NotFound("participant", participant_id)
    cohort = await load_cohort(conn, cohort_id)
    return cohort, await load_participant(conn, participant_id)


async def person_registered(conn: AsyncConnection, cohort_id: UUID, person_id: str) -> UUID | None:
    """This person's registration in the cohort (verified or not), if any."""
    query = sa.select(participants.c.id).where(participants.c.cohort_id == cohort_id, participants.c.person_id == person_id)
    registered: UUID | None = (await conn.execute(query)).scalar()
    return registered


async def address_taken(conn: AsyncConnection, cohort_id: UUID, email: str, *, other_than: UUID) -> bool:
    """Whether another participant of the cohort registered with this address and verified it."""
    query = sa.select(participants.c.id).where(
        participants.c.cohort_id == cohort_id,
        participants.c.email == email.lower(),
        participants.c.verified_at.is_not(None),
        participants.c.id != other_than,
    )
    return (await conn.execute(query)).first() is not None


def _participant_values(participant: Participant) -> dict[str, Any]:
    return {
        "email": participant.email,
        "index_number": participant.index_number,
        "appointment_type": participant.appointment_type.value if participant.appointment_type is not None else None,
        "preferred_language": participant.preferred_language,
        "roles": [role.value for role in participant.roles],
        "mentor_capacity": participant.mentor_capacity,
        "coach_capacity": participant.coach_capacity,
        "public_profile": participant.profile,
        "status": participant.status.value,
        "waitlisted_at": participant.waitlisted_at,
        "admitted_at": participant.admitted_at,
        "updated_at": participant.updated_at,
        "withdrawn_at": participant.withdrawn_at,
        "withdrawn_by": participant.withdrawn_by.value if participant.withdrawn_by is not None else None,
        "answers_erased": participant.answers_erased,
        "coach_approved": participant.coach_approved,
        "verified_at": participant.verified_at,
    }


async def add_participant(conn: AsyncConnection, participant: Participant) -> None:
    values = _participant_values(participant)
    insert = participants.insert().values(
        id=participant.id,
        person_id=participant.person_id,
        cohort_id=participant.cohort_id,
        registered_at=participant.registered_at,
        **values,
    )
    try:
        await conn.execute(insert)
    except sa.exc.IntegrityError as exc:  # a concurrent registration of the same person lost the race
        raise Duplicate("person") from exc


async def save_participant(conn: AsyncConnection, participant: Participant) -> None:
    update = participants.update().where(participants.c.id == participant.id).values(**_participant_values(participant))
    try:
        await conn.execute(update)
    except sa.exc.IntegrityError as exc:  # two verifications of one address in one cohort: the second lost the race
        raise Duplicate("address") from exc


# --- address verifications ----------------------------------------------------------------------


def _verification(row: sa.RowMapping) -> AddressVerification:
    return AddressVerification(
        id=row["id"],
        participant_id=row["participant_id"],
        cohort_id=row["cohort_id"],
        programme_id=row["programme_id"],
        email=row["email"],
        requested_at=row["requested_at"],
        status=VerificationStatus(row["status"]),
        token_hash=row["token_hash"],
        expires_at=row["expires_at"],
        verified_at=row["verified_at"],
    )


def _verification_query(*, lock: bool = True) -> sa.Select[Any]:
    query = (
        sa.select(address_verifications, participants.c.cohort_id, cohorts.c.programme_id)
        .join(participants, participants.c.id == address_verifications.c.participant_id)
        .join(cohorts, cohorts.c.id == participants.c.cohort_id)
    )
    return query.with_for_update(of=address_verifications) if lock else query


async def load_verification(conn: AsyncConnection, verification_id: UUID, *, lock: bool = True) -> AddressVerification:
    """The verification, its row locked unless `lock` is False (take the participant's lock first)."""
    query = _verification_query(lock=lock).where(address_verifications.c.id == verification_id)
    row = (await conn.execute(query)).mappings().first()
    if row is None:
        raise NotFound("address verification", verification_id)
    return _verification(row)


async def pending_verification(conn: AsyncConnection, participant_id: UUID) -> AddressVerification | None:
    """The participant's address waiting for verification, if any, its row locked."""
    query = _verification_query().where(
        address_verifications.c.participant_id == participant_id, address_verifications.c.status == VerificationStatus.pending
    )
    row = (await conn.execute(query)).mappings().first()
    return _verification(row) if row is not None else None


async def verification_of_link(conn: AsyncConnection, token_hash: str) -> tuple[UUID, UUID] | None:
    """The (verification, participant) a link's token hash belongs to, unlocked: lock the participant first."""
    query = sa.select(address_verifications.c.id, address_verifications.c.participant_id).where(
        address_verifications.c.token_hash == token_hash
    )
    row = (await conn.execute(query)).first()
    return (row.id, row.participant_id) if row is not None else None


async def add_verification(conn: AsyncConnection, verification: AddressVerification) -> None:
    await conn.execute(
        address_verifications.insert().values(
            id=verification.id,
            participant_id=verification.participant_id,
            email=verification.email,
            requested_at=verification.requested_at,
            status=verification.status.value,
        )
    )


async def save_verification(conn: AsyncConnection, verification: AddressVerification) -> None:
    await conn.execute(
        address_verifications.update()
        .where(address_verifications.c.id == verification.id)
        .values(
            requested_at=verification.requested_at,
            status=verification.status.value,
            token_hash=verification.token_hash,
            expires_at=verification.expires_at,
            verified_at=verification.verified_at,
        )
    )


async def forget_verifications(conn: AsyncConnection, participant_id: UUID) -> None:
    """An erasure deletes the addresses the participant asked to verify."""
    await conn.execute(address_verifications.delete().where(address_verifications.c.participant_id == participant_id))


# --- data keys (ADR 0008) ---------------------------------------------------------------------


async def add_data_key(conn: AsyncConnection, participant_id: UUID, key: bytes, now: datetime) -> None:
    await conn.execute(data_keys.insert().values(participant_id=participant_id, key=key, created_at=now))


async def data_key(conn: AsyncConnection, participant_id: UUID) -> bytes | None:
    """The participant's data key; None once their answers are erased."""
    found = await conn.scalar(sa.select(data_keys.c.key).where(data_keys.c.participant_id == participant_id))
    return bytes(found) if found is not None else None


async def forget_data_key(conn: AsyncConnection, participant_id: UUID) -> None:
    """An erasure deletes the key: every copy of the answers sealed with it, on every topic, stays shut."""
    await conn.execute(data_keys.delete().where(data_keys.c.participant_id == participant_id))


# --- coach credentials ------------------------------------------------------------------------


async def forget_credential_files(conn: AsyncConnection, participant_id: UUID) -> None:
    """An erasure deletes the participant's credential files and references, and the team's reasons
    (free text about the person that lives nowhere else: ADR 0008)."""
    await conn.execute(
        coach_credentials.update()
        .where(coach_credentials.c.participant_id == participant_id)
        .values(content=None, reference=None, file_name=None, reason=None)
    )


async def standing_credential(conn: AsyncConnection, participant_id: UUID) -> CredentialStatus | None:
    """The status of the coach's pending or approved credential, if they have one."""
    standing = (
        await conn.execute(
            sa.select(coach_credentials.c.status).where(
                coach_credentials.c.participant_id == participant_id,
                coach_credentials.c.status.in_([CredentialStatus.pending, CredentialStatus.approved]),
            )
        )
    ).scalar()
    return CredentialStatus(standing) if standing is not None else None


async def add_credential(conn: AsyncConnection, credential: Credential, upload: Upload | None) -> None:
    await conn.execute(
        coach_credentials.insert().values(
            id=credential.id,
            participant_id=credential.participant_id,
            kind=credential.kind.value,
            reference=credential.reference,
            file_name=upload.file_name if upload else None,
            content_type=content_type_of(upload.content) if upload else None,
            content=upload.content if upload else None,
            size_bytes=len(upload.content) if upload else None,
            confidentiality_accepted_at=credential.confidentiality_accepted_at,
            status=credential.status.value,
            submitted_at=credential.submitted_at,
        )
    )


async def load_credential(conn: AsyncConnection, credential_id: UUID) -> tuple[Participant, Credential]:
    """The credential and its coach, both locked: the participant first, in the order a withdrawal
    (which erases files) takes them."""
    participant_id = (
        await conn.execute(sa.select(coach_credentials.c.participant_id).where(coach_credentials.c.id == credential_id))
    ).scalar()
    if participant_id is None:
        raise NotFound("credential", credential_id)
    coach = await load_participant(conn, participant_id)
    columns = [c for c in coach_credentials.c if c.name not in ("content", "file_name", "content_type", "size_bytes")]
    row = (
        (await conn.execute(sa.select(*columns).where(coach_credentials.c.id == credential_id).with_for_update()))
        .mappings()
        .one()
    )
    credential = Credential(
        id=row["id"],
        participant_id=row["participant_id"],
        kind=CredentialKind(row["kind"]),
        reference=row["reference"],
        confidentiality_accepted_at=row["confidentiality_accepted_at"],
        submitted_at=row["submitted_at"],
        status=CredentialStatus(row["status"]),
        decided_at=row["decided_at"],
        decided_by=row["decided_by"],
        reason=row["reason"],
    )
    return coach, credential


async def save_credential(conn: AsyncConnection, credential: Credential) -> None:
    await conn.execute(
        coach_credentials.update()
        .where(coach_credentials.c.id == credential.id)
        .values(
            status=credential.status.value,
            decided_at=credential.decided_at,
            decided_by=credential.decided_by,
            reason=credential.reason,
        )
    )
