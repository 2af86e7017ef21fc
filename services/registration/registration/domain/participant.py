"""A participant: one person's registration in a cohort, their answers and where they stand.

Where they stand in the cohort's places (holding one, waiting for one) is the cohort's to decide
(`registration.domain.cohort`); this module keeps the participant's own state and answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from registration.domain.questionnaire import PROFILE_FIELDS, PROFILE_NAME
from together_contracts.registration import (
    AppointmentType,
    ParticipantAnswersErased,
    ParticipantRegistered,
    PublicProfile,
    Role,
    erased_profile,
)

# Answers kept outside the public profile: the programme-team-only ones, the roles and the capacities.
_OWN_COLUMNS = ("email", "index_number", "appointment_type", "preferred_language", "roles", "mentor_capacity", "coach_capacity")


class ParticipantStatus(StrEnum):
    unverified = "unverified"  # registered, the address not yet verified: seen by themself and their team only, no place
    active = "active"  # registered; a mentee or client among them holds one of the cohort's places
    waitlisted = "waitlisted"  # a mentee or client waiting for a place
    withdrawn = "withdrawn"  # final: the record stays, answers possibly erased


class WithdrawnBy(StrEnum):
    participant = "participant"
    programme_team = "programme_team"


def public_profile(answers: Mapping[str, Any]) -> PublicProfile:
    """The public answers, under the profile's names."""
    return PublicProfile.model_validate(
        {PROFILE_NAME.get(f, f): answers.get(f) for f in PROFILE_FIELDS if answers.get(f) is not None}
    )


def answers_of(stored: Mapping[str, Any]) -> dict[str, Any]:
    """Every questionnaire answer of a stored participant (a row), under the questionnaire's names."""
    profile = stored["public_profile"]
    answers = {f: profile.get(PROFILE_NAME.get(f, f)) for f in PROFILE_FIELDS}
    for f in _OWN_COLUMNS:
        answers[f] = stored[f]
    return answers


@dataclass
class Participant:
    id: UUID
    person_id: str
    cohort_id: UUID
    programme_id: UUID
    email: str  # stored lower-case: one registration per address and cohort
    index_number: str | None
    appointment_type: AppointmentType | None  # None only for registrations from before it was asked
    preferred_language: str
    roles: list[Role]
    mentor_capacity: int | None
    coach_capacity: int | None
    profile: dict[str, Any]  # the public answers, as PublicProfile stores them
    registered_at: datetime
    status: ParticipantStatus = ParticipantStatus.active
    waitlisted_at: datetime | None = None  # the waitlist's order: first waiting, first admitted
    admitted_at: datetime | None = None
    updated_at: datetime | None = None
    withdrawn_at: datetime | None = None
    withdrawn_by: WithdrawnBy | None = None
    answers_erased: bool = False
    coach_approved: bool = False
    verified_at: datetime | None = None  # when the address was first verified: from then on others see them

    @classmethod
    def new(
        cls,
        *,
        participant_id: UUID,
        person_id: str,
        cohort_id: UUID,
        programme_id: UUID,
        answers: Mapping[str, Any],
        now: datetime,
    ) -> Participant:
        participant = cls(
            id=participant_id,
            person_id=person_id,
            cohort_id=cohort_id,
            programme_id=programme_id,
            email="",
            index_number=None,
            appointment_type=None,
            preferred_language="en",
            roles=[],
            mentor_capacity=None,
            coach_capacity=None,
            profile={},
            registered_at=now,
            status=ParticipantStatus.unverified,
        )
        participant.take_answers(answers)
        return participant

    @property
    def answers(self) -> dict[str, Any]:
        """Every questionnaire answer (as JSON values), under the questionnaire's names."""
        return answers_of(
            {
                "public_profile": self.profile,
                "email": self.email,
                "index_number": self.index_number,
                "appointment_type": self.appointment_type.value if self.appointment_type is not None else None,
                "preferred_language": self.preferred_language,
                "roles": [role.value for role in self.roles],
                "mentor_capacity": self.mentor_capacity,
                "coach_capacity": self.coach_capacity,
            }
        )

    @property
    def waitlisted(self) -> bool:
        return self.status is ParticipantStatus.waitlisted

    @property
    def verified(self) -> bool:
        """Whether others may hear of them: the address was verified once (a later new address waits apart)."""
        return self.verified_at is not None

    @property
    def withdrawn(self) -> bool:
        return self.status is ParticipantStatus.withdrawn

    def take_answers(self, answers: Mapping[str, Any]) -> None:
        """Store a full set of answers (already checked against the rules)."""
        appointment = answers["appointment_type"]
        self.email = answers["email"].lower()
        self.index_number = answers.get("index_number")
        self.appointment_type = AppointmentType(appointment) if appointment is not None else None
        self.preferred_language = answers.get("preferred_language") or "en"
        self.roles = [Role(r) for r in answers["roles"]]
        self.mentor_capacity = answers.get("mentor_capacity")
        self.coach_capacity = answers.get("coach_capacity")
        self.profile = public_profile(answers).model_dump(mode="json")

    def registered(self) -> ParticipantRegistered:
        return ParticipantRegistered(
            participant_id=self.id,
            person_id=self.person_id,
            cohort_id=self.cohort_id,
            programme_id=self.programme_id,
            roles=self.roles,
            mentor_capacity=self.mentor_capacity,
            coach_capacity=self.coach_capacity,
            profile=PublicProfile.model_validate(self.profile),
            registered_at=self.registered_at,
            waitlisted=self.waitlisted,
            coach_approved=False,
        )

    def public_state(self) -> dict[str, Any]:
        """The full public state, as ParticipantProfileUpdated and ParticipantRoleGranted carry it."""
        return {
            "participant_id": self.id,
            "person_id": self.person_id,
            "cohort_id": self.cohort_id,
            "programme_id": self.programme_id,
            "roles": list(self.roles),
            "mentor_capacity": self.mentor_capacity,
            "coach_capacity": self.coach_capacity,
            "profile": PublicProfile.model_validate(self.profile),
            "waitlisted": self.waitlisted,
        }

    def verify(self, now: datetime) -> None:
        """The address was verified: registered for everyone now (the cohort then seats them)."""
        self.status, self.verified_at = ParticipantStatus.active, now

    def wait(self, now: datetime) -> None:
        """Join the end of the waitlist."""
        self.status, self.waitlisted_at = ParticipantStatus.waitlisted, now

    def stop_waiting(self) -> None:
        """Leave the waitlist without a place (no longer a mentee or client)."""
        self.status, self.waitlisted_at = ParticipantStatus.active, None

    def withdraw(self, by: WithdrawnBy, now: datetime) -> None:
        self.status, self.waitlisted_at = ParticipantStatus.withdrawn, None
        self.withdrawn_at, self.withdrawn_by, self.updated_at = now, by, now

    def erase(self, now: datetime) -> ParticipantAnswersErased:
        """Placeholders for every personal answer; grade, years and roles stay for the programme's statistics."""
        self.email = f"erased+{self.id}@erased.invalid"  # unique per cohort, like any email
        self.index_number = None
        self.profile = erased_profile(self.profile["grade"], self.profile["years_of_service"]).model_dump(mode="json")
        self.answers_erased, self.updated_at = True, now
        return ParticipantAnswersErased(
            participant_id=self.id,
            person_id=self.person_id,
            cohort_id=self.cohort_id,
            programme_id=self.programme_id,
            erased_at=now,
        )
