"""Each programme kind's default rules, in one place (domain, no I/O), and how a programme team overrides them.

The defaults reproduce the seed documents (`DOMAIN.md`): every kind takes staff of the Secretariat
and of no other entity until the programme lists them (`ProgrammeRules.entities`, e.g. ITC, ISA,
`together_contracts.eligibility`); the 2020 Together pilot takes
mentees from POLNET, DEVNET and INFONET only, staff on fixed-term, continuing or permanent
appointments, mentors taking 1 or 2 mentees for four months, meetings in English, French or
both; coaching takes clients on temporary appointments too, coaches 1-3 clients, an
introduction meeting and 5 monthly sessions of 45 minutes. Consultants, contractors, interns
and UNVs are never eligible, whatever a programme says.

A programme team overrides any part with a partial document merged over the defaults (and,
later, over the programme's current rules): nested objects merge key by key, anything else
(lists, numbers) replaces.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from together_contracts.registration import (
    AppointmentType,
    ProgrammeKind,
    ProgrammeRules,
    Role,
    RoleRules,
    SessionPlan,
)
from together_contracts.roles import OFFERING_ROLES
from together_servicekit.errors import Violation

STAFF = [AppointmentType.fixed_term, AppointmentType.continuing, AppointmentType.permanent]
NEVER_ELIGIBLE = frozenset({AppointmentType.consultant, AppointmentType.contractor, AppointmentType.intern, AppointmentType.unv})
ROLES_OF_KIND: dict[ProgrammeKind, frozenset[Role]] = {
    ProgrammeKind.coaching: frozenset({Role.coach, Role.client}),
    **{kind: frozenset({Role.mentor, Role.mentee}) for kind in ProgrammeKind if kind is not ProgrammeKind.coaching},
}
# Roles a person may hold together: mentor and mentee ("both"); a coach is not also a client.
COMBINABLE = {frozenset({Role.mentor, Role.mentee})}


def _mentor(low: int, high: int) -> RoleRules:
    return RoleRules(appointment_types=STAFF, min_capacity=low, max_capacity=high)


DEFAULT_RULES: dict[ProgrammeKind, ProgrammeRules] = {
    # together-2020-pilot-faq
    ProgrammeKind.mentoring: ProgrammeRules(
        roles={
            Role.mentor: _mentor(1, 2),
            Role.mentee: RoleRules(appointment_types=STAFF, job_networks=["POLNET", "DEVNET", "INFONET"]),
        },
        meeting_languages=["English", "French"],
        session_plan=SessionPlan(period_months=4, meeting_interval="twice a month"),
    ),
    # together-2022-how-it-works: 1-2 networking meetings or a relationship of 3-6, every 3 weeks
    ProgrammeKind.networking_mentoring: ProgrammeRules(
        roles={Role.mentor: _mentor(1, 3), Role.mentee: RoleRules(appointment_types=STAFF)},
        meeting_languages=["English", "French"],
        session_plan=SessionPlan(
            period_months=4,
            meeting_interval="every 3 weeks",
            agenda=["networking: 1-2 meetings", "mentoring: 3-6 meetings"],
        ),
    ),
    # coaching-2023-faq
    ProgrammeKind.coaching: ProgrammeRules(
        roles={
            Role.coach: RoleRules(appointment_types=STAFF, min_capacity=1, max_capacity=3),
            Role.client: RoleRules(appointment_types=[AppointmentType.temporary, *STAFF]),
        },
        meeting_languages=["English", "French"],
        session_plan=SessionPlan(
            period_months=6,
            meeting_interval="monthly",
            session_minutes=45,
            agenda=["introduction", *(f"coaching session {n}" for n in range(1, 6))],
        ),
    ),
    # reverse-mentoring-and-career-week-2026: 1:1, a 3-month plan, REAL goals on both sides
    ProgrammeKind.reverse_mentoring: ProgrammeRules(
        roles={Role.mentor: _mentor(1, 1), Role.mentee: RoleRules(appointment_types=STAFF)},
        meeting_languages=["English", "French"],
        session_plan=SessionPlan(
            period_months=3, meeting_interval="monthly", agenda=["set REAL goals", "3-month plan", "review"]
        ),
    ),
    # reverse-mentoring-and-career-week-2026: a supervisor or nominated mentor guides several colleagues
    ProgrammeKind.on_the_job_learning: ProgrammeRules(
        roles={Role.mentor: _mentor(1, 5), Role.mentee: RoleRules(appointment_types=STAFF)},
        meeting_languages=["English", "French"],
        session_plan=SessionPlan(
            period_months=3,
            meeting_interval="every 2 weeks",
            agenda=["scan micro-needs", "define SMART goals", "personalised plan"],
        ),
    ),
}


def default_rules(kind: ProgrammeKind) -> ProgrammeRules:
    return DEFAULT_RULES[kind]


def rules_of(kind: ProgrammeKind, stored: Mapping[str, Any] | None) -> ProgrammeRules:
    """The programme's rules; programmes from before rules existed follow their kind's defaults."""
    return ProgrammeRules.model_validate(stored) if stored is not None else default_rules(kind)


def merged(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """`override` laid over `base`: objects merge key by key; anything else replaces."""
    result = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = merged(result[key], value)
        else:
            result[key] = value
    return result


def apply_override(
    kind: ProgrammeKind, current: ProgrammeRules, override: Mapping[str, Any]
) -> tuple[ProgrammeRules | None, list[Violation]]:
    """The rules after `override`, or every reason it is refused."""
    violations = _unknown_keys(override) + _control_characters(override, "rules")
    if violations:
        return None, violations
    try:
        rules = ProgrammeRules.model_validate(merged(current.model_dump(mode="json"), override))
    except ValidationError as exc:
        return None, [Violation("rules." + ".".join(str(p) for p in e["loc"]), e["type"], e["msg"]) for e in exc.errors()]
    return rules, rules_violations(kind, rules)


def rules_violations(kind: ProgrammeKind, rules: ProgrammeRules) -> list[Violation]:
    """What a programme's rules must respect whatever the programme team says."""
    violations = []
    allowed = ROLES_OF_KIND[kind]
    if not rules.roles:
        violations.append(Violation("rules.roles", "at_least_one_role", "a programme has at least one role"))
    for role, role_rules in rules.roles.items():
        where = f"rules.roles.{role.value}"
        if role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            violations.append(Violation(where, "role_of_kind", f"a {kind.value} programme has the roles {names}"))
        never = sorted(t.value for t in role_rules.appointment_types if t in NEVER_ELIGIBLE)
        if never:
            violations.append(
                Violation(
                    f"{where}.appointment_types",
                    "never_eligible",
                    f"{', '.join(never)} appointments are never eligible",
                )
            )
        if not role_rules.appointment_types:
            violations.append(
                Violation(f"{where}.appointment_types", "at_least_one", "at least one appointment type is eligible")
            )
        if role in OFFERING_ROLES:
            low, high = role_rules.min_capacity, role_rules.max_capacity
            if low is None or high is None or not 1 <= low <= high <= 50:
                violations.append(
                    Violation(
                        f"{where}.max_capacity",
                        "capacity_bounds",
                        f"a {role.value} takes between min_capacity and max_capacity partners, 1 <= min <= max <= 50",
                    )
                )
        elif role_rules.min_capacity is not None or role_rules.max_capacity is not None:
            violations.append(Violation(f"{where}.max_capacity", "offering_roles_only", f"a {role.value} states no capacity"))
    for factor, weight in rules.matching_weights.items():
        if not (math.isfinite(weight) and 0 <= weight <= 1000):
            violations.append(
                Violation(
                    f"rules.matching_weights.{factor}", "between_0_and_1000", "a matching weight is a number from 0 to 1000"
                )
            )
    for i, entity in enumerate(rules.entities):
        if not 1 <= len(entity.strip()) <= 100:
            violations.append(Violation(f"rules.entities.{i}", "entity_name", "an entity is named in 1 to 100 characters"))
    if not rules.meeting_languages:
        violations.append(Violation("rules.meeting_languages", "at_least_one", "meetings need at least one language"))
    if not 1 <= rules.session_plan.period_months <= 36:
        violations.append(Violation("rules.session_plan.period_months", "between_1_and_36", "a pairing runs 1 to 36 months"))
    if rules.session_plan.session_minutes is not None and not 5 <= rules.session_plan.session_minutes <= 480:
        violations.append(
            Violation("rules.session_plan.session_minutes", "between_5_and_480", "a session lasts 5 to 480 minutes")
        )
    return violations


