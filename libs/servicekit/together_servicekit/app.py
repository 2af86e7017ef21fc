"""The FastAPI application every service is built on, and the process entry point."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import structlog
import uvicorn
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from together_events import caused_by
from together_servicekit.auth import AuthSettings, Principal, Role, TokenVerifier, authenticated, require
from together_servicekit.clock import TravellingClock
from together_servicekit.db import database_powers, migrate, wait_for_database
from together_servicekit.errors import invalid
from together_servicekit.http_errors import ERROR_RESPONSES, error_response, install_error_handlers
from together_servicekit.logging import configure_logging
from together_servicekit.metrics import Scraped, install_metrics
from together_servicekit.profile import refuse_database_powers, refuse_development_trust
from together_servicekit.runtime import (
    HandlersFactory,
    Runtime,
    SettingsT,
    WorkersFactory,
    get_runtime,
    start_runtime,
    stop_runtime,
)
from together_servicekit.tracing import configure_tracing, instrument_app

log = structlog.get_logger(__name__)


def build_app(
    settings: SettingsT,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    handlers: HandlersFactory[SettingsT] | None = None,
    workers: WorkersFactory[SettingsT] | None = None,
    larger_bodies: Sequence[tuple[str, int]] = (),
    scraped: Sequence[Scraped] = (),
) -> FastAPI:
    """`larger_bodies`: (path regex, byte limit) pairs for the few routes that take uploads;
    `scraped`: the service's own metrics, read at each scrape of /metrics (together_servicekit.metrics)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.service_name, settings.log_level)
        app.state.runtime = await start_runtime(settings, handlers, workers)
        log.info("service.started", port=settings.port, clock_mode=settings.clock_mode)
        try:
            yield
        finally:
            await stop_runtime(app.state.runtime)

    app = FastAPI(title=title, description=description, version="0.1.0", lifespan=lifespan)
    auth = AuthSettings.from_environment()
    refuse_development_trust(settings, auth)  # every way of building the app passes here
    # Each route states its rule with `Depends(authenticated)`; tests check that none lacks it.
    app.state.token_verifier = TokenVerifier(auth)
    install_error_handlers(app)
    # Added innermost first: the request context wraps the app, so every response has its ids, and
    # the security headers wrap that, so they are on the request context's own refusals too.
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes, larger=larger_bodies)
    app.middleware("http")(_request_context)
    app.middleware("http")(_security_headers(settings.hsts_seconds))
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=[o.strip() for o in settings.cors_origins.split(",") if o.strip()],
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID", "X-Correlation-ID"],
            expose_headers=["X-Request-ID", "X-Correlation-ID"],
        )
    app.include_router(_health_router())
    install_metrics(app, scraped)  # /metrics, and the request counts (outermost: refusals count too)
    if settings.clock_mode == "travel":
        app.include_router(_clock_router())
    for router in routers:
        app.include_router(router, responses=ERROR_RESPONSES)
    configure_tracing(settings.service_name)  # off unless an OTEL_* exporter setting is given
    instrument_app(app)
    return app


Middleware = Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]


