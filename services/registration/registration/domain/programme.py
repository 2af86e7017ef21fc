"""A programme: its kind and rules, which its team sets at creation and changes later; it opens cohorts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from registration.domain.cohort import Cohort
from registration.domain.dates import CohortDates
from registration.domain.errors import refuse_if
from registration.domain.programme_rules import apply_override, default_rules
from together_contracts.registration import (
    CohortOpened,
    ProgrammeCreated,
    ProgrammeKind,
    ProgrammeRules,
    ProgrammeRulesChanged,
)


def _overridden(kind: ProgrammeKind, current: ProgrammeRules, override: Mapping[str, Any]) -> ProgrammeRules:
    rules, violations = apply_override(kind, current, override)
    refuse_if("the programme's rules are refused", violations)
    assert rules is not None
    return rules


@dataclass
class Programme:
    id: UUID
    name: str
    kind: ProgrammeKind
    suggestions_per_mentee: int
    created_at: datetime
    rules: ProgrammeRules
    rules_changed_at: datetime | None = None

    @classmethod
    def create(
        cls,
        *,
        programme_id: UUID,
        name: str,
        kind: ProgrammeKind,
        suggestions_per_mentee: int,
        rules_override: Mapping[str, Any],
        now: datetime,
    ) -> tuple[Programme, ProgrammeCreated]:
        """A new programme with its kind's default rules, overridden where its team says."""
        rules = _overridden(kind, default_rules(kind), rules_override)
        programme = cls(programme_id, name, kind, suggestions_per_mentee, now, rules)
        created = ProgrammeCreated(
            programme_id=programme_id, name=name, kind=kind, suggestions_per_mentee=suggestions_per_mentee, rules=rules
        )
        return programme, created

    def change_rules(self, override: Mapping[str, Any], now: datetime) -> ProgrammeRulesChanged | None:
        """Merge `override` over the current rules; an event only when anything changed."""
        rules = _overridden(self.kind, self.rules, override)
        if rules == self.rules:
            return None
        self.rules, self.rules_changed_at = rules, now
        return ProgrammeRulesChanged(programme_id=self.id, rules=rules, changed_at=now)

    def open_cohort(self, *, cohort_id: UUID, name: str, dates: CohortDates, places: int | None) -> tuple[Cohort, CohortOpened]:
        cohort = Cohort(
            id=cohort_id,
            programme_id=self.id,
            name=name,
            rules=self.rules,
            dates=dates,
            places=places,
        )
        opened = CohortOpened(
            cohort_id=cohort_id,
            programme_id=self.id,
            programme_kind=self.kind,
            name=name,
            registration_opens_on=dates.opens,
            registration_closes_on=dates.closes,
            starts_on=dates.starts,
            ends_on=dates.ends,
            places=places,
        )
        return cohort, opened
