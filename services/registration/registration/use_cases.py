"""Registration's use cases: each is one transaction writing state and its events.

Lock order, so concurrent requests never deadlock: the cohort row, then participant rows.
Taking the cohort row FOR UPDATE serialises the counting of its places; registrations that take
no place share it (FOR SHARE), so they run in parallel.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from registration import domain
from registration.programme_rules import SEEKING_ROLES, apply_override, default_rules
from registration.questionnaire import PROFILE_FIELDS, PROFILE_NAME, TEAM_ONLY
from registration.tables import coach_credentials, cohorts, participants, programmes
from together_events.contracts.registration import (
    AppointmentType,
    CohortClosed,
    CohortOpened,
    ParticipantAdmitted,
    ParticipantAnswersErased,
    ParticipantProfileUpdated,
    ParticipantRegistered,
    ParticipantRoleGranted,
    ParticipantWithdrawn,
    ProgrammeCreated,
    ProgrammeKind,
    ProgrammeRules,
    ProgrammeRulesChanged,
    PublicProfile,
    Role,
)
from together_events.contracts.registration import erased_profile as contract_erased_profile
from together_servicekit.auth import Forbidden, Principal
from together_servicekit.errors import Conflict, DomainError, NotFound, Violation
from together_servicekit.runtime import Runtime


def rules_of(kind: str, stored: Mapping[str, Any] | None) -> ProgrammeRules:
    """The programme's rules; programmes from before rules existed follow their kind's defaults."""
    return ProgrammeRules.model_validate(stored) if stored is not None else default_rules(ProgrammeKind(kind))


def _refuse(what: str, violations: list[Violation]) -> None:
    if violations:
        raise DomainError(f"{what}: " + "; ".join(v.message for v in violations), violations)


# --- programmes and cohorts -------------------------------------------------------------------


async def create_programme(
    runtime: Runtime,
    *,
    name: str,
    kind: ProgrammeKind,
    suggestions_per_mentee: int,
    rules_override: Mapping[str, Any] | None = None,
) -> UUID:
    rules, violations = apply_override(kind, default_rules(kind), rules_override or {})
    _refuse("the programme's rules are refused", violations)
    assert rules is not None
    programme_id = uuid.uuid4()
    async with runtime.engine.begin() as conn:
        await conn.execute(
            programmes.insert().values(
                id=programme_id,
                name=name,
                kind=kind.value,
                suggestions_per_mentee=suggestions_per_mentee,
                created_at=runtime.now(),
                rules=rules.model_dump(mode="json"),
            )
        )
        await runtime.record(
            conn,
            ProgrammeCreated(
                programme_id=programme_id, name=name, kind=kind, suggestions_per_mentee=suggestions_per_mentee, rules=rules
            ),
        )
    return programme_id


async def change_rules(runtime: Runtime, *, programme_id: UUID, override: Mapping[str, Any]) -> ProgrammeRules:
    """Merge `override` over the programme's current rules; ProgrammeRulesChanged when anything changed."""
    async with runtime.engine.begin() as conn:
        row = (await conn.execute(sa.select(programmes).where(programmes.c.id == programme_id).with_for_update())).first()
        if row is None:
            raise NotFound("programme", programme_id)
        current = rules_of(row.kind, row.rules)
        rules, violations = apply_override(ProgrammeKind(row.kind), current, override)
        _refuse("the programme's rules are refused", violations)
        assert rules is not None
        if rules == current:
            return rules
        now = runtime.now()
        await conn.execute(
            programmes.update()
            .where(programmes.c.id == programme_id)
            .values(rules=rules.model_dump(mode="json"), rules_changed_at=now)
        )
        await runtime.record(conn, ProgrammeRulesChanged(programme_id=programme_id, rules=rules, changed_at=now))
    return rules


