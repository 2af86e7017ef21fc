"""Each service's Alembic migrations build exactly the tables its code declares."""

from __future__ import annotations

import asyncio
import importlib

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
