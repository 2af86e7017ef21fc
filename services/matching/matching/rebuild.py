"""What `together-events rebuild --service matching` takes: matching's consumers, the read model they
build from events alone (`tables.READ_MODEL`), its migrations and settings. Registered as an entry
point of the group `together.rebuild` in pyproject.toml."""

from __future__ import annotations

from functools import partial

from matching import consumers, tables
from matching.settings import MatchingSettings
from together_operator.rebuild import RebuildSpec
from together_servicekit.db import migrate

SPEC = RebuildSpec(
    service="matching",
    handlers=consumers.handlers,
    read_model=tables.READ_MODEL,
    migrate=partial(migrate, "matching"),
    settings=MatchingSettings,
)
