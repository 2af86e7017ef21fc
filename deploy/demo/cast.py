"""The story's people: hand-written so the story reads the same every run, beside a synthetic cohort
that is the same people every run too."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SEED, MENTORS, MENTEES = 2027, 30, 40  # the synthetic cohort

CHARACTERS: dict[str, dict[str, Any]] = {
    "Amina": {
        "name": "Amina Njoroge", "appointment_type": "permanent", "entity": "UNEP", "duty_station": "Nairobi",
        "time_zone": "Africa/Nairobi", "grade": "P-4", "years_of_service": 12, "job_network": "DEVNET",
        "languages": ["English", "French"], "skills": ["Negotiation", "Project management"], "roles": ["mentor"],
        "mentor_capacity": 2, "preferred_language": "fr",
    },
    "Jean": {
        "name": "Jean Dupont", "appointment_type": "continuing", "entity": "OHCHR", "duty_station": "Geneva",
        "time_zone": "Europe/Zurich", "grade": "P-5", "years_of_service": 20, "job_network": "POLNET",
        "languages": ["French"], "skills": ["Drafting"], "roles": ["mentor"], "mentor_capacity": 1,
        "preferred_language": "fr",
    },
    "Ravi": {
        "name": "Ravi Sharma", "appointment_type": "fixed_term", "entity": "ESCAP", "duty_station": "Bangkok",
        "time_zone": "Asia/Bangkok", "grade": "G-6", "years_of_service": 5, "job_network": "DEVNET",
        "languages": ["English", "French"], "goals": ["Negotiation"], "roles": ["mentee"],
    },
    "Lina": {
        "name": "Lina Haddad", "appointment_type": "fixed_term", "entity": "ESCWA", "duty_station": "Beirut",
        "time_zone": "Asia/Beirut", "grade": "P-2", "years_of_service": 3, "job_network": "POLNET",
        "languages": ["Arabic", "French", "Spanish"], "goals": ["Drafting"], "roles": ["mentee"],
        "preferred_language": "es",
    },
    # The most senior staff: the mentoring rule wants a more experienced mentor, and this cohort has none.
    "Kofi": {
        "name": "Kofi Mensah", "appointment_type": "permanent", "entity": "DPPA", "duty_station": "New York",
        "time_zone": "America/New_York", "grade": "USG", "years_of_service": 40, "job_network": "POLNET",
        "languages": ["English", "French"], "goals": ["Intercultural communication"], "roles": ["mentee"],
    },
}  # fmt: skip
# Refused on purpose: an intern, in a job network the pilot does not take mentees from, who
# speaks neither meeting language. Registration gives every reason at once.
REFUSED = {
    "name": "Lucía Fernández", "appointment_type": "intern", "entity": "ECLAC", "duty_station": "Santiago",
    "time_zone": "America/Santiago", "grade": "G-4", "years_of_service": 0, "job_network": "LOGNET",
    "languages": ["Spanish"], "goals": ["Budgeting"], "roles": ["mentee"],
}  # fmt: skip


@dataclass(frozen=True)
class Cohort:
    """The cohort once everyone has registered: the story's people by first name, and the
    accepted synthetic mentors and mentees (someone in both roles is in both)."""

    id: str
    ids: dict[str, str]  # first name of one of the story's people -> participant id
    mentors: dict[str, dict[str, Any]]  # participant id -> answers
    mentees: dict[str, dict[str, Any]]
    names: dict[str, str]  # participant id -> full name, for everyone accepted

    @property
    def all_mentors(self) -> int:
        return len(self.mentors) + sum("mentor" in a["roles"] for a in CHARACTERS.values())

    @property
    def all_mentees(self) -> int:
        return len(self.mentees) + sum("mentee" in a["roles"] for a in CHARACTERS.values())

    def name_of(self, participant_id: str) -> str:
        return self.names.get(participant_id, participant_id[:8] + "…")
