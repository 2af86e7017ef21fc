"""Free text and suggestion reasons stay with the service that owns them (ADR 0008), on the real broker.

Registration and matching run in-process on databases of their own (tests/apps.py) and publish through
their outbox relays onto the topics of a namespace of this test's own, as they do on the stack. The
topics are then read from the beginning, as any reader of them would (an auditor, a trusted HR
system, the operators' tools):

1. A programme team rejects a coach's credential with a reason: the topic carries
   `CoachCredentialRejected` v2, without the reason, and the reason's words are in no record. The
   coach reads the decision and the reason from registration's API; anyone else gets the 404 of a
   credential that does not exist.
2. A mentee is served suggestions whose reasons quote both people's answers: the topic carries
   `SuggestionsServed` v2, mentors and scores, and neither the reasons nor the answers they quote are
   in any record. The mentee reads the reasons from matching's API.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiokafka import ConsumerRecord

from matching.consumers import handlers as matching_handlers
from tests.apps import Signer, client, service_app
from tests.http.access import deliver, invisible_and_missing, registered
from tests.kafka_tools import read_topic
from tests.verification import verify
from together_contracts.registration import Role
from together_contracts.topics import declared_topics
from together_events import Envelope
from together_events.topics import service_topic
from together_operator.provision import delete_topics, ensure_topics
from together_servicekit.runtime import Runtime

pytestmark = pytest.mark.integration

REASON = "The scan of your ICF certificate is illegible; please send the renewed certificate"


@pytest.fixture
async def namespace(stack, monkeypatch) -> AsyncIterator[str]:
    """The project's topics, in a namespace of this test's own, where the services' relays publish."""
    prefix = f"freetext{uuid.uuid4().hex[:8]}."
    monkeypatch.setenv("TOGETHER_TOPIC_NAMESPACE", prefix)
    topics = declared_topics(prefix)
    await ensure_topics(stack.kafka_bootstrap, topics)
    try:
        yield prefix
    finally:
        await delete_topics(stack.kafka_bootstrap, [t.name for t in topics])


async def published(runtime: Runtime, bootstrap: str, service: str) -> list[ConsumerRecord]:
    """Everything the service's outbox holds, published by its relay; then every record on its topic."""
    while await runtime.relay.publish_pending():
        pass
    return await read_topic(bootstrap, service_topic(service))


def on_the_wire(record: ConsumerRecord) -> str:
    """A record as a reader gets it: key, headers and value."""
    headers = b" ".join(name.encode() + b"=" + value for name, value in record.headers or ())
    return (record.key or b"").decode() + " " + headers.decode() + " " + record.value.decode()


async def a_rejected_coach(http, runtime: Runtime, signer: Signer) -> tuple[uuid.UUID, uuid.UUID, dict[str, str]]:
    """A coach in a coaching cohort whose credential the team rejected with REASON: (coach, credential, coach's headers)."""
    lead = signer.headers("lead", "programme_team", programmes=["*"])
    programme = (await http.post("/programmes", json={"name": "Coaching", "kind": "coaching"}, headers=lead)).json()["id"]
    today = runtime.now().date()
    dates = {"registration_opens_on": today, "registration_closes_on": today + timedelta(days=30),
             "starts_on": today + timedelta(days=31), "ends_on": today + timedelta(days=200)}  # fmt: skip
    body = {"name": "2027", **{name: day.isoformat() for name, day in dates.items()}}
    cohort = (await http.post(f"/programmes/{programme}/cohorts", json=body, headers=lead)).json()["id"]
    answers = {
        "name": "Grace Hopper", "email": f"grace.{uuid.uuid4().hex[:8]}@un.org", "appointment_type": "permanent",
        "entity": "Secretariat", "duty_station": "Geneva", "time_zone": "Europe/Zurich", "grade": "P-4",
        "years_of_service": 9, "job_network": "POLNET", "languages": ["English"], "roles": ["coach"], "coach_capacity": 2,
    }  # fmt: skip
    grace = signer.headers(f"grace-{uuid.uuid4().hex[:8]}", "participant")
    registration = await http.post(f"/cohorts/{cohort}/participants", json=answers, headers=grace)
    assert registration.status_code == 201, registration.text
    coach = uuid.UUID(registration.json()["id"])
    await verify(http, runtime.engine, coach, person=grace, signer=signer)
    form = {"kind": "icf_certificate", "confidentiality_accepted": "true", "reference": "ICF ACC 4711"}
    submitted = await http.post(f"/participants/{coach}/credentials", data=form, headers=grace)
    assert submitted.status_code == 201, submitted.text
    credential = uuid.UUID(submitted.json()["id"])
    team = signer.headers("team", "programme_team", programmes=[programme])
    rejected = await http.post(f"/credentials/{credential}/rejection", json={"reason": REASON}, headers=team)
    assert rejected.status_code == 204, rejected.text
    return coach, credential, grace


