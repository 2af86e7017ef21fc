"""A participant's contact, as registration's contact endpoint gives it (`contacts.ContactDirectory`
asks for it when a mail is sent: the address never travels in an event). No I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class Contact:
    participant_id: UUID
    email: str | None
    display_name: str | None
    preferred_language: str | None
    withdrawn: bool

    @classmethod
    def from_registration(cls, body: Mapping[str, object]) -> Contact:
        """Registration's answer; a blank address is no address."""
        email, name, language = body.get("email"), body.get("display_name"), body.get("preferred_language")
        return cls(
            participant_id=UUID(str(body["participant_id"])),
            email=(email if isinstance(email, str) else "").strip() or None,
            display_name=name if isinstance(name, str) else None,
            preferred_language=language if isinstance(language, str) else None,
            withdrawn=bool(body.get("withdrawn", False)),
        )


@dataclass(frozen=True)
class VerificationMail:
    """Where a verification mail goes and what it adds to the message's params (the link, made for this
    mail), as registration's `POST /address-verifications/{id}/link` gives it. `contact.withdrawn`:
    nothing to verify any more (verified, superseded or withdrawn since), so no mail."""

    contact: Contact
    params: dict[str, Any]

    @classmethod
    def from_registration(cls, body: Mapping[str, Any]) -> VerificationMail:
        outcome = str(body.get("outcome"))
        contact = Contact.from_registration({**body, "withdrawn": outcome not in ("verify", "already_registered")})
        params = {
            "outcome": outcome,
            "link": body.get("link"),
            "cohort_name": body.get("cohort_name"),
            "expires_at": body.get("expires_at"),
        }
        return cls(contact, params)
