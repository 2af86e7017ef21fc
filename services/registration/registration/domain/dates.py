"""A cohort's dates: in order, and the registration window they make."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from registration.domain.errors import refuse_if
from together_servicekit.errors import Violation


def cohort_date_violations(opens: date, closes: date, starts: date, ends: date) -> list[Violation]:
    violations = []
    if closes < opens:
        violations.append(
            Violation("registration_closes_on", "not_before_opening", "registration must close on or after it opens")
        )
    if starts < closes:
        violations.append(Violation("starts_on", "after_registration", "the cohort must start on or after registration closes"))
    if ends <= starts:
        violations.append(Violation("ends_on", "after_start", "the cohort must end after it starts"))
    return violations


@dataclass(frozen=True)
class CohortDates:
    """Registration opens, registration closes (both days included), the cohort starts, it ends."""

    opens: date
    closes: date
    starts: date
    ends: date

    @classmethod
    def checked(cls, opens: date, closes: date, starts: date, ends: date) -> CohortDates:
        """The dates, if they are in order; else every reason they are not."""
        refuse_if("the cohort's dates are not in order", cohort_date_violations(opens, closes, starts, ends))
        return cls(opens, closes, starts, ends)


@dataclass(frozen=True)
class Window:
    """A cohort's registration window: both days included, unless the programme team closed it early."""

    opens: date
    closes: date
    closed_on: date | None = None

    def is_open(self, today: date) -> bool:
        return self.closed_on is None and self.opens <= today <= self.closes

    def refusal(self) -> Violation:
        if self.closed_on is not None and self.closed_on < self.closes:
            message = (
                f"registration for this cohort was open from {self.opens.isoformat()} "
                f"and closed early on {self.closed_on.isoformat()}"
            )
        else:
            message = f"registration for this cohort is open from {self.opens.isoformat()} to {self.closes.isoformat()}"
        return Violation("cohort", "registration_window", message)
