"""What `together-events rebuild --service registration` takes: registration's consumers, the outcomes
report's read model they build from pairing's and scheduling's events alone (`tables.READ_MODEL`), its
migrations and settings. Registered as an entry point of the group `together.rebuild` in pyproject.toml."""

from __future__ import annotations

from functools import partial

from registration import consumers, tables
from registration.settings import RegistrationSettings
from together_operator.rebuild import RebuildSpec
from together_servicekit.db import migrate

SPEC = RebuildSpec(
    service="registration",
    handlers=consumers.handlers,
    read_model=tables.READ_MODEL,
    migrate=partial(migrate, "registration"),
    settings=RegistrationSettings,
)
