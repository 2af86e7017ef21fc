"""Who takes part in matching, and as what: a cohort's participant as matching knows them. No I/O.

Mentors are the participants who offer partnership (mentor, coach), mentees those who seek it
(mentee, client): `together_contracts.roles` says which is which, for every service. Nobody
withdrawn or waitlisted is suggested, found or assigned, and a coach only once their credential is
approved. The contract lets a grade be any text; one matching does not know leaves its holder out
rather than failing the cohort.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

from matching.domain.scoring.policy import Exclusion, Person
from together_contracts.registration import GRADES, PublicProfile, Role
from together_contracts.registration_sealed import sealed_away
from together_contracts.roles import offers_partnership, seeks_partner
from together_contracts.words import DEFAULT_LANGUAGE, Words

_NOT_A_MENTOR = Words(
    "this participant did not register as a mentor or coach",
    "cette personne ne s'est pas inscrite comme mentor ni comme coach",
    "esta persona no se inscribió como mentor ni como coach",
)
_WITHDRAWN = Words(
    "this participant has withdrawn from the cohort",
    "cette personne s'est retirée de la cohorte",
    "esta persona se retiró de la cohorte",
)
_WAITLISTED = Words(
    "this participant is on the waitlist",
    "cette personne est sur la liste d'attente",
    "esta persona está en la lista de espera",
)
_COACH_NOT_APPROVED = Words(
    "the coach's credential has not been approved by the programme team",
    "l'équipe du programme n'a pas encore approuvé la certification du coach",
    "el equipo del programa no ha aprobado la acreditación del coach",
)


class NotAMentee(Exception):
    """The participant asked about does not seek a partner."""


class MenteeUnavailable(Exception):
    """The participant seeks a partner but cannot get suggestions now (withdrawn, waiting, unknown grade)."""


@dataclass(frozen=True)
class Candidate:
    """A participant of a cohort, as matching's read model holds them."""

    participant_id: UUID
    person_id: str
    programme_id: UUID
    roles: tuple[str, ...]
    profile: Mapping[str, object]  # the public answers as stored; read as a `PublicProfile` when needed
    capacity: int = 0
    active_pairings: int = 0
    waitlisted: bool = False
    withdrawn: bool = False
    coach_approved: bool = False

    @property
    def seeks_partner(self) -> bool:
        return seeks_partner(self.roles)

    @property
    def knows_grade(self) -> bool:
        return self.profile.get("grade") in GRADES

    def as_mentee(self) -> Person:
        """The participant asking for partners: a mentee or client in the cohort, not waiting for a place."""
        if not self.seeks_partner:
            raise NotAMentee("this participant did not register as a mentee or client")
        if self.withdrawn:
            raise MenteeUnavailable("this participant has withdrawn from the cohort")
        if self.waitlisted:
            raise MenteeUnavailable("this participant is on the waitlist: suggestions come once they have a place")
        profile = PublicProfile.model_validate(self.profile)
        if profile.grade not in GRADES:
            raise MenteeUnavailable(f"this participant's grade {profile.grade!r} is not one matching knows")
        return Person(participant_id=self.participant_id, profile=profile)

    def gets_ranked_search(self) -> bool:
        """A mentee or client who could be suggested mentors sees search results ranked by their score."""
        return self.seeks_partner and not self.withdrawn and not self.waitlisted and self.knows_grade

    def not_suggestible(self, language: str = DEFAULT_LANGUAGE) -> list[Exclusion]:
        """What keeps the participant out of anyone's suggestions before any scoring rule (the same
        rule the read model's queries filter by: `cohort_cache.visible`), worded in `language`."""
        out = []
        if not offers_partnership(self.roles):
            out.append(Exclusion("not_a_mentor", _NOT_A_MENTOR.in_(language)))
        if self.withdrawn:
            out.append(Exclusion("withdrawn", _WITHDRAWN.in_(language)))
        if self.waitlisted:
            out.append(Exclusion("waitlisted", _WAITLISTED.in_(language)))
        if Role.coach.value in self.roles and not self.coach_approved:
            out.append(Exclusion("coach_not_approved", _COACH_NOT_APPROVED.in_(language)))
        return out

    def as_mentor(self, language: str = DEFAULT_LANGUAGE) -> Person | Exclusion:
        """The participant as a mentor to score, or the exclusion of a grade matching does not know
        (after `not_suggestible`: a withdrawn participant's answers may be erased)."""
        profile = PublicProfile.model_validate(self.profile)
        if profile.grade not in GRADES:
            grade = profile.grade
            said = Words(
                f"the mentor's grade '{grade}' is not one matching knows",
                f"la classe « {grade} » du mentor n'est pas une classe que le service de mise en relation connaît",
                f"la categoría «{grade}» del mentor no es una que el servicio de emparejamiento conozca",
            )
            return Exclusion("unknown_grade", said.in_(language))
        return Person(
            participant_id=self.participant_id,
            profile=profile,
            capacity=self.capacity,
            active_pairings=self.active_pairings,
        )


def erased_answers(_: Mapping[str, object]) -> Mapping[str, object]:
    """Placeholders for every answer (skills, bio and the rest left empty, so nothing is searchable):
    exactly what the participant's sealed profile opens to once their key is gone (`sealed_away`), so
    the copy kept here equals a rebuild from the topics. Grade and years of service go too: they were
    sealed with the rest (registration keeps its own for the programme's statistics)."""
    return sealed_away().model_dump(mode="json")
