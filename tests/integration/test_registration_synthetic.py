"""A synthetic cohort registers through registration's real app, on the real database and broker.

The generator's people (`together_synthetic`, a fixed seed) register in a programme whose rules
refuse some of them for each kind of reason: appointment type, entity (the Secretariat and the
programme's list), job network per role, languages against the meeting languages, mentor capacity. The test predicts each person's refusal reasons
from the generator's answers and the rules it set, evaluated here on their own (registration's
rule functions are not called), and checks the service agrees person by person. Each accepted
person follows the link of their verification mail (tests/verification.py); then the topic carries
one `AddressVerificationRequested` and one `ParticipantRegistered` per accepted person, neither with
a private answer, the latter with the public answers exactly.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any
from zoneinfo import available_timezones

import pytest

from tests.apps import client, service_app
from tests.kafka_tools import read_topic
from tests.verification import verify
from together_contracts import registration_sealed as v2
from together_contracts.registration import GRADES
from together_contracts.sealing import key_from_text
from together_events import Envelope
from together_events.registry import decode
from together_events.topics import Topic, service_topic
from together_operator.provision import delete_topics, ensure_topics
from together_synthetic import Participant, generate_cohort

pytestmark = pytest.mark.integration

SEED, MENTORS, MENTEES = 2026, 60, 80
STAFF = ["fixed_term", "continuing", "permanent"]
# Rules chosen so that, with this seed, each kind of refusal happens to several people and most are accepted.
RULES: dict[str, Any] = {
    "roles": {
        "mentor": {
            "appointment_types": STAFF,
            "job_networks": ["MAGNET", "POLNET", "DEVNET", "LOGNET", "ITECNET", "INFONET"],
            "min_capacity": 1,
            "max_capacity": 1,
        },
        "mentee": {
            "appointment_types": ["temporary", *STAFF],
            "job_networks": ["POLNET", "DEVNET", "INFONET", "MAGNET"],
        },
    },
    "meeting_languages": ["English", "Spanish"],
    "entities": ["ITC"],  # beside the Secretariat
}
# The generator's entities that are not the Secretariat's (`together_synthetic.vocabulary`).
OUTSIDE_THE_SECRETARIAT = {"UNDP", "ITC", "ISA"}
# Answers only the programme team sees: never in an event.
PRIVATE_KEYS = {"email", "index_number", "appointment_type", "preferred_language"}


def expected_refusals(person: Participant) -> set[tuple[str, str]]:
    """(field, rule) of every reason the programme's rules (RULES) refuse this person; empty if accepted."""
    reasons = set()
    if person.time_zone not in available_timezones():
        reasons.add(("time_zone", "iana_time_zone"))
    if person.grade not in GRADES:
        reasons.add(("grade", "known_grade"))
    if person.entity in OUTSIDE_THE_SECRETARIAT - set(RULES["entities"]):
        reasons.add(("entity", "eligible_entity"))
    meeting = {language.casefold() for language in RULES["meeting_languages"]}
    if not meeting & {language.casefold() for language in person.languages}:
        reasons.add(("languages", "meeting_language"))
    for role in person.roles:
        rules = RULES["roles"][role]
        if person.appointment_type not in rules["appointment_types"]:
            reasons.add(("appointment_type", "eligible_appointment_type"))
        if person.job_network.upper() not in rules["job_networks"]:
            reasons.add(("job_network", "eligible_job_network"))
    if "mentor" in person.roles:
        low, high = RULES["roles"]["mentor"]["min_capacity"], RULES["roles"]["mentor"]["max_capacity"]
        if person.mentor_capacity is None:
            reasons.add(("mentor_capacity", "required_for_mentors"))
        elif not low <= person.mentor_capacity <= high:
            reasons.add(("mentor_capacity", f"between_{low}_and_{high}"))
    return reasons


def keys_and_strings(value: Any) -> tuple[set[str], set[str]]:
    """Every object key and every string value at any depth of a JSON value."""
    if isinstance(value, str):
        return set(), {value}
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    keys, strings = set(value) if isinstance(value, dict) else set(), set()
    for item in items:
        more_keys, more_strings = keys_and_strings(item)
        keys, strings = keys | more_keys, strings | more_strings
    return keys, strings


@pytest.fixture
async def registration(stack, create_database, signer, monkeypatch):
    monkeypatch.setenv("TOGETHER_TOPIC_NAMESPACE", f"t{uuid.uuid4().hex[:8]}.")  # a topic of this test's own
    topic = service_topic("registration")
    await ensure_topics(stack.kafka_bootstrap, [Topic(topic, 2)])
    database = await create_database("registration")
    try:
        async with service_app("registration", database, stack.kafka_bootstrap, signer) as (app, runtime), client(app) as http:
            yield http, runtime
    finally:
        await delete_topics(stack.kafka_bootstrap, [topic])


