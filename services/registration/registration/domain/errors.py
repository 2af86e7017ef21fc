"""What the rules refuse. The use cases turn these into the service's HTTP errors (422 and 409)."""

from __future__ import annotations

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
