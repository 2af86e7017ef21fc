"""One JSON error shape for every service.

    {"error": {"status": 422, "code": "invalid_input", "message": "...",
               "details": [{"field": "body.roles.0", "rule": "enum", "message": "..."}]},
     "request_id": "..."}

Use cases raise `DomainError` subclasses (errors.py); FastAPI's validation errors are
reshaped into the same form, naming each field and the rule it broke.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import sqlalchemy as sa
import structlog
from aiokafka.errors import KafkaError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from together_events import TransientError, transient_reason
from together_servicekit.errors import DomainError

log = structlog.get_logger(__name__)


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
        400: "A malformed X-Request-ID or X-Correlation-ID header: the detail names it and the rule",
        401: "No valid bearer token; the message says why",
        403: "The caller may not do this: it lacks the role, scope or programme the route needs, or it sees "
        "the object but may not do this with it",
        404: "No such object, or one the caller may not see: both get the same answer, word for word",
        409: "The object's state does not allow it",
        413: "The request body is too large",
        422: "Invalid input: each detail names the field and the rule",
        503: "Briefly unavailable (a database or broker outage, or a collision with a concurrent request): "
        "try again after Retry-After",
    }.items()
}


def error_response(status: int, code: str, message: str, details: list[dict[str, Any]]) -> JSONResponse:
    """The one error shape, for handlers and middleware alike."""
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    # RFC 6750: a 401 names the scheme. The value is fixed: a reason could quote the token, and text
    # the caller chose has no place in a header (a CR LF in it would start a header of its own).
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if status == 401 else None
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

    async def _infrastructure(request: Request, exc: Exception) -> JSONResponse:
        # A deadlock, a lost connection, a database or broker that is down: a condition that passes,
        # so the client is told to try again. Anything else is a bug, answered in the same shape.
        reason = transient_reason(exc)
        if reason is not None:
            log.warning("http.unavailable", reason=reason, error=repr(exc)[:500])
            response = error_response(503, "try_again", f"briefly unavailable ({reason}); try again", [])
            response.headers["Retry-After"] = "1"
            return response
        log.error("http.unexpected_error", exc_info=exc)
        return error_response(500, "internal_error", "an unexpected error; it has been logged", [])

    # The families an outage or a collision raises, handled inside the middleware stack so the
    # response keeps its request ids (a handler for bare `Exception` would run outside it).
    for family in (OSError, sa.exc.SQLAlchemyError, asyncpg.PostgresError, KafkaError, TransientError):
        app.add_exception_handler(family, _infrastructure)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = "body_too_large" if exc.status_code == 413 else "http_error"
        return error_response(exc.status_code, code, str(exc.detail), [])
