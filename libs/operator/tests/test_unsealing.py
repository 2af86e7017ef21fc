"""replay and story show a sealed profile as "(sealed)" without keys, opened with them, and as the
erased placeholders once registration has no key."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import uuid4

import httpx
from aiokafka import ConsumerRecord

from together_contracts import registration as v1
from together_contracts import registration_sealed as v2
from together_contracts.registration import ERASED_DISPLAY_NAME, PublicProfile, Role
from together_contracts.sealing import key_text, new_data_key
from together_operator.unsealing import SEALED, OperatorKeys, Unsealer
from together_servicekit.data_keys import DataKeys
from together_servicekit.registration_client import RegistrationClient

KEY = new_data_key()
PLAIN = v1.ParticipantRegistered(
    participant_id=uuid4(), person_id="p", cohort_id=uuid4(), programme_id=uuid4(), roles=[Role.mentee],
    profile=PublicProfile(display_name="Ravi Kumar", entity="UNDP", duty_station="Delhi", time_zone="Asia/Kolkata",
                          grade="P-2", years_of_service=3, job_network="ECON", languages=["Hindi"]),
    registered_at=datetime(2025, 3, 1, tzinfo=UTC),
)  # fmt: skip
ENVELOPE = {
    "type": "together.registration.ParticipantRegistered.v2",
    "subject": str(PLAIN.participant_id),
    "data": v2.sealed(PLAIN, KEY).model_dump(mode="json"),
}


def unsealer(keys: dict[str, bytes]) -> Unsealer:
    def answer(request: httpx.Request) -> httpx.Response:
        participant = request.url.path.split("/")[2]
        if participant not in keys:
            return httpx.Response(404, json={"detail": "not found"})
        return httpx.Response(200, json={"participant_id": participant, "key": key_text(keys[participant])})

    settings = OperatorKeys(registration_url="http://registration", token_source="static", service_token="t")
    return Unsealer(DataKeys(RegistrationClient(settings, httpx.AsyncClient(transport=httpx.MockTransport(answer)))))


async def test_without_keys_the_profile_shows_sealed():
    shown = await Unsealer().event(ENVELOPE)
    assert shown["data"]["profile"] == SEALED and shown["data"]["roles"] == ["mentee"]
    record = ConsumerRecord("t", 0, 0, 0, 0, None, json.dumps(ENVELOPE).encode(), None, 0, 0, [])
    replayed = await Unsealer().record(record)
    assert b"(sealed)" in replayed.value and b"ciphertext" not in replayed.value


async def test_with_keys_the_profile_opens_and_after_an_erasure_shows_the_placeholders():
    opened = await unsealer({str(PLAIN.participant_id): KEY}).event(ENVELOPE)
    assert opened["data"]["profile"]["display_name"] == "Ravi Kumar"
    erased = await unsealer({}).event(ENVELOPE)
    assert erased["data"]["profile"]["display_name"] == ERASED_DISPLAY_NAME and "Delhi" not in json.dumps(erased)


async def test_other_events_show_as_published():
    other = {"type": "together.registration.ParticipantRegistered.v1", "data": {"profile": {"display_name": "x"}}}
    assert await Unsealer().event(other) is other
