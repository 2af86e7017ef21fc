"""A participant's contact, as registration's contact endpoint gives it (`contacts.ContactDirectory`
asks for it when a mail is sent: the address never travels in an event). No I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
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
