"""Opening sealed profiles: the key from registration (once, then from memory), placeholders after an
erasure, a transient failure while registration does not answer, the v1 handlers fed the opened event."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from together_contracts import registration as v1
from together_contracts import registration_sealed as v2
from together_contracts.registration import ERASED_DISPLAY_NAME, PublicProfile, Role
from together_contracts.sealing import SealBroken, key_text, new_data_key
from together_events import Handlers
from together_events.failures import is_outage, is_transient
from together_servicekit.data_keys import DataKeys, ProfileOpener
from together_servicekit.registration_client import RegistrationClient, RegistrationUnavailable
from together_servicekit.settings import CallsRegistration

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
PROFILE = PublicProfile(
    display_name="Amina Diallo", entity="UNEP", duty_station="Nairobi", time_zone="Africa/Nairobi",
    grade="P-4", years_of_service=9, job_network="ECON", languages=["English"],
)  # fmt: skip


class Settings(CallsRegistration):
    service_name: str = "matching"
    database_name: str = "matching"
    port: int = 8002


class Registration:
    """Registration's key endpoint, as the test sets it: keys by participant, or down."""

    def __init__(self) -> None:
        self.keys: dict[UUID, bytes] = {}
        self.asked: list[str] = []
        self.down = False

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(request.url.path)
        assert request.headers["Authorization"] == "Bearer service-token"
        if self.down:
            return httpx.Response(503, text="starting")
        participant = UUID(request.url.path.split("/")[2])
        key = self.keys.get(participant)
        if key is None:
            return httpx.Response(404, json={"detail": "participant not found"})
        return httpx.Response(200, json={"participant_id": str(participant), "alg": "A256GCM", "key": key_text(key)})


def opener(registration: Registration) -> ProfileOpener:
    settings = Settings(token_source="static", service_token="service-token", registration_url="http://registration")
    http = httpx.AsyncClient(transport=httpx.MockTransport(registration.handle))
    return ProfileOpener(DataKeys(RegistrationClient(settings, http), seconds=300))


def sealed_registration(key: bytes) -> v2.ParticipantRegistered:
    plain = v1.ParticipantRegistered(
        participant_id=uuid4(), person_id="p", cohort_id=uuid4(), programme_id=uuid4(), roles=[Role.mentor],
        mentor_capacity=1, profile=PROFILE, registered_at=NOW,
    )  # fmt: skip
    sealed = v2.sealed(plain, key)
    assert isinstance(sealed, v2.ParticipantRegistered)
    return sealed


async def test_a_profile_opens_with_the_key_asked_once_then_kept_in_memory():
    registration, key = Registration(), new_data_key()
    event = sealed_registration(key)
    registration.keys[event.participant_id] = key
    opening = opener(registration)
    for _ in range(3):
        assert (await opening.open(event)).profile == PROFILE
    assert registration.asked == [f"/participants/{event.participant_id}/data-key"]


async def test_a_key_registration_no_longer_has_opens_to_the_placeholders():
    event = sealed_registration(new_data_key())
    opened = await opener(Registration()).open(event)
    assert type(opened) is v1.ParticipantRegistered and opened.profile.display_name == ERASED_DISPLAY_NAME
    assert opened.participant_id == event.participant_id and opened.mentor_capacity == 1


async def test_registration_not_answering_is_transient_and_a_wrong_key_is_not():
    registration, key = Registration(), new_data_key()
    event = sealed_registration(key)
    registration.down = True
    with pytest.raises(RegistrationUnavailable) as down:
        await opener(registration).open(event)
    assert is_transient(down.value) and is_outage(down.value)  # waited out by the consumer, never dead-lettered
    registration.down, registration.keys[event.participant_id] = False, new_data_key()
    with pytest.raises(SealBroken) as broken:
        await opener(registration).open(event)
    assert not is_transient(broken.value)


async def test_the_v1_handlers_take_the_v2_events_opened_and_an_erasure_drops_the_key():
    registration, key = Registration(), new_data_key()
    event = sealed_registration(key)
    registration.keys[event.participant_id] = key
    seen: list[Any] = []

    async def on_registered(_: Any, plain: v1.ParticipantRegistered, __: Any) -> None:
        seen.append(plain)

    async def on_erased(_: Any, erased: v1.ParticipantAnswersErased, __: Any) -> None:
        seen.append(erased)

    opening = opener(registration)
    handlers = opening.take_sealed(
        Handlers().on(v1.ParticipantRegistered, on_registered).on(v1.ParticipantAnswersErased, on_erased)
    )
    assert set(handlers) == {v1.ParticipantRegistered, v2.ParticipantRegistered, v1.ParticipantAnswersErased}
    await handlers[v2.ParticipantRegistered](None, event, None)  # type: ignore[arg-type]
    assert seen[-1].profile.display_name == "Amina Diallo"
    del registration.keys[event.participant_id]  # registration erased the answers: the key is gone
    erased = v1.ParticipantAnswersErased(participant_id=event.participant_id, person_id="p", cohort_id=event.cohort_id,
                                         programme_id=event.programme_id, erased_at=NOW)  # fmt: skip
    await handlers[v1.ParticipantAnswersErased](None, erased, None)  # type: ignore[arg-type]
    await handlers[v2.ParticipantRegistered](None, event, None)  # type: ignore[arg-type]
    assert seen[-1].profile.display_name == ERASED_DISPLAY_NAME  # asked again, not opened from memory


def test_production_refuses_the_development_token_source_of_every_reader_of_profiles():
    assert Settings(token_source="dev").production_refusals() == [
        "TOKEN_SOURCE=dev: its token comes from the development identity provider's grant"
    ]
    assert Settings(token_source="static", service_token="t").production_refusals() == []
