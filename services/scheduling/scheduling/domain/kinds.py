"""The records two programme kinds add to a pairing, and the rules they put on its sessions (pure).

Reverse mentoring (`ReverseMentoring`): either partner proposes the ground rules' text, each version
replacing the one before and any agreement to it; each partner agrees to the current version, and the
rules are agreed when both agreed to the same one. Each partner sets their own REAL goals. Before the
first session (while the pairing holds no session, booked or held) both must be done; and the plan
runs three calendar months from the pairing's formation: no session starts after that.

On-the-job learning (`LearningRecord`): the pair's scan of micro-needs, its SMART goals, a personalised
plan (steps with due dates, in order, none before the pairing was formed) and, at the end, the
assessment of each step (met, partly met, not met) and of the plan as a whole.

Who may write or read them is the use cases' and queries' concern (ADR 0005). The events carry counts,
dates and flags, never the partners' words.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from scheduling.domain.pairing import Pairing
from together_contracts.registration import ProgrammeKind
from together_contracts.scheduling_kinds import (
    GoalFramework,
    GoalsSet,
    GroundRulesAgreed,
    MicroNeedsScanned,
    PlanAssessed,
    PlanSet,
)
from together_servicekit.errors import Conflict, DomainError, Violation

PLAN_MONTHS = 3  # reverse mentoring's plan
MAX_PLAN_YEARS = 5  # as far ahead as a booking may be


def check_kind(kind: str, wanted: ProgrammeKind) -> None:
    """409 naming the rule (`reverse_mentoring_only`, `on_the_job_learning_only`) for a pairing of another kind."""
    if kind != wanted:
        message = f"this record belongs to {wanted.value.replace('_', ' ')} pairings; this pairing's programme is {kind}"
        raise Conflict(message, [Violation("pairing_id", f"{wanted.value}_only", message)])


def add_months(instant: datetime, months: int) -> datetime:
    """The same wall-clock time `months` calendar months later; the month's last day where it is shorter
    (formed on 30 November: ends on 28 or 29 February)."""
    month_index = instant.month - 1 + months
    year, month = instant.year + month_index // 12, month_index % 12 + 1
    return instant.replace(year=year, month=month, day=min(instant.day, calendar.monthrange(year, month)[1]))


def plan_end(pairing: Pairing) -> datetime | None:
    """When a reverse-mentoring plan ends: three calendar months after the pairing was formed (None for
    a pairing from before scheduling knew when it was formed: no limit)."""
    return add_months(pairing.formed_at, PLAN_MONTHS) if pairing.formed_at is not None else None


def check_within_plan(pairing: Pairing, starts: Sequence[datetime]) -> None:
    """409 `within_three_month_plan` naming the plan's end when a session (or an occurrence) starts after it."""
    ends = plan_end(pairing)
    late = [start for start in starts if ends is not None and start > ends]
    if ends is not None and late:
        message = (
            f"the reverse-mentoring plan runs three months and ends on {ends.date().isoformat()} "
            f"({ends.isoformat()}); a session would start on {late[0].isoformat()}"
        )
        raise Conflict(message, [Violation("starts_at", "within_three_month_plan", message)])


class Side(StrEnum):
    mentee = "mentee"
    mentor = "mentor"


def side_of(pairing: Pairing, participant_id: UUID) -> Side:
    return Side.mentee if participant_id == pairing.mentee_id else Side.mentor


