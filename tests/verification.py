"""Following a registration's verification link in tests that run registration's app in-process.

No backdoor: the two steps a real registration takes, through registration's API. First what the
notifications service does when it sends the verification mail: it reads `AddressVerificationRequested`
(here from the service's outbox, which its relay publishes to Kafka) and asks
`POST /address-verifications/{id}/link` with a `service` token holding the `registration:contacts`
scope. Then what the person does: posts the link's token to `POST /participants/verify`, signed in
as themself. Where a mail is really sent, the token is read from it instead (`mailed_tokens`): the
real stack's mail sink (`notifications.mailsink.verification_tokens`, `tests/chaos/inbox.py`), or
the SMTP server of an integration test.
"""

from __future__ import annotations

import uuid
from email.message import EmailMessage
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from notifications.mailsink import VERIFICATION_LINK
from tests.apps import Signer
from together_events.tables import outbox_table

CONTACTS_SCOPE = "registration:contacts"
REQUESTED = "%.AddressVerificationRequested.v%"


def notifications_headers(signer: Signer, subject: str = "notifications") -> dict[str, str]:
    """The notifications service's token: role `service`, scope `registration:contacts`."""
    return signer.headers(subject, "service", scopes=[CONTACTS_SCOPE])


def link_token(link: str) -> str:
    """The token of a verification link (`<link base>#token=<token>`)."""
    _, found, token = link.partition("#token=")
    assert found and token, f"not a verification link: {link!r}"
    return token


def mailed_tokens(mail: EmailMessage) -> list[str]:
    """The tokens of the verification links in a mail's text, as a person would click them."""
    body = mail.get_body(preferencelist=("plain",))
    return VERIFICATION_LINK.findall(body.get_content() if body is not None else "")


async def requested_verification(engine: AsyncEngine, participant_id: str | uuid.UUID) -> str:
    """The latest verification requested for the participant, as `AddressVerificationRequested` says
    (read from registration's outbox: what its relay publishes for notifications)."""
    query = (
        sa.select(outbox_table.c.envelope)
        .where(outbox_table.c.aggregate_id == str(participant_id), outbox_table.c.event_type.like(REQUESTED))
        .order_by(outbox_table.c.position.desc())
        .limit(1)
    )
    async with engine.connect() as conn:
        envelope = (await conn.execute(query)).scalar_one_or_none()
    assert envelope is not None, f"no AddressVerificationRequested for participant {participant_id}"
    return str(envelope["data"]["verification_id"])


async def mail_link(http: httpx.AsyncClient, verification_id: str, service: dict[str, str]) -> dict[str, Any]:
    """What the verification mail says, as registration answers notifications (a new link each time)."""
    response = await http.post(f"/address-verifications/{verification_id}/link", headers=service)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def follow_link(http: httpx.AsyncClient, link: str, person: dict[str, str]) -> httpx.Response:
    """The person follows the link of their verification mail, signed in as themself."""
    return await present_token(http, link_token(link), person)


async def present_token(http: httpx.AsyncClient, token: str, person: dict[str, str]) -> httpx.Response:
    """The link's token, as the page the link opens posts it for the signed-in person."""
    return await http.post("/participants/verify", json={"token": token}, headers=person)


async def verify(
    http: httpx.AsyncClient, engine: AsyncEngine, participant_id: str | uuid.UUID, *, person: dict[str, str], signer: Signer
) -> dict[str, Any]:
    """The verification mail sent and its link followed: the registration is known to all from now on
    (`ParticipantRegistered` is in the outbox). Returns registration's answer to the link."""
    verification = await requested_verification(engine, participant_id)
    mail = await mail_link(http, verification, notifications_headers(signer))
    assert mail["outcome"] == "verify", mail
    verified = await follow_link(http, mail["link"], person)
    assert verified.status_code == 200, verified.text
    return dict(verified.json())
