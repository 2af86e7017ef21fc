"""Pairing checks the hard rules itself, where a request is made, whatever matching suggested.

On the real stack: registration's real app (in-process, served over loopback for the data keys) takes
the programmes, cohorts and registrations through its API; its relay publishes them to Kafka; pairing's
real consumer reads them (opening the sealed profiles with keys from registration) into pairing's own
read model. Then mentees bypass the suggestions: ranked and direct requests to mentors matching would
never suggest, and an accepted assignment (published as matching's outbox would) whose pairs broke the
rules since. Each is refused, naming the rule, in the caller's language; a fair request goes through.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from pairing.consumers import handlers
from pairing.tables import participants, programmes
from tests.apps import Signer, client, service_app
from tests.integration.test_notifications_delivery import served
from tests.kafka_tools import wait_until
from tests.verification import verify
from together_contracts.matching import AssignedPair, AssignmentAccepted
from together_contracts.topics import declared_topics
from together_events import Envelope, EventConsumer
from together_events.tables import outbox_table
from together_events.topics import service_topic
from together_operator.provision import delete_topics, ensure_topics
from together_servicekit.runtime import Runtime

pytestmark = pytest.mark.integration


@dataclass
class Stack:
    registration: httpx.AsyncClient
    registration_runtime: Runtime
    pairing: httpx.AsyncClient
    pairing_runtime: Runtime
    signer: Signer
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    subjects: dict[str, str] = field(default_factory=dict)  # participant id -> token subject

    @property
    def team(self) -> dict[str, str]:
        return self.signer.headers(f"lead-{self.run}", "programme_team", programmes=["*"])

    def as_(self, participant: str, language: str | None = None) -> dict[str, str]:
        headers = self.signer.headers(self.subjects[participant], "participant")
        return {**headers, "Accept-Language": language} if language else headers

    async def programme(self, kind: str, rules: dict[str, Any] | None = None) -> str:
        body = {"name": f"{kind} {self.run}", "kind": kind, **({"rules": rules} if rules else {})}
        response = await self.registration.post("/programmes", json=body, headers=self.team)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    async def cohort(self, programme: str) -> str:
        today = self.registration_runtime.now().date()
        dates = {
            "registration_opens_on": today - timedelta(days=1),
            "registration_closes_on": today + timedelta(days=10),
            "starts_on": today + timedelta(days=11),
            "ends_on": today + timedelta(days=100),
        }
        body = {"name": f"cohort {self.run}", **{k: v.isoformat() for k, v in dates.items()}}
        response = await self.registration.post(f"/programmes/{programme}/cohorts", json=body, headers=self.team)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    async def register(self, cohort: str, name: str, role: str, **answers: Any) -> str:
        """Registers through registration's API and follows the verification link: known to all from now on."""
        subject = f"{name}-{self.run}"
        body = {
            "name": name.title(), "email": f"{subject}@un.org", "appointment_type": "permanent", "entity": "DESA",
            "duty_station": "Geneva", "time_zone": "Europe/Zurich", "grade": "G-6", "years_of_service": 5,
            "job_network": "POLNET", "languages": ["English"], "roles": [role],
            **({"mentor_capacity": 1} if role == "mentor" else {}), **answers,
        }  # fmt: skip
        person = self.signer.headers(subject, "participant")
        response = await self.registration.post(f"/cohorts/{cohort}/participants", json=body, headers=person)
        assert response.status_code == 201, response.text
        participant = str(response.json()["id"])
        await verify(self.registration, self.registration_runtime.engine, participant, person=person, signer=self.signer)
        self.subjects[participant] = subject
        return participant

    async def relay(self) -> None:
        """Registration's relay publishes what its outbox holds, as it does in the service."""
        while await self.registration_runtime.relay.publish_pending():
            pass

    async def pairing_knows(self, *people: str) -> None:
        async def known() -> bool:
            async with self.pairing_runtime.engine.connect() as conn:
                query = sa.select(sa.func.count()).where(
                    participants.c.id.in_([uuid.UUID(p) for p in people]), participants.c.grade.is_not(None)
                )
                return (await conn.execute(query)).scalar_one() == len(people)

        await self.relay()
        await wait_until(known, timeout=60, what="pairing to learn of the registrations")

    async def rules_in_pairing(self, programme: str) -> dict[str, Any] | None:
        async with self.pairing_runtime.engine.connect() as conn:
            query = sa.select(programmes.c.rules).where(programmes.c.id == uuid.UUID(programme))
            rules: dict[str, Any] | None = (await conn.execute(query)).scalar()
            return rules

    async def request(self, cohort: str, mentee: str, *mentors: str, language: str | None = None, **body: Any) -> httpx.Response:
        return await self.pairing.post(
            f"/cohorts/{cohort}/mentees/{mentee}/preferences",
            json={"mentor_ids": list(mentors), **body},
            headers=self.as_(mentee, language),
        )

    async def accept_current(self, mentor: str) -> None:
        current = await self.pairing.get(f"/mentors/{mentor}/current-request", headers=self.as_(mentor))
        assert current.status_code == 200, current.text
        accepted = await self.pairing.post(f"/requests/{current.json()['id']}/accept", headers=self.as_(mentor))
        assert accepted.status_code == 200, accepted.text


