"""The operator's tools over the event history: replay, story, verify, rebuild.

`together-events` (together_events.cli) is the command line; these are the
functions it calls, usable from tests and scripts:

- reading: `replay`/`replay_batches` (a window of offsets or times, type and subject filters);
- output: JSON Lines and CSV writers;
- story: every event about one id, in time order;
- verify: sequences without gaps or duplicates, envelopes and contracts;
- rebuild: a service's read model rebuilt from the topics into a fresh database, and compared.
"""

from together_events.operator.output import write_records
from together_events.operator.reading import (
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
from together_events.operator.story import Chapter, story
from together_events.operator.verify import Finding, HistoryCheck, VerifyReport, verify

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
