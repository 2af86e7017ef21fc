"""Every event contract of the project, one module per publishing service.

Importing this package registers them all; topics and their content are
published in docs/catalogue.md (generated: `make catalogue`).
"""

from together_events.contracts import (
    matching,
    notifications,
    pairing,
    registration,
    scheduling,
)

__all__ = ["matching", "notifications", "pairing", "registration", "scheduling"]
