"""What the rules refuse. The use cases turn these into the service's HTTP errors (422 and 409)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from together_contracts.words import DEFAULT_LANGUAGE, Words
from together_servicekit.errors import Violation


class Refused(Exception):
    """The request breaks the rules; `violations` gives every reason at once."""

    def __init__(self, message: str, violations: list[Violation]) -> None:
        super().__init__(message)
        self.message = message
        self.violations = violations


class StateConflict(Exception):
    """The object's state does not allow this now (already closed, withdrawn, registered...)."""


def refuse_if(what: str, violations: list[Violation]) -> None:
    """Refuse with every reason, if there is any."""
    if violations:
        raise Refused(f"{what}: " + "; ".join(v.message for v in violations), violations)


class Duplicate(StateConflict):
    """One registration per person and cohort, and one per verified address and cohort (409). Which of the two
    is said plainly: the person is the caller themself, and an address is only ever named to whoever followed
    the link mailed to it (registering with an address answers the same whoever holds it: no address oracle)."""

    def __init__(self, duplicate: Literal["person", "address"], participant_id: UUID | None = None) -> None:
        self.duplicate, self.participant_id = duplicate, participant_id
        super().__init__(self.violation(DEFAULT_LANGUAGE).message)

    def violation(self, language: str) -> Violation:
        if self.duplicate == "address":
            words = Words(
                "this e-mail address is already registered in this cohort, by another registration: "
                "one registration per address and cohort",
                "cette adresse électronique est déjà inscrite dans cette cohorte, par une autre inscription : "
                "une inscription par adresse et par cohorte",
                "esta dirección de correo electrónico ya está inscrita en esta cohorte, en otra inscripción: "
                "una inscripción por dirección y cohorte",
            )
            return Violation("email", "one_registration_per_address", words.in_(language))
        which = "" if self.participant_id is None else f" ({self.participant_id})"
        words = Words(
            f"you are already registered in this cohort{which}: one registration per person and cohort; "
            "change the answers of that registration instead",
            f"vous êtes déjà inscrit·e dans cette cohorte{which} : une inscription par personne et par cohorte ; "
            "modifiez plutôt les réponses de cette inscription",
            f"usted ya está inscrito/a en esta cohorte{which}: una inscripción por persona y cohorte; "
            "modifique en su lugar las respuestas de esa inscripción",
        )
        return Violation("person_id", "one_registration_per_person", words.in_(language))