def refused_for(response: httpx.Response) -> list[tuple[str, str]]:
    assert response.status_code == 422, response.text
    return [(d["field"], d["rule"]) for d in response.json()["error"]["details"]]


def messages(response: httpx.Response) -> list[str]:
    return [d["message"] for d in response.json()["error"]["details"]]


@pytest.fixture
async def world(stack, create_database, signer, monkeypatch) -> AsyncIterator[Stack]:
    namespace = f"rules{uuid.uuid4().hex[:8]}."
    monkeypatch.setenv("TOGETHER_TOPIC_NAMESPACE", namespace)  # the relay, the consumer and the outboxes use these topics
    topics = declared_topics(namespace)
    await ensure_topics(stack.kafka_bootstrap, topics)
    try:
        registration_db, pairing_db = await create_database("rules_reg"), await create_database("rules_pairing")
        async with (
            service_app("registration", registration_db, stack.kafka_bootstrap, signer) as (reg_app, reg_runtime),
            client(reg_app) as registration,
            served(reg_app) as registration_url,
        ):
            key_reader = signer.token("pairing", "service", scopes=["registration:data-keys"])
            pairing_settings = {"registration_url": registration_url, "token_source": "static", "service_token": key_reader}
            async with (
                service_app("pairing", pairing_db, stack.kafka_bootstrap, signer, **pairing_settings) as (app, runtime),
                client(app) as pairing,
            ):
                consumer = EventConsumer(
                    name="pairing", group_id=f"pairing-{namespace}", engine=runtime.engine,
                    bootstrap_servers=stack.kafka_bootstrap, handlers=handlers(runtime), dead_letters=runtime.producer,
                    now=runtime.now,
                )  # fmt: skip
                consuming = asyncio.create_task(consumer.run())
                try:
                    yield Stack(registration, reg_runtime, pairing, runtime, signer)
                finally:
                    consuming.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await consuming
    finally:
        await delete_topics(stack.kafka_bootstrap, [t.name for t in topics])


async def test_requests_that_bypass_the_suggestions_are_refused_naming_each_rule(world: Stack):
    # A mentoring programme in English and French (the default), open to the Secretariat and to ITC.
    programme = await world.programme("mentoring", {"entities": ["ITC"]})
    cohort = await world.cohort(programme)
    ana = await world.register(cohort, "ana", "mentee", languages=["English", "Spanish"])
    itc_mentee = await world.register(cohort, "ivo", "mentee", entity="ITC", grade="G-4")
    waiting = await world.register(cohort, "wen", "mentee", grade="G-4")
    senior = await world.register(cohort, "sam", "mentor", grade="P-4", years_of_service=12)
    junior = await world.register(cohort, "jo", "mentor", grade="G-5", years_of_service=3)
    hispanic = await world.register(cohort, "hugo", "mentor", grade="P-5", years_of_service=20, languages=["French", "Spanish"])
    itc_mentor = await world.register(cohort, "ida", "mentor", grade="P-5", years_of_service=20, entity="ITC")
    busy = await world.register(cohort, "bo", "mentor", grade="P-5", years_of_service=20)
    await world.pairing_knows(ana, itc_mentee, waiting, senior, junior, hispanic, itc_mentor, busy)
    assert (await world.request(cohort, waiting, busy)).status_code == 201
    await world.accept_current(busy)  # busy's one place is taken

    # Ranked: every mentor but the first breaks a rule; every reason at once, each naming its rule.
    ranked = await world.request(cohort, ana, senior, junior, hispanic, busy)
    assert refused_for(ranked) == [
        ("mentor_ids.1", "grade"),
        ("mentor_ids.2", "language"),  # Spanish is shared, but meetings are held in English or French
        ("mentor_ids.3", "free_capacity"),
    ]
    grade, language, _ = messages(ranked)
    assert grade == (
        f"mentor {junior}: the mentor must be more experienced than you (a higher grade, or the same grade and more years of "
        "service): the mentor is G-5 with 3 years of service; you are G-6 with 5"
    )
    assert language == (
        f"mentor {hispanic}: no shared meeting language: meetings in this programme are held in English or French; "
        "you speak English, Spanish; the mentor speaks French, Spanish"
    )
    in_french = await world.request(cohort, ana, junior, language="fr-FR, fr;q=0.9")
    assert refused_for(in_french) == [("mentor_ids.0", "grade")]
    assert messages(in_french)[0].startswith(f"mentor {junior} : le mentor doit avoir plus d'expérience que vous")
    assert in_french.json()["error"]["message"].startswith("préférences refusées : ")

    # The programme no longer takes ITC staff: requests to and from them are refused, naming the entity.
    changed = await world.registration.patch(f"/programmes/{programme}/rules", json={"entities": []}, headers=world.team)
    assert changed.status_code == 200, changed.text
    await world.relay()

    async def rules_changed() -> bool:
        rules = await world.rules_in_pairing(programme)
        return rules is not None and rules["entities"] == []

    await wait_until(rules_changed, timeout=60, what="pairing to learn of the programme's new rules")
    to_itc = await world.request(cohort, ana, itc_mentor, language="es")
    assert refused_for(to_itc) == [("mentor_ids.0", "eligible_entity")]
    assert messages(to_itc) == [
        f"mentor {itc_mentor}: la entidad «ITC» no es elegible para este programa, abierto a la Secretaría"
    ]
    from_itc = await world.request(cohort, itc_mentee, senior)
    assert refused_for(from_itc) == [("mentee_id", "eligible_entity")]
    assert messages(from_itc) == ["entity 'ITC' is not eligible for this programme, which is open to the Secretariat"]

    # A request meeting every rule goes through.
    assert (await world.request(cohort, ana, senior)).status_code == 201


