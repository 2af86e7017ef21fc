"""Registration rules, free of I/O: what a valid programme, cohort and registration is."""

from __future__ import annotations

from datetime import date
from zoneinfo import available_timezones

from together_events.contracts.registration import GRADES, Role
from together_servicekit.errors import Violation

MENTOR_CAPACITY = range(1, 3)  # a mentor takes 1 or 2 mentees (2020 pilot); per programme later
_TIME_ZONES = frozenset(available_timezones())


def cohort_date_violations(opens: date, closes: date, starts: date, ends: date) -> list[Violation]:
    violations = []
    if closes < opens:
        violations.append(
            Violation(
                "registration_closes_on",
                "not_before_opening",
                "registration must close on or after it opens",
            )
        )
    if starts < closes:
        violations.append(
            Violation(
                "starts_on",
                "after_registration",
                "the cohort must start on or after registration closes",
            )
        )
    if ends <= starts:
        violations.append(Violation("ends_on", "after_start", "the cohort must end after it starts"))
    return violations


def registration_violations(
    *,
    today: date,
    opens: date,
    closes: date,
    time_zone: str,
    grade: str,
    roles: list[Role],
    mentor_capacity: int | None,
) -> list[Violation]:
    """Every reason a registration is refused, all at once."""
    violations = []
    if not opens <= today <= closes:
        violations.append(
            Violation(
                "cohort",
                "registration_window",
                f"registration for this cohort is open from {opens.isoformat()} to {closes.isoformat()}",
            )
        )
    if time_zone not in _TIME_ZONES:
        violations.append(Violation("time_zone", "iana_time_zone", f"'{time_zone}' is not an IANA time zone"))
    if grade not in GRADES:
        violations.append(
            Violation(
                "grade",
                "known_grade",
                f"'{grade}' is not a grade; expected one of {', '.join(GRADES)}",
            )
        )
    if len(set(roles)) != len(roles):
        violations.append(Violation("roles", "unique", "each role may be chosen once"))
    if Role.mentor in roles:
        if mentor_capacity is None:
            violations.append(
                Violation(
                    "mentor_capacity",
                    "required_for_mentors",
                    "a mentor says how many mentees they take",
                )
            )
        elif mentor_capacity not in MENTOR_CAPACITY:
            violations.append(
                Violation(
                    "mentor_capacity",
                    "between_1_and_2",
                    "a mentor takes 1 or 2 mentees in this programme",
                )
            )
    elif mentor_capacity is not None:
        violations.append(Violation("mentor_capacity", "mentors_only", "only mentors state a capacity"))
    return violations
