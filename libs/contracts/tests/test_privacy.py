"""Every field of every event has a privacy class, and the classes say what the rule book says."""

from __future__ import annotations

import pytest

from together_contracts.privacy import Privacy, Unclassified, fields_of, privacy_of
from together_contracts.registration import ParticipantRegistered
from together_contracts.topics import SERVICES
from together_events.registry import registered_types


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
