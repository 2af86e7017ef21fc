"""Verifying a participant's address with a one-time link: the link made for the mail that carries
it (asked for by the notifications service when it sends that mail), the person following it, and
the person asking for the mail again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from registration import repository
from registration.domain.errors import StateConflict
from registration.domain.verification import RESEND_PAUSE, InvalidLink, token_hash
from registration.queries import CONTACTS_SCOPE, visible_participant
from registration.use_cases import publishing
from registration.use_cases.refusals import answering_refusals
from together_contracts.words import DEFAULT_LANGUAGE
from together_servicekit.auth import Forbidden, Principal, require, require_scope
from together_servicekit.auth import Role as AuthRole
from together_servicekit.runtime import Runtime


class MailOutcome(StrEnum):
    verify = "verify"  # the mail carries a new link
    already_registered = "already_registered"  # the address's owner registered it in the cohort: the mail says so, no link
    nothing_to_verify = "nothing_to_verify"  # verified, superseded or withdrawn since: no mail


@dataclass(frozen=True)
class VerificationMail:
    participant_id: UUID
    email: str
    display_name: str
    preferred_language: str
    cohort_name: str
    outcome: MailOutcome
    link: str | None
    expires_at: datetime | None


@answering_refusals
async def mail_link(runtime: Runtime, *, caller: Principal, verification_id: UUID, link_base: str) -> VerificationMail:
    """What the verification mail says and where it goes. A `service` token with the contacts scope only
    (the notifications service, as it sends the mail): each call makes a new link, and the previous one
    stops working, so the token exists nowhere but in the mail."""
    require_scope(caller, AuthRole.service, CONTACTS_SCOPE)
    now = runtime.now()
    async with runtime.engine.begin() as conn:
        verification = await repository.load_verification(conn, verification_id, lock=False)
        participant = await repository.load_participant(conn, verification.participant_id)
        verification = await repository.load_verification(conn, verification_id)  # locked after the participant
        taken = await repository.address_taken(conn, participant.cohort_id, verification.email, other_than=participant.id)
        link, outcome = None, MailOutcome.nothing_to_verify
        if verification.pending and not participant.withdrawn:
            outcome = MailOutcome.already_registered if taken else MailOutcome.verify
        if outcome is MailOutcome.verify:
            link = f"{link_base}#token={verification.issue_link(now)}"
            await repository.save_verification(conn, verification)
        cohort_name = await repository.cohort_name(conn, participant.cohort_id)
    return VerificationMail(
        participant_id=participant.id,
        email=verification.email,
        display_name=participant.profile["display_name"],
        preferred_language=participant.preferred_language,
        cohort_name=cohort_name,
        outcome=outcome,
        link=link,
        expires_at=verification.expires_at if link is not None else None,
    )


@answering_refusals
async def verify(runtime: Runtime, *, caller: Principal, token: str, language: str = DEFAULT_LANGUAGE) -> tuple[UUID, bool]:
    """The person who registered follows the link (signed in as themself). Returns the participant id and
    whether they wait for a place. A link that is used, expired, superseded, unknown or another
    person's gets one answer (`InvalidLink`), and a link that works is used up."""
    require(caller, AuthRole.participant)
    presented, now = token_hash(token), runtime.now()
    async with runtime.engine.begin() as conn:
        found = await repository.verification_of_link(conn, presented)
        if found is None:
            raise InvalidLink()
        verification_id, participant_id = found
        cohort, participant = await repository.load_participant_in_cohort(conn, participant_id)
        verification = await repository.load_verification(conn, verification_id)
        if not caller.is_person(participant.person_id) or verification.token_hash != presented:
            raise InvalidLink()  # another person's link, or a newer link replaced it meanwhile
        taken = await repository.address_taken(conn, cohort.id, verification.email, other_than=participant.id)
        events = cohort.verify(participant, verification, address_taken=taken, now=now)
        await repository.save_participant(conn, participant)
        await repository.save_verification(conn, verification)
        for event in events:
            await publishing.record(runtime, conn, event)
    return participant.id, participant.waitlisted


@answering_refusals
async def resend(runtime: Runtime, *, caller: Principal, participant_id: UUID) -> tuple[datetime, datetime]:
    """The participant asks for the verification mail again: a new one at most every `RESEND_PAUSE`
    (asked sooner, nothing new happens and the answer is the same). Returns when the last mail was
    asked for and when another may be."""
    async with runtime.engine.begin() as conn:
        participant = visible_participant(caller, await repository.load_participant(conn, participant_id))
        if not caller.is_person(participant.person_id):
            raise Forbidden("only the participant asks for their verification mail")
        pending = await repository.pending_verification(conn, participant_id)
        if pending is None:
            raise StateConflict("your address is verified: there is nothing to verify")
        requested = pending.resend(runtime.now())
        if requested is not None:
            await repository.save_verification(conn, pending)
            await publishing.record(runtime, conn, requested)
    return pending.requested_at, pending.requested_at + RESEND_PAUSE