async def open_cohort(
    runtime: Runtime,
    *,
    programme_id: UUID,
    name: str,
    opens: date,
    closes: date,
    starts: date,
    ends: date,
    places: int | None = None,
) -> UUID:
    _refuse("the cohort's dates are not in order", domain.cohort_date_violations(opens, closes, starts, ends))
    cohort_id = uuid.uuid4()
    async with runtime.engine.begin() as conn:
        kind = (await conn.execute(sa.select(programmes.c.kind).where(programmes.c.id == programme_id))).scalar()
        if kind is None:
            raise NotFound("programme", programme_id)
        await conn.execute(
            cohorts.insert().values(
                id=cohort_id,
                programme_id=programme_id,
                name=name,
                registration_opens_on=opens,
                registration_closes_on=closes,
                starts_on=starts,
                ends_on=ends,
                places=places,
            )
        )
        await runtime.record(
            conn,
            CohortOpened(
                cohort_id=cohort_id,
                programme_id=programme_id,
                programme_kind=ProgrammeKind(kind),
                name=name,
                registration_opens_on=opens,
                registration_closes_on=closes,
                starts_on=starts,
                ends_on=ends,
                places=places,
            ),
        )
    return cohort_id


async def close_cohort(runtime: Runtime, conn: AsyncConnection, cohort: sa.Row) -> None:
    """Mark the (locked, still open) cohort closed and publish CohortClosed: once per cohort."""
    now = runtime.now()
    await conn.execute(cohorts.update().where(cohorts.c.id == cohort.id).values(closed_at=now))
    await runtime.record(conn, CohortClosed(cohort_id=cohort.id, programme_id=cohort.programme_id, closed_at=now))


async def close_cohort_now(runtime: Runtime, *, cohort_id: UUID, caller: Principal) -> None:
    """The programme team closes registration (early, or without waiting for the worker)."""
    async with runtime.engine.begin() as conn:
        cohort = (await conn.execute(sa.select(cohorts).where(cohorts.c.id == cohort_id).with_for_update())).first()
        if cohort is None:
            raise NotFound("cohort", cohort_id)
        if not caller.runs(cohort.programme_id):
            raise Forbidden("only the team running this programme closes its cohorts")
        if cohort.closed_at is not None:
            raise Conflict(f"registration for this cohort closed at {cohort.closed_at.isoformat()}")
        await close_cohort(runtime, conn, cohort)


def window_of(cohort: sa.Row) -> domain.Window:
    return domain.Window(
        cohort.registration_opens_on,
        cohort.registration_closes_on,
        cohort.closed_at.date() if cohort.closed_at is not None else None,
    )


# --- participants ----------------------------------------------------------------------------


def _answers(values: Mapping[str, Any]) -> domain.Answers:
    appointment = values.get("appointment_type")
    return domain.Answers(
        appointment_type=AppointmentType(appointment) if appointment is not None else None,
        entity=values["entity"],
        job_network=values["job_network"],
        time_zone=values["time_zone"],
        grade=values["grade"],
        languages=list(values["languages"]),
        roles=[Role(r) for r in values["roles"]],
        mentor_capacity=values.get("mentor_capacity"),
        coach_capacity=values.get("coach_capacity"),
    )


def _profile(values: Mapping[str, Any]) -> PublicProfile:
    return PublicProfile.model_validate(
        {PROFILE_NAME.get(f, f): values.get(f) for f in PROFILE_FIELDS if values.get(f) is not None}
    )


def answers_of(row: Mapping[str, Any]) -> dict[str, Any]:
    """Every questionnaire answer of a stored participant, under the questionnaire's names."""
    profile = row["public_profile"]
    answers = {f: profile.get(PROFILE_NAME.get(f, f)) for f in PROFILE_FIELDS}
    for f in ("email", "index_number", "appointment_type", "preferred_language", "roles", "mentor_capacity", "coach_capacity"):
        answers[f] = row[f]
    return answers


