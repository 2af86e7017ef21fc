"""Who may register with which answers: eligible and valid registrations, answer changes, role grants."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from registration.domain.dates import Window
from registration.domain.programme_rules import COMBINABLE, NEVER_ELIGIBLE
from registration.domain.questionnaire import FIELDS
from together_contracts.eligibility import entity_admitted, entity_refusal, job_network_admitted, job_network_refusal
from together_contracts.registration import GRADES, AppointmentType, ProgrammeRules, Role, RoleRules
from together_contracts.words import DEFAULT_LANGUAGE
from together_servicekit.errors import Violation

CAPACITY_FIELD = {Role.mentor: "mentor_capacity", Role.coach: "coach_capacity"}
_PARTNERS = {Role.mentor: "mentees", Role.coach: "clients"}
_PLURAL = {Role.mentor: "mentors", Role.mentee: "mentees", Role.coach: "coaches", Role.client: "clients"}
# The rules of who may join a programme. A registration one of them refuses is counted as refused in the
# cohort's outcomes (`RegistrationRefused`); one refused only for its window or a malformed answer is not.
ELIGIBILITY_RULES = frozenset(
    {"eligible_appointment_type", "eligible_entity", "eligible_job_network", "meeting_language", "role_of_programme"}
)
# Answers that may not be removed by a change (required in the questionnaire).
_REQUIRED = frozenset(f.name for f in FIELDS if f.required)


@dataclass(frozen=True)
class Answers:
    """The answers the rules look at."""

    appointment_type: AppointmentType | None  # None only for registrations from before it was asked
    entity: str
    job_network: str
    grade: str
    languages: list[str]
    roles: list[Role]
    mentor_capacity: int | None = None
    coach_capacity: int | None = None

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> Answers:
        """The answers the rules look at, from the questionnaire's answers (as JSON values)."""
        appointment = values.get("appointment_type")
        return cls(
            appointment_type=AppointmentType(appointment) if appointment is not None else None,
            entity=values["entity"],
            job_network=values["job_network"],
            grade=values["grade"],
            languages=list(values["languages"]),
            roles=[Role(r) for r in values["roles"]],
            mentor_capacity=values.get("mentor_capacity"),
            coach_capacity=values.get("coach_capacity"),
        )


def registration_violations(
    *, today: date, window: Window, rules: ProgrammeRules, answers: Answers, language: str = DEFAULT_LANGUAGE
) -> list[Violation]:
    """Every reason a registration is refused, all at once (the window's and eligibility's in `language`)."""
    violations = [] if window.is_open(today) else [window.refusal(today, language)]
    return violations + answer_violations(rules, answers, language)


def failed_eligibility(violations: list[Violation]) -> list[str]:
    """The answers (fields) whose eligibility rules refused, in the order the refusal names them."""
    return list(dict.fromkeys(v.field for v in violations if v.rule in ELIGIBILITY_RULES))


def answer_violations(rules: ProgrammeRules, answers: Answers, language: str = DEFAULT_LANGUAGE) -> list[Violation]:
    """Every reason these answers are invalid or ineligible for the programme."""
    violations = []
    if answers.grade not in GRADES:
        violations.append(
            Violation("grade", "known_grade", f"'{answers.grade}' is not a grade; expected one of {', '.join(GRADES)}")
        )
    meeting = {language.casefold() for language in rules.meeting_languages}
    if not any(language.casefold() in meeting for language in answers.languages):
        violations.append(
            Violation(
                "languages",
                "meeting_language",
                f"meetings in this programme are held in {' or '.join(rules.meeting_languages)}; "
                "a participant speaks at least one of them",
            )
        )
    violations += role_violations(rules, answers, language)
    return list(dict.fromkeys(violations))  # a reason shared by two roles is given once


