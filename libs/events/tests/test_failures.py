"""Which failures are retried: only those that name a cause that passes by itself."""

from __future__ import annotations

import errno

import asyncpg
import pytest
import sqlalchemy as sa
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, MessageSizeTooLargeError, TopicAuthorizationFailedError

from together_events.failures import DependencyDown, RetryPolicy, TransientError, is_outage, is_transient, transient_reason


def wrapped(orig: BaseException) -> sa.exc.DBAPIError:
    """As SQLAlchemy's asyncpg dialect raises it: the driver's error as `.orig`."""
    return sa.exc.DBAPIError("SELECT 1", None, orig)


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (ConnectionRefusedError(errno.ECONNREFUSED, "refused"), "connection lost"),
        (ConnectionResetError(), "connection lost"),
        (OSError(errno.EHOSTUNREACH, "no route to host"), "connection lost"),
        (TimeoutError(), "timed out"),
        (wrapped(asyncpg.exceptions.DeadlockDetectedError("deadlock detected")), "deadlock"),
        (wrapped(asyncpg.exceptions.SerializationError("could not serialize")), "serialization failure"),
        (wrapped(asyncpg.exceptions.LockNotAvailableError("lock timeout")), "lock timeout"),
        (wrapped(asyncpg.exceptions.AdminShutdownError("terminating connection")), "database shutting down"),
        (wrapped(asyncpg.exceptions.CannotConnectNowError("starting up")), "database starting"),
        (wrapped(asyncpg.exceptions.ConnectionDoesNotExistError("closed")), "database connection lost"),
        (sa.exc.TimeoutError("QueuePool limit reached"), "database connection pool exhausted"),
        (KafkaConnectionError(), "broker unavailable (KafkaConnectionError)"),
        (KafkaTimeoutError(), "broker unavailable (KafkaTimeoutError)"),
        (TransientError("contacts service away"), "declared transient: contacts service away"),
    ],
)
def test_named_transient_failures(error: BaseException, reason: str):
    assert transient_reason(error) == reason


@pytest.mark.parametrize(
    "error",
    [
        OSError(errno.ENAMETOOLONG, "File name too long"),  # ZoneInfo on a 300-character zone
        FileNotFoundError(errno.ENOENT, "no such file"),
        ValueError("a bug"),
        ZeroDivisionError(),
        wrapped(asyncpg.exceptions.UniqueViolationError("duplicate key")),
        wrapped(asyncpg.exceptions.StringDataRightTruncationError("value too long")),
        wrapped(asyncpg.exceptions.ProgramLimitExceededError("index row size exceeds maximum")),
        MessageSizeTooLargeError(),
        TopicAuthorizationFailedError(),
    ],
)
def test_everything_else_is_permanent(error: BaseException):
    assert transient_reason(error) is None


def test_a_transient_cause_behind_another_exception_counts():
    try:
        try:
            raise ConnectionResetError("peer reset")
        except ConnectionResetError as inner:
            raise RuntimeError("while reading the contact") from inner
    except RuntimeError as outer:
        assert transient_reason(outer) == "connection lost"


def test_the_delay_doubles_up_to_the_maximum():
    policy = RetryPolicy(first_delay=0.1, max_delay=1.0)
    assert [policy.delay(n) for n in range(1, 7)] == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]


def test_a_dependency_that_is_down_is_an_outage_and_transient_and_other_transient_failures_are_not_outages():
    down = DependencyDown("registration unreachable")
    assert is_outage(down) and is_transient(down)
    try:
        raise RuntimeError("while opening a profile") from down
    except RuntimeError as wrapped:
        assert is_outage(wrapped)
    assert not is_outage(TransientError("serialization")) and not is_outage(ValueError("bug"))
