"""Verifying a participant's e-mail address with a one-time link.

A registration (or a new address) waits for its address to be verified; until then nobody else
hears of it. The link carries a random token; only its SHA-256 hash is kept, with the moment the
link expires. A link works once: used, expired, superseded or unknown, it gets one answer
(`InvalidLink`), which never says which. The token is made when the mail is sent (the notifications
service asks for it then), so it is never at rest anywhere but in the mail.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from registration.domain.errors import StateConflict
from together_contracts.registration import AddressVerificationRequested

LINK_LIFETIME = timedelta(hours=72)
RESEND_PAUSE = timedelta(minutes=5)  # a new mail at most this often: the button can be pressed again and again
TOKEN_BYTES = 32  # 256 random bits: guessing one is hopeless, so no attempt counter is needed


class VerificationStatus(StrEnum):
    pending = "pending"  # waiting for the link to be used
    verified = "verified"  # the link was used: final
    cancelled = "cancelled"  # superseded by a later address, or the participant withdrew: final


class InvalidLink(Exception):
    """A link that is used, expired, superseded or unknown: one answer for all, so it tells nothing."""

    def __init__(self) -> None:
        super().__init__(
            "this verification link is not valid: it was used already, it expired or it is unknown; ask for a new one"
        )


def token_hash(token: str) -> str:
    """What is stored of a token, and what a presented token is looked up by."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class AddressVerification:
    id: UUID
    participant_id: UUID
    cohort_id: UUID
    programme_id: UUID
    email: str  # the address to verify, lower-case
    requested_at: datetime  # the last request: the registration, the change, or the last resend
    status: VerificationStatus = VerificationStatus.pending
    token_hash: str | None = None  # of the latest link; None until a mail asked for one
    expires_at: datetime | None = None  # of the latest link
    verified_at: datetime | None = None

    @classmethod
    def request(
        cls, *, verification_id: UUID, participant_id: UUID, cohort_id: UUID, programme_id: UUID, email: str, now: datetime
    ) -> tuple[AddressVerification, AddressVerificationRequested]:
        verification = cls(verification_id, participant_id, cohort_id, programme_id, email.lower(), now)
        return verification, verification._requested()

    @property
    def pending(self) -> bool:
        return self.status is VerificationStatus.pending

    def resend(self, now: datetime) -> AddressVerificationRequested | None:
        """The participant asks for the mail again: a new one unless one was asked for within `RESEND_PAUSE`
        (then nothing happens: the answer is the same, the mailbox is spared)."""
        if not self.pending:
            raise StateConflict("the address is verified: there is nothing to verify")
        if now < self.requested_at + RESEND_PAUSE:
            return None
        self.requested_at = now
        return self._requested()

    def issue_link(self, now: datetime) -> str:
        """A new token for the mail being sent; the earlier link stops working. Returns the token (kept nowhere)."""
        if not self.pending:
            raise StateConflict("this verification is not pending")
        token = secrets.token_urlsafe(TOKEN_BYTES)
        self.token_hash, self.expires_at = token_hash(token), now + LINK_LIFETIME
        return token

    def check(self, now: datetime) -> None:
        """A link works while its verification is pending and before it expires."""
        if not self.pending or self.expires_at is None or now >= self.expires_at:
            raise InvalidLink()

    def use(self, now: datetime) -> None:
        """The link was followed: once, before it expires."""
        self.check(now)
        self.status, self.verified_at, self.token_hash = VerificationStatus.verified, now, None

    def cancel(self) -> None:
        if self.pending:
            self.status, self.token_hash = VerificationStatus.cancelled, None

    def _requested(self) -> AddressVerificationRequested:
        return AddressVerificationRequested(
            participant_id=self.participant_id,
            cohort_id=self.cohort_id,
            programme_id=self.programme_id,
            verification_id=self.id,
            requested_at=self.requested_at,
        )