async def _locked_cohort(conn: AsyncConnection, cohort_id: UUID, *, shared: bool = False) -> sa.Row:
    """The cohort with its programme's rules, locked FOR UPDATE (or FOR SHARE: registrations that take
    no place run side by side, yet a closing or a withdrawal waits for them and they for it)."""
    cohort = (
        await conn.execute(
            sa.select(cohorts, programmes.c.kind, programmes.c.rules)
            .join(programmes, programmes.c.id == cohorts.c.programme_id)
            .where(cohorts.c.id == cohort_id)
            .with_for_update(of=cohorts, read=shared)
        )
    ).first()
    if cohort is None:
        raise NotFound("cohort", cohort_id)
    return cohort


async def _locked_participant(conn: AsyncConnection, participant_id: UUID) -> tuple[sa.Row, sa.Row]:
    """The participant and their cohort, both locked (cohort first)."""
    cohort_id = (await conn.execute(sa.select(participants.c.cohort_id).where(participants.c.id == participant_id))).scalar()
    if cohort_id is None:
        raise NotFound("participant", participant_id)
    cohort = await _locked_cohort(conn, cohort_id)
    row = (await conn.execute(sa.select(participants).where(participants.c.id == participant_id).with_for_update())).first()
    assert row is not None  # participants are never deleted
    return cohort, row


async def _places_taken(conn: AsyncConnection, cohort_id: UUID) -> int:
    seeking = [r.value for r in SEEKING_ROLES]
    return (
        await conn.execute(
            sa.select(sa.func.count())
            .select_from(participants)
            .where(
                participants.c.cohort_id == cohort_id,
                participants.c.withdrawn_at.is_(None),
                participants.c.waitlisted.is_(False),
                participants.c.roles.overlap(sa.cast(seeking, participants.c.roles.type)),
            )
        )
    ).scalar_one()


async def _must_wait(conn: AsyncConnection, cohort: sa.Row, roles: list[Role]) -> bool:
    """A mentee/client waits when the cohort's places are all taken."""
    return domain.seeks_a_place(roles) and cohort.places is not None and await _places_taken(conn, cohort.id) >= cohort.places


async def _admit_waiting(runtime: Runtime, conn: AsyncConnection, cohort: sa.Row) -> list[UUID]:
    """Give free places to the waitlisted, first waiting first."""
    admitted: list[UUID] = []
    if cohort.places is None:
        return admitted
    free = cohort.places - await _places_taken(conn, cohort.id)
    if free <= 0:
        return admitted
    waiting = (
        await conn.execute(
            sa.select(participants.c.id)
            .where(
                participants.c.cohort_id == cohort.id,
                participants.c.waitlisted.is_(True),
                participants.c.withdrawn_at.is_(None),
            )
            .order_by(participants.c.waitlisted_at, participants.c.id)
            .limit(free)
            .with_for_update()
        )
    ).scalars()
    now = runtime.now()
    for participant_id in waiting:
        await conn.execute(
            participants.update()
            .where(participants.c.id == participant_id)
            .values(waitlisted=False, waitlisted_at=None, admitted_at=now)
        )
        await runtime.record(
            conn,
            ParticipantAdmitted(
                participant_id=participant_id, cohort_id=cohort.id, programme_id=cohort.programme_id, admitted_at=now
            ),
        )
        admitted.append(participant_id)
    return admitted


def _row_values(answers: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "email": answers["email"].lower(),
        "index_number": answers.get("index_number"),
        "appointment_type": answers["appointment_type"],
        "preferred_language": answers.get("preferred_language") or "en",
        "roles": [Role(r).value for r in answers["roles"]],
        "mentor_capacity": answers.get("mentor_capacity"),
        "coach_capacity": answers.get("coach_capacity"),
        "public_profile": _profile(answers).model_dump(mode="json"),
    }


async def _email_taken(
    conn: AsyncConnection, cohort_id: UUID, email: str, person_id: str | None, other_than: UUID | None
) -> bool:
    clash = participants.c.email == email.lower()
    if person_id is not None:
        clash = sa.or_(clash, participants.c.person_id == person_id)
    query = sa.select(participants.c.id).where(participants.c.cohort_id == cohort_id, clash)
    if other_than is not None:
        query = query.where(participants.c.id != other_than)
    return (await conn.execute(query)).first() is not None


