"""A pairing ends, or a partner withdraws: the pairing takes no more bookings, and every session
after the end is cancelled with its invitation. Run in the consumer's transaction."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from scheduling import repository
from scheduling.domain.pairing import Pairing
from together_contracts.scheduling import CancelledBecause
from together_servicekit.runtime import Runtime


async def pairing_ended(runtime: Runtime, conn: AsyncConnection, pairing_id: UUID, at: datetime) -> None:
    pairing = await repository.find_pairing(conn, pairing_id, lock=True)
    if pairing is not None:
        await _end(runtime, conn, pairing, at, CancelledBecause.pairing_ended)


async def partner_withdrawn(runtime: Runtime, conn: AsyncConnection, participant_id: UUID, at: datetime) -> None:
    for pairing in await repository.pairings_of_participant(conn, participant_id):
        await _end(runtime, conn, pairing, at, CancelledBecause.participant_withdrawn)


async def _end(runtime: Runtime, conn: AsyncConnection, pairing: Pairing, at: datetime, reason: CancelledBecause) -> None:
    """The earliest end is kept; the sessions after it are cancelled the first time only, so a
    replayed or second end changes nothing more."""
    ended = pairing.ended(at)
    await repository.save_pairing_end(conn, ended)
    if pairing.ended_at is not None:
        return
    for owner in await repository.live_series_of_pairing(conn, pairing.id):
        called_off = owner.call_off(ended, reason, at)
        if called_off is not None:
            await repository.save_series(conn, owner)
            await runtime.record(conn, called_off)
    for session in await repository.upcoming_single_sessions(conn, pairing.id, at):
        cancelled = session.call_off(ended, reason, at)
        if cancelled is not None:
            await repository.save_session(conn, session)
            await runtime.record(conn, cancelled)
