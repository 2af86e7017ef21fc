"""What `together-events rebuild --service pairing` takes: pairing's consumers, the read model they
build from events alone (`tables.READ_MODEL`), its migrations and settings. Registered as an entry
point of the group `together.rebuild` in pyproject.toml."""

from __future__ import annotations

from functools import partial

from pairing import consumers, tables
from pairing.settings import PairingSettings
from together_operator.rebuild import RebuildSpec
from together_servicekit.db import migrate

SPEC = RebuildSpec(
    service="pairing",
    handlers=consumers.handlers,
    read_model=tables.READ_MODEL,
    migrate=partial(migrate, "pairing"),
    settings=PairingSettings,
    # active_pairings is counted by pairing's own use cases (an accepted request), not from events.
    compared_columns={
        "participants": ("id", "person_id", "programme_id", "cohort_id", "roles", "capacity", "time_zone", "duty_station")
    },
)