async def register_participant(
    runtime: Runtime, *, cohort_id: UUID, person_id: str, answers: Mapping[str, Any]
) -> tuple[UUID, bool]:
    """Register the person; returns the participant id and whether they wait for a place."""
    participant_id = uuid.uuid4()
    now = runtime.now()
    roles = [Role(r) for r in answers["roles"]]
    async with runtime.engine.begin() as conn:
        # Places never change once the cohort is opened: read them first to choose the lock.
        limited = (await conn.execute(sa.select(cohorts.c.places).where(cohorts.c.id == cohort_id))).first()
        if limited is None:
            raise NotFound("cohort", cohort_id)
        counts_places = limited.places is not None and domain.seeks_a_place(roles)
        cohort = await _locked_cohort(conn, cohort_id, shared=not counts_places)
        rules = rules_of(cohort.kind, cohort.rules)
        violations = domain.registration_violations(
            today=now.date(), window=window_of(cohort), rules=rules, answers=_answers(answers)
        )
        _refuse("registration refused", violations)
        if await _email_taken(conn, cohort_id, answers["email"], person_id, None):
            raise Conflict("this person or this email is already registered in this cohort")
        waitlisted = await _must_wait(conn, cohort, roles)
        values = _row_values(answers)
        try:
            await conn.execute(
                participants.insert().values(
                    id=participant_id,
                    person_id=person_id,
                    cohort_id=cohort_id,
                    registered_at=now,
                    waitlisted=waitlisted,
                    waitlisted_at=now if waitlisted else None,
                    **values,
                )
            )
        except sa.exc.IntegrityError as exc:  # a concurrent duplicate lost the race
            raise Conflict("this person or this email is already registered in this cohort") from exc
        await runtime.record(
            conn,
            ParticipantRegistered(
                participant_id=participant_id,
                person_id=person_id,
                cohort_id=cohort_id,
                programme_id=cohort.programme_id,
                roles=roles,
                mentor_capacity=values["mentor_capacity"],
                coach_capacity=values["coach_capacity"],
                profile=PublicProfile.model_validate(values["public_profile"]),
                registered_at=now,
                waitlisted=waitlisted,
                coach_approved=False,
            ),
        )
    return participant_id, waitlisted


def _state(row: Mapping[str, Any], cohort: sa.Row) -> dict[str, Any]:
    """The participant's full public state, as ParticipantProfileUpdated and ParticipantRoleGranted carry it."""
    return {
        "participant_id": row["id"],
        "person_id": row["person_id"],
        "cohort_id": cohort.id,
        "programme_id": cohort.programme_id,
        "roles": [Role(r) for r in row["roles"]],
        "mentor_capacity": row["mentor_capacity"],
        "coach_capacity": row["coach_capacity"],
        "profile": PublicProfile.model_validate(row["public_profile"]),
        "waitlisted": row["waitlisted"],
    }


async def _place_after_role_change(
    runtime: Runtime, conn: AsyncConnection, cohort: sa.Row, row: sa.Row, new_roles: list[Role]
) -> tuple[bool, bool]:
    """(waitlisted now, whether a place was freed) after the participant's roles change."""
    held_place = domain.seeks_a_place([Role(r) for r in row.roles]) and not row.waitlisted
    if not domain.seeks_a_place(new_roles):
        return False, held_place
    if held_place or row.waitlisted:
        return row.waitlisted, False
    return await _must_wait(conn, cohort, new_roles), False


def _waitlist_values(row: sa.Row, waitlisted: bool, now: datetime) -> dict[str, Any]:
    """Joining the waitlist now puts the participant at its end; leaving it clears the mark."""
    if waitlisted and not row.waitlisted:
        return {"waitlisted": True, "waitlisted_at": now}
    return {"waitlisted": waitlisted, "waitlisted_at": row.waitlisted_at if waitlisted else None}


