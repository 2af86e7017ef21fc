"""Events published by the scheduling service on topic `together.scheduling` for the records two
programme kinds add to a pairing, keyed by the pairing.

- Reverse mentoring: before the first session both partners agree ground rules (`GroundRulesAgreed`)
  and each sets their REAL goals (relevant, experimental, aspirational, learning-based: `GoalsSet`);
  the plan runs three months from the pairing's formation.
- On-the-job learning: the pair scans micro-needs (`MicroNeedsScanned`), sets SMART goals (`GoalsSet`),
  a personalised plan of steps with due dates (`PlanSet`) and at the end assesses whether it worked
  (`PlanAssessed`).

Counts, dates and flags only: the ground rules' text, the goals, the needs, the plan's steps and the
assessment's comment are the partners' own words and stay in scheduling's database, where the
partners and the programme team read them.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from uuid import UUID

from pydantic import AwareDatetime, Field

from together_contracts.fields import INT32_MAX
from together_events.registry import Event, register


class GoalFramework(StrEnum):
    real = "real"  # reverse mentoring: relevant, experimental, aspirational, learning-based; each partner their own
    smart = "smart"  # on-the-job learning: specific, measurable, achievable, relevant, time-bound; the pair's


class _PairingRecordEvent(Event):
    service = "scheduling"
    aggregate = "pairing"


@register
class GroundRulesAgreed(_PairingRecordEvent):
    """Both partners of a reverse-mentoring pairing agreed to the same version of its ground rules. A
    new text proposed later replaces the agreement; when both agree to it, this is published again with
    its version. Nobody needs a message."""

    pairing_id: UUID
    participant_ids: list[UUID] = Field(min_length=2, max_length=2, description="[mentee, mentor]")
    ground_rules_version: int = Field(ge=1, le=INT32_MAX, description="the version both agreed to: 1, then +1 per new text")
    agreed_at: AwareDatetime


@register
class GoalsSet(_PairingRecordEvent):
    """Goals were set or revised: a partner's own REAL goals (reverse mentoring) or the pair's SMART
    goals (on-the-job learning). How many, not what they say."""

    pairing_id: UUID
    participant_ids: list[UUID] = Field(min_length=2, max_length=2, description="[mentee, mentor]")
    set_by: UUID = Field(description="the partner who set them (REAL goals: whose goals they are)")
    framework: GoalFramework
    goal_count: int = Field(ge=1, le=INT32_MAX)
    set_at: AwareDatetime


@register
class MicroNeedsScanned(_PairingRecordEvent):
    """An on-the-job learning pair recorded (or revised) its scan of micro-needs: how many."""

    pairing_id: UUID
    participant_ids: list[UUID] = Field(min_length=2, max_length=2, description="[mentee, mentor]")
    set_by: UUID = Field(description="the partner who recorded it")
    need_count: int = Field(ge=1, le=INT32_MAX)
    set_at: AwareDatetime


@register
class PlanSet(_PairingRecordEvent):
    """An on-the-job learning pair set (or replaced) its personalised plan: how many steps and the last
    step's due date. A replaced plan drops its assessment."""

    pairing_id: UUID
    participant_ids: list[UUID] = Field(min_length=2, max_length=2, description="[mentee, mentor]")
    set_by: UUID = Field(description="the partner who set it")
    step_count: int = Field(ge=1, le=INT32_MAX)
    last_due_on: date = Field(description="the due date of the plan's last step")
    set_at: AwareDatetime


@register
class PlanAssessed(_PairingRecordEvent):
    """An on-the-job learning pair assessed its plan (or revised the assessment): how many steps were
    met, partly met and not met, and whether the plan worked overall."""

    pairing_id: UUID
    participant_ids: list[UUID] = Field(min_length=2, max_length=2, description="[mentee, mentor]")
    set_by: UUID = Field(description="the partner who assessed it")
    steps_met: int = Field(ge=0, le=INT32_MAX)
    steps_partly_met: int = Field(ge=0, le=INT32_MAX)
    steps_not_met: int = Field(ge=0, le=INT32_MAX)
    plan_worked: bool
    set_at: AwareDatetime
