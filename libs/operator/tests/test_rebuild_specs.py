"""Every installed service's rebuild declaration is one the tool can use, without a database or a broker."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from together_events import Event
from together_operator.rebuild import RebuildError, RebuildSpec, ReplayRuntime, rebuildable, spec_for


def test_the_services_with_a_read_model_declare_a_rebuild():
    assert rebuildable() == ["matching", "notifications", "pairing", "registration", "scheduling"]


@pytest.mark.parametrize("service", rebuildable())
async def test_a_declared_rebuild_names_its_tables_columns_and_handlers(service: str):
    spec = spec_for(service)
    assert isinstance(spec, RebuildSpec) and spec.service == service
    assert spec.read_model, "a rebuild with no table compares nothing"
    tables = {table.name: table for table in spec.read_model}
    for name, columns in spec.compared_columns.items():
        assert name in tables, f"{name} is not in {service}'s read model"
        assert [c.name for c in spec.columns(tables[name])] == list(columns)
    engine = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")  # never connected
    try:
        handlers = spec.handlers(ReplayRuntime(engine, source=f"/together/{service}", settings=spec.settings()))
        assert isinstance(handlers, Mapping) and handlers
        assert all(issubclass(model, Event) for model in handlers)
    finally:
        await engine.dispose()


def test_a_service_without_a_declared_rebuild_is_refused_with_those_that_have_one():
    with pytest.raises(
        RebuildError, match=r"timetable declares no rebuild.*matching, notifications, pairing, registration, scheduling"
    ):
        spec_for("timetable")
