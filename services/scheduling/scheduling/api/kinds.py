"""The records two programme kinds add to a pairing (tag `programme kinds`). The partners write them;
the partners and the programme team read them; anyone else gets 404. A pairing of another kind gets 409
naming the rule (`reverse_mentoring_only`, `on_the_job_learning_only`).

| kind | record |
| --- | --- |
| reverse mentoring | ground rules (versioned, agreed by both), each partner's REAL goals; the first session waits for both |
| on-the-job learning | micro-needs, SMART goals, the personalised plan (`learning-plan`: `plan` is the session plan) and its assessment |
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends

from scheduling import queries
from scheduling.api.models import (
    AgreeIn,
    GroundRulesIn,
    GroundRulesOut,
    LearningPlanIn,
    LearningRecordOut,
    MicroNeedsIn,
    MissingOut,
    PartnerGoalsOut,
    PlanAssessmentIn,
    PlanStepIn,
    RealGoal,
    RealGoalsIn,
    RealGoalsOut,
    ReverseMentoringOut,
    SmartGoal,
    SmartGoalsIn,
    StepAssessmentIn,
)
from scheduling.domain.kinds import (
    LearningRecord,
    PlanStep,
    ReverseMentoring,
    Side,
    StepAssessment,
    StepOutcome,
    plan_end,
)
from scheduling.domain.pairing import Pairing
from scheduling.use_cases import kinds
from together_servicekit.auth import Principal, authenticated
from together_servicekit.errors import NotFound
from together_servicekit.runtime import Runtime, get_runtime

router = APIRouter(tags=["programme kinds"])


# Reverse mentoring -----------------------------------------------------------------------------


def _ground_rules(pairing: Pairing, record: ReverseMentoring) -> GroundRulesOut:
    ids = {Side.mentee: pairing.mentee_id, Side.mentor: pairing.mentor_id}
    return GroundRulesOut(
        pairing_id=pairing.id,
        text=record.ground_rules,
        version=record.version,
        proposed_by=record.proposed_by,
        proposed_at=record.proposed_at,
        agreed_by=[ids[side] for side in Side if record.version and record.agreed_versions.get(side) == record.version],
        agreed_at=record.agreed_at,
    )


def _real_goals(pairing: Pairing, record: ReverseMentoring) -> RealGoalsOut:
    ids = {Side.mentee: pairing.mentee_id, Side.mentor: pairing.mentor_id}
    return RealGoalsOut(
        pairing_id=pairing.id,
        partners=[
            PartnerGoalsOut(
                participant_id=ids[side],
                role=side.value,
                goals=[RealGoal.model_validate(goal) for goal in record.goals.get(side, [])],
                set_at=record.goals_set_at.get(side),
            )
            for side in Side
        ],
    )


@router.get("/pairings/{pairing_id}/reverse-mentoring")
async def read_reverse_mentoring(
    pairing_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> ReverseMentoringOut:
    """Where the pair stands: ground rules, both partners' REAL goals, what the first session still waits
    for, and when the three-month plan ends. Rule: a partner, or the programme's team."""
    pairing, record = await queries.reverse_mentoring(runtime, caller, pairing_id)
    return ReverseMentoringOut(
        pairing_id=pairing.id,
        plan_ends_at=plan_end(pairing),
        ground_rules=_ground_rules(pairing, record),
        real_goals=_real_goals(pairing, record),
        missing_before_first_session=[
            MissingOut(field=m.field, rule=m.rule, message=m.message) for m in record.missing_before_first_session()
        ],
    )


