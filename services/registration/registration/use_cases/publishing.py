"""Events into the outbox as registration publishes them: a profile sealed per person (ADR 0008).

The domain states what happened with the profile in the clear (the v1 shape); here, in the use case's
transaction, the profile is sealed under the participant's data key and the v2 event is recorded
instead. v1 of those events is no longer published.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from registration import repository
from together_contracts import registration_sealed as v2
from together_events.registry import Event
from together_servicekit.runtime import Runtime


async def record(runtime: Runtime, conn: AsyncConnection, event: Event) -> None:
    if isinstance(event, v2.Plain):
        key = await repository.data_key(conn, event.participant_id)
        if key is None:  # only erased participants have none, and they publish no profile
            raise LookupError(f"participant {event.participant_id} has no data key: their profile is not published")
        event = v2.sealed(event, key)
    await runtime.record(conn, event)
