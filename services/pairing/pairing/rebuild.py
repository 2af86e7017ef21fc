"""What `together-events rebuild --service pairing` takes: pairing's consumers, the read model they
build from events alone (`tables.READ_MODEL`), its migrations and settings. Registered as an entry
point of the group `together.rebuild` in pyproject.toml."""

from __future__ import annotations

from functools import partial

from pairing import consumers, tables
from pairing.settings import PairingSettings
from together_operator.rebuild import RebuildSpec
from together_servicekit.db import migrate

# Every column but active_pairings, which pairing's own use cases count (an accepted request), not events.
PARTICIPANT_COLUMNS = (
    "id", "person_id", "programme_id", "cohort_id", "roles", "capacity", "time_zone", "duty_station",
    "grade", "years_of_service", "languages", "entity", "job_network",
)  # fmt: skip

SPEC = RebuildSpec(
    service="pairing",
    handlers=consumers.handlers,
    read_model=tables.READ_MODEL,
    migrate=partial(migrate, "pairing"),
    settings=PairingSettings,
    compared_columns={"participants": PARTICIPANT_COLUMNS},
)