async def test_a_synthetic_cohort_is_accepted_and_refused_exactly_as_the_rules_predict(registration, signer, stack):
    http, runtime = registration
    run = uuid.uuid4().hex[:8]
    team = signer.headers(f"lead-{run}", "programme_team", programmes=["*"])
    created = await http.post("/programmes", json={"name": f"synthetic {run}", "kind": "mentoring", "rules": RULES}, headers=team)
    assert created.status_code == 201, created.text
    today = runtime.now().date()
    window = {
        "name": f"cohort {run}",
        "registration_opens_on": str(today - timedelta(days=1)),
        "registration_closes_on": str(today + timedelta(days=10)),
        "starts_on": str(today + timedelta(days=11)),
        "ends_on": str(today + timedelta(days=130)),
    }
    opened = await http.post(f"/programmes/{created.json()['id']}/cohorts", json=window, headers=team)
    assert opened.status_code == 201, opened.text
    cohort = opened.json()["id"]

    synthetic = generate_cohort(SEED, mentors=MENTORS, mentees=MENTEES)
    people = list({p.row: p for p in synthetic.mentors + synthetic.mentees}.values())  # "both" people once
    predicted = {p.row: expected_refusals(p) for p in people}
    # The seed and rules give every kind of reason, some people several, and mostly acceptances.
    by_rule = Counter(rule for reasons in predicted.values() for _, rule in reasons)
    assert {"eligible_appointment_type", "eligible_entity", "eligible_job_network", "meeting_language", "between_1_and_1"} <= set(
        by_rule
    )
    assert any(len(reasons) > 1 for reasons in predicted.values())
    assert len(people) / 2 < sum(not reasons for reasons in predicted.values()) < len(people)

    limit = asyncio.Semaphore(8)

    def person_headers(person: Participant) -> dict[str, str]:
        # The token subject travels as `person_id`: the row, not the (private) index number.
        return signer.headers(f"synthetic-{run}-{person.row}", "participant")

    async def register(person: Participant) -> tuple[Participant, Any]:
        async with limit:
            return person, await http.post(
                f"/cohorts/{cohort}/participants", json=person.questionnaire(), headers=person_headers(person)
            )

    results = await asyncio.gather(*(register(p) for p in people))

    accepted: dict[str, Participant] = {}
    for person, response in results:
        if predicted[person.row]:
            assert response.status_code == 422, (person.questionnaire(), response.text)
            got = {(d["field"], d["rule"]) for d in response.json()["error"]["details"]}
            assert got == predicted[person.row], person.questionnaire()
        else:
            assert response.status_code == 201, (person.questionnaire(), response.text)
            accepted[response.json()["id"]] = person
    assert len(accepted) == sum(not reasons for reasons in predicted.values())

    async def verified(participant_id: str, person: Participant) -> None:
        async with limit:
            await verify(http, runtime.engine, participant_id, person=person_headers(person), signer=signer)

    await asyncio.gather(*(verified(participant_id, person) for participant_id, person in accepted.items()))

    while await runtime.relay.publish_pending():
        pass
    records = await read_topic(stack.kafka_bootstrap, service_topic("registration"))

    def of_type(event_type: str) -> list[tuple[Any, Envelope]]:
        return [
            (record, envelope)
            for record in records
            if (envelope := Envelope.from_json_bytes(record.value)).type.endswith(f".{event_type}")
            and envelope.data["cohort_id"] == cohort
        ]

    requested, registered = of_type("AddressVerificationRequested.v1"), of_type("ParticipantRegistered.v2")
    key_reader = signer.headers("matching", "service", scopes=["registration:data-keys"])

    async def opened(envelope: Envelope) -> dict[str, Any]:
        """The sealed profile opened with the participant's key, as a service granted the keys opens it."""
        event = decode(envelope)
        assert isinstance(event, v2.ParticipantRegistered)
        answer = await http.get(f"/participants/{event.participant_id}/data-key", headers=key_reader)
        assert answer.status_code == 200, answer.text
        return v2.open_profile(event, key_from_text(answer.json()["key"])).model_dump(mode="json")

    for events in (requested, registered):
        assert len(events) == len(accepted)  # one each: none for a refusal, none twice
        assert {envelope.subject for _, envelope in events} == set(accepted)
    for _, envelope in registered:
        person = accepted[envelope.subject]
        assert envelope.data["roles"] == list(person.roles)
        assert envelope.data["mentor_capacity"] == person.mentor_capacity
        public = person.profile().model_copy(update={"bio": None})  # the public answers, exactly; free text never travels
        assert await opened(envelope) == public.model_dump(mode="json")
    for record, envelope in requested + registered:
        person = accepted[envelope.subject]
        keys, strings = keys_and_strings(json.loads(record.value))  # the whole envelope, not just `data`
        assert not keys & PRIVATE_KEYS
        assert person.appointment_type not in strings and person.preferred_language not in strings
        for private in (person.email.encode(), person.index_number.encode()):
            assert private not in record.value and not any(private in value for _, value in record.headers)
