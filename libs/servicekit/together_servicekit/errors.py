"""What the rules refuse, said in the service's own terms: the use cases (and the domain code)
raise these, and `http_errors` turns each into the one JSON error shape. Pure: no framework."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Violation:
    field: str
    rule: str
    message: str


@dataclass
class DomainError(Exception):
    """A request the rules refuse. `violations` lists every reason at once."""

    message: str
    violations: list[Violation] = field(default_factory=list)
    status: int = 422
    code: str = "rule_violated"

    def __str__(self) -> str:
        return self.message


class NotFound(DomainError):
    def __init__(self, what: str, identifier: object) -> None:
        super().__init__(f"{what} {identifier} does not exist", status=404, code="not_found")


class Conflict(DomainError):
    def __init__(self, message: str, violations: list[Violation] | None = None) -> None:
        super().__init__(message, violations or [], status=409, code="conflict")


def invalid(field_name: str, rule: str, message: str) -> DomainError:
    """The common case: one field broke one rule."""
    return DomainError(
        message,
        [Violation(field_name, rule, message)],
        status=422,
        code="invalid_input",
    )
