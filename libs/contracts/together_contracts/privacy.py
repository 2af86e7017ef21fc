"""What each field of each event says about people: the classification the catalogue publishes.

Four classes (docs/adr/0008-personal-data-in-events.md):

- `public`: a fact of the programme, about no one in particular: programme, cohort, request, pairing
  and session ids, dates, statuses, counts, ratings, scores, the programme's own rules and names;
- `pseudonymous`: an id that stands for a person (a participant id, the identity provider's subject):
  it links a person's events without saying who they are; whoever holds registration's records can
  say who it is;
- `personal`: what describes a person: their name, entity, duty station, time zone, languages,
  skills, goals, gender, and reasons that quote those answers;
- `free text`: what a person wrote in their own words: a biography, a reason given to a coach.
  (An agenda title is the programme's: a step of its session plan.)

Free text and suggestion reasons no longer travel (ADR 0008): they are in the v1 of the events that
carried them (`PublicProfile.bio`, `CoachCredentialRejected.reason`, `ServedSuggestion.reasons`),
which stay registered, and so classified, for history; the versions published today have none.

A field is classified by its name, the same way in every event; `BY_MODEL` holds the few names
whose meaning depends on the model (a participant's time zone is personal, a session's is not).
A test fails when a field has no class, so a new field is classified when it is added.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import get_args

from pydantic import BaseModel


class Privacy(StrEnum):
    public = "public"
    pseudonymous = "pseudonymous"
    personal = "personal"
    free_text = "free text"


_PUBLIC = (
    # ids of things, not people
    "assignment_id cohort_id programme_id credential_id notification_id pairing_id request_id selection_id "
    "series_id session_id session_ids cancelled_session_ids held_session_ids after_session_id recurrence_id "
    "source_event_id verification_id calendar_uid timetable_entry_id "
    # how a sealed value is sealed (the sealed answers themselves are personal)
    "alg nonce "
    # when
    "accepted_at admitted_at agreed_at approved_at available_at cancelled_at changed_at closed_at completed_at declined_at "
    "ended_at ends_before ends_on erased_at exhausted_at expired_at expires_at followed_at formed_at given_at "
    "granted_at last_held_at published_at queued_at reached_mentor_at recorded_at registered_at registration_closes_on "
    "registration_opens_on rejected_at remind_at reminded_at requested_at rescheduled_at served_at set_at skipped_at "
    "starts_on submitted_at updated_at withdrawn_at starts_at previous_starts_at occurrence_starts exdates "
    "previous_remind_at previous_expires_at moved_at days_added days_removed refused_at lapsed_at answered_at "
    "duration_minutes rrule previous_rrule calendar_sequence time_zone "
    # what happened, how it stands, how much
    "kind programme_kind engagement rank rating score reason was_pending participant_withdrew answers_erased "
    "waitlisted coach_approved changed granted_role roles mentor_capacity coach_capacity places "
    "sessions_completed sessions_planned suggestions_per_mentee failed_rules survey confidence satisfaction "
    "items_rated items_met ground_rules_version framework goal_count need_count step_count last_due_on "
    "steps_met steps_partly_met steps_not_met plan_worked "
    # the programme's own words and rules
    "name rules session_plan agenda agenda_title agenda_themes next_agenda_title period_months meeting_interval session_minutes meeting_languages "
    "matching_weights cross_entity_preferred cross_duty_station_preferred answers_erasable official_holidays appointment_types "
    "entities job_networks min_capacity max_capacity "
    # the programme team's functional mailbox, as the programme publishes it (e.g. mentoring@un.org)
    "team_mailbox "
    # objects: each of their fields has its own class ("per field" in the catalogue)
    "profile suggestions pairs"
)
_PSEUDONYMOUS = (
    "participant_id participant_ids person_id mentee_id mentor_id mentee_person_id mentor_person_id organiser_id "
    "recipient_id recorded_by set_by completed_by ended_by withdrawn_participant_id ranked_mentor_ids key_id"
)
_PERSONAL = (
    "display_name entity duty_station grade years_of_service job_network job_family languages skills goals gender "
    "favourite_activities expertise_areas linkedin_url reasons ciphertext"
)
_FREE_TEXT = "bio"

BY_NAME: dict[str, Privacy] = {
    **dict.fromkeys(_PUBLIC.split(), Privacy.public),
    **dict.fromkeys(_PSEUDONYMOUS.split(), Privacy.pseudonymous),
    **dict.fromkeys(_PERSONAL.split(), Privacy.personal),
    **dict.fromkeys(_FREE_TEXT.split(), Privacy.free_text),
}

# (model, field) where the name alone does not say it.
BY_MODEL: dict[tuple[str, str], Privacy] = {
    ("PublicProfile", "time_zone"): Privacy.personal,  # where a person works; a session's zone is the meeting's
    ("CoachCredentialRejected", "reason"): Privacy.free_text,  # the programme team's words to one coach
    # A timetable entry's title and language are the programme's (a person's title or language would be personal).
    **{
        (event, field): Privacy.public
        for event in ("TimetableEntryPublished", "TimetableEntryChanged", "TimetableEntryCancelled")
        for field in ("title", "language")
    },
    ("HolidaysChanged", "duty_station"): Privacy.public,  # a place whose calendar the team set, not a person's answer
}


class Unclassified(LookupError):
    """A field the catalogue cannot classify: add it to BY_NAME (or BY_MODEL)."""


def privacy_of(model: str, field: str) -> Privacy:
    """The class of `field` in `model` (an event or a model nested in one)."""
    found = BY_MODEL.get((model, field)) or BY_NAME.get(field)
    if found is None:
        raise Unclassified(f"{model}.{field} has no privacy class: add it to together_contracts.privacy")
    return found


def fields_of(model: type[BaseModel], path: str = "") -> Iterator[tuple[str, Privacy]]:
    """Every field of `model` and of the models nested in it, as (dotted path, class), in declaration order."""
    for name, field in model.model_fields.items():
        yield f"{path}{name}", privacy_of(model.__name__, name)
        for nested in _models_in(field.annotation):
            yield from fields_of(nested, f"{path}{name}.")


def _models_in(annotation: object) -> Iterator[type[BaseModel]]:
    """The pydantic models an annotation holds: `Model`, `Model | None`, `list[Model]`, `dict[K, Model]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for argument in get_args(annotation):
        yield from _models_in(argument)
