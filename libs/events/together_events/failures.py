"""Which failures are worth retrying, and for how long: one place for every service.

A failure is *transient* only when it names a cause that goes away by itself: a lost
or refused connection, a timeout, a serialization failure, a deadlock, a lock
timeout, a database that is starting or shutting down, a broker that is unavailable.
`transient_reason` says which, in words, or None. Everything else (a bug, a value the
database refuses, an `OSError` such as a file name too long) is permanent: retrying
it would only block whatever waits behind it.

`RetryPolicy` bounds the retries: the delay doubles up to `max_delay`, and a record
whose transient failures outlive `record_budget` seconds (while its dependencies
answer) is given up on: with the copies it then writes, no record holds its partition
for more than a minute, whatever it contains. Consumers, background workers and the HTTP error handler all
use these two.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from aiokafka.errors import KafkaError, KafkaTimeoutError


class TransientError(Exception):
    """Raise from a handler to have the event retried (within the retry policy) instead of dead-lettered."""


class DependencyDown(TransientError):
    """A service the handler needs does not answer at all (refused, unreachable, 503): an outage, not
    the record's fault. Like a database outage, it is waited out without spending the record's budget."""


# PostgreSQL error codes (SQLSTATE) that say "try again", by what they mean.
TRANSIENT_SQLSTATES = {
    "40001": "serialization failure",
    "40P01": "deadlock",
    "55P03": "lock timeout",
    "57P01": "database shutting down",
    "57P02": "database crashed",
    "57P03": "database starting",
    "53300": "too many database connections",
}
CONNECTION_SQLSTATE_CLASS = "08"  # connection exceptions: lost, refused, never established
CONNECTION_ERRNOS = {
    errno.ECONNREFUSED,
    errno.ECONNRESET,
    errno.ECONNABORTED,
    errno.EPIPE,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.ENETDOWN,
    errno.ETIMEDOUT,
}


def transient_reason(exc: BaseException) -> str | None:
    """Why `exc` is worth retrying ("deadlock", "connection lost", ...), or None if it is not."""
    for cause in _causes(exc):
        reason = _own_reason(cause)
        if reason is not None:
            return reason
    return None


def is_outage(exc: BaseException) -> bool:
    """Whether `exc` (or what it wraps) says a dependency is down: wait, do not give up on the record."""
    return any(isinstance(cause, DependencyDown) for cause in _causes(exc))


def is_transient(exc: BaseException) -> bool:
    return transient_reason(exc) is not None


def _own_reason(exc: BaseException) -> str | None:
    if isinstance(exc, TransientError):
        return f"declared transient: {exc}"
    sqlstate = getattr(exc, "sqlstate", None)
    if isinstance(sqlstate, str):
        if sqlstate in TRANSIENT_SQLSTATES:
            return TRANSIENT_SQLSTATES[sqlstate]
        if sqlstate.startswith(CONNECTION_SQLSTATE_CLASS):
            return "database connection lost"
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return "database connection lost"
    if isinstance(exc, sa.exc.TimeoutError):
        return "database connection pool exhausted"
    if isinstance(exc, KafkaTimeoutError) or (isinstance(exc, KafkaError) and exc.retriable):
        return f"broker unavailable ({type(exc).__name__})"
    if isinstance(exc, TimeoutError):  # also asyncio.TimeoutError
        return "timed out"
    if isinstance(exc, ConnectionError) or (isinstance(exc, OSError) and exc.errno in CONNECTION_ERRNOS):
        return "connection lost"
    if isinstance(exc, socket.gaierror):
        return "host name not resolved"
    return None


def _causes(exc: BaseException, depth: int = 6) -> Iterator[BaseException]:
    """The exception, what it wraps (SQLAlchemy's `.orig`) and what it was raised from, a few levels deep."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending and len(seen) < depth:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for inner in (getattr(current, "orig", None), current.__cause__):
            if isinstance(inner, BaseException):
                pending.append(inner)


@dataclass(frozen=True)
class RetryPolicy:
    """Delays between attempts, and how long one record may hold its partition."""

    first_delay: float = 0.1
    max_delay: float = 5.0
    # A record holds its partition for at most record_budget + 2 * attempt_timeout (its retries, then
    # a full and a reduced dead-letter copy) = 60 s, outages of the database excluded.
    record_budget: float = 40.0  # seconds of transient failures before a record is given up
    attempt_timeout: float = 10.0  # seconds one attempt to write a dead-letter copy may take (a hung broker)
    stalled_after: float = 30.0  # seconds with records waiting and none handled before readiness says "stalled"

    def delay(self, attempt: int) -> float:
        """The pause after the `attempt`-th failure (1-based)."""
        return min(self.first_delay * 2.0 ** (attempt - 1), self.max_delay)