def role_violations(rules: ProgrammeRules, answers: Answers, language: str = DEFAULT_LANGUAGE) -> list[Violation]:
    roles = answers.roles
    violations = []
    if len(set(roles)) != len(roles):
        violations.append(Violation("roles", "unique", "each role may be chosen once"))
    elif len(roles) > 1 and frozenset(roles) not in COMBINABLE:
        violations.append(Violation("roles", "combinable", "only mentor and mentee may be chosen together"))
    offered = ", ".join(r.value for r in rules.roles)
    for role in dict.fromkeys(roles):
        role_rules = rules.roles.get(role)
        if role_rules is None:
            violations.append(
                Violation("roles", "role_of_programme", f"this programme has the roles {offered}, not {role.value}")
            )
            continue
        violations += _eligibility(rules, role, role_rules, answers, language)
    if answers.appointment_type in NEVER_ELIGIBLE and not any(v.field == "appointment_type" for v in violations):
        violations.append(_appointment_refusal(answers.appointment_type))
    for role, field in CAPACITY_FIELD.items():
        capacity = getattr(answers, field)
        role_rules = rules.roles.get(role)
        if role not in roles:
            if capacity is not None:
                violations.append(
                    Violation(field, f"{role.value}s_only", f"only {_PLURAL[role]} state a {field.replace('_', ' ')}")
                )
        elif role_rules is not None:
            violations += _capacity_violations(role, field, capacity, role_rules.min_capacity, role_rules.max_capacity)
    return violations


def _eligibility(rules: ProgrammeRules, role: Role, role_rules: RoleRules, answers: Answers, language: str) -> list[Violation]:
    """The appointment type (team only: checked here alone), then the entity and job network, as every service
    that reads them checks them (`together_contracts.eligibility`)."""
    violations = []
    if answers.appointment_type is not None and answers.appointment_type not in role_rules.appointment_types:
        violations.append(_appointment_refusal(answers.appointment_type, role))
    if not entity_admitted(rules, role, answers.entity):
        violations.append(Violation("entity", "eligible_entity", entity_refusal(rules, role, answers.entity).in_(language)))
    if not job_network_admitted(rules, role, answers.job_network):
        violations.append(
            Violation("job_network", "eligible_job_network", job_network_refusal(rules, role, answers.job_network).in_(language))
        )
    return violations


def _appointment_refusal(appointment_type: AppointmentType, role: Role | None = None) -> Violation:
    as_role = f" as {role.value}" if role is not None and appointment_type not in NEVER_ELIGIBLE else ""
    return Violation(
        "appointment_type",
        "eligible_appointment_type",
        f"appointment type '{appointment_type.value}' is not eligible for this programme{as_role}",
    )


def _capacity_violations(role: Role, field: str, capacity: int | None, low: int | None, high: int | None) -> list[Violation]:
    low, high = low or 1, high or low or 1
    if capacity is None:
        return [Violation(field, f"required_for_{_PLURAL[role]}", f"a {role.value} says how many {_PARTNERS[role]} they take")]
    if not low <= capacity <= high:
        return [
            Violation(
                field,
                f"between_{low}_and_{high}",
                f"a {role.value} takes {low} to {high} {_PARTNERS[role]} in this programme"
                if low != high
                else f"a {role.value} takes {low} {_PARTNERS[role]} in this programme",
            )
        ]
    return []


def edit_violations(
    rules: ProgrammeRules, answers: Answers, *, roles_changed: bool, registration_open: bool, language: str = DEFAULT_LANGUAGE
) -> list[Violation]:
    """Every reason an edit is refused. After registration closes the roles are fixed (the programme
    team adds a role by a grant); every other answer, capacities included (pairing reads a raise as
    a free slot), still changes, re-validated against the programme's rules."""
    violations = []
    if roles_changed and not registration_open:
        violations.append(
            Violation("roles", "closed_needs_grant", "registration has closed: a role is added by the programme team's grant")
        )
    return violations + answer_violations(rules, answers, language)


def removal_violations(changes: Mapping[str, Any]) -> list[Violation]:
    """A required answer cannot be removed by a change."""
    return [
        Violation(name, "required", f"'{name}' cannot be removed")
        for name, value in changes.items()
        if value is None and name in _REQUIRED
    ]