def _control_characters(value: Any, where: str) -> list[Violation]:
    """Rules are stored as JSON: no control characters in any name or text (PostgreSQL refuses NUL)."""
    if isinstance(value, str):
        bad = any(ord(c) < 32 or ord(c) == 127 for c in value)
        return [Violation(where, "no_control_characters", "text may not contain control characters")] if bad else []
    if isinstance(value, Mapping):
        return [
            v
            for key, item in value.items()
            for v in _control_characters(key, where) + _control_characters(item, f"{where}.{key}")
        ]
    if isinstance(value, list):
        return [v for i, item in enumerate(value) for v in _control_characters(item, f"{where}.{i}")]
    return []


def _unknown_keys(override: Mapping[str, Any]) -> list[Violation]:
    """Refuse misspelt rule names rather than silently ignoring them."""
    known = set(ProgrammeRules.model_fields)
    violations = [
        Violation(f"rules.{key}", "unknown_rule", f"'{key}' is not a programme rule") for key in override if key not in known
    ]
    roles = override.get("roles")
    if isinstance(roles, Mapping):
        role_fields = set(RoleRules.model_fields)
        for role, role_rules in roles.items():
            if isinstance(role_rules, Mapping):
                violations += [
                    Violation(f"rules.roles.{role}.{key}", "unknown_rule", f"'{key}' is not a rule of a role")
                    for key in role_rules
                    if key not in role_fields
                ]
    plan = override.get("session_plan")
    if isinstance(plan, Mapping):
        violations += [
            Violation(f"rules.session_plan.{key}", "unknown_rule", f"'{key}' is not part of a session plan")
            for key in plan
            if key not in SessionPlan.model_fields
        ]
    return violations