@router.put("/pairings/{pairing_id}/ground-rules")
async def propose_ground_rules(
    pairing_id: UUID, body: GroundRulesIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> GroundRulesOut:
    """Propose the ground rules' text: a new version (the same text again changes nothing). Rule: a partner."""
    pairing, record = await kinds.propose_ground_rules(runtime, caller, pairing_id=pairing_id, text=body.text)
    return _ground_rules(pairing, record)


@router.post("/pairings/{pairing_id}/ground-rules/agree")
async def agree_ground_rules(
    pairing_id: UUID, body: AgreeIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> GroundRulesOut:
    """Agree to the current version (`version`, else 409 `current_version`). Rule: a partner."""
    pairing, record = await kinds.agree_ground_rules(runtime, caller, pairing_id=pairing_id, version=body.version)
    return _ground_rules(pairing, record)


@router.get("/pairings/{pairing_id}/ground-rules")
async def read_ground_rules(
    pairing_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> GroundRulesOut:
    """The ground rules and who agreed to the current version. Rule: a partner, or the programme's team."""
    pairing, record = await queries.reverse_mentoring(runtime, caller, pairing_id)
    if record.ground_rules is None:
        raise NotFound("ground rules of pairing", pairing_id)
    return _ground_rules(pairing, record)


@router.put("/pairings/{pairing_id}/real-goals")
async def set_real_goals(
    pairing_id: UUID, body: RealGoalsIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> RealGoalsOut:
    """Set (or revise) the caller's own REAL goals. Rule: a partner, for themself."""
    goals = [goal.model_dump() for goal in body.goals]
    pairing, record = await kinds.set_real_goals(runtime, caller, pairing_id=pairing_id, goals=goals)
    return _real_goals(pairing, record)


@router.get("/pairings/{pairing_id}/real-goals")
async def read_real_goals(
    pairing_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> RealGoalsOut:
    """Both partners' REAL goals. Rule: a partner, or the programme's team."""
    pairing, record = await queries.reverse_mentoring(runtime, caller, pairing_id)
    return _real_goals(pairing, record)


# On-the-job learning ---------------------------------------------------------------------------


def _learning(record: LearningRecord) -> LearningRecordOut:
    assessment = None
    if record.assessment is not None:
        assessment = PlanAssessmentIn(
            steps=[StepAssessmentIn(step=s.step, outcome=s.outcome.value, comment=s.comment) for s in record.assessment["steps"]],
            worked=record.assessment["worked"],
            comment=record.assessment["comment"],
        )
    return LearningRecordOut(
        pairing_id=record.pairing_id,
        micro_needs=record.micro_needs,
        smart_goals=[SmartGoal.model_validate(g) for g in record.smart_goals] if record.smart_goals else None,
        plan=[PlanStepIn(step=s.step, due_on=s.due_on) for s in record.plan] if record.plan else None,
        assessment=assessment,
        updated_by=record.updated_by,
        updated_at=record.updated_at,
    )


@router.get("/pairings/{pairing_id}/on-the-job-learning")
async def read_learning_record(
    pairing_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> LearningRecordOut:
    """Micro-needs, SMART goals, the plan and its assessment (null: not written yet). Rule: a partner, or
    the programme's team."""
    return _learning(await queries.learning_record(runtime, caller, pairing_id))


async def _part(runtime: Runtime, caller: Principal, pairing_id: UUID, part: str) -> LearningRecordOut:
    """The record, 404 when `part` is not written yet."""
    record = _learning(await queries.learning_record(runtime, caller, pairing_id))
    if getattr(record, part) is None:
        raise NotFound(f"{part.replace('_', ' ')} of pairing", pairing_id)
    return record


@router.put("/pairings/{pairing_id}/micro-needs")
async def scan_micro_needs(
    pairing_id: UUID, body: MicroNeedsIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> LearningRecordOut:
    """Record (or revise) the scan of micro-needs. Rule: a partner."""
    return _learning(await kinds.scan_micro_needs(runtime, caller, pairing_id=pairing_id, needs=body.needs))


@router.get("/pairings/{pairing_id}/micro-needs")
async def read_micro_needs(
    pairing_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> list[str]:
    """The scan of micro-needs (404 before it). Rule: a partner, or the programme's team."""
    return (await _part(runtime, caller, pairing_id, "micro_needs")).micro_needs or []


@router.put("/pairings/{pairing_id}/smart-goals")
async def set_smart_goals(
    pairing_id: UUID, body: SmartGoalsIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> LearningRecordOut:
    """Set (or revise) the pair's SMART goals. Rule: a partner."""
    goals = [goal.model_dump() for goal in body.goals]
    return _learning(await kinds.set_smart_goals(runtime, caller, pairing_id=pairing_id, goals=goals))


@router.get("/pairings/{pairing_id}/smart-goals")
async def read_smart_goals(
    pairing_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> list[SmartGoal]:
    """The SMART goals (404 before they are set). Rule: a partner, or the programme's team."""
    return (await _part(runtime, caller, pairing_id, "smart_goals")).smart_goals or []


@router.put("/pairings/{pairing_id}/learning-plan")
async def set_learning_plan(
    pairing_id: UUID, body: LearningPlanIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> LearningRecordOut:
    """Set (or replace) the personalised plan: steps with due dates, in order, none before the pairing was
    formed (422 naming `steps[n].due_on`). A replaced plan drops its assessment. Rule: a partner."""
    steps = [PlanStep(s.step, s.due_on) for s in body.steps]
    return _learning(await kinds.set_learning_plan(runtime, caller, pairing_id=pairing_id, steps=steps))


@router.get("/pairings/{pairing_id}/learning-plan")
async def read_learning_plan(
    pairing_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> LearningRecordOut:
    """The plan and its assessment, with the needs and goals (404 before the plan). Rule: a partner, or the
    programme's team."""
    return await _part(runtime, caller, pairing_id, "plan")


@router.put("/pairings/{pairing_id}/learning-plan/assessment")
async def assess_learning_plan(
    pairing_id: UUID, body: PlanAssessmentIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> LearningRecordOut:
    """Assess each step (met, partly, not met; 422 unless each step once) and the plan overall. Rule: a partner."""
    steps = [StepAssessment(s.step, StepOutcome(s.outcome), s.comment) for s in body.steps]
    record = await kinds.assess_learning_plan(
        runtime, caller, pairing_id=pairing_id, steps=steps, worked=body.worked, comment=body.comment
    )
    return _learning(record)


@router.get("/pairings/{pairing_id}/learning-plan/assessment")
async def read_plan_assessment(
    pairing_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> PlanAssessmentIn:
    """The plan's assessment (404 before it). Rule: a partner, or the programme's team."""
    record = _learning(await queries.learning_record(runtime, caller, pairing_id))
    if record.assessment is None:
        raise NotFound("assessment of the plan of pairing", pairing_id)
    return record.assessment
