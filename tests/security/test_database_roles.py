"""Each service logs in to PostgreSQL as a role of its own that owns its database and nothing more:
not a superuser, no CREATEDB or CREATEROLE, no way into another service's database. In production a
service refuses to start on a login with more powers (the administrator's, say)."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys

import asyncpg
import pytest

from tests.stack import SERVICES, Stack
from together_servicekit.db import database_powers


def asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


@pytest.mark.parametrize("service", SERVICES)
async def test_a_service_login_has_no_power_beyond_its_own_database(stack: Stack, service: str):
    assert await database_powers(stack.database_url_for(service, service)) == []
    own = await asyncpg.connect(asyncpg_dsn(stack.database_url_for(service, service)))
    try:
        assert await own.fetchval("SELECT current_user") == service
        assert await own.fetchval("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()") == service
        # It owns its schema, so its migrations run as itself.
        await own.execute("CREATE TABLE least_privilege_probe (id int)")
        await own.execute("DROP TABLE least_privilege_probe")
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied to create database"):
            await own.execute('CREATE DATABASE "least_privilege_probe"')
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied to create role"):
            await own.execute('CREATE ROLE "least_privilege_probe"')
    finally:
        await own.close()


async def test_registration_cannot_read_pairings_database(stack: Stack):
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match='permission denied for database "pairing"'):
        await asyncpg.connect(asyncpg_dsn(stack.database_url_for("registration", "pairing")))


async def test_the_administrators_login_is_seen_for_what_it_is(stack: Stack):
    admin = stack.pg_dsn_base.replace("postgresql://", "postgresql+asyncpg://", 1)
    assert "act as superuser" in await database_powers(f"{admin}/postgres")


async def test_in_production_a_service_refuses_a_superuser_login(stack: Stack):
    """Everything else production-ready; the login is a superuser with a strong password."""
    role, password = f"t_super_{secrets.token_hex(4)}", secrets.token_urlsafe(24)
    admin = await asyncpg.connect(f"{stack.pg_dsn_base}/postgres")
    try:
        await admin.execute(f"CREATE ROLE \"{role}\" LOGIN SUPERUSER PASSWORD '{password}'")
        url = stack.database_url_for("registration", "registration").split("@", 1)[1]
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("TOGETHER_", "PG_", "REGISTRATION_"))}
        env = {
            **clean,
            "TOGETHER_ENV": "production",
            "TOGETHER_AUTH_ISSUER": "https://login.example.org/realms/together",
            "TOGETHER_AUTH_JWKS_URL": "https://login.example.org/realms/together/protocol/openid-connect/certs",
            "REGISTRATION_DATABASE_URL": f"postgresql://{role}:{password}@{url}",
        }
        started = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "registration"], env=env, capture_output=True, text=True, timeout=60
        )
    finally:
        await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        await admin.close()
    assert started.returncode != 0
    assert "registration refuses to start with TOGETHER_ENV=production" in started.stderr
    assert "the database login (REGISTRATION_DATABASE_URL) may act as superuser" in started.stderr
