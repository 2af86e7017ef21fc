"""Secure by default: an address is verified with a one-time link before anyone else sees the
registration, and no answer tells whether an address is registered. On the real stack: the five
services as processes, the mail sink, Kafka and PostgreSQL.

1. An unverified participant is invisible (other participants, matching) and is mailed nothing but
   the verification mail.
2. The link works once and only once, and expires after 72 hours.
3. Registering with, or changing to, an address that is registered already answers exactly as an
   unknown address does (status and body shape); the address's owner is told by mail instead.
"""

from __future__ import annotations

import asyncio
import email
import uuid
from collections.abc import AsyncIterator
from datetime import date
from email import policy
from email.message import EmailMessage
from typing import Any

import httpx
import pytest

from notifications.mailsink import verification_tokens
from tests.e2e.test_flow import SPECS, URL, answers, cohort_dates, eventually, signed_in
from tests.launched import launched
from tests.stack import REPO, Stack

pytestmark = pytest.mark.e2e

RUN = uuid.uuid4().hex[:8]
NAMESPACE = f"sec{RUN}."
STATE = REPO / ".run" / f"security-{RUN}"


@pytest.fixture(scope="module")
async def services(stack: Stack, create_database) -> AsyncIterator[dict[str, str]]:
    env = {"TOGETHER_CLOCK_MODE": "travel", "TOGETHER_AUTH_ISSUER": URL["identity"]}
    async with launched(stack, create_database, SPECS, namespace=NAMESPACE, state=STATE, env=env):
        yield URL


def address(name: str) -> str:
    return f"{name}.{RUN}@un.org"


def mails_to(name: str) -> list[EmailMessage]:
    paths = sorted((STATE / "mail").glob("*.eml"))
    mails = [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in paths]
    return [m for m in mails if str(m["To"]) == address(name)]


async def arrived(name: str, count: int) -> list[EmailMessage]:
    deadline = asyncio.get_running_loop().time() + 30
    while len(mails := mails_to(name)) < count:
        assert asyncio.get_running_loop().time() < deadline, f"{count} mail(s) to {name}: {len(mails)}"
        await asyncio.sleep(0.2)
    return mails


async def follow_link(person: httpx.AsyncClient, name: str, mails: int = 1) -> httpx.Response:
    await arrived(name, mails)
    token = verification_tokens(STATE / "mail", address(name))[-1]
    return await person.post(f"{URL['registration']}/participants/verify", json={"token": token})


def shape(response: httpx.Response) -> tuple[int, Any]:
    """Status and body shape: the keys, and each value's type."""
    body = response.json()
    return response.status_code, {key: type(value).__name__ for key, value in body.items()}


async def test_verification_gates_visibility_works_once_expires_and_answers_the_same_for_any_address(
    stack: Stack, services: dict[str, str]
):
    registration = URL["registration"]
    async with (
        signed_in("programme-lead", "programme_team", programmes=("*",)) as team,
        signed_in("operator", "service") as operator,
        signed_in(f"owner-{RUN}", "participant") as owner,
        signed_in(f"mentee-{RUN}", "participant") as mentee,
        signed_in(f"intruder-{RUN}", "participant") as intruder,
        signed_in(f"fresh-{RUN}", "participant") as fresh,
        signed_in(f"ghost-{RUN}", "participant") as ghost,
        signed_in(f"late-{RUN}", "participant") as late,
    ):
        programme = (await team.post(f"{registration}/programmes", json={"name": "Verified", "kind": "mentoring"})).json()
        cohort = (
            await team.post(
                f"{registration}/programmes/{programme['id']}/cohorts", json={"name": f"sec {RUN}", **cohort_dates(date.today())}
            )
        ).json()
        register = f"{registration}/cohorts/{cohort['id']}/participants"

        def as_mentor(name: str, **more: Any) -> dict[str, Any]:
            return answers(name.title(), **{"email": address(name), "roles": ["mentor"], "mentor_capacity": 1, **more})

        owned = await owner.post(register, json=as_mentor("owner"))
        assert owned.status_code == 201, owned.text
        assert (await follow_link(owner, "owner")).status_code == 200
        learner = await mentee.post(
            register, json=answers("Mentee", email=address("mentee"), roles=["mentee"], grade="G-6", goals=["negotiation"])
        )
        assert (await follow_link(mentee, "mentee")).status_code == 200

        # 3. The owner's address, registered by another person, answers as a fresh address does.
        known = await intruder.post(register, json=as_mentor("intruder", email=address("owner")))
        unknown = await fresh.post(register, json=as_mentor("fresh"))
        assert shape(known) == shape(unknown) == (201, {"id": "str", "status": "str"})
        assert known.json()["status"] == unknown.json()["status"] == "unverified"
        # ... and so does changing an address to it: the new one waits for its link either way.
        to_known = await mentee.patch(f"{registration}/participants/{learner.json()['id']}", json={"email": address("owner")})
        to_unknown = await owner.patch(f"{registration}/participants/{owned.json()['id']}", json={"email": address("newowner")})
        assert shape(to_known) == shape(to_unknown) and to_known.json() == to_unknown.json() == {"changed": ["email"]}
        # The owner is told by mail, without a link; the intruder's registration can never be verified.
        told = await arrived("owner", 4)  # their verification, the pre-programme survey, the intruder's and the mentee's attempts
        assert [m["Subject"] for m in told].count("Your e-mail address is already registered") == 2
        assert len(verification_tokens(STATE / "mail", address("owner"))) == 1  # only their own link

        # 1. An unverified mentor is invisible and mailed nothing but the verification mail.
        hidden = await ghost.post(register, json=as_mentor("ghost", skills=["negotiation"]))
        ghost_id = hidden.json()["id"]
        assert (await mentee.get(f"{registration}/participants/{ghost_id}")).status_code == 404
        assert (await ghost.get(f"{registration}/participants/{ghost_id}")).json()["status"] == "unverified"
        suggestions_url = f"{URL['matching']}/cohorts/{cohort['id']}/mentees/{learner.json()['id']}/suggestions"
        suggested = await eventually(
            lambda: mentee.get(suggestions_url), until=lambda r: r.is_success and len(r.json()["suggestions"]) >= 2
        )
        mentor_ids = {s["mentor_id"] for s in suggested.json()["suggestions"]}
        assert owned.json()["id"] in mentor_ids and ghost_id not in mentor_ids
        assert known.json()["id"] not in mentor_ids
        [only] = await arrived("ghost", 1)
        assert only["Subject"] == "Confirm your e-mail address"
        withdrawn = await ghost.post(f"{registration}/participants/{ghost_id}/withdrawal", json={})
        assert withdrawn.status_code == 200
        await asyncio.sleep(2)  # the delivery worker polls every second: any other mail would be here by now
        assert len(mails_to("ghost")) == 1

        # 2. The link works once and only once ...
        assert (await follow_link(fresh, "fresh")).status_code == 200
        again = await follow_link(fresh, "fresh")
        unknown_link = await fresh.post(f"{registration}/participants/verify", json={"token": "x" * 43})
        assert again.status_code == unknown_link.status_code == 400
        assert again.json()["error"] == unknown_link.json()["error"]
        assert again.json()["error"]["code"] == "invalid_link"
        # ... and expires after 72 hours.
        assert (await late.post(register, json=as_mentor("late"))).status_code == 201
        await arrived("late", 1)
        moved = await operator.post(f"{registration}/clock/travel", json={"seconds": 72 * 3600})
        assert moved.status_code == 200, moved.text
        expired = await follow_link(late, "late")
        assert expired.status_code == 400 and expired.json()["error"] == unknown_link.json()["error"]