async def test_reverse_mentoring_and_direct_requests_are_held_to_their_grade_rule(world: Stack):
    reverse = await world.cohort(await world.programme("reverse_mentoring"))
    leader = await world.register(reverse, "lea", "mentee", grade="D-1", years_of_service=25)
    peer = await world.register(reverse, "pat", "mentor", grade="D-1", years_of_service=2)
    junior = await world.register(reverse, "jun", "mentor", grade="P-2", years_of_service=2)
    networking = await world.cohort(await world.programme("networking_mentoring"))
    asker = await world.register(networking, "nia", "mentee", grade="P-3", years_of_service=6)
    same = await world.register(networking, "nat", "mentor", grade="P-3", years_of_service=6)
    await world.pairing_knows(leader, peer, junior, asker, same)

    equal = await world.request(reverse, leader, peer, language="es")
    assert refused_for(equal) == [("mentor_ids.0", "grade")]
    assert messages(equal) == [
        f"mentor {peer}: en la mentoría inversa, la categoría del mentor debe ser inferior a la suya: "
        "el mentor es D-1, la misma categoría que usted"
    ]
    direct = await world.request(networking, asker, same, engagement="networking_meetings")
    assert refused_for(direct) == [("mentor_ids.0", "grade")]
    assert (await world.request(reverse, leader, junior)).status_code == 201  # juniors mentor seniors


async def test_an_accepted_assignment_whose_pairs_break_a_rule_skips_them_with_the_rule(world: Stack):
    programme = await world.programme("mentoring")
    cohort = await world.cohort(programme)
    ana = await world.register(cohort, "ana", "mentee", languages=["English", "Spanish"])
    ben = await world.register(cohort, "ben", "mentee", languages=["English", "Spanish"])
    cid = await world.register(cohort, "cid", "mentee")
    junior = await world.register(cohort, "jo", "mentor", grade="G-5", years_of_service=3)
    hispanic = await world.register(cohort, "hugo", "mentor", grade="P-5", years_of_service=20, languages=["French", "Spanish"])
    senior = await world.register(cohort, "sam", "mentor", grade="P-4", years_of_service=12)
    await world.pairing_knows(ana, ben, cid, junior, hispanic, senior)
    assignment = AssignmentAccepted(
        assignment_id=uuid.uuid4(), cohort_id=uuid.UUID(cohort), programme_id=uuid.UUID(programme),
        accepted_at=datetime.now(UTC),
        pairs=[AssignedPair(mentee_id=uuid.UUID(ana), mentor_id=uuid.UUID(junior), score=3.0),
               AssignedPair(mentee_id=uuid.UUID(ben), mentor_id=uuid.UUID(hispanic), score=2.0),
               AssignedPair(mentee_id=uuid.UUID(cid), mentor_id=uuid.UUID(senior), score=1.0)],
    )  # fmt: skip
    envelope = Envelope(
        id=str(uuid.uuid4()), source="/together/matching", type=assignment.event_type(), subject=assignment.aggregate_id(),
        time=datetime.now(UTC), aggregatetype=assignment.aggregate, sequence=1, correlationid=str(uuid.uuid4()),
        data=assignment.model_dump(mode="json"),
    )  # fmt: skip
    await world.pairing_runtime.producer.send_and_wait(
        service_topic("matching"), value=envelope.to_json_bytes(), key=envelope.subject.encode()
    )

    async def outbox(event_type: str) -> list[dict[str, Any]]:
        async with world.pairing_runtime.engine.connect() as conn:
            query = sa.select(outbox_table.c.envelope).where(outbox_table.c.event_type == event_type)
            return [row.envelope["data"] for row in await conn.execute(query.order_by(outbox_table.c.position))]

    async def handled() -> bool:
        return len(await outbox("together.pairing.PreferencesSubmitted.v1")) == 1

    await wait_until(handled, timeout=60, what="pairing to handle the accepted assignment")
    skipped = await outbox("together.pairing.AssignedPairSkipped.v2")
    assert [(s["mentee_id"], s["mentor_id"], s["reason"]) for s in skipped] == [
        (ana, junior, "grade"),
        (ben, hispanic, "language"),
    ]
    assert await outbox("together.pairing.AssignedPairSkipped.v1") == []  # v1 cannot say these reasons
    [sent] = await outbox("together.pairing.PreferencesSubmitted.v1")
    assert (sent["mentee_id"], sent["ranked_mentor_ids"]) == (cid, [senior])
