"""A database error's text never quotes the statement's parameters (they are personal)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from together_servicekit.db import make_engine

pytestmark = pytest.mark.integration


async def test_a_failed_statement_hides_its_parameters(create_database):
    engine = make_engine(await create_database("params"), pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text("CREATE TABLE people (email text PRIMARY KEY, age int NOT NULL)"))
            await conn.execute(sa.text("INSERT INTO people VALUES (:email, :age)"), {"email": "ravi@un.test", "age": 40})
        with pytest.raises(sa.exc.IntegrityError) as refused:
            async with engine.begin() as conn:
                await conn.execute(sa.text("INSERT INTO people VALUES (:email, :age)"), {"email": "amina@un.test", "age": None})
        text = str(refused.value)
        assert "SQL parameters hidden" in text and "amina@un.test" not in text
    finally:
        await engine.dispose()
