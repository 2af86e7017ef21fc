"""The domain's refusals as the service's HTTP errors: a broken rule is 422, a state that does not allow it 409
(a duplicate registration naming what was duplicated, in the use case's `language`), a verification link that
does not work 400 (one answer, whatever the reason)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from registration.domain.errors import Duplicate, Refused, StateConflict
from registration.domain.verification import InvalidLink
from together_contracts.words import DEFAULT_LANGUAGE
from together_servicekit.errors import Conflict, DomainError

P = ParamSpec("P")
T = TypeVar("T")


def answering_refusals(use_case: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    @functools.wraps(use_case)
    async def run(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await use_case(*args, **kwargs)
        except Refused as refused:
            raise DomainError(refused.message, refused.violations) from refused
        except Duplicate as duplicate:
            said = duplicate.violation(str(kwargs.get("language", DEFAULT_LANGUAGE)))
            raise Conflict(said.message, [said]) from duplicate
        except StateConflict as conflict:
            raise Conflict(str(conflict)) from conflict
        except InvalidLink as invalid:
            raise DomainError(str(invalid), status=400, code="invalid_link") from None  # no cause: it would tell which

    return run
