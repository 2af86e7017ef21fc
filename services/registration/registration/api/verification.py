"""Verifying a participant's address: following the one-time link, asking for the mail again, and
the link the notifications service puts in that mail."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends, status

from registration.api.models import ResentOut, VerificationMailOut, VerifiedOut, VerifyIn
from registration.settings import RegistrationSettings
from registration.use_cases import verification
from together_contracts.words import Language
from together_servicekit.auth import Principal, authenticated
from together_servicekit.languages import caller_language
from together_servicekit.runtime import Runtime, get_runtime

router = APIRouter(tags=["address verification"])


@router.post("/participants/verify")
async def verify(
    body: VerifyIn,
    runtime: Runtime = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
    language: Language = Depends(caller_language),
) -> VerifiedOut:
    """Rule: the person who registered, signed in. The link works once, for 72 hours; a link that is used,
    expired, replaced by a newer one, unknown or another person's gets one answer: 400 `invalid_link`."""
    participant_id, waitlisted = await verification.verify(runtime, caller=caller, token=body.token, language=language)
    return VerifiedOut(participant_id=participant_id, waitlisted=waitlisted)


@router.post("/participants/{participant_id}/verification", status_code=status.HTTP_202_ACCEPTED)
async def resend(
    participant_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> ResentOut:
    """Rule: the participant themself, while an address waits for verification (409 once verified). A new
    mail at most every 5 minutes; asked sooner, the same answer and no new mail."""
    requested_at, next_possible_at = await verification.resend(runtime, caller=caller, participant_id=participant_id)
    return ResentOut(requested_at=requested_at, next_possible_at=next_possible_at)


@router.post("/address-verifications/{verification_id}/link")
async def mail_link(
    verification_id: UUID,
    runtime: Runtime[RegistrationSettings] = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
) -> VerificationMailOut:
    """Rule: a `service` token with the scope `registration:contacts` (the notifications service, as it
    sends the verification mail). Each call makes a new link and the previous one stops working."""
    mail = await verification.mail_link(
        runtime, caller=caller, verification_id=verification_id, link_base=runtime.settings.verification_link_base
    )
    return VerificationMailOut.model_validate(mail, from_attributes=True)