class BodyLimit:
    """413, in the project's error shape, for a request body over the limit: at once when
    the body declares its length, else as soon as the bytes received pass it. Paths matching
    one of `larger` (regex, limit) get that limit instead (e.g. a file upload route)."""

    def __init__(self, app: ASGIApp, limit: int, larger: Sequence[tuple[str, int]] = ()) -> None:
        self.app, self.limit = app, limit
        self.larger = [(re.compile(pattern), allowed) for pattern, allowed in larger]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = next((allowed for pattern, allowed in self.larger if pattern.fullmatch(scope["path"])), self.limit)
        message = f"the request body is larger than {limit} bytes"
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await error_response(413, "body_too_large", message, [])(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            chunk = await receive()
            received += len(chunk.get("body", b""))
            if received > limit:
                raise StarletteHTTPException(413, message)  # FastAPI re-raises it from body parsing
            return chunk

        await self.app(scope, counted, send)


def _security_headers(hsts_seconds: int) -> Middleware:
    async def add_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Cache-Control", "no-store")
        if hsts_seconds:
            response.headers.setdefault("Strict-Transport-Security", f"max-age={hsts_seconds}; includeSubDomains")
        return response

    return add_headers


# A caller's X-Request-ID or X-Correlation-ID lands in every log line and in every event the request
# causes, so it must be short and plain; a UUID, a W3C trace id and most tracing ids fit.
TRACE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
TRACE_ID_RULE = "1 to 128 characters of letters, digits, '.', '_', ':' and '-'"


def _malformed_trace_ids(request: Request) -> list[dict[str, str]]:
    return [
        {"field": f"header.{name}", "rule": "trace_id", "message": f"{name} must be {TRACE_ID_RULE}"}
        for name in ("X-Request-ID", "X-Correlation-ID")
        if (value := request.headers.get(name)) and not TRACE_ID.fullmatch(value)  # empty counts as absent
    ]


async def _request_context(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Bind the request id and correlation id to every log line and event of the request."""
    malformed = _malformed_trace_ids(request)
    if malformed:
        request_id = str(uuid.uuid4())  # a fresh one: the refused value is neither kept nor echoed
        with structlog.contextvars.bound_contextvars(request_id=request_id):
            message = "; ".join(detail["message"] for detail in malformed)
            response: Response = error_response(400, "invalid_input", f"invalid header: {message}", malformed)
        response.headers["x-request-id"] = request_id
        return response
    request_id = request.headers.get("x-request-id") or str(uuid.uuid4())
    correlation_id = request.headers.get("x-correlation-id") or request_id
    started = time.perf_counter()
    with (
        structlog.contextvars.bound_contextvars(request_id=request_id),
        caused_by(correlation_id),
    ):
        response = await call_next(request)
        response.headers["x-request-id"] = request_id
        response.headers["x-correlation-id"] = correlation_id
        if request.url.path not in ("/healthz", "/readyz", "/metrics"):
            log.info(
                "http.request",
                method=request.method,
                path=request.url.path,
                status=response.status_code,
                ms=round((time.perf_counter() - started) * 1000, 1),
            )
        return response


def _health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    # Liveness: the process and its event loop answer; restarting it would not help anything else.
    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    # Readiness: each dependency and each piece of background work. Anyone learns ready or not; the
    # checks and figures (error texts naming hosts, topics, offsets) only an operator, as a service.
    @router.get(
        "/readyz",
        summary="Readiness: database and Kafka reachable, consumer not stalled, background work running "
        "(the checks and figures with a service token)",
    )
    async def readyz(runtime: Runtime = Depends(get_runtime), caller: Principal | None = Depends(_caller_if_any)) -> JSONResponse:
        checks = await runtime.readiness()
        ready = all(value == "ok" for value in checks.values())
        body: dict[str, Any] = {"status": "ready" if ready else "not_ready"}
        if caller is not None and caller.has(Role.service):
            body |= {"checks": checks, "figures": runtime.figures()}
        return JSONResponse(body, status_code=200 if ready else 503)

    return router


_optional_bearer = HTTPBearer(auto_error=False, description="Optional: a service token shows the checks.")


def _caller_if_any(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_optional_bearer)
) -> Principal | None:
    """The verified caller if a token was sent (a bad one is refused like anywhere else), else None."""
    return None if credentials is None else authenticated(request, credentials)


class TravelRequest(BaseModel):
    seconds: float = Field(
        gt=0,
        le=366 * 24 * 3600,
        description="How far to move this service's clock forward.",
    )


def _clock_router() -> APIRouter:
    router = APIRouter(prefix="/clock", tags=["demo and test clock"])

    @router.get("", summary="This service's current time (travel mode only; any caller)")
    async def now(runtime: Runtime = Depends(get_runtime), _: Principal = Depends(authenticated)) -> dict[str, str]:
        return {"now": runtime.clock.now().isoformat()}

    @router.post("/travel", summary="Move this service's clock forward (travel mode only; role service)")
    async def travel(
        body: TravelRequest, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
    ) -> dict[str, str]:
        require(caller, Role.service)
        if not isinstance(runtime.clock, TravellingClock):
            raise invalid("clock", "travel_mode", "the clock can be moved in demo and test mode only")
        return {"now": runtime.clock.travel(timedelta(seconds=body.seconds)).isoformat()}

    return router


def serve(
    settings: SettingsT,
    app_factory: Callable[[SettingsT], FastAPI],
    migrations_package: str,
) -> None:
    """Process entry point: refuse development trust in production, wait for the database, migrate, then serve HTTP."""
    refuse_development_trust(settings, AuthSettings.from_environment())  # before waiting on anything
    configure_logging(settings.service_name, settings.log_level)
    asyncio.run(wait_for_database(settings.database_url))
    refuse_database_powers(settings, asyncio.run(database_powers(settings.database_url)))
    migrate(migrations_package, settings.database_url)
    log.info("service.migrated", database=settings.database_name)
    uvicorn.run(
        app_factory(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
    )
