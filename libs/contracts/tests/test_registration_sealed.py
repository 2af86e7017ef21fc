"""v2 of the profile events: the profile sealed per person, the biography left out, v1 back when opened."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from together_contracts import registration as v1
from together_contracts import registration_sealed as v2
from together_contracts.privacy import Privacy, fields_of
from together_contracts.registration import ERASED_DISPLAY_NAME, PublicProfile, Role
from together_contracts.sealing import SealBroken, new_data_key
from together_events.registry import model_for

PROFILE = PublicProfile(
    display_name="Amina Diallo",
    entity="UNEP",
    duty_station="Nairobi",
    time_zone="Africa/Nairobi",
    grade="P-4",
    years_of_service=9,
    job_network="ECON",
    languages=["English", "French"],
    bio="I grew up in Dakar and love chess.",
    linkedin_url="https://www.linkedin.com/in/amina",
)
NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def registered() -> v1.ParticipantRegistered:
    return v1.ParticipantRegistered(
        participant_id=uuid4(),
        person_id="person-1",
        cohort_id=uuid4(),
        programme_id=uuid4(),
        roles=[Role.mentor],
        mentor_capacity=2,
        profile=PROFILE,
        registered_at=NOW,
    )


def test_v1_and_v2_are_both_registered():
    for name in ("ParticipantRegistered", "ParticipantProfileUpdated", "ParticipantRoleGranted"):
        assert model_for(f"together.registration.{name}.v1") is getattr(v1, name)
        assert model_for(f"together.registration.{name}.v2") is getattr(v2, name)


def test_a_sealed_event_carries_no_answer_in_clear_and_opens_to_v1_without_the_biography():
    plain, key = registered(), new_data_key()
    sealed = v2.sealed(plain, key)
    text = sealed.model_dump_json()
    for answer in ("Amina", "UNEP", "Nairobi", "ECON", "French", "chess", "linkedin", "P-4"):
        assert answer not in text
    assert sealed.profile.key_id == plain.participant_id and sealed.event_type().endswith(".v2")
    back = v2.opened(sealed, v2.open_profile(sealed, key))
    assert type(back) is v1.ParticipantRegistered
    assert back == plain.model_copy(update={"profile": PROFILE.model_copy(update={"bio": None})})


def test_every_v2_state_event_round_trips():
    key, participant = new_data_key(), uuid4()
    state = {"participant_id": participant, "person_id": "p", "cohort_id": uuid4(), "programme_id": uuid4(),
             "roles": [Role.mentee], "profile": PROFILE}  # fmt: skip
    for plain in (
        v1.ParticipantProfileUpdated(**state, changed=["languages"], updated_at=NOW),
        v1.ParticipantRoleGranted(**state, granted_role=Role.mentee, granted_at=NOW),
    ):
        sealed = v2.sealed(plain, key)
        assert v2.opened(sealed, v2.open_profile(sealed, key)).profile.display_name == "Amina Diallo"


def test_without_its_key_a_profile_opens_to_the_erased_placeholders():
    sealed = v2.sealed(registered(), new_data_key())
    profile = v2.open_profile(sealed, None)
    assert profile.display_name == ERASED_DISPLAY_NAME and profile.entity == "(erased)" and profile.grade == "(erased)"


def test_a_profile_moved_into_another_participants_event_or_opened_with_another_key_is_refused():
    key = new_data_key()
    first, second = v2.sealed(registered(), key), v2.sealed(registered(), key)
    with pytest.raises(SealBroken):
        v2.open_profile(first.model_copy(update={"profile": second.profile}), key)
    with pytest.raises(SealBroken):
        v2.open_profile(first, new_data_key())


def test_the_sealed_profile_is_classified_field_by_field():
    classes = dict(fields_of(v2.ParticipantRegistered))
    assert classes["profile.key_id"] is Privacy.pseudonymous
    assert classes["profile.ciphertext"] is Privacy.personal
    assert classes["profile.nonce"] is Privacy.public
