"""Every field of every event has a privacy class, and the classes say what the rule book says."""

from __future__ import annotations

import pytest

from together_contracts import matching, matching_v2, registration, registration_v2
from together_contracts.privacy import Privacy, Unclassified, fields_of, privacy_of
from together_contracts.registration import ParticipantRegistered
from together_contracts.topics import SERVICES
from together_events.registry import Event, registered_types


def project_events():
    """The services' contracts (other tests register events of their own)."""
    return [model for model in registered_types().values() if model.service in SERVICES]


@pytest.mark.parametrize("model", project_events(), ids=lambda model: model.event_type())
def test_every_field_of_every_event_is_classified(model):
    classified = dict(fields_of(model))
    assert classified, model
    assert all(isinstance(privacy, Privacy) for privacy in classified.values())


def test_a_new_field_without_a_class_is_refused_by_name():
    with pytest.raises(Unclassified, match=r"ParticipantRegistered\.favourite_colour has no privacy class"):
        privacy_of("ParticipantRegistered", "favourite_colour")


def test_the_profile_is_personal_and_the_ids_pseudonymous():
    classified = dict(fields_of(ParticipantRegistered))
    assert classified["participant_id"] is Privacy.pseudonymous
    assert classified["person_id"] is Privacy.pseudonymous
    assert classified["cohort_id"] is Privacy.public
    for answer in ("display_name", "entity", "duty_station", "time_zone", "languages", "gender", "linkedin_url"):
        assert classified[f"profile.{answer}"] is Privacy.personal, answer
    assert classified["profile.bio"] is Privacy.free_text


def test_a_sessions_time_zone_is_the_meetings_not_a_persons():
    assert privacy_of("SessionScheduled", "time_zone") is Privacy.public
    assert privacy_of("PublicProfile", "time_zone") is Privacy.personal
    assert privacy_of("CoachCredentialRejected", "reason") is Privacy.free_text
    assert privacy_of("RequestWithdrawn", "reason") is Privacy.public  # a reason code, not words


def published_today() -> list[type[Event]]:
    """The newest version of each project event: the one its service publishes (older ones are history)."""
    newest: dict[tuple[str, str], type[Event]] = {}
    for model in project_events():
        key = (model.service, model.__name__)
        if key not in newest or newest[key].version < model.version:
            newest[key] = model
    return sorted(newest.values(), key=lambda model: model.event_type())


@pytest.mark.parametrize("model", published_today(), ids=lambda model: model.event_type())
def test_no_event_published_today_carries_free_text_or_reasons_that_quote_answers(model):
    classified = dict(fields_of(model))
    assert [path for path, privacy in classified.items() if privacy is Privacy.free_text] == []
    assert [path for path in classified if path.rsplit(".", 1)[-1] == "reasons"] == []


def test_the_retired_versions_keep_their_classes_for_history():
    assert registration_v2.CoachCredentialRejected in published_today()
    assert matching_v2.SuggestionsServed in published_today()
    assert dict(fields_of(registration.CoachCredentialRejected))["reason"] is Privacy.free_text
    assert dict(fields_of(matching.SuggestionsServed))["suggestions.reasons"] is Privacy.personal
    assert dict(fields_of(matching_v2.SuggestionsServed)) == {
        "mentee_id": Privacy.pseudonymous,
        "cohort_id": Privacy.public,
        "suggestions": Privacy.public,
        "suggestions.mentor_id": Privacy.pseudonymous,
        "suggestions.score": Privacy.public,
        "served_at": Privacy.public,
    }
