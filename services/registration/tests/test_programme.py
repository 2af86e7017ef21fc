"""A programme: created with its kind's rules and the team's override, rules changed, cohorts opened."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from registration.domain.cohort import CohortStatus
from registration.domain.dates import CohortDates
from registration.domain.errors import Refused
from registration.domain.programme import Programme
from registration.domain.programme_rules import default_rules
from together_contracts.registration import CohortOpened, ProgrammeKind, ProgrammeRulesChanged

NOW = datetime(2026, 11, 10, 9, tzinfo=UTC)


def programme(**override: object) -> Programme:
    created, event = Programme.create(
        programme_id=uuid.uuid4(),
        name="Together",
        kind=ProgrammeKind.mentoring,
        suggestions_per_mentee=10,
        rules_override=override,
        now=NOW,
    )
    assert event.rules == created.rules and event.programme_id == created.id
    return created


def test_a_programme_starts_from_its_kinds_defaults_with_the_override_merged():
    assert programme().rules == default_rules(ProgrammeKind.mentoring)
    assert programme(session_plan={"period_months": 6}).rules.session_plan.period_months == 6
    with pytest.raises(Refused) as refused:
        programme(colour="blue")
    assert refused.value.violations[0].rule == "unknown_rule"


def test_a_rules_change_is_an_event_only_when_something_changed():
    p = programme()
    assert p.change_rules({"answers_erasable": True}, NOW) is None and p.rules_changed_at is None
    changed = p.change_rules({"answers_erasable": False}, NOW)
    assert isinstance(changed, ProgrammeRulesChanged) and not p.rules.answers_erasable and p.rules_changed_at == NOW
    with pytest.raises(Refused):
        p.change_rules({"roles": {"coach": {"appointment_types": ["permanent"]}}}, NOW)


def test_a_cohort_opens_with_dates_in_order_and_the_programmes_rules():
    with pytest.raises(Refused) as refused:
        CohortDates.checked(date(2026, 1, 31), date(2026, 1, 10), date(2026, 1, 5), date(2026, 1, 5))
    assert len(refused.value.violations) == 3
    p = programme()
    dates = CohortDates.checked(date(2026, 11, 1), date(2026, 11, 30), date(2026, 12, 1), date(2027, 4, 1))
    cohort, opened = p.open_cohort(cohort_id=uuid.uuid4(), name="2026", dates=dates, places=3)
    assert isinstance(opened, CohortOpened) and opened.programme_kind is ProgrammeKind.mentoring and opened.places == 3
    assert cohort.status is CohortStatus.open and cohort.rules == p.rules and cohort.window.is_open(date(2026, 11, 30))
