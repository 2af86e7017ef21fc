"""Sealed answers open with their person's key in their own event only; without the key they stay shut."""

from __future__ import annotations

from uuid import uuid4

import pytest

from together_contracts.registration import PublicProfile
from together_contracts.sealing import SealBroken, Sealed, new_data_key, open_sealed, seal

PROFILE = PublicProfile(
    display_name="Amina Diallo",
    entity="UNEP",
    duty_station="Nairobi",
    time_zone="Africa/Nairobi",
    grade="P-4",
    years_of_service=9,
    job_network="ECON",
    languages=["English", "French"],
    gender="female",
)
EVENT = "together.registration.ParticipantRegistered.v2"


def test_a_sealed_profile_opens_with_its_key_in_its_event():
    key, participant = new_data_key(), uuid4()
    sealed = seal(PROFILE, key=key, key_id=participant, event_type=EVENT, subject=str(participant))
    assert sealed.key_id == participant and sealed.alg == "A256GCM"
    assert "Amina" not in sealed.model_dump_json() and "Nairobi" not in sealed.model_dump_json()
    travelled = Sealed.model_validate_json(sealed.model_dump_json())  # through a record and back
    assert open_sealed(travelled, PublicProfile, key=key, event_type=EVENT, subject=str(participant)) == PROFILE


def test_each_seal_has_its_own_nonce():
    key, participant = new_data_key(), uuid4()
    first, second = (seal(PROFILE, key=key, key_id=participant, event_type=EVENT, subject=str(participant)) for _ in range(2))
    assert first.nonce != second.nonce and first.ciphertext != second.ciphertext


def test_another_key_another_event_or_an_altered_value_does_not_open():
    key, participant = new_data_key(), uuid4()
    sealed = seal(PROFILE, key=key, key_id=participant, event_type=EVENT, subject=str(participant))
    with pytest.raises(SealBroken):
        open_sealed(sealed, PublicProfile, key=new_data_key(), event_type=EVENT, subject=str(participant))
    with pytest.raises(SealBroken):  # pasted into someone else's event
        open_sealed(sealed, PublicProfile, key=key, event_type=EVENT, subject=str(uuid4()))
    with pytest.raises(SealBroken):
        open_sealed(
            sealed, PublicProfile, key=key, event_type=EVENT.replace("Registered", "ProfileUpdated"), subject=str(participant)
        )
    flipped = sealed.ciphertext[:-2] + ("A" if sealed.ciphertext[-2] != "A" else "B") + sealed.ciphertext[-1]
    with pytest.raises(SealBroken):
        open_sealed(
            sealed.model_copy(update={"ciphertext": flipped}), PublicProfile, key=key, event_type=EVENT, subject=str(participant)
        )
