"""The records of reverse mentoring (ground rules, REAL goals) and on-the-job learning (micro-needs, SMART
goals, the personalised plan and its assessment), and reverse mentoring's rules on booking.

Each record is written by a partner (ADR 0005) of a pairing of its kind (else 409 naming the rule), with
its event in the same transaction. The pairing's row is locked, so two partners writing at once are
taken one after the other (both agreeing at once gives one `GroundRulesAgreed`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from scheduling import repository
from scheduling.access import require_partner, visible_pairing
from scheduling.domain.kinds import (
    LearningRecord,
    PlanStep,
    ReverseMentoring,
    StepAssessment,
    check_first_session,
    check_kind,
    check_within_plan,
)
from scheduling.domain.pairing import Pairing
from scheduling.domain.sessions import Session, SessionStatus
from together_contracts.registration import ProgrammeKind
from together_servicekit.auth import Principal
from together_servicekit.runtime import Runtime

WRITERS = "only the partners write their ground rules, goals, needs and plan; the programme team reads them"


async def check_reverse_mentoring_sessions(
    conn: AsyncConnection, pairing: Pairing, starts: Sequence[datetime], sessions: Sequence[Session] | None = None
) -> None:
    """A reverse-mentoring pairing's sessions start within its three-month plan; and with `sessions` (the
    pairing's, for a new booking or a recorded session), its first waits for the ground rules and goals."""
    if await repository.programme_kind(conn, pairing) != ProgrammeKind.reverse_mentoring:
        return
    if sessions is not None:
        live = sum(1 for s in sessions if s.status is not SessionStatus.cancelled)
        check_first_session(await repository.load_reverse_mentoring(conn, pairing.id), live)
    check_within_plan(pairing, starts)


async def _writing(conn: AsyncConnection, caller: Principal, pairing_id: UUID, kind: ProgrammeKind) -> tuple[Pairing, UUID]:
    """The pairing, locked, and the writing partner's participant id: 404, 403, then 409 for another kind."""
    pairing = await visible_pairing(conn, caller, pairing_id, lock=True)
    writer = require_partner(caller, pairing, WRITERS)
    check_kind(await repository.programme_kind(conn, pairing), kind)
    return pairing, writer


# Reverse mentoring -----------------------------------------------------------------------------


async def propose_ground_rules(
    runtime: Runtime, caller: Principal, *, pairing_id: UUID, text: str
) -> tuple[Pairing, ReverseMentoring]:
    """Propose the ground rules' text: a new version, which each partner then agrees to."""
    now = runtime.now()
    async with runtime.engine.begin() as conn:
        pairing, writer = await _writing(conn, caller, pairing_id, ProgrammeKind.reverse_mentoring)
        record = await repository.load_reverse_mentoring(conn, pairing.id)
        record.propose(writer, text, now)
        await repository.save_reverse_mentoring(conn, record)
    return pairing, record


async def agree_ground_rules(
    runtime: Runtime, caller: Principal, *, pairing_id: UUID, version: int
) -> tuple[Pairing, ReverseMentoring]:
    """Agree to the current version of the ground rules; `GroundRulesAgreed` once both did."""
    now = runtime.now()
    async with runtime.engine.begin() as conn:
        pairing, writer = await _writing(conn, caller, pairing_id, ProgrammeKind.reverse_mentoring)
        record = await repository.load_reverse_mentoring(conn, pairing.id)
        agreed = record.agree(pairing, writer, version, now)
        await repository.save_reverse_mentoring(conn, record)
        if agreed is not None:
            await runtime.record(conn, agreed)
    return pairing, record


async def set_real_goals(
    runtime: Runtime, caller: Principal, *, pairing_id: UUID, goals: list[dict[str, str]]
) -> tuple[Pairing, ReverseMentoring]:
    """Set (or revise) the caller's own REAL goals."""
    now = runtime.now()
    async with runtime.engine.begin() as conn:
        pairing, writer = await _writing(conn, caller, pairing_id, ProgrammeKind.reverse_mentoring)
        record = await repository.load_reverse_mentoring(conn, pairing.id)
        goals_set = record.set_goals(pairing, writer, goals, now)
        await repository.save_reverse_mentoring(conn, record)
        await runtime.record(conn, goals_set)
    return pairing, record


# On-the-job learning ---------------------------------------------------------------------------


async def scan_micro_needs(runtime: Runtime, caller: Principal, *, pairing_id: UUID, needs: list[str]) -> LearningRecord:
    now = runtime.now()
    async with runtime.engine.begin() as conn:
        pairing, writer = await _writing(conn, caller, pairing_id, ProgrammeKind.on_the_job_learning)
        record = await repository.load_learning_record(conn, pairing.id)
        scanned = record.scan(pairing, writer, needs, now)
        await repository.save_learning_record(conn, record)
        await runtime.record(conn, scanned)
    return record


async def set_smart_goals(
    runtime: Runtime, caller: Principal, *, pairing_id: UUID, goals: list[dict[str, str]]
) -> LearningRecord:
    now = runtime.now()
    async with runtime.engine.begin() as conn:
        pairing, writer = await _writing(conn, caller, pairing_id, ProgrammeKind.on_the_job_learning)
        record = await repository.load_learning_record(conn, pairing.id)
        goals_set = record.set_smart_goals(pairing, writer, goals, now)
        await repository.save_learning_record(conn, record)
        await runtime.record(conn, goals_set)
    return record


async def set_learning_plan(runtime: Runtime, caller: Principal, *, pairing_id: UUID, steps: list[PlanStep]) -> LearningRecord:
    """Set (or replace) the personalised plan; a replaced plan drops its assessment."""
    now = runtime.now()
    async with runtime.engine.begin() as conn:
        pairing, writer = await _writing(conn, caller, pairing_id, ProgrammeKind.on_the_job_learning)
        record = await repository.load_learning_record(conn, pairing.id)
        plan_set = record.set_plan(pairing, writer, steps, now)
        await repository.save_learning_record(conn, record)
        await runtime.record(conn, plan_set)
    return record


async def assess_learning_plan(
    runtime: Runtime, caller: Principal, *, pairing_id: UUID, steps: list[StepAssessment], worked: bool, comment: str
) -> LearningRecord:
    """Assess each step of the plan and whether it worked overall (or revise the assessment)."""
    now = runtime.now()
    async with runtime.engine.begin() as conn:
        pairing, writer = await _writing(conn, caller, pairing_id, ProgrammeKind.on_the_job_learning)
        record = await repository.load_learning_record(conn, pairing.id)
        assessed = record.assess(pairing, writer, steps, worked, comment, now)
        await repository.save_learning_record(conn, record)
        await runtime.record(conn, assessed)
    return record