async def update_answers(runtime: Runtime, *, participant_id: UUID, caller: Principal, changes: Mapping[str, Any]) -> list[str]:
    """The participant edits answers; returns the names of the answers that changed."""
    async with runtime.engine.begin() as conn:
        cohort, row = await _locked_participant(conn, participant_id)
        if not caller.is_person(row.person_id):
            raise Forbidden("only the participant edits their answers")
        if row.withdrawn_at is not None:
            raise Conflict("this participant has withdrawn")
        current = answers_of(row._mapping)
        proposed = {**current, **changes}
        if proposed.get("email"):
            proposed["email"] = proposed["email"].lower()
        changed = [name for name in changes if proposed[name] != current[name]]
        if not changed:
            return []
        rules = rules_of(cohort.kind, cohort.rules)
        now = runtime.now()
        registration_open = window_of(cohort).is_open(now.date())
        roles_changed = "roles" in changed
        # A refused role change is judged with the roles the participant keeps.
        judged = proposed if registration_open or not roles_changed else {**proposed, "roles": row.roles}
        violations = domain.edit_violations(
            rules, _answers(judged), roles_changed=roles_changed, registration_open=registration_open
        )
        _refuse("the change is refused", violations)
        if "email" in changed and await _email_taken(conn, cohort.id, proposed["email"], None, participant_id):
            raise Conflict("this email is already registered in this cohort")
        new_roles = [Role(r) for r in proposed["roles"]]
        waitlisted, place_freed = await _place_after_role_change(runtime, conn, cohort, row, new_roles)
        values = _row_values(proposed)
        await conn.execute(
            participants.update()
            .where(participants.c.id == participant_id)
            .values(**values, **_waitlist_values(row, waitlisted, now), updated_at=now)
        )
        public_changes = [name for name in changed if name not in TEAM_ONLY]
        if public_changes:  # team-only answers never travel, not even as news of a change
            state = _state({**row._mapping, **values, "waitlisted": waitlisted}, cohort)
            await runtime.record(conn, ParticipantProfileUpdated(**state, changed=public_changes, updated_at=now))
        if place_freed:
            await _admit_waiting(runtime, conn, cohort)
    return changed


async def grant_role(runtime: Runtime, *, participant_id: UUID, caller: Principal, role: Role, capacity: int | None) -> None:
    """After registration closed, the programme team grants a participant another role."""
    async with runtime.engine.begin() as conn:
        cohort, row = await _locked_participant(conn, participant_id)
        if not caller.runs(cohort.programme_id):
            raise Forbidden("only the team running this programme grants roles")
        now = runtime.now()
        if window_of(cohort).is_open(now.date()):
            raise Conflict("registration is open: the participant adds the role themself")
        if row.withdrawn_at is not None:
            raise Conflict("this participant has withdrawn")
        if role.value in row.roles:
            raise Conflict(f"the participant is already a {role.value}")
        proposed = answers_of(row._mapping)
        proposed["roles"] = [*row.roles, role.value]
        if role in domain.CAPACITY_FIELD:
            proposed[domain.CAPACITY_FIELD[role]] = capacity
        elif capacity is not None:
            raise DomainError(
                "the grant is refused", [Violation("capacity", "offering_roles_only", f"a {role.value} states no capacity")]
            )
        rules = rules_of(cohort.kind, cohort.rules)
        _refuse("the grant is refused", domain.role_violations(rules, _answers(proposed)))
        new_roles = [Role(r) for r in proposed["roles"]]
        waitlisted, _ = await _place_after_role_change(runtime, conn, cohort, row, new_roles)
        values = {
            "roles": proposed["roles"],
            "mentor_capacity": proposed["mentor_capacity"],
            "coach_capacity": proposed["coach_capacity"],
            **_waitlist_values(row, waitlisted, now),
            "updated_at": now,
        }
        await conn.execute(participants.update().where(participants.c.id == participant_id).values(**values))
        state = _state({**row._mapping, **values}, cohort)
        await runtime.record(conn, ParticipantRoleGranted(**state, granted_role=role, granted_at=now))


