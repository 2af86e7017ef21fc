"""Version 2 of registration's events that carry a profile: the profile sealed per person (ADR 0008).

The records of `together.registration` are kept forever; a participant's answers in them must become
unreadable when the participant's answers are erased. So from v2 on, `profile` travels as one sealed
object under the participant's data key (key id = participant id, bound to the v2 event type and its
subject), and the biography (free text) not at all: `bio` is None inside it, registration's API
serves it. Registration publishes only these; v1 stays registered so that history can be read.

The classes keep their v1 names (the event type is `together.registration.<Name>.v2`); import this
module under a name that says so, e.g. `from together_contracts import registration_sealed as v2`.

Only services holding a token with the scope `registration:data-keys` open the profile: subscribers
from other organisations read the public and pseudonymous fields. Opening with no key (erased, or
never issued) gives the erased placeholders: `sealed_away`.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import AwareDatetime, Field

from together_contracts import registration as v1
from together_contracts.fields import INT32_MAX
from together_contracts.registration import ERASED_ANSWER, PublicProfile, Role, erased_profile
from together_contracts.sealing import SealBroken, Sealed, open_sealed, seal
from together_events.registry import register

_PROFILE = (
    "The public answers (the biography never: always null) sealed with the participant's data key. "
    "Not for subscribers: only the project's services are given the keys; erasing the answers deletes the key."
)


@register
class ParticipantRegistered(v1._RegistrationEvent):
    """A person registered in a cohort and verified their e-mail address, with their roles and their
    profile, sealed: from now on they are visible (suggestions, requests, messages)."""

    version = 2
    aggregate = "participant"
    participant_id: UUID
    person_id: str = Field(description="The person's identity at the identity provider (the token subject).")
    cohort_id: UUID
    programme_id: UUID
    roles: list[Role]
    mentor_capacity: int | None = Field(default=None, le=INT32_MAX, description="How many mentees a mentor takes.")
    coach_capacity: int | None = Field(default=None, le=INT32_MAX, description="How many clients a coach takes.")
    profile: Sealed = Field(description=_PROFILE)
    registered_at: AwareDatetime
    waitlisted: bool = Field(default=False, description="True when the cohort's places were taken: the mentee/client waits.")
    coach_approved: bool = Field(
        default=False, description="Coaches: visible to clients and matching only once their credential is approved."
    )


class _ParticipantState(v1._RegistrationEvent):
    """The participant's full state after a change, the profile sealed, so a consumer needs no earlier event."""

    version = 2
    aggregate = "participant"
    participant_id: UUID
    person_id: str
    cohort_id: UUID
    programme_id: UUID
    roles: list[Role]
    mentor_capacity: int | None = Field(default=None, le=INT32_MAX)
    coach_capacity: int | None = Field(default=None, le=INT32_MAX)
    profile: Sealed = Field(description=_PROFILE)
    waitlisted: bool = Field(default=False, description="True while the mentee/client waits for a place in the cohort.")


@register
class ParticipantProfileUpdated(_ParticipantState):
    """A participant changed answers (roles and capacities included)."""

    changed: list[str] = Field(description="Names of the public answers that changed, e.g. ['languages', 'mentor_capacity'].")
    updated_at: AwareDatetime


@register
class ParticipantRoleGranted(_ParticipantState):
    """After registration closed, the programme team granted a participant another role."""

    granted_role: Role
    granted_at: AwareDatetime


Plain = v1.ParticipantRegistered | v1.ParticipantProfileUpdated | v1.ParticipantRoleGranted
SealedEvent = ParticipantRegistered | ParticipantProfileUpdated | ParticipantRoleGranted

SEALED_OF: dict[type[Plain], type[SealedEvent]] = {
    v1.ParticipantRegistered: ParticipantRegistered,
    v1.ParticipantProfileUpdated: ParticipantProfileUpdated,
    v1.ParticipantRoleGranted: ParticipantRoleGranted,
}
PLAIN_OF: dict[type[SealedEvent], type[Plain]] = {sealed: plain for plain, sealed in SEALED_OF.items()}
SEALED_OF_TYPE: dict[str, type[SealedEvent]] = {sealed.event_type(): sealed for sealed in PLAIN_OF}


def sealed_away() -> PublicProfile:
    """What a profile whose key is gone opens to: the erased placeholders. Grade and years of service
    were sealed with the rest, so they are placeholders too (registration keeps them for statistics)."""
    return erased_profile(grade=ERASED_ANSWER, years_of_service=0)


def _fields(event: v1._RegistrationEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in type(event).model_fields}


def sealed(event: Plain, key: bytes) -> SealedEvent:
    """The v2 of a profile event: its profile, without the biography, sealed under the participant's key."""
    model = SEALED_OF[type(event)]
    subject = str(event.participant_id)
    profile = seal(
        event.profile.model_copy(update={"bio": None}),
        key=key,
        key_id=event.participant_id,
        event_type=model.event_type(),
        subject=subject,
    )
    return model.model_validate({**_fields(event), "profile": profile})


def open_profile(event: SealedEvent, key: bytes | None) -> PublicProfile:
    """The profile the event carries; the erased placeholders when the key is gone (None).
    SealBroken when it does not open: altered, moved from another event, or sealed for someone else."""
    if event.profile.key_id != event.participant_id:
        raise SealBroken(f"{event.event_type()} {event.participant_id} carries a profile sealed for {event.profile.key_id}")
    if key is None:
        return sealed_away()
    return open_sealed(event.profile, PublicProfile, key=key, event_type=event.event_type(), subject=str(event.participant_id))


def opened(event: SealedEvent, profile: PublicProfile) -> Plain:
    """The event as v1 states it, with the opened profile: what the consumers' handlers take."""
    return PLAIN_OF[type(event)].model_validate({**_fields(event), "profile": profile})