@dataclass
class ReverseMentoring:
    """A reverse-mentoring pairing's ground rules and both partners' REAL goals."""

    pairing_id: UUID
    ground_rules: str | None = None
    version: int = 0  # 0: none proposed yet
    proposed_by: UUID | None = None
    proposed_at: datetime | None = None
    agreed_versions: dict[Side, int] = field(default_factory=dict)  # the version each partner last agreed to
    agreed_at: datetime | None = None  # when both had agreed to the current version
    goals: dict[Side, list[dict[str, str]]] = field(default_factory=dict)  # each partner's own REAL goals
    goals_set_at: dict[Side, datetime] = field(default_factory=dict)

    def propose(self, by: UUID, text: str, now: datetime) -> None:
        """A new text is a new version; nobody has agreed to it yet (not even its author)."""
        if text == self.ground_rules:
            return  # the same text again changes nothing, and keeps the agreement
        self.ground_rules, self.version, self.proposed_by, self.proposed_at = text, self.version + 1, by, now
        self.agreed_at = None

    def agree(self, pairing: Pairing, by: UUID, version: int, now: datetime) -> GroundRulesAgreed | None:
        """A partner agrees to `version`, which must be the current one (so nobody agrees to a text they did
        not see). The event when this makes both agree to it; nothing when it was already so."""
        if self.ground_rules is None:
            message = "no ground rules are proposed yet: propose their text first"
            raise Conflict(message, [Violation("version", "ground_rules_proposed", message)])
        if version != self.version:
            message = f"version {version} is not the current ground rules: version {self.version} replaced it"
            raise Conflict(message, [Violation("version", "current_version", message)])
        self.agreed_versions[side_of(pairing, by)] = version
        if self.agreed_at is not None or not self.agreed_by_both:
            return None
        self.agreed_at = now
        return GroundRulesAgreed(
            pairing_id=pairing.id, participant_ids=pairing.partners, ground_rules_version=version, agreed_at=now
        )

    @property
    def agreed_by_both(self) -> bool:
        return self.version > 0 and all(self.agreed_versions.get(side) == self.version for side in Side)

    def set_goals(self, pairing: Pairing, by: UUID, goals: list[dict[str, str]], now: datetime) -> GoalsSet:
        """A partner sets (or revises) their own REAL goals."""
        side = side_of(pairing, by)
        self.goals[side], self.goals_set_at[side] = goals, now
        return GoalsSet(
            pairing_id=pairing.id,
            participant_ids=pairing.partners,
            set_by=by,
            framework=GoalFramework.real,
            goal_count=len(goals),
            set_at=now,
        )

    def missing_before_first_session(self) -> list[Violation]:
        """What the pair still has to do before its first session: empty when it may be booked."""
        missing = []
        if self.ground_rules is None:
            missing.append(Violation("ground_rules", "agreed_by_both", "no ground rules are proposed yet"))
        elif not self.agreed_by_both:
            waiting = [side.value for side in Side if self.agreed_versions.get(side) != self.version]
            missing.append(
                Violation(
                    "ground_rules",
                    "agreed_by_both",
                    f"version {self.version} of the ground rules is not yet agreed by the {' and the '.join(waiting)}",
                )
            )
        missing += [
            Violation("real_goals", "set_by_both", f"the {side.value} has not set their REAL goals")
            for side in Side
            if not self.goals.get(side)
        ]
        return missing


def check_first_session(record: ReverseMentoring, live_sessions: int) -> None:
    """409 listing what is missing when a reverse-mentoring pair would hold its first session before both
    agreed the ground rules and both set their REAL goals. Once a session is booked or held, later ones
    need no more (a text proposed later is agreed on the way, not before each session)."""
    missing = record.missing_before_first_session() if live_sessions == 0 else []
    if missing:
        raise Conflict(
            "before the first session both partners agree the ground rules and each sets their REAL goals: "
            + "; ".join(v.message for v in missing),
            missing,
        )


class StepOutcome(StrEnum):
    met = "met"
    partly = "partly"
    not_met = "not_met"


@dataclass(frozen=True)
class PlanStep:
    step: str
    due_on: date


@dataclass(frozen=True)
class StepAssessment:
    step: int  # 1-based position in the plan
    outcome: StepOutcome
    comment: str = ""


