"""What `together-events rebuild --service scheduling` takes: scheduling's consumers, the read model they
build from events alone (`tables.READ_MODEL`), its migrations and settings. Registered as an entry
point of the group `together.rebuild` in pyproject.toml."""

from __future__ import annotations

from functools import partial

from scheduling import consumers, tables
from scheduling.settings import SchedulingSettings
from together_operator.rebuild import RebuildSpec
from together_servicekit.db import migrate

SPEC = RebuildSpec(
    service="scheduling",
    handlers=consumers.handlers,
    read_model=tables.READ_MODEL,
    migrate=partial(migrate, "scheduling"),
    settings=SchedulingSettings,
)
