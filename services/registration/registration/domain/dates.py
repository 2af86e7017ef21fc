"""A cohort's dates: in order, and the registration window they make."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from registration.domain.errors import refuse_if
from together_contracts.words import DEFAULT_LANGUAGE, Words
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

    def has_ended(self, today: date) -> bool:
        """The cohort ends at the end of its last day (`ends`, in UTC): it has ended once `today` (UTC) is later."""
        return today > self.ends


@dataclass(frozen=True)
class Window:
    """A cohort's registration window: both days included, unless the programme team closed it early."""

    opens: date
    closes: date
    closed_on: date | None = None

    def is_open(self, today: date) -> bool:
        return self.closed_on is None and self.opens <= today <= self.closes

    def refusal(self, today: date, language: str = DEFAULT_LANGUAGE) -> Violation:
        """Why a registration on `today` is refused: not open yet, closed early, or closed after its last day."""
        return Violation("cohort", "registration_window", self._refusal(today).in_(language))

    def _refusal(self, today: date) -> Words:
        opens, closes = self.opens.isoformat(), self.closes.isoformat()
        if self.closed_on is not None and self.closed_on < self.closes:
            closed_on = self.closed_on.isoformat()
            return Words(
                f"registration for this cohort was closed early, on {closed_on} (it was to stay open until {closes})",
                f"les inscriptions à cette cohorte ont été closes plus tôt que prévu, le {closed_on} "
                f"(elles devaient rester ouvertes jusqu'au {closes})",
                f"la inscripción en esta cohorte se cerró antes de lo previsto, el {closed_on} (debía seguir abierta hasta el {closes})",
            )
        if today < self.opens:
            return Words(
                f"registration for this cohort is not open yet: it opens on {opens} and its last day is {closes}",
                f"les inscriptions à cette cohorte ne sont pas encore ouvertes : elles ouvrent le {opens} "
                f"et leur dernier jour est le {closes}",
                f"la inscripción en esta cohorte aún no está abierta: se abre el {opens} y su último día es el {closes}",
            )
        return Words(
            f"registration for this cohort closed on {closes}, its last day (it opened on {opens})",
            f"les inscriptions à cette cohorte ont fermé le {closes}, leur dernier jour (elles avaient ouvert le {opens})",
            f"la inscripción en esta cohorte se cerró el {closes}, su último día (se había abierto el {opens})",
        )
