"""One JSON error shape for every service.

    {"error": {"status": 422, "code": "invalid_input", "message": "...",
               "details": [{"field": "body.roles.0", "rule": "enum", "message": "..."}]},
     "request_id": "..."}

Use cases raise `DomainError` subclasses; FastAPI's validation errors are
reshaped into the same form, naming each field and the rule it broke.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException


class ErrorDetailBody(BaseModel):
    field: str
    rule: str
    message: str


class ErrorInfoBody(BaseModel):
    status: int
    code: str
    message: str
    details: list[ErrorDetailBody]


class ErrorBody(BaseModel):
    """The one error shape, as the OpenAPI documents show it."""

    error: ErrorInfoBody
    request_id: str | None


# Documented on every route, replacing FastAPI's own 422 schema, which the services never send.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in {
        401: "No valid bearer token; the message says why",
        403: "The caller may not do this",
        404: "No such object (or none the caller may know of)",
        409: "The object's state does not allow it",
        413: "The request body is too large",
        422: "Invalid input: each detail names the field and the rule",
    }.items()
}


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


def error_response(status: int, code: str, message: str, details: list[dict]) -> JSONResponse:
    """The one error shape, for handlers and middleware alike."""
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    # RFC 6750: a 401 names the scheme and says why the token was refused.
    headers = {"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{message}"'} if status == 401 else None
    return JSONResponse(
        headers=headers,
        status_code=status,
        content={
            "error": {
                "status": status,
                "code": code,
                "message": message,
                "details": details,
            },
            "request_id": request_id,
        },
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        details = [v.__dict__ for v in exc.violations]
        return error_response(exc.status, exc.code, exc.message, details)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {
                "field": ".".join(str(p) for p in e["loc"]),
                "rule": e["type"],
                "message": e["msg"],
            }
            for e in exc.errors()
        ]
        summary = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
        return error_response(422, "invalid_input", f"invalid input: {summary}", details)

    @app.exception_handler(sa.exc.DBAPIError)
    async def _contention(request: Request, exc: sa.exc.DBAPIError) -> JSONResponse:
        # Two requests locked the same rows in opposite orders and one was rolled back: nothing
        # changed, and the client may simply try again. Any other database error stays a 500.
        if getattr(exc.orig, "sqlstate", None) in ("40001", "40P01"):
            response = error_response(
                503, "try_again", "the request collided with a concurrent one; nothing changed, try again", []
            )
            response.headers["Retry-After"] = "1"
            return response
        raise exc

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = "body_too_large" if exc.status_code == 413 else "http_error"
        return error_response(exc.status_code, code, str(exc.detail), [])
