"""The service's own database: engine, readiness wait, and Alembic migrations."""

from __future__ import annotations

import asyncio
import time
import zlib

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def make_engine(database_url: str, pool_size: int = 10) -> AsyncEngine:
    # hide_parameters: an error's text (logged, or in a dead letter's reason) never quotes the values, which are personal.
    return create_async_engine(database_url, pool_size=pool_size, max_overflow=10, pool_pre_ping=True, hide_parameters=True)


async def wait_for_database(database_url: str, timeout: float = 60.0) -> None:
    """Block until the database accepts a query (prestart, like a container's wait)."""
    engine = make_engine(database_url, pool_size=1)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                async with engine.connect() as conn:
                    await conn.execute(sa.text("SELECT 1"))
                return
            except (OSError, sa.exc.DBAPIError) as exc:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"database not reachable at {engine.url!r}: {exc}") from exc
                await asyncio.sleep(0.5)
    finally:
        await engine.dispose()


# What a login may do beyond owning its database, by pg_roles column; a service needs none of it.
_POWERS = {
    "rolsuper": "act as superuser",
    "rolcreaterole": "create roles",
    "rolcreatedb": "create databases",
    "rolreplication": "replicate the cluster",
    "rolbypassrls": "bypass row-level security",
}


async def database_powers(database_url: str) -> list[str]:
    """The powers the URL's login holds beyond its own database (least privilege: none)."""
    engine = make_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            row = (await conn.execute(sa.text(f"SELECT {', '.join(_POWERS)} FROM pg_roles WHERE rolname = current_user"))).one()
    finally:
        await engine.dispose()
    return [power for column, power in _POWERS.items() if row._mapping[column]]


def alembic_config(migrations_package: str, database_url: str) -> Config:
    """Alembic config for a service: migrations live inside its package."""
    config = Config()
    config.set_main_option("script_location", f"{migrations_package}:migrations")
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def migrate(migrations_package: str, database_url: str) -> None:
    command.upgrade(alembic_config(migrations_package, database_url), "head")


# Replicas of a service start at once and each migrates its one database: the first takes this lock for
# its migration's transaction, the others wait for it, then find the schema at head and do nothing.
MIGRATION_LOCK = zlib.crc32(b"together:migrate")


def run_migrations_online(target_metadata: sa.MetaData) -> None:
    """Body of every service's migrations/env.py: run Alembic on the async engine, one process at a time."""
    from alembic import context

    url = context.config.get_main_option("sqlalchemy.url")
    if url is None:  # alembic_config() always sets it
        raise RuntimeError("the Alembic configuration names no sqlalchemy.url")

    def do_run(connection: sa.Connection) -> None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            connection.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK)))
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url, poolclass=sa.pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    asyncio.run(run())
