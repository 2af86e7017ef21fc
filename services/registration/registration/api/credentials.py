"""Coach credentials: submitted by the coach (multipart), reviewed by the programme team."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile, status

from registration import queries
from registration.api.models import Created, CredentialOut, RejectionIn
from registration.domain.credentials import SIGNATURES, CredentialStatus, Upload
from registration.settings import RegistrationSettings
from registration.use_cases import credentials
from together_contracts.registration import CredentialKind
from together_servicekit.auth import Principal, authenticated
from together_servicekit.paging import Page, paged
from together_servicekit.runtime import Runtime, get_runtime
from together_servicekit.text import NO_CONTROL_CHARACTERS

router = APIRouter(tags=["credentials"])

# The one route that takes bodies beyond the usual limit (see bootstrap).
CREDENTIAL_UPLOAD_PATH = r"/participants/[^/]+/credentials"


@router.post("/participants/{participant_id}/credentials", status_code=status.HTTP_201_CREATED)
async def submit_credential(
    participant_id: UUID,
    kind: Annotated[CredentialKind, Form(description="icf_certificate or icf_training_50_hours")],
    confidentiality_accepted: Annotated[bool, Form(description="The coach accepts the confidentiality commitment.")] = False,
    reference: Annotated[
        str | None, Form(max_length=500, pattern=NO_CONTROL_CHARACTERS, description="e.g. an ICF credential number or URL")
    ] = None,
    file: Annotated[UploadFile | None, File(description="PDF, PNG or JPEG")] = None,
    runtime: Runtime = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
) -> Created:
    """Rule: the coach themself (multipart form). A file or a reference, and the commitment."""
    settings = runtime.settings
    assert isinstance(settings, RegistrationSettings)
    upload = None
    if file is not None:
        content = await file.read(settings.credential_max_bytes + 1)  # one byte more tells a file too large
        upload = Upload(file_name=(file.filename or "credential")[:200], declared_type=file.content_type or "", content=content)
    credential_id = await credentials.submit(
        runtime,
        caller=caller,
        participant_id=participant_id,
        kind=kind,
        upload=upload,
        reference=reference.strip() if reference else None,
        confidentiality_accepted=confidentiality_accepted,
        max_bytes=settings.credential_max_bytes,
    )
    return Created(id=credential_id)


@router.get("/programmes/{programme_id}/credentials")
async def list_credentials(
    programme_id: UUID,
    status_: CredentialStatus | None = Query(default=CredentialStatus.pending, alias="status"),
    page: Page = Depends(paged(default=100, maximum=500)),
    runtime: Runtime = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
) -> list[CredentialOut]:
    """Rule: the programme's own team. Pending credentials by default, oldest first, a page at a time (`limit`, `offset`)."""
    rows = await queries.programme_credentials(runtime, programme_id, status_, caller, page)
    return [CredentialOut.model_validate(row) for row in rows]


@router.get("/participants/{participant_id}/credentials")
async def list_coach_credentials(
    participant_id: UUID,
    page: Page = Depends(paged(default=20, maximum=100)),
    runtime: Runtime = Depends(get_runtime),
    caller: Principal = Depends(authenticated),
) -> list[CredentialOut]:
    """Rule: the coach themself and their programme team. The coach's credentials, newest first, each with the
    team's decision and, once rejected, its reason (which no event carries)."""
    rows = await queries.coach_credentials_of(runtime, participant_id, caller, page)
    return [CredentialOut.model_validate(row) for row in rows]


@router.get("/credentials/{credential_id}")
async def read_credential(
    credential_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> CredentialOut:
    """Rule: the coach themself and their programme team. Where the credential stands and, once rejected,
    the team's reason: the coach's mail points here (the reason is in no event)."""
    return CredentialOut.model_validate(await queries.credential(runtime, credential_id, caller))


@router.get(
    "/credentials/{credential_id}/file",
    response_class=Response,
    responses={200: {"content": {t: {} for t in SIGNATURES}, "description": "The file as uploaded"}},
)
async def download_credential(
    credential_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> Response:
    """Rule: the programme's team, and the coach themself. 404 for a reference-only (or erased) credential."""
    file = await queries.credential_file(runtime, credential_id, caller)
    return Response(
        content=file.content,
        media_type=file.content_type,
        headers={"Content-Disposition": f'attachment; filename="credential-{credential_id}"'},
    )


@router.post("/credentials/{credential_id}/approval", status_code=status.HTTP_204_NO_CONTENT)
async def approve_credential(
    credential_id: UUID, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> Response:
    """Rule: the programme's own team; the coach becomes visible to clients and matching."""
    await credentials.decide(runtime, caller=caller, credential_id=credential_id, approve=True, reason=None)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/credentials/{credential_id}/rejection", status_code=status.HTTP_204_NO_CONTENT)
async def reject_credential(
    credential_id: UUID, body: RejectionIn, runtime: Runtime = Depends(get_runtime), caller: Principal = Depends(authenticated)
) -> Response:
    """Rule: the programme's own team, with the reason the coach is given (`GET /credentials/{id}`; never in an event)."""
    await credentials.decide(runtime, caller=caller, credential_id=credential_id, approve=False, reason=body.reason)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
