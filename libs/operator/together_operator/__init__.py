"""The operator's tools over the event history: replay, story, verify, rebuild; and the
published catalogue (catalogue) and topic creation (provision).

`together-events` (together_operator.cli) is the command line; these are the
functions it calls, usable from tests and scripts:

- reading: `replay`/`replay_batches` (a window of offsets or times, type and subject filters);
- output: JSON Lines and CSV writers;
- story: every event about one id, in time order;
- verify: sequences without gaps or duplicates, envelopes and contracts;
- rebuild: a service's read model rebuilt from the topics into a fresh database, and compared
  (each service declares what that takes: see rebuild.py).

The tools name no service: the topics they read by default are the contracts' (together_contracts).
"""

from together_operator.output import write_records
from together_operator.reading import (
    EVERYTHING,
    OperatorError,
    Progress,
    Selection,
    UnknownTopic,
    UnknownType,
    Window,
    project_topics,
    read_batches,
    replay,
    replay_batches,
    resolve_types,
    topic_names,
)
from together_operator.story import Chapter, story
from together_operator.verify import Finding, HistoryCheck, VerifyReport, verify

__all__ = [
    "EVERYTHING",
    "Chapter",
    "Finding",
    "HistoryCheck",
    "OperatorError",
    "Progress",
    "Selection",
    "UnknownTopic",
    "UnknownType",
    "VerifyReport",
    "Window",
    "project_topics",
    "read_batches",
    "replay",
    "replay_batches",
    "resolve_types",
    "story",
    "topic_names",
    "verify",
    "write_records",
]
