"""Each service's Alembic migrations build exactly the tables its code declares."""

from __future__ import annotations

import asyncio
import importlib
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from together_servicekit.db import migrate

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("service", ["registration", "matching", "pairing", "scheduling", "notifications"])
async def test_migrations_match_the_declared_tables(service: str, create_database):
    url = await create_database(f"migrate_{service}")
    await asyncio.to_thread(migrate, service, url)
    await asyncio.to_thread(migrate, service, url)  # a second run is a no-op
    metadata = importlib.import_module(f"{service}.tables").metadata
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            drift = await conn.run_sync(lambda sync: compare_metadata(MigrationContext.configure(sync), metadata))
    finally:
        await engine.dispose()
    assert drift == []


async def test_replicas_starting_together_migrate_one_at_a_time(create_database):
    """Each replica migrates at start; processes, as Alembic's context is one per process."""
    url = await create_database("migrate_replicas")
    migrating = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "import sys; from together_servicekit.db import migrate; migrate('matching', sys.argv[1])",
            url,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(3)
    ]
    errors = [(await process.communicate())[1].decode() for process in migrating]
    assert [process.returncode for process in migrating] == [0, 0, 0], errors
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            drift = await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync), importlib.import_module("matching.tables").metadata
                )
            )
    finally:
        await engine.dispose()
    assert drift == []