def erased_profile(profile: Mapping[str, Any]) -> dict[str, Any]:
    """Placeholders for every personal answer; grade, years and roles stay for the programme's statistics."""
    return contract_erased_profile(profile["grade"], profile["years_of_service"]).model_dump(mode="json")


def _check_erasable(cohort: sa.Row) -> None:
    if not rules_of(cohort.kind, cohort.rules).answers_erasable:
        raise DomainError(
            "erasure refused",
            [Violation("erase_answers", "erasable_in_programme", "this programme keeps the answers of those who withdraw")],
        )


async def _erase(runtime: Runtime, conn: AsyncConnection, cohort: sa.Row, row: sa.Row, now: datetime) -> None:
    """Placeholders for the personal answers, credential files and references deleted: ParticipantAnswersErased."""
    await conn.execute(
        participants.update()
        .where(participants.c.id == row.id)
        .values(
            email=f"erased+{row.id}@erased.invalid",  # unique per cohort, like any email
            index_number=None,
            public_profile=erased_profile(row.public_profile),
            answers_erased=True,
            updated_at=now,
        )
    )
    await conn.execute(
        coach_credentials.update()
        .where(coach_credentials.c.participant_id == row.id)
        .values(content=None, reference=None, file_name=None)
    )
    await runtime.record(
        conn,
        ParticipantAnswersErased(
            participant_id=row.id,
            person_id=row.person_id,
            cohort_id=cohort.id,
            programme_id=cohort.programme_id,
            erased_at=now,
        ),
    )


async def withdraw(runtime: Runtime, *, participant_id: UUID, caller: Principal, erase_answers: bool) -> bool:
    """The participant (or their programme team) withdraws them; returns whether answers were erased."""
    async with runtime.engine.begin() as conn:
        cohort, row = await _locked_participant(conn, participant_id)
        if not (caller.is_person(row.person_id) or caller.runs(cohort.programme_id)):
            raise Forbidden("only the participant or their programme team withdraws a participant")
        if row.withdrawn_at is not None:
            raise Conflict(f"this participant withdrew at {row.withdrawn_at.isoformat()}")
        if erase_answers:
            _check_erasable(cohort)
        now = runtime.now()
        await conn.execute(
            participants.update()
            .where(participants.c.id == participant_id)
            .values(
                withdrawn_at=now,
                withdrawn_by="participant" if caller.is_person(row.person_id) else "programme_team",
                waitlisted=False,
                waitlisted_at=None,
                updated_at=now,
            )
        )
        await runtime.record(
            conn,
            ParticipantWithdrawn(
                participant_id=participant_id,
                person_id=row.person_id,
                cohort_id=cohort.id,
                programme_id=cohort.programme_id,
                withdrawn_at=now,
                answers_erased=erase_answers,
            ),
        )
        if erase_answers:
            await _erase(runtime, conn, cohort, row, now)
        if domain.seeks_a_place([Role(r) for r in row.roles]) and not row.waitlisted:
            await _admit_waiting(runtime, conn, cohort)
    return erase_answers


async def erase_answers(runtime: Runtime, *, participant_id: UUID, caller: Principal) -> None:
    """Erase a withdrawn participant's personal answers later, at their (or their team's) request."""
    async with runtime.engine.begin() as conn:
        cohort, row = await _locked_participant(conn, participant_id)
        if not (caller.is_person(row.person_id) or caller.runs(cohort.programme_id)):
            raise Forbidden("only the participant or their programme team asks for erasure")
        if row.withdrawn_at is None:
            raise Conflict("answers are erased once the participant has withdrawn: withdraw first")
        if row.answers_erased:
            raise Conflict("this participant's answers are already erased")
        _check_erasable(cohort)
        await _erase(runtime, conn, cohort, row, runtime.now())
