"""A cohort: its registration window, its places and the waitlist, and what its participants do in it.

Mentees and clients take the cohort's places (where it has any: `places` None is unlimited);
once they are all taken, the next mentee or client waits, and a place freed (a withdrawal, or a
mentee no longer one) goes to the first waiting. Mentors and coaches take no place. Each method
checks that the change is allowed and returns the events it makes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from registration.domain.dates import CohortDates, Window
from registration.domain.duty_stations import placed
from registration.domain.eligibility import (
    CAPACITY_FIELD,
    Answers,
    edit_violations,
    registration_violations,
    role_violations,
)
from registration.domain.errors import Duplicate, Refused, StateConflict, refuse_if
from registration.domain.participant import Participant, ParticipantStatus, WithdrawnBy
from registration.domain.questionnaire import TEAM_ONLY
from registration.domain.verification import AddressVerification
from together_contracts.registration import (
    AddressVerificationRequested,
    CohortClosed,
    CohortEnded,
    ParticipantAdmitted,
    ParticipantProfileUpdated,
    ParticipantRoleGranted,
    ParticipantWithdrawn,
    ProgrammeRules,
    Role,
)
from together_contracts.roles import seeks_partner
from together_contracts.words import DEFAULT_LANGUAGE
from together_events.registry import Event
from together_servicekit.errors import Violation


class CohortStatus(StrEnum):
    open = "open"  # registration is open within its window
    closed = "closed"  # closed by the cohort closer or the programme team: CohortClosed published


@dataclass
class Cohort:
    id: UUID
    programme_id: UUID
    name: str
    rules: ProgrammeRules  # the programme's
    dates: CohortDates
    places: int | None  # mentee/client places; None: unlimited (and no one ever waits)
    status: CohortStatus = CohortStatus.open
    closed_at: datetime | None = None
    ended_at: datetime | None = None  # set once, with CohortEnded
    # Known for a cohort with places: how many are taken, and who waits for one, first waiting first.
    places_taken: int = 0
    waitlist: list[UUID] = field(default_factory=list)

    @property
    def window(self) -> Window:
        closed_on = self.closed_at.date() if self.closed_at is not None else None
        return Window(self.dates.opens, self.dates.closes, closed_on)

    def close(self, now: datetime) -> CohortClosed:
        """Close registration: once per cohort."""
        if self.status is CohortStatus.closed:
            assert self.closed_at is not None
            raise StateConflict(f"registration for this cohort closed at {self.closed_at.isoformat()}")
        self.status, self.closed_at = CohortStatus.closed, now
        return CohortClosed(cohort_id=self.id, programme_id=self.programme_id, closed_at=now)

    def end(self, now: datetime) -> list[Event]:
        """The cohort reached its end date: once per cohort. Registration closes with it if it is still open
        (its window passed long before, but its closing may have failed), so CohortClosed comes first."""
        if self.ended_at is not None:
            raise StateConflict(f"this cohort ended at {self.ended_at.isoformat()}")
        if not self.dates.has_ended(now.date()):
            raise StateConflict(f"this cohort runs until the end of {self.dates.ends.isoformat()}")
        events: list[Event] = [self.close(now)] if self.status is CohortStatus.open else []
        self.ended_at = now
        events.append(CohortEnded(cohort_id=self.id, programme_id=self.programme_id, ends_on=self.dates.ends, ended_at=now))
        return events

    def register(
        self,
        *,
        participant_id: UUID,
        verification_id: UUID,
        person_id: str,
        answers: Mapping[str, Any],
        already_registered: UUID | None,
        now: datetime,
        language: str = DEFAULT_LANGUAGE,
    ) -> tuple[Participant, AddressVerification, AddressVerificationRequested]:
        """A person registers with their answers; they wait for their address to be verified (`verify`),
        unseen and without a place. `already_registered`: this person's registration in the cohort, if any.
        Whether the address is someone else's is not asked here: the answer must not depend on it."""
        answers, placing = placed(answers)
        violations = registration_violations(
            today=now.date(), window=self.window, rules=self.rules, answers=Answers.of(answers), language=language
        )
        refuse_if("registration refused", violations + placing)
        if already_registered is not None:
            raise Duplicate("person", already_registered)
        participant = Participant.new(
            participant_id=participant_id,
            person_id=person_id,
            cohort_id=self.id,
            programme_id=self.programme_id,
            answers=answers,
            now=now,
        )
        verification, requested = self.request_verification(participant, verification_id, participant.email, now)
        return participant, verification, requested

    def request_verification(
        self, participant: Participant, verification_id: UUID, email: str, now: datetime
    ) -> tuple[AddressVerification, AddressVerificationRequested]:
        """An address of the participant's to verify (at registration, or a new one)."""
        if participant.withdrawn:
            raise StateConflict("this participant has withdrawn")
        return AddressVerification.request(
            verification_id=verification_id,
            participant_id=participant.id,
            cohort_id=self.id,
            programme_id=self.programme_id,
            email=email,
            now=now,
        )

    def verify(
        self, participant: Participant, verification: AddressVerification, *, address_taken: bool, now: datetime
    ) -> list[Event]:
        """The participant followed the link sent to the address (`verification.use` checked it). A first
        verification makes the registration known to all: a place if the cohort has one, else the
        waitlist, and `ParticipantRegistered`. A new address replaces the old one (a team-only answer: no
        event). `address_taken`: another participant of the cohort registered with it, verified: one
        registration per address and cohort (the person who holds the link may be told so)."""
        verification.check(now)  # an invalid link gets the one answer that tells nothing, whatever else holds
        if participant.withdrawn:
            raise StateConflict("this participant has withdrawn")
        if address_taken:
            raise Duplicate("address")
        verification.use(now)
        participant.email = verification.email
        if participant.verified:
            participant.updated_at = now
            return []
        participant.verify(now)
        self._seat(participant, now)
        return [participant.registered()]

    def change_answers(
        self, participant: Participant, changes: Mapping[str, Any], *, now: datetime, language: str = DEFAULT_LANGUAGE
    ) -> tuple[list[str], list[Event]]:
        """The participant changes answers: any while registration is open, all but the roles after.
        Returns the names of the answers that changed and the events. A new email is kept only once
        verified (the use case asks for it): until then mail goes to the verified one. Before the
        first verification nobody else knows them: nothing is published and no place moves."""
        if participant.withdrawn:
            raise StateConflict("this participant has withdrawn")
        current = participant.answers
        proposed = {**current, **changes}
        if proposed.get("email"):
            proposed["email"] = proposed["email"].lower()
        placing: list[Violation] = []
        if "duty_station" in changes or "time_zone" in changes:  # a new station brings its zone, unless one is given
            proposed, placing = placed({**proposed, "time_zone": changes.get("time_zone")})
        changed = [name for name in dict.fromkeys([*changes, "duty_station", "time_zone"]) if proposed[name] != current[name]]
        if not changed and not placing:  # a zone refused for the station is refused, even if nothing else changed
            return [], []
        registration_open = self.window.is_open(now.date())
        roles_changed = "roles" in changed
        # A refused role change is judged with the roles the participant keeps.
        judged = proposed if registration_open or not roles_changed else {**proposed, "roles": current["roles"]}
        violations = edit_violations(
            self.rules, Answers.of(judged), roles_changed=roles_changed, registration_open=registration_open, language=language
        )
        refuse_if("the change is refused", violations + placing)
        if participant.verified:
            proposed["email"] = current["email"]  # the new one waits for its verification
        held_place = self.holds_place(participant)
        participant.take_answers(proposed)
        participant.updated_at = now
        if not participant.verified:
            return changed, []
        place_freed = self._reseat(participant, held_place, now)
        events: list[Event] = []
        public_changes = [name for name in changed if name not in TEAM_ONLY]
        if public_changes:  # team-only answers never travel, not even as news of a change
            events.append(ParticipantProfileUpdated(**participant.public_state(), changed=public_changes, updated_at=now))
        if place_freed:
            events += self._admit_next(now)
        return changed, events

    def grant_role(
        self, participant: Participant, role: Role, capacity: int | None, now: datetime, language: str = DEFAULT_LANGUAGE
    ) -> ParticipantRoleGranted:
        """After registration closed, the programme team grants a participant another role."""
        if self.window.is_open(now.date()):
            raise StateConflict("registration is open: the participant adds the role themself")
        if participant.withdrawn:
            raise StateConflict("this participant has withdrawn")
        if not participant.verified:
            raise StateConflict("this participant has not verified their address yet")
        if role in participant.roles:
            raise StateConflict(f"the participant is already a {role.value}")
        proposed = participant.answers
        proposed["roles"] = [*proposed["roles"], role.value]
        if role in CAPACITY_FIELD:
            proposed[CAPACITY_FIELD[role]] = capacity
        elif capacity is not None:
            raise Refused(
                "the grant is refused", [Violation("capacity", "offering_roles_only", f"a {role.value} states no capacity")]
            )
        refuse_if("the grant is refused", role_violations(self.rules, Answers.of(proposed), language))
        held_place = self.holds_place(participant)
        participant.roles = [Role(r) for r in proposed["roles"]]
        participant.mentor_capacity, participant.coach_capacity = proposed["mentor_capacity"], proposed["coach_capacity"]
        participant.updated_at = now
        self._reseat(participant, held_place, now)  # a grant adds a role: it never frees a place
        return ParticipantRoleGranted(**participant.public_state(), granted_role=role, granted_at=now)

    def withdraw(self, participant: Participant, *, by: WithdrawnBy, erase_answers: bool, now: datetime) -> list[Event]:
        """The participant leaves, at any time; their place goes to the first waiting. Nobody else heard
        of a participant who never verified their address: nothing is published for them."""
        if participant.withdrawn_at is not None:
            raise StateConflict(f"this participant withdrew at {participant.withdrawn_at.isoformat()}")
        if erase_answers:
            self._check_erasable()
        held_place = self.holds_place(participant)
        if participant.waitlisted:
            self.waitlist.remove(participant.id)
        participant.withdraw(by, now)
        events: list[Event] = [
            ParticipantWithdrawn(
                participant_id=participant.id,
                person_id=participant.person_id,
                cohort_id=self.id,
                programme_id=self.programme_id,
                withdrawn_at=now,
                answers_erased=erase_answers,
            )
        ]
        if erase_answers:
            events.append(participant.erase(now))
        if held_place:
            self._free_place()
            events += self._admit_next(now)
        return events if participant.verified else []

    def erase_answers(self, participant: Participant, now: datetime) -> list[Event]:
        """A withdrawn participant's personal answers are erased later, at their (or their team's) request."""
        if participant.withdrawn_at is None:
            raise StateConflict("answers are erased once the participant has withdrawn: withdraw first")
        if participant.answers_erased:
            raise StateConflict("this participant's answers are already erased")
        self._check_erasable()
        erased = participant.erase(now)
        return [erased] if participant.verified else []

    def holds_place(self, participant: Participant) -> bool:
        """A mentee or client registered and verified, neither waiting nor withdrawn."""
        return seeks_partner(participant.roles) and participant.status is ParticipantStatus.active

    def _check_erasable(self) -> None:
        if not self.rules.answers_erasable:
            raise Refused(
                "erasure refused",
                [Violation("erase_answers", "erasable_in_programme", "this programme keeps the answers of those who withdraw")],
            )

    def _seat(self, participant: Participant, now: datetime) -> None:
        """A mentee or client newly registered (or newly one) takes a free place, else waits."""
        if self.places is None or not seeks_partner(participant.roles):
            return
        if self.places_taken < self.places:
            self.places_taken += 1
        else:
            participant.wait(now)
            self.waitlist.append(participant.id)

    def _free_place(self) -> None:
        if self.places is not None:
            self.places_taken -= 1

    def _reseat(self, participant: Participant, held_place: bool, now: datetime) -> bool:
        """Place or waitlist after the participant's roles changed; whether a place was freed."""
        if not seeks_partner(participant.roles):
            if participant.waitlisted:
                self.waitlist.remove(participant.id)
                participant.stop_waiting()
            if held_place:
                self._free_place()
            return held_place
        if not held_place and not participant.waitlisted:
            self._seat(participant, now)
        return False

    def _admit_next(self, now: datetime) -> list[Event]:
        """Free places go to the waitlisted, first waiting first."""
        admitted: list[Event] = []
        while self.places is not None and self.waitlist and self.places_taken < self.places:
            self.places_taken += 1
            admitted.append(
                ParticipantAdmitted(
                    participant_id=self.waitlist.pop(0), cohort_id=self.id, programme_id=self.programme_id, admitted_at=now
                )
            )
        return admitted
