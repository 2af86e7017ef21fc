"""Where a participant's mail goes: registration's contact endpoint, called with a service token.

`GET {registration_url}/participants/{participant_id}/contact` (role `service`, scope
`registration:contacts`) answers `{participant_id, email, display_name, preferred_language, withdrawn}`.
The address is a programme-team-only answer: it never travels in an event, so delivery asks for it
when it sends. A verification mail asks `POST {registration_url}/address-verifications/{verification_id}/link`
instead: the address to verify and a one-time link made for this mail.

The token, its sources and the calls are `together_servicekit.registration_client`'s (shared with the
data keys that open sealed profiles): `NOTIFICATIONS_TOKEN_SOURCE`, `NOTIFICATIONS_SERVICE_TOKEN`, ...
"""

from __future__ import annotations

from uuid import UUID

import httpx

from notifications.domain.contacts import Contact, VerificationMail
from notifications.settings import NotificationsSettings
from together_servicekit.registration_client import RegistrationClient, RegistrationUnavailable

# Registration could not answer now (network, 5xx, token refused): try again later.
ContactUnavailable = RegistrationUnavailable


class ContactDirectory:
    def __init__(self, settings: NotificationsSettings, http: httpx.AsyncClient | None = None) -> None:
        self._registration = RegistrationClient(settings, http)
        self.tokens = self._registration.tokens

    async def contact(self, participant_id: UUID) -> Contact | None:
        """The participant's contact, None if registration does not know them."""
        body = await self._registration.ask("GET", f"/participants/{participant_id}/contact")
        return Contact.from_registration(body) if body is not None else None

    async def verification_mail(self, verification_id: UUID) -> VerificationMail | None:
        """The address to verify and a new link for this mail (the previous link stops working); None if
        registration does not know the verification (erased since)."""
        body = await self._registration.ask("POST", f"/address-verifications/{verification_id}/link")
        return VerificationMail.from_registration(body) if body is not None else None

    async def close(self) -> None:
        await self._registration.close()