async def test_a_credentials_rejection_reason_is_on_no_topic_and_the_coach_reads_it_from_registration(
    stack, create_database, signer, namespace
):
    database = await create_database("freetext_registration", owner="registration")
    async with service_app("registration", database, stack.kafka_bootstrap, signer) as (app, runtime), client(app) as http:
        coach, credential, grace = await a_rejected_coach(http, runtime, signer)
        records = await published(runtime, stack.kafka_bootstrap, "registration")

        about_the_coach = [Envelope.from_json_bytes(r.value) for r in records if r.key == str(coach).encode()]
        [rejection] = [e for e in about_the_coach if e.type.startswith("together.registration.CoachCredentialRejected.")]
        assert rejection.type == "together.registration.CoachCredentialRejected.v2"
        assert rejection.data["credential_id"] == str(credential) and "reason" not in rejection.data
        for words in (REASON, "illegible", "renewed certificate"):
            assert not [r.offset for r in records if words in on_the_wire(r)], f"{words!r} is on the topic"

        decision = await http.get(f"/credentials/{credential}", headers=grace)
        assert decision.status_code == 200, decision.text
        assert (decision.json()["status"], decision.json()["reason"]) == ("rejected", REASON)
        [listed] = (await http.get(f"/participants/{coach}/credentials", headers=grace)).json()
        assert (listed["id"], listed["reason"]) == (str(credential), REASON)
        # Anyone else: as if the credential did not exist (ADR 0005).
        stranger = signer.headers("someone-else", "participant")
        await invisible_and_missing(http, "GET", "/credentials/{id}", credential, stranger)


async def test_served_suggestions_carry_no_reasons_on_the_topic_and_the_mentee_reads_them_from_matching(
    stack, create_database, signer, namespace
):
    programme, cohort = uuid.uuid4(), uuid.uuid4()
    mentee = registered("amina", programme, cohort, Role.mentee, grade="P-2")
    mentor = registered("jean", programme, cohort, Role.mentor, mentor_capacity=2, grade="P-5", years_of_service=15)
    quoted = "humanitarian negotiation"  # the mentee's goal and the mentor's skill: a reason quotes it
    mentee = mentee.model_copy(update={"profile": mentee.profile.model_copy(update={"goals": [quoted], "skills": []})})
    mentor = mentor.model_copy(update={"profile": mentor.profile.model_copy(update={"skills": [quoted], "goals": []})})
    database = await create_database("freetext_matching", owner="matching")
    async with service_app("matching", database, stack.kafka_bootstrap, signer) as (app, runtime), client(app) as http:
        await deliver(runtime, matching_handlers(runtime), mentee, mentor)
        shown = await http.get(
            f"/cohorts/{cohort}/mentees/{mentee.participant_id}/suggestions", headers=signer.headers("amina", "participant")
        )
        assert shown.status_code == 200, shown.text
        [suggestion] = shown.json()["suggestions"]
        assert suggestion["mentor_id"] == str(mentor.participant_id)
        assert any(quoted in reason for reason in suggestion["reasons"]), suggestion["reasons"]  # the mentee reads them

        records = await published(runtime, stack.kafka_bootstrap, "matching")

        [served] = [Envelope.from_json_bytes(r.value) for r in records if r.key == str(mentee.participant_id).encode()]
        assert served.type == "together.matching.SuggestionsServed.v2"
        assert served.data["suggestions"] == [{"mentor_id": str(mentor.participant_id), "score": suggestion["score"]}]
        for words in (*suggestion["reasons"], quoted, "Geneva", "POLNET"):
            assert not [r.offset for r in records if words in on_the_wire(r)], f"{words!r} is on the topic"


async def test_erasing_a_coachs_answers_erases_the_teams_reason_too(stack, create_database, signer, namespace):
    """Registration is the only place the reason lives: an erasure must reach it, as it reaches the files."""
    database = await create_database("freetext_erasure", owner="registration")
    async with service_app("registration", database, stack.kafka_bootstrap, signer) as (app, runtime), client(app) as http:
        coach, credential, grace = await a_rejected_coach(http, runtime, signer)
        withdrawn = await http.post(f"/participants/{coach}/withdrawal", json={"erase_answers": True}, headers=grace)
        assert withdrawn.status_code == 200 and withdrawn.json() == {"answers_erased": True}, withdrawn.text

        decision = await http.get(f"/credentials/{credential}", headers=grace)
        assert decision.status_code == 200, decision.text
        assert (decision.json()["status"], decision.json()["reason"]) == ("rejected", None)
