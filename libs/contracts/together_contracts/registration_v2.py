"""Version 2 of registration's events whose v1 carried free text: the text stays in registration (ADR 0008).

`CoachCredentialRejected` v1 carried `reason`, the programme team's own words to the coach. Records
of `together.registration` are kept forever and read by other systems, so from v2 on the reason does
not travel: registration keeps it, and the coach (and their programme team) read it through
registration's API (`GET /credentials/{id}`). Registration publishes only v2; v1 stays registered so
that history can be read. (The profile events' v2, sealed per person, are in `registration_sealed`.)

The class keeps its v1 name (the event type is `together.registration.CoachCredentialRejected.v2`);
import this module under a name that says so, e.g. `from together_contracts import registration_v2`.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime

from together_contracts import registration as v1
from together_events.registry import register


@register
class CoachCredentialRejected(v1._RegistrationEvent):
    """The programme team rejected a coach's credential. The team's reason stays with registration: the coach
    reads it there (`GET /credentials/{credential_id}`)."""

    version = 2
    aggregate = "participant"
    participant_id: UUID
    person_id: str
    cohort_id: UUID
    programme_id: UUID
    credential_id: UUID
    rejected_at: AwareDatetime
