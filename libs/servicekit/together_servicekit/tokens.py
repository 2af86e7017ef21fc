"""A client's side of the development identity provider's grant (together_devtools.dev_identity).

A service that calls another with a service token (notifications asks registration for contact
details) gets it here when its token source is `dev`; the demo and the tests log people in the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx

GRANT = "urn:together:dev-login"


async def fetch_token(
    http: httpx.AsyncClient,
    issuer: str,
    *,
    subject: str,
    roles: Sequence[str],
    programmes: Sequence[str] = (),
    scopes: Sequence[str] = (),
) -> str:
    """POST the grant's form to the issuer's token endpoint, return the access token."""
    response = await http.post(
        f"{issuer.rstrip('/')}/token",
        data={
            "grant_type": GRANT,
            "subject": subject,
            "roles": " ".join(roles),
            "programmes": " ".join(programmes),
            "scope": " ".join(scopes),
        },
    )
    response.raise_for_status()
    return str(response.json()["access_token"])
