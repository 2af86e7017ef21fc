"""Fixtures shared by the integration and end-to-end tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import pytest

from tests.stack import Stack, find_stack


@pytest.fixture(scope="session")
def stack() -> Stack:
    return find_stack()


@pytest.fixture(scope="session")
async def create_database(stack: Stack) -> AsyncIterator[Callable[[str], Awaitable[str]]]:
    """A factory of fresh, empty databases (dropped at the end); returns an asyncpg SQLAlchemy URL.
    With `owner`, a service name, the database is that service's role's alone, as on the stack (else the administrator's)."""
    created: list[str] = []

    async def create(label: str, owner: str | None = None) -> str:
        name = f"t_{label}_{uuid.uuid4().hex[:8]}"
        if owner not in stack.service_logins:
            owner = None  # a stack without service roles (an external one that names none): the administrator's
        admin = await asyncpg.connect(f"{stack.pg_dsn_base}/postgres")
        try:
            if owner is None:
                await admin.execute(f'CREATE DATABASE "{name}"')
            else:
                role = stack.service_logins[owner][0]
                await admin.execute(f'CREATE DATABASE "{name}" OWNER "{role}"')
                await admin.execute(f'REVOKE ALL ON DATABASE "{name}" FROM PUBLIC')
        finally:
            await admin.close()
        created.append(name)
        if owner is None:
            return f"{stack.pg_dsn_base.replace('postgresql://', 'postgresql+asyncpg://', 1)}/{name}"
        return stack.database_url_for(owner, name)

    yield create
    admin = await asyncpg.connect(f"{stack.pg_dsn_base}/postgres")
    try:
        for name in created:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def signer(tmp_path_factory: pytest.TempPathFactory):
    from tests.apps import Signer

    return Signer.create(tmp_path_factory.mktemp("keys"))
