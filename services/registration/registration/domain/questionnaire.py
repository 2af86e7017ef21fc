"""The registration questionnaire: its fields, who may see each answer, and the rule each follows.

Field names are a contract: the synthetic cohort generator and other services use exactly
these keys. An answer is `public` (on the profile: other participants, partners, matching
and the events see it) or `programme_team` (the participant and their programme team only;
never in an event).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from together_contracts.registration import GRADES, AppointmentType, Role


class Visibility(StrEnum):
    public = "public"
    programme_team = "programme_team"


@dataclass(frozen=True)
class Field:
    name: str
    visibility: Visibility
    required: bool
    rule: str


PREFERRED_LANGUAGES = ("en", "fr", "es")
_PUBLIC, _TEAM = Visibility.public, Visibility.programme_team

FIELDS: tuple[Field, ...] = (
    Field("name", _PUBLIC, True, "1-200 characters; shown as the display name"),
    Field("email", _TEAM, True, "a professional e-mail address; one registration per address and cohort"),
    Field("index_number", _TEAM, False, "the staff index number, up to 20 letters or digits"),
    Field(
        "appointment_type",
        _TEAM,
        True,
        f"one of {', '.join(t.value for t in AppointmentType)}; the programme's rules say which are eligible per role",
    ),
    Field("entity", _PUBLIC, True, "the entity (e.g. Secretariat, ITC); the programme's rules may restrict it per role"),
    Field(
        "duty_station",
        _PUBLIC,
        True,
        "a duty station of GET /duty-stations (its time zone follows), or another, 1-100 characters",
    ),
    Field(
        "time_zone",
        _PUBLIC,
        False,
        "follows from a listed duty station; for another station, its IANA time zone, e.g. Africa/Nairobi",
    ),
    Field("grade", _PUBLIC, True, f"one of {', '.join(GRADES)}"),
    Field("years_of_service", _PUBLIC, True, "0-60"),
    Field("job_network", _PUBLIC, True, "e.g. POLNET; the programme's rules may restrict it per role"),
    Field("job_family", _PUBLIC, False, "up to 100 characters"),
    Field("languages", _PUBLIC, True, "1-10 languages; at least one of the programme's meeting languages"),
    Field("gender", _PUBLIC, False, "as the participant states it"),
    Field("skills", _PUBLIC, False, "up to 30"),
    Field("goals", _PUBLIC, False, "up to 30"),
    Field("favourite_activities", _PUBLIC, False, "up to 30"),
    Field("expertise_areas", _PUBLIC, False, "coaches: areas of coaching expertise, up to 30"),
    Field("linkedin_url", _PUBLIC, False, "an https://www.linkedin.com/ address"),
    Field("bio", _PUBLIC, False, "up to 2000 characters"),
    Field(
        "preferred_language", _TEAM, False, f"language of the messages sent to the participant: {', '.join(PREFERRED_LANGUAGES)}"
    ),
    Field(
        "roles",
        _PUBLIC,
        True,
        f"1-2 of {', '.join(r.value for r in Role)} among the programme's roles; only mentor and mentee combine",
    ),
    Field("mentor_capacity", _PUBLIC, False, "mentors: how many mentees they take, within the programme's bounds"),
    Field("coach_capacity", _PUBLIC, False, "coaches: how many clients they take, within the programme's bounds"),
)
VISIBILITY: dict[str, Visibility] = {f.name: f.visibility for f in FIELDS}
TEAM_ONLY: frozenset[str] = frozenset(f.name for f in FIELDS if f.visibility is Visibility.programme_team)

# Answers stored in the public profile under another name.
PROFILE_NAME = {"name": "display_name"}
PROFILE_FIELDS = (
    "name", "entity", "duty_station", "time_zone", "grade", "years_of_service", "job_network", "job_family",
    "languages", "gender", "skills", "goals", "favourite_activities", "expertise_areas", "linkedin_url", "bio",
)  # fmt: skip