@dataclass
class LearningRecord:
    """An on-the-job learning pairing's micro-needs, SMART goals, personalised plan and its assessment."""

    pairing_id: UUID
    micro_needs: list[str] | None = None
    smart_goals: list[dict[str, str]] | None = None
    plan: list[PlanStep] | None = None
    assessment: dict[str, Any] | None = None  # {"steps": [StepAssessment], "worked": bool, "comment": str}
    updated_by: UUID | None = None
    updated_at: datetime | None = None

    def _touch(self, by: UUID, now: datetime) -> None:
        self.updated_by, self.updated_at = by, now

    def scan(self, pairing: Pairing, by: UUID, needs: list[str], now: datetime) -> MicroNeedsScanned:
        self.micro_needs = needs
        self._touch(by, now)
        return MicroNeedsScanned(
            pairing_id=pairing.id, participant_ids=pairing.partners, set_by=by, need_count=len(needs), set_at=now
        )

    def set_smart_goals(self, pairing: Pairing, by: UUID, goals: list[dict[str, str]], now: datetime) -> GoalsSet:
        self.smart_goals = goals
        self._touch(by, now)
        return GoalsSet(
            pairing_id=pairing.id,
            participant_ids=pairing.partners,
            set_by=by,
            framework=GoalFramework.smart,
            goal_count=len(goals),
            set_at=now,
        )

    def set_plan(self, pairing: Pairing, by: UUID, steps: list[PlanStep], now: datetime) -> PlanSet:
        """A new plan replaces the old one and drops its assessment (it assessed other steps)."""
        check_plan_dates(pairing, steps)
        if steps != self.plan:
            self.assessment = None
        self.plan = steps
        self._touch(by, now)
        return PlanSet(
            pairing_id=pairing.id,
            participant_ids=pairing.partners,
            set_by=by,
            step_count=len(steps),
            last_due_on=steps[-1].due_on,
            set_at=now,
        )

    def assess(
        self, pairing: Pairing, by: UUID, steps: list[StepAssessment], worked: bool, comment: str, now: datetime
    ) -> PlanAssessed:
        """Each step of the plan assessed once, and the plan as a whole."""
        if not self.plan:
            message = "set the personalised plan first: the assessment rates its steps"
            raise Conflict(message, [Violation("steps", "plan_set", message)])
        check_assessment_covers(len(self.plan), [s.step for s in steps])
        self.assessment = {"steps": sorted(steps, key=lambda s: s.step), "worked": worked, "comment": comment}
        self._touch(by, now)
        outcomes = [s.outcome for s in steps]
        return PlanAssessed(
            pairing_id=pairing.id,
            participant_ids=pairing.partners,
            set_by=by,
            steps_met=outcomes.count(StepOutcome.met),
            steps_partly_met=outcomes.count(StepOutcome.partly),
            steps_not_met=outcomes.count(StepOutcome.not_met),
            plan_worked=worked,
            set_at=now,
        )


def check_plan_dates(pairing: Pairing, steps: Sequence[PlanStep]) -> None:
    """Due dates in order, none before the pairing was formed and none more than five years after it."""
    problems = []
    formed = pairing.formed_at
    for n, step in enumerate(steps, start=1):
        where = f"steps[{n}].due_on"
        if formed is not None and step.due_on < formed.date():
            message = f"step {n} is due before the pairing was formed ({formed.date()})"
            problems.append(Violation(where, "after_pairing_formed", message))
        if formed is not None and step.due_on > add_months(formed, 12 * MAX_PLAN_YEARS).date():
            message = f"step {n} is due more than {MAX_PLAN_YEARS} years after the pairing was formed"
            problems.append(Violation(where, "within_5_years", message))
        if n > 1 and step.due_on < steps[n - 2].due_on:
            problems.append(Violation(where, "in_date_order", f"step {n} is due before step {n - 1}"))
    if problems:
        raise DomainError("the plan's due dates do not hold", problems, code="invalid_input")


def check_assessment_covers(step_count: int, assessed: Sequence[int]) -> None:
    """The assessment rates each step of the plan exactly once, and no other."""
    problems = [
        Violation("steps", "same_as_plan", f"step {n} of the plan is not assessed")
        for n in range(1, step_count + 1)
        if n not in assessed
    ]
    problems += [
        Violation("steps", "same_as_plan", f"the plan has no step {n} (it has {step_count})")
        for n in sorted(set(assessed))
        if not 1 <= n <= step_count
    ]
    problems += [
        Violation("steps", "once_each", f"step {n} is assessed more than once")
        for n in sorted(set(assessed))
        if assessed.count(n) > 1
    ]
    if problems:
        raise DomainError("the assessment rates exactly the plan's steps", problems, code="invalid_input")
