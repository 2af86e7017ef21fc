"""Every event contract of the project, one module per publishing service, and the topics they travel on.

Importing this package (or any module in it) registers them all; topics and their content are
published in docs/catalogue.md (generated: `make catalogue`).
"""

from together_contracts import (
    matching,
    matching_v2,
    notifications,
    pairing,
    pairing_v2,
    registration,
    registration_sealed,
    registration_v2,
    scheduling,
    scheduling_kinds,
    topics,
    working_days,
)

__all__ = [
    "matching",
    "matching_v2",
    "notifications",
    "pairing",
    "pairing_v2",
    "registration",
    "registration_sealed",
    "registration_v2",
    "scheduling",
    "scheduling_kinds",
    "topics",
    "working_days",
]
