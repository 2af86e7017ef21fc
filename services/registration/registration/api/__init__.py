"""Registration's HTTP API (entrypoints room): one router per tag, the bodies in `models`.

Each endpoint parses, calls one use case (which authorises the caller) or one query, and shapes the answer.
"""

from fastapi import APIRouter

from registration.api import cohorts, credentials, duty_stations, outcomes, participants, programmes, verification
from registration.api.credentials import CREDENTIAL_UPLOAD_PATH

router = APIRouter()
for tag in (programmes, cohorts, verification, participants, duty_stations, credentials, outcomes):
    router.include_router(tag.router)

__all__ = ["CREDENTIAL_UPLOAD_PATH", "router"]
