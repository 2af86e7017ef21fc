"""Opening the profiles sealed in registration's v2 events (crypto-shredding, ADR 0008).

A consumer's handlers take the v1 shape (the profile in the clear); `ProfileOpener.opening` wraps
such a handler for the v2 event: it asks registration for the participant's data key
(`GET /participants/{id}/data-key`, a service token with the scope `registration:data-keys`), opens
the profile and hands the handler the event as v1 states it.

- A key is kept in memory for `data_key_seconds` (a few minutes), never stored; the opened answers
  are the handler's to keep in its read model, as before, and to overwrite on
  `ParticipantAnswersErased`.
- 404 (erased, or never issued): the erased placeholders, a final answer.
- Registration unreachable: `RegistrationUnavailable`, transient: the consumer retries the event.
- A profile that does not open with its key (altered, moved): `SealBroken`, permanent: the event is
  set aside like any other broken contract.
"""

from __future__ import annotations

import time
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from together_contracts import registration_sealed as v2
from together_contracts.registration import ParticipantAnswersErased
from together_contracts.sealing import key_from_text
from together_events import Envelope, Event, Handler, Handlers
from together_servicekit.registration_client import RegistrationClient, RegistrationUnavailable
from together_servicekit.settings import CallsRegistration


class DataKeys:
    """Participants' data keys from registration, each kept in memory for `seconds`."""

    def __init__(self, client: RegistrationClient, seconds: float = 300.0) -> None:
        self._client, self._seconds = client, seconds
        self._cached: dict[UUID, tuple[float, bytes | None]] = {}

    async def key(self, participant_id: UUID) -> bytes | None:
        """The participant's key; None when registration has none (their answers were erased)."""
        now = time.monotonic()
        cached = self._cached.get(participant_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        body = await self._client.ask("GET", f"/participants/{participant_id}/data-key")
        try:
            key = key_from_text(str(body["key"])) if body is not None else None
        except (KeyError, ValueError) as exc:
            raise RegistrationUnavailable(f"registration answered no data key: {exc}") from exc
        self._forget_expired(now)
        self._cached[participant_id] = (now + self._seconds, key)
        return key

    async def close(self) -> None:
        await self._client.close()

    def forget(self, participant_id: UUID) -> None:
        """Drop a cached key (an erasure was just heard of: the key is gone at registration)."""
        self._cached.pop(participant_id, None)

    def _forget_expired(self, now: float) -> None:
        if len(self._cached) > 1000:
            self._cached = {pid: kept for pid, kept in self._cached.items() if kept[0] > now}


class ProfileOpener:
    """Opens the sealed profile of a v2 event into its v1 shape, for the handlers that take that."""

    def __init__(self, keys: DataKeys) -> None:
        self.keys = keys

    @classmethod
    def of(cls, settings: CallsRegistration) -> ProfileOpener:
        return cls(DataKeys(RegistrationClient(settings), settings.data_key_seconds))

    async def open(self, event: v2.SealedEvent) -> v2.Plain:
        key = await self.keys.key(event.participant_id)
        return v2.opened(event, v2.open_profile(event, key))

    def take_sealed(self, handlers: Handlers) -> Handlers:
        """`handlers`, which also take the v2 of each v1 profile event they handle: opened, then handed to
        the v1 handler. An erasure they handle also drops the participant's key from memory."""
        for plain, sealed in v2.SEALED_OF.items():
            if plain in handlers:
                handlers.on(sealed, self._opening(handlers[plain]))
        if ParticipantAnswersErased in handlers:
            handlers.replace(ParticipantAnswersErased, self._forgetting(handlers[ParticipantAnswersErased]))
        return handlers

    def _opening(self, handler: Handler) -> Handler:
        async def opened(conn: AsyncConnection, event: Event, envelope: Envelope) -> None:
            if not isinstance(event, v2.SealedEvent):
                raise TypeError(f"{type(event).__name__} carries no sealed profile")
            await handler(conn, await self.open(event), envelope)

        return opened

    def _forgetting(self, handler: Handler) -> Handler:
        async def erased(conn: AsyncConnection, event: Event, envelope: Envelope) -> None:
            await handler(conn, event, envelope)
            if isinstance(event, ParticipantAnswersErased):
                self.keys.forget(event.participant_id)

        return erased
