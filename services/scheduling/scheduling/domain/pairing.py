"""A pairing as scheduling knows it from pairing's events: the partners, and whether it has ended."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from together_servicekit.errors import Conflict


@dataclass(frozen=True)
class Pairing:
    id: UUID
    mentee_id: UUID
    mentor_id: UUID
    cohort_id: UUID
    programme_id: UUID  # whose team sees session counts and dates
    mentee_person_id: str  # the partners' identities: who may book
    mentor_person_id: str
    request_id: UUID | None  # its engagement sizes a networking plan
    ended_at: datetime | None = None
    formed_at: datetime | None = None  # no session of the pairing is held before it

    @property
    def partners(self) -> list[UUID]:
        """The participant ids events carry: always [mentee, mentor]."""
        return [self.mentee_id, self.mentor_id]

    def participant_of(self, person_id: str) -> UUID:
        """The participant id of a partner, by their person id."""
        return self.mentee_id if person_id == self.mentee_person_id else self.mentor_id

    def check_open(self) -> None:
        if self.ended_at is not None:
            raise Conflict("the pairing has ended: its sessions are no longer booked or changed")

    def ended(self, at: datetime) -> Pairing:
        """The earliest end wins, whatever order a withdrawal and PairingEnded arrive in (a rebuild may
        read the two topics in another order)."""
        return replace(self, ended_at=min(self.ended_at, at) if self.ended_at is not None else at)
