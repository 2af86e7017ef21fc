"""Matching on the real broker and database: its read model follows the events, and the API answers from it.

Matching's real app runs in-process on a fresh database, with its own consumer running against
topics of this module's namespace. The tests publish registration's and pairing's contract events
onto Kafka as those services would, wait until matching's inbox has them, and ask the API.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from matching.cohort_cache import CohortCache
from matching.consumers import handlers
from matching.tables import candidates
from tests.apps import Signer, client, service_app
from tests.kafka_tools import read_topic, wait_until
from together_contracts.matching import AssignmentAccepted
from together_contracts.pairing import EndedBy, PairingEnded, PairingFormed, PreferencesSubmitted
from together_contracts.registration import (
    AppointmentType,
    CoachCredentialApproved,
    CohortOpened,
    ParticipantAdmitted,
    ParticipantAnswersErased,
    ParticipantProfileUpdated,
    ParticipantRegistered,
    ParticipantRoleGranted,
    ParticipantWithdrawn,
    ProgrammeCreated,
    ProgrammeKind,
    ProgrammeRules,
    ProgrammeRulesChanged,
    PublicProfile,
    Role,
    RoleRules,
    SessionPlan,
)
from together_contracts.topics import declared_topics
from together_events import Envelope, Event, EventConsumer
from together_events.tables import inbox_table
from together_events.topics import service_topic
from together_operator.provision import delete_topics, ensure_topics
from together_operator.rebuild import compare, rebuild

pytestmark = pytest.mark.integration

RUN = uuid.uuid4().hex[:8]
NS = f"matching{RUN}."


def now() -> datetime:
    return datetime.now(UTC)


class Bus:
    """Publishes contract events onto the real topics as their services' outboxes would."""

    def __init__(self, runtime) -> None:
        self.runtime = runtime
        self.sequences: Counter[str] = Counter()

    def envelope(self, event: Event, time: datetime | None = None) -> Envelope:
        self.sequences[event.aggregate_id()] += 1
        return Envelope(
            id=str(uuid.uuid4()), source=f"/together/{event.service}", type=event.event_type(), subject=event.aggregate_id(),
            time=time or now(), aggregatetype=event.aggregate, sequence=self.sequences[event.aggregate_id()],
            correlationid=str(uuid.uuid4()), data=event.model_dump(mode="json"),
        )  # fmt: skip

    async def send(self, *events: Event) -> list[Envelope]:
        """Publish, then wait until matching's consumer has handled every one (its inbox has them)."""
        sent = []
        for event in events:
            envelope = self.envelope(event)
            await self.resend(envelope, wait=False)
            sent.append(envelope)
        await self.handled(*sent)
        return sent

    async def send_at(self, event: Event, time: datetime) -> None:
        """Publish with the envelope time an earlier or later outbox would have given it."""
        await self.resend(self.envelope(event, time))

    async def resend(self, envelope: Envelope, *, wait: bool = True) -> None:
        topic = service_topic(envelope.source.rsplit("/", 1)[-1], NS)
        await self.runtime.producer.send_and_wait(
            topic, value=envelope.to_json_bytes(), key=envelope.subject.encode(), headers=envelope.kafka_headers()
        )
        if wait:
            await self.handled(envelope)

    async def handled(self, *envelopes: Envelope) -> None:
        ids = [e.id for e in envelopes]

        async def all_in_inbox() -> bool:
            async with self.runtime.engine.connect() as conn:
                count = (await conn.execute(sa.select(sa.func.count()).where(inbox_table.c.event_id.in_(ids)))).scalar_one()
            return count == len(ids)

        await wait_until(all_in_inbox, what=f"matching to handle {len(ids)} events")


@dataclass
class Service:
    http: object
    runtime: object
    bus: Bus
    signer: Signer
    cohorts: CohortCache


@pytest.fixture(scope="module")
async def service(stack, create_database, signer) -> AsyncIterator[Service]:
    saved = os.environ.get("TOGETHER_TOPIC_NAMESPACE")
    os.environ["TOGETHER_TOPIC_NAMESPACE"] = NS  # the consumer and the outbox use this module's topics
    topics = declared_topics(NS)
    await ensure_topics(stack.kafka_bootstrap, topics)
    try:
        url = await create_database("matching_events")
        async with service_app("matching", url, stack.kafka_bootstrap, signer) as (app, runtime):
            consumer = EventConsumer(
                name="matching", group_id=f"matching-{RUN}", engine=runtime.engine, bootstrap_servers=stack.kafka_bootstrap,
                handlers=handlers(runtime), dead_letters=runtime.producer, now=runtime.now,
            )  # fmt: skip
            task = asyncio.create_task(consumer.run())
            try:
                async with client(app) as http:
                    yield Service(http, runtime, Bus(runtime), signer, app.state.cohorts)
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    finally:
        if saved is None:
            os.environ.pop("TOGETHER_TOPIC_NAMESPACE", None)
        else:
            os.environ["TOGETHER_TOPIC_NAMESPACE"] = saved
        await delete_topics(stack.kafka_bootstrap, [t.name for t in topics])


MENTEE_PROFILE = dict(
    entity="DESA", duty_station="New York", time_zone="America/New_York", grade="G-5", years_of_service=5,
    job_network="DEVNET", languages=["English"], goals=["negotiation", "budgeting"],
)  # fmt: skip
MENTOR_PROFILE = dict(
    entity="OCHA", duty_station="New York", time_zone="America/New_York", grade="P-4", years_of_service=15,
    job_network="DEVNET", languages=["English"],
)  # fmt: skip


def profile(name: str, base: dict, **answers: object) -> PublicProfile:
    return PublicProfile(display_name=name, **{**base, **answers})


@dataclass
class Cohort:
    """A fresh programme and cohort; people join through registration's events on the broker."""

    service: Service
    kind: ProgrammeKind = ProgrammeKind.mentoring
    suggestions_per_mentee: int = 3
    rules: ProgrammeRules | None = None  # as from before rules existed: meetings in any language both speak
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    programme: uuid.UUID = field(default_factory=uuid.uuid4)
    people: dict[str, ParticipantRegistered] = field(default_factory=dict)

    async def open(self) -> Cohort:
        today = date.today()
        await self.service.bus.send(
            ProgrammeCreated(programme_id=self.programme, name=f"{self.kind} {RUN}", kind=self.kind,
                             suggestions_per_mentee=self.suggestions_per_mentee, rules=self.rules),
            CohortOpened(cohort_id=self.id, programme_id=self.programme, programme_kind=self.kind, name="Spring",
                         registration_opens_on=today, registration_closes_on=today + timedelta(days=10),
                         starts_on=today + timedelta(days=20), ends_on=today + timedelta(days=140)),
        )  # fmt: skip
        return self

    def registration(self, name: str, role: Role, capacity: int | None = None, **answers: object) -> ParticipantRegistered:
        seeking = role in (Role.mentee, Role.client)
        flags = {k: answers.pop(k) for k in ("waitlisted", "coach_approved") if k in answers}
        event = ParticipantRegistered(
            participant_id=uuid.uuid4(), person_id=f"{name}-{uuid.uuid4().hex[:6]}", cohort_id=self.id,
            programme_id=self.programme, roles=[role],
            mentor_capacity=capacity if role == Role.mentor else None,
            coach_capacity=capacity if role == Role.coach else None,
            profile=profile(name, MENTEE_PROFILE if seeking else MENTOR_PROFILE, **answers), registered_at=now(), **flags,
        )  # fmt: skip
        self.people[name] = event
        return event

    async def join(self, name: str, role: Role, capacity: int | None = None, **answers: object) -> uuid.UUID:
        event = self.registration(name, role, capacity, **answers)
        await self.service.bus.send(event)
        return event.participant_id

    def id_of(self, name: str) -> uuid.UUID:
        return self.people[name].participant_id

    def name_of(self, participant_id: str) -> str:
        return next(n for n, e in self.people.items() if str(e.participant_id) == participant_id)

    def as_(self, name: str) -> dict[str, str]:
        return self.service.signer.headers(self.people[name].person_id, "participant")

    def team(self) -> dict[str, str]:
        return self.service.signer.headers("lead", "programme_team", programmes=[str(self.programme)])

    async def suggestions(self, mentee: str, **params: object) -> list[dict]:
        response = await self.service.http.get(
            f"/cohorts/{self.id}/mentees/{self.id_of(mentee)}/suggestions", headers=self.as_(mentee), params=params
        )
        assert response.status_code == 200, response.text
        return response.json()["suggestions"]

    async def suggested(self, mentee: str) -> list[str]:
        return [self.name_of(s["mentor_id"]) for s in await self.suggestions(mentee)]

    def pairing(self, mentee: str, mentor: str) -> PairingFormed:
        return PairingFormed(
            pairing_id=uuid.uuid4(), request_id=uuid.uuid4(), mentee_id=self.id_of(mentee), mentor_id=self.id_of(mentor),
            cohort_id=self.id, programme_id=self.programme, mentee_person_id=self.people[mentee].person_id,
            mentor_person_id=self.people[mentor].person_id, formed_at=now(),
        )  # fmt: skip

    def state(self, name: str, event_type: type, **changes: object) -> Event:
        """A ParticipantProfileUpdated / ParticipantRoleGranted with the participant's full state after `changes`."""
        before = self.people[name]
        fields = dict(
            participant_id=before.participant_id, person_id=before.person_id, cohort_id=self.id, programme_id=self.programme,
            roles=before.roles, mentor_capacity=before.mentor_capacity, coach_capacity=before.coach_capacity,
            profile=before.profile,
        )  # fmt: skip
        fields.update(changes)
        return event_type(**fields)


@pytest.fixture
async def cohort(service) -> Cohort:
    return await Cohort(service).open()


# --- suggestions follow the events ---------------------------------------------------------------


async def test_suggestions_follow_registrations_withdrawals_pairings_and_profile_changes(service, cohort):
    await cohort.join("amina", Role.mentee)
    await cohort.join("strong", Role.mentor, capacity=1, skills=["Negotiation", "budgeting"])
    await cohort.join("plain", Role.mentor, capacity=2, job_network="POLNET")
    assert await cohort.suggested("amina") == ["strong", "plain"]

    # A new mentor appears in later suggestions, ranked by the score.
    await cohort.join("newcomer", Role.mentor, capacity=2, skills=["negotiation"])
    assert await cohort.suggested("amina") == ["strong", "newcomer", "plain"]
    await cohort.join("fourth", Role.mentor, capacity=2, job_network="INFONET")
    assert len(await cohort.suggested("amina")) == 3  # the programme's suggestions_per_mentee
    assert len(await cohort.suggestions("amina", limit=1)) == 1

    # A withdrawal takes the mentor out.
    await service.bus.send(
        ParticipantWithdrawn(participant_id=cohort.id_of("plain"), person_id=cohort.people["plain"].person_id,
                             cohort_id=cohort.id, programme_id=cohort.programme, withdrawn_at=now(), answers_erased=False)
    )  # fmt: skip
    assert "plain" not in await cohort.suggested("amina")

    # A pairing that fills the mentor's one place takes them out; its end brings them back.
    await cohort.join("other-mentee", Role.mentee)
    formed = cohort.pairing("other-mentee", "strong")
    [formed_envelope] = await service.bus.send(formed)
    assert "strong" not in await cohort.suggested("amina")
    await service.bus.send(
        PairingEnded(pairing_id=formed.pairing_id, mentee_id=formed.mentee_id, mentor_id=formed.mentor_id, cohort_id=cohort.id,
                     ended_by=EndedBy.mentee, ended_at=now())
    )  # fmt: skip
    assert (await cohort.suggested("amina"))[0] == "strong"
    await service.bus.resend(formed_envelope)  # a redelivered PairingFormed: the inbox keeps it from refilling the place
    assert (await cohort.suggested("amina"))[0] == "strong"

    # A profile change changes the reasons.
    before = {s["mentor_id"]: s for s in await cohort.suggestions("amina")}[str(cohort.id_of("newcomer"))]
    assert "has 'negotiation' among skills, which is one of your goals" in before["reasons"]
    new_profile = profile("newcomer", MENTOR_PROFILE, skills=["budgeting"], languages=["English", "French"])
    await service.bus.send(
        cohort.state(
            "newcomer", ParticipantProfileUpdated, profile=new_profile, changed=["skills", "languages"], updated_at=now()
        )
    )
    after = {s["mentor_id"]: s for s in await cohort.suggestions("amina")}[str(cohort.id_of("newcomer"))]
    assert "has 'budgeting' among skills, which is one of your goals" in after["reasons"]
    assert "has 'negotiation' among skills, which is one of your goals" not in after["reasons"]
    assert {c["factor"] for c in after["contributions"]} >= {"skills_for_goals", "language", "grade"}
    assert after["score"] == pytest.approx(sum(c["points"] for c in after["contributions"]))

    # A role granted after registration closed: a mentee who becomes a mentor too.
    await cohort.join("senior-mentee", Role.mentee, grade="P-5", years_of_service=20, skills=["negotiation", "budgeting"])
    await service.bus.send(
        cohort.state("senior-mentee", ParticipantRoleGranted, roles=[Role.mentee, Role.mentor], mentor_capacity=1,
                     granted_role=Role.mentor, granted_at=now())
    )  # fmt: skip
    assert "senior-mentee" in await cohort.suggested("amina")


async def test_the_cohort_index_is_built_once_and_rebuilt_after_an_event_changes_the_cohort(service, cohort):
    await cohort.join("amina", Role.mentee)
    await cohort.join("first", Role.mentor, capacity=1)
    builds = service.cohorts.builds
    assert await cohort.suggested("amina") == ["first"]
    assert await cohort.suggested("amina") == ["first"]
    assert service.cohorts.builds == builds + 1  # the second request used the cached index
    await cohort.join("second", Role.mentor, capacity=1, skills=["negotiation"])
    assert await cohort.suggested("amina") == ["second", "first"]
    assert service.cohorts.builds == builds + 2
    await cohort.join("third", Role.mentor, capacity=1)
    at_once = await asyncio.gather(*(cohort.suggested("amina") for _ in range(5)))
    assert all("third" in names for names in at_once)
    assert service.cohorts.builds == builds + 3  # five requests found it stale at once; one rebuilt it
    await cohort.join("another-mentee", Role.mentee)  # no mentor changed: the index stands
    assert len(await cohort.suggested("another-mentee")) == 3
    assert service.cohorts.builds == builds + 3


async def test_changed_matching_weights_reorder_later_suggestions(service, cohort):
    await cohort.join("amina", Role.mentee)
    await cohort.join("same-network", Role.mentor, capacity=1, entity="DESA")  # DEVNET, as amina
    await cohort.join(
        "skilled", Role.mentor, capacity=1, entity="DESA", job_network="POLNET", skills=["negotiation", "budgeting"]
    )
    assert await cohort.suggested("amina") == ["skilled", "same-network"]  # 2 x 2.0 for goals beat 3.0 for the network

    rules = ProgrammeRules(
        roles={role: RoleRules(appointment_types=[AppointmentType.permanent]) for role in (Role.mentor, Role.mentee)},
        meeting_languages=["English"], session_plan=SessionPlan(period_months=4, meeting_interval="twice a month"),
        matching_weights={"job_network": 10.0},
    )  # fmt: skip
    await service.bus.send(ProgrammeRulesChanged(programme_id=cohort.programme, rules=rules, changed_at=now()))
    assert await cohort.suggested("amina") == ["same-network", "skilled"]
    [first, _] = await cohort.suggestions("amina")
    assert {"factor": "job_network", "points": 10.0, "reason": "both work in DEVNET"} in first["contributions"]


async def test_registrations_before_their_programme_and_selections_out_of_order(service):
    early = Cohort(service, suggestions_per_mentee=1)  # its ProgrammeCreated and CohortOpened come last
    await early.join("amina", Role.mentee)
    await early.join("first", Role.mentor, capacity=1, skills=["negotiation"])
    await early.join("second", Role.mentor, capacity=1)
    assert await early.suggested("amina") == ["first", "second"]  # the default length until the programme is known
    await early.open()
    assert await early.suggested("amina") == ["first"]  # the programme's suggestions_per_mentee

    newer, older = now(), now() - timedelta(minutes=5)
    mentee, first, second = early.id_of("amina"), early.id_of("first"), early.id_of("second")
    await service.bus.send_at(
        PreferencesSubmitted(selection_id=uuid.uuid4(), mentee_id=mentee, cohort_id=early.id, ranked_mentor_ids=[second, first]),
        newer,
    )
    await service.bus.send_at(  # an earlier selection read later: it does not replace the newer one
        PreferencesSubmitted(selection_id=uuid.uuid4(), mentee_id=mentee, cohort_id=early.id, ranked_mentor_ids=[first]), older
    )
    proposal = await service.http.post(f"/cohorts/{early.id}/assignments", json={}, headers=early.team())
    [pair] = proposal.json()["pairs"]
    assert (pair["mentor_id"], pair["choice"]) == (str(second), 1)


async def test_an_unknown_grade_leaves_that_participant_out_and_nobody_else(service, cohort):
    await cohort.join("amina", Role.mentee)
    await cohort.join("odd", Role.mentor, capacity=1, grade="Senior")  # the contract allows any text
    await cohort.join("known", Role.mentor, capacity=1)
    await cohort.join("odd-mentee", Role.mentee, grade="Junior")
    assert await cohort.suggested("amina") == ["known"]
    why = await service.http.get(
        f"/cohorts/{cohort.id}/mentees/{cohort.id_of('amina')}/why-not/{cohort.id_of('odd')}", headers=cohort.team()
    )
    assert [e["rule"] for e in why.json()["exclusions"]] == ["unknown_grade"]
    refused = await service.http.get(
        f"/cohorts/{cohort.id}/mentees/{cohort.id_of('odd-mentee')}/suggestions", headers=cohort.as_("odd-mentee")
    )
    assert refused.status_code == 409
    proposal = (await service.http.post(f"/cohorts/{cohort.id}/assignments", json={}, headers=cohort.team())).json()
    assert proposal["report"]["mentees"] == 2
    assert {u["mentee_id"]: u["reason"] for u in proposal["report"]["unmatched"]} == {
        str(cohort.id_of("odd-mentee")): "your grade 'Junior' is not one matching knows"
    }


async def test_a_pairing_before_the_mentors_registration_still_counts(service, cohort):
    await cohort.join("amina", Role.mentee)
    await cohort.join("taken-early", Role.mentee)
    late = cohort.registration("late", Role.mentor, capacity=1)
    # The pairing's partition was read first: matching learns of the pairing before the mentor.
    pairing = PairingFormed(
        pairing_id=uuid.uuid4(), request_id=uuid.uuid4(), mentee_id=cohort.id_of("taken-early"), mentor_id=late.participant_id,
        cohort_id=cohort.id, programme_id=cohort.programme, mentee_person_id="x", mentor_person_id=late.person_id,
        formed_at=now(),
    )  # fmt: skip
    await service.bus.send(pairing)
    await service.bus.send(late)
    await cohort.join("free", Role.mentor, capacity=1)
    assert await cohort.suggested("amina") == ["free"]


async def test_a_coach_appears_once_approved_and_waitlisted_people_do_not_take_part(service):
    coaching = await Cohort(service, kind=ProgrammeKind.coaching, suggestions_per_mentee=5).open()
    await coaching.join("client", Role.client, goals=["leadership"])
    coach = await coaching.join("coach", Role.coach, capacity=2, expertise_areas=["Leadership"])
    await coaching.join("waiting-coach", Role.coach, capacity=2, waitlisted=True, coach_approved=True)
    assert await coaching.suggested("client") == []
    await service.bus.send(
        CoachCredentialApproved(participant_id=coach, person_id=coaching.people["coach"].person_id, cohort_id=coaching.id,
                                programme_id=coaching.programme, credential_id=uuid.uuid4(), approved_at=now())
    )  # fmt: skip
    [suggestion] = await coaching.suggestions("client")
    assert suggestion["mentor_id"] == str(coach)
    assert "has 'leadership' among areas of expertise, which is one of your goals" in suggestion["reasons"]

    await coaching.join("waiting-client", Role.client, waitlisted=True)
    response = await service.http.get(
        f"/cohorts/{coaching.id}/mentees/{coaching.id_of('waiting-client')}/suggestions", headers=coaching.as_("waiting-client")
    )
    assert response.status_code == 409, response.text
    await service.bus.send(
        ParticipantAdmitted(participant_id=coaching.id_of("waiting-client"), cohort_id=coaching.id,
                            programme_id=coaching.programme, admitted_at=now())
    )  # fmt: skip
    assert await coaching.suggested("waiting-client") == ["coach"]


async def test_every_suggestion_served_is_published_for_audit_without_its_reasons(service, cohort):
    await cohort.join("amina", Role.mentee)
    mentor = await cohort.join("mentor", Role.mentor, capacity=1)
    shown = await cohort.suggestions("amina")
    assert await service.runtime.relay.publish_pending() >= 1

    records = await read_topic(service.runtime.settings.kafka_bootstrap_servers, service_topic("matching", NS))
    served = [json.loads(r.value) for r in records if r.key == str(cohort.id_of("amina")).encode()]
    [event] = [e for e in served if e["type"] == "together.matching.SuggestionsServed.v2"]
    assert event["data"]["suggestions"] == [{"mentor_id": str(mentor), "score": shown[0]["score"]}]
    # The reasons quote both people's answers: they stay in the API (ADR 0008).
    assert shown[0]["reasons"] and not any(reason in json.dumps(served) for reason in shown[0]["reasons"])


# --- why not --------------------------------------------------------------------------------------


async def test_the_team_learns_why_a_mentor_was_not_suggested(service, cohort):
    await cohort.join("amina", Role.mentee)
    for name in ("best", "second", "third"):
        await cohort.join(name, Role.mentor, capacity=1, skills=["negotiation"])
    await cohort.join("fourth", Role.mentor, capacity=1, job_network="POLNET", entity="DESA")  # scores least
    await cohort.join("francophone", Role.mentor, capacity=1, languages=["French"])
    await cohort.join("junior", Role.mentor, capacity=1, grade="G-4", years_of_service=2)
    await cohort.join("left", Role.mentor, capacity=1)
    await cohort.join("busy", Role.mentor, capacity=1, skills=["negotiation"])
    await cohort.join("busy-mentee", Role.mentee)
    await service.bus.send(cohort.pairing("busy-mentee", "busy"))
    await service.bus.send(
        ParticipantWithdrawn(participant_id=cohort.id_of("left"), person_id=cohort.people["left"].person_id,
                             cohort_id=cohort.id, programme_id=cohort.programme, withdrawn_at=now(), answers_erased=True)
    )  # fmt: skip

    async def why_not(mentor: str, headers: dict | None = None):
        return await service.http.get(
            f"/cohorts/{cohort.id}/mentees/{cohort.id_of('amina')}/why-not/{cohort.id_of(mentor)}",
            headers=headers or cohort.team(),
        )

    both = (await why_not("francophone")).json()
    assert both["suggested"] is False
    assert [e["rule"] for e in both["exclusions"]] == ["language"]
    junior = (await why_not("junior")).json()
    assert [e["rule"] for e in junior["exclusions"]] == ["grade"]
    assert "the mentor must be more experienced than you" in junior["exclusions"][0]["reason"]
    left = (await why_not("left")).json()
    busy = (await why_not("busy")).json()
    assert [e["rule"] for e in busy["exclusions"]] == ["capacity"]
    assert busy["exclusions"][0]["reason"] == "the mentor has no free place (1 of 1 taken)"
    assert [e["rule"] for e in left["exclusions"]] == ["withdrawn"]

    below = (await why_not("fourth")).json()
    assert below["exclusions"] == [] and below["suggested"] is False
    assert (below["rank"], below["eligible"], below["suggestions_per_mentee"]) == (4, 4, 3)
    assert below["score"] < below["lowest_suggested_score"]
    assert "only the top 3 are suggested" in below["summary"]
    assert {c["factor"] for c in below["contributions"]} >= {"grade", "language"}

    best = (await why_not("best")).json()
    assert best["suggested"] is True and best["rank"] <= 3

    assert (await why_not("best", cohort.as_("amina"))).status_code == 403  # the team's question only
    other_team = service.signer.headers("lead", "programme_team", programmes=[str(uuid.uuid4())])
    assert (await why_not("best", other_team)).status_code == 404  # the mentee is not theirs to see (ADR 0005)


async def test_only_the_programmes_meeting_languages_count_and_reverse_mentorings_why_not_says_its_rule(service):
    """An English and French programme: a mentor who shares only Spanish with the mentee is not suggested. In
    reverse mentoring a mentor of the mentee's own grade is not either, and the team reads why in its language."""
    english_and_french = ProgrammeRules(
        roles={role: RoleRules(appointment_types=[AppointmentType.permanent]) for role in (Role.mentor, Role.mentee)},
        meeting_languages=["English", "French"], session_plan=SessionPlan(period_months=3, meeting_interval="monthly"),
    )  # fmt: skip
    cohort = await Cohort(service, kind=ProgrammeKind.reverse_mentoring, rules=english_and_french).open()
    await cohort.join("leader", Role.mentee, grade="D-1", years_of_service=25, languages=["Spanish", "English"])
    await cohort.join("hispanic", Role.mentor, capacity=1, grade="P-2", languages=["Spanish"])
    await cohort.join("peer", Role.mentor, capacity=1, grade="D-1", languages=["English"])
    await cohort.join("junior", Role.mentor, capacity=1, grade="P-3", languages=["english"])
    assert await cohort.suggested("leader") == ["junior"]

    async def why_not(mentor: str, language: str) -> dict:
        response = await service.http.get(
            f"/cohorts/{cohort.id}/mentees/{cohort.id_of('leader')}/why-not/{cohort.id_of(mentor)}",
            headers={**cohort.team(), "Accept-Language": language},
        )
        assert response.status_code == 200, response.text
        return response.json()

    spanish = await why_not("hispanic", "fr-CH, fr;q=0.9, en;q=0.5")
    assert [e["rule"] for e in spanish["exclusions"]] == ["language"]
    assert spanish["exclusions"][0]["reason"] == (
        "aucune langue de réunion commune : dans ce programme, les réunions se tiennent en English ou French ; "
        "vous parlez Spanish, English ; le mentor parle Spanish"
    )
    peer = {language: await why_not("peer", language) for language in ("en", "fr", "es")}
    assert [e["rule"] for e in peer["en"]["exclusions"]] == ["grade"]
    assert {language: answer["exclusions"][0]["reason"] for language, answer in peer.items()} == {
        "en": "in reverse mentoring the mentor's grade must be below yours: the mentor is D-1, the same grade as you",
        "fr": "en mentorat inversé, la classe du mentor doit être inférieure à la vôtre : le mentor est D-1, la même classe que vous",
        "es": "en la mentoría inversa, la categoría del mentor debe ser inferior a la suya: el mentor es D-1, la misma categoría que usted",
    }
    assert peer["es"]["summary"].startswith("excluido por una regla obligatoria: en la mentoría inversa")


# --- search ---------------------------------------------------------------------------------------


async def test_search_filters_pages_and_ranks_for_the_cohorts_mentees(service):
    coaching = await Cohort(service, kind=ProgrammeKind.coaching, suggestions_per_mentee=5).open()
    await coaching.join("client", Role.client, goals=["leadership", "resilience"], languages=["English", "French"])
    await coaching.join("other-client", Role.client)
    common = dict(capacity=2, coach_approved=True)
    await coaching.join("ana", Role.coach, **common, entity="UNICEF", gender="female", languages=["English", "Spanish"],
                        expertise_areas=["Leadership"], bio="Coaching leaders through change", time_zone="America/New_York")  # fmt: skip
    await coaching.join("ben", Role.coach, **common, entity="UNDP", gender="male", languages=["French"], job_network="POLNET",
                        expertise_areas=["Resilience", "Leadership"], skills=["negotiating"], duty_station="Geneva",
                        time_zone="Europe/Zurich")  # fmt: skip
    await coaching.join("chloe", Role.coach, **common, entity="UNICEF", gender="female", languages=["English"],
                        expertise_areas=["Career transitions"], bio="Former negotiator")  # fmt: skip
    await coaching.join("unapproved", Role.coach, capacity=2, entity="UNICEF", expertise_areas=["Leadership"])
    await coaching.join("full", Role.coach, capacity=1, coach_approved=True, entity="UNICEF", expertise_areas=["Leadership"])
    await service.bus.send(coaching.pairing("other-client", "full"))

    async def search(headers: dict | None = None, **params: object) -> dict:
        response = await service.http.get(f"/cohorts/{coaching.id}/mentors", params=params, headers=headers or coaching.team())
        assert response.status_code == 200, response.text
        return response.json()

    def names(body: dict) -> list[str]:
        return [r["display_name"] for r in body["results"]]

    everyone = await search()
    assert (everyone["ranked_by"], everyone["total"], names(everyone)) == ("name", 4, ["ana", "ben", "chloe", "full"])
    assert names(await search(entity="unicef")) == ["ana", "chloe", "full"]
    assert names(await search(entity="UNICEF", gender="female")) == ["ana", "chloe"]
    assert names(await search(language="french")) == ["ben"]
    assert names(await search(expertise="leadership")) == ["ana", "ben", "full"]
    assert names(await search(duty_station="Geneva")) == ["ben"]
    assert names(await search(time_zone="Europe/Zurich")) == ["ben"]
    assert names(await search(job_network="POLNET")) == ["ben"]
    assert names(await search(available="true")) == ["ana", "ben", "chloe"]
    assert names(await search(q="negotiat")) == ["ben", "chloe"]  # a skill and a bio, by prefix
    assert names(await search(q="leaders change")) == ["ana"]
    assert names(await search(q="leadership")) == ["ana", "ben", "full"]  # areas of expertise too

    first, second = await search(limit=2), await search(limit=2, offset=2)
    assert (names(first), names(second), first["total"], second["total"]) == (["ana", "ben"], ["chloe", "full"], 4, 4)
    past_the_end = await search(limit=2, offset=10)
    assert (past_the_end["results"], past_the_end["total"]) == ([], 4)

    # The client sees the same filters ranked by their score, without those a hard rule excludes.
    mine = await search(coaching.as_("client"))
    assert mine["ranked_by"] == "score"
    assert names(mine) == ["ben", "ana", "chloe"]  # two goals, one goal, none; "full" has no place
    assert [r["score"] for r in mine["results"]] == sorted((r["score"] for r in mine["results"]), reverse=True)
    assert mine["results"][0]["reasons"]
    assert names(await search(coaching.as_("client"), gender="female")) == ["ana", "chloe"]

    stranger = await Cohort(service).open()
    await stranger.join("outsider", Role.mentee)
    refused = await service.http.get(f"/cohorts/{coaching.id}/mentors", headers=stranger.as_("outsider"))
    assert refused.status_code == 404  # not their cohort: as if it did not exist (ADR 0005)
    bad = await service.http.get(f"/cohorts/{coaching.id}/mentors", params={"q": "!!", "limit": 0}, headers=coaching.team())
    assert bad.status_code == 422
    assert {d["field"] for d in bad.json()["error"]["details"]} == {"query.limit"}
    no_words = await service.http.get(f"/cohorts/{coaching.id}/mentors", params={"q": "!!"}, headers=coaching.team())
    assert (no_words.status_code, no_words.json()["error"]["details"][0]["rule"]) == (422, "has_words")


# --- cohort-wide assignment -------------------------------------------------------------------------


async def test_the_team_proposes_reviews_and_accepts_a_cohort_wide_assignment(service, cohort):
    for mentee in ("a", "b", "c"):
        await cohort.join(mentee, Role.mentee)
    await cohort.join("x", Role.mentor, capacity=1, skills=["negotiation"])
    await cohort.join("y", Role.mentor, capacity=1)
    await cohort.join("too-junior", Role.mentor, capacity=3, grade="G-3")
    await service.bus.send(
        PreferencesSubmitted(selection_id=uuid.uuid4(), mentee_id=cohort.id_of("a"), cohort_id=cohort.id,
                             ranked_mentor_ids=[cohort.id_of("y")]),
        PreferencesSubmitted(selection_id=uuid.uuid4(), mentee_id=cohort.id_of("b"), cohort_id=cohort.id,
                             ranked_mentor_ids=[cohort.id_of("x"), cohort.id_of("y")]),
        # A selection pairing made from an assignment is not the mentee's own ranking: it changes nothing.
        PreferencesSubmitted(selection_id=uuid.uuid4(), mentee_id=cohort.id_of("b"), cohort_id=cohort.id,
                             ranked_mentor_ids=[cohort.id_of("y")], assignment_id=uuid.uuid4()),
    )  # fmt: skip
    path = f"/cohorts/{cohort.id}/assignments"

    proposed = await service.http.post(path, json={"method": "optimal"}, headers=cohort.team())
    assert proposed.status_code == 201, proposed.text
    proposal = proposed.json()
    pairs = {cohort.name_of(p["mentee_id"]): (cohort.name_of(p["mentor_id"]), p["choice"]) for p in proposal["pairs"]}
    assert pairs == {"a": ("y", 1), "b": ("x", 1)}  # both first choices; c is left without a place
    report = proposal["report"]
    assert (report["mentees"], report["paired"], report["choices"]) == (3, 2, {"1": 2, "2": 0, "3": 0, "4": 0, "5": 0})
    assert report["unmatched"] == [{"mentee_id": str(cohort.id_of("c")), "reason": "all your candidate mentors were full"}]
    assert report["total_score"] == pytest.approx(sum(p["score"] for p in proposal["pairs"]), abs=1e-3)
    assert proposal["status"] == "proposed"

    stable = await service.http.post(path, json={"method": "stable"}, headers=cohort.team())
    assert stable.status_code == 201, stable.text
    assert stable.json()["report"]["paired"] == 2
    assert (await service.http.post(path, json={"method": "random"}, headers=cohort.team())).status_code == 422

    listed = (await service.http.get(path, headers=cohort.team())).json()
    assert [p["assignment_id"] for p in listed] == [stable.json()["assignment_id"], proposal["assignment_id"]]  # newest first
    assert listed[1]["report"] == report

    one = f"{path}/{proposal['assignment_id']}"
    assert (await service.http.get(one, headers=cohort.team())).json() == proposal
    assert (await service.http.post(f"{one}/accept", headers=cohort.as_("a"))).status_code == 404  # the team's alone to see
    accepted = await service.http.post(f"{one}/accept", headers=cohort.team())
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    assert (await service.http.post(f"{one}/accept", headers=cohort.team())).status_code == 409

    await service.runtime.relay.publish_pending()
    records = await read_topic(service.runtime.settings.kafka_bootstrap_servers, service_topic("matching", NS))
    [event] = [
        AssignmentAccepted.model_validate(e["data"])
        for e in (json.loads(r.value) for r in records)
        if e["type"] == AssignmentAccepted.event_type() and e["data"]["assignment_id"] == proposal["assignment_id"]
    ]
    assert (event.cohort_id, event.programme_id) == (cohort.id, cohort.programme)
    assert {(p.mentee_id, p.mentor_id) for p in event.pairs} == {
        (cohort.id_of("a"), cohort.id_of("y")),
        (cohort.id_of("b"), cohort.id_of("x")),
    }


async def test_an_assignment_with_no_mentor_says_why_each_mentee_is_left_out(service, cohort):
    await cohort.join("alone", Role.mentee)
    response = await service.http.post(f"/cohorts/{cohort.id}/assignments", json={}, headers=cohort.team())
    assert response.status_code == 201, response.text
    assert response.json()["pairs"] == []
    assert response.json()["report"]["unmatched"] == [
        {"mentee_id": str(cohort.id_of("alone")), "reason": "no mentor has a free place"}
    ]


# --- fairness -------------------------------------------------------------------------------------


async def test_the_fairness_report_on_a_small_known_cohort(service):
    small = await Cohort(service, suggestions_per_mentee=1).open()
    for mentee, gender in (("m1", "female"), ("m2", "male"), ("m3", "female"), ("m4", None)):
        await small.join(mentee, Role.mentee, gender=gender)
    # "star" fits every mentee best; the others are eligible but score less.
    await small.join("star", Role.mentor, capacity=2, skills=["negotiation", "budgeting"], gender="female", grade="P-5")
    await small.join("p4", Role.mentor, capacity=2, job_network="POLNET", gender="male", entity="DESA")
    await small.join("p3", Role.mentor, capacity=2, job_network="POLNET", gender="male", grade="P-3", entity="DESA")
    await small.join("d1", Role.mentor, capacity=2, job_network="POLNET", grade="D-1", entity="DESA", duty_station="Geneva")
    for mentee in ("m1", "m2", "m3", "m1"):  # m1 looks twice: one suggestion still counts once
        assert await small.suggested(mentee) == ["star"]
    await service.bus.send(small.pairing("m2", "p4"))

    response = await service.http.get(f"/cohorts/{small.id}/fairness", headers=small.team())
    assert response.status_code == 200, response.text
    body = response.json()
    concentration = body["concentration"]
    assert (concentration["mentors"], concentration["suggestions"], concentration["mentors_suggested"]) == (4, 3, 1)
    assert (concentration["top_decile_mentors"], concentration["top_decile_share"]) == (1, 1.0)
    assert concentration["gini"] == 0.75  # counts 0, 0, 0, 3
    assert concentration["most_suggested"] == [
        {"mentor_id": str(small.id_of("star")), "display_name": "star", "suggestions": 3, "share": 1.0}
    ]
    grades = {g["value"]: (g["mentors"], g["suggestions"], g["suggestion_share"], g["acceptances"]) for g in body["by"]["grade"]}
    assert grades == {"P-5": (1, 3, 1.0, 0), "P-4": (1, 0, 0.0, 1), "P-3": (1, 0, 0.0, 0), "D-1": (1, 0, 0.0, 0)}
    genders = {g["value"]: (g["mentors"], g["suggestions"], g["acceptances"]) for g in body["by"]["gender"]}
    assert genders == {"female": (1, 3, 0), "male": (2, 0, 1), "not stated": (1, 0, 0)}
    entities = {g["value"]: (g["mentors"], g["suggestions"]) for g in body["by"]["entity"]}
    assert entities == {"OCHA": (1, 3), "DESA": (3, 0)}
    stations = {g["value"]: g["mentors"] for g in body["by"]["duty_station"]}
    assert stations == {"New York": 3, "Geneva": 1}
    mentee_genders = {g["value"]: (g["mentees"], g["suggested"], g["paired"]) for g in body["mentees_by"]["gender"]}
    assert mentee_genders == {"female": (2, 2, 0), "male": (1, 1, 1), "not stated": (1, 0, 0)}  # m4 never looked

    assert (await service.http.get(f"/cohorts/{small.id}/fairness", headers=small.as_("m1"))).status_code == 403
    missing = await service.http.get(f"/cohorts/{uuid.uuid4()}/fairness", headers=small.team())
    assert missing.status_code == 404


# --- erasure ----------------------------------------------------------------------------------------


async def rows_mentioning(runtime, text: str) -> list[str]:
    """Every table of matching's database whose rows, as text, contain `text` (any case)."""
    async with runtime.engine.connect() as conn:
        tables = (await conn.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))).scalars()
        found = []
        for table in tables:
            query = sa.text(f'SELECT count(*) FROM "{table}" AS t WHERE t::text ILIKE :pattern')
            if (await conn.execute(query, {"pattern": f"%{text}%"})).scalar_one():
                found.append(table)
    return found


async def test_an_erasure_leaves_placeholders_and_nothing_of_the_old_answers(service, cohort, create_database, stack):
    await cohort.join("amina", Role.mentee)
    secret_name, secret_skill, secret_bio = f"Zephyrine{RUN}", f"basketweaving{RUN}", f"birdwatcher{RUN}"
    event = cohort.registration("leaver", Role.mentor, capacity=2, skills=["negotiation", secret_skill], bio=f"A {secret_bio}.")
    event = event.model_copy(update={"profile": event.profile.model_copy(update={"display_name": secret_name})})
    cohort.people["leaver"] = event
    await service.bus.send(event)
    for secret in (secret_name, secret_skill, secret_bio):
        assert await rows_mentioning(service.runtime, secret) == ["candidates"]  # the scan sees the copy while kept
    search = await service.http.get(f"/cohorts/{cohort.id}/mentors", headers=cohort.team(), params={"q": secret_skill})
    assert [m["display_name"] for m in search.json()["results"]] == [secret_name], search.text

    # Withdrawn first, erased later (as registration publishes an erasure asked for after withdrawal).
    leaver = cohort.people["leaver"]
    common = dict(participant_id=leaver.participant_id, person_id=leaver.person_id, cohort_id=cohort.id,
                  programme_id=cohort.programme)  # fmt: skip
    await service.bus.send(ParticipantWithdrawn(**common, withdrawn_at=now(), answers_erased=False))
    await service.bus.send(ParticipantAnswersErased(**common, erased_at=now()))

    for secret in (secret_name, secret_skill, secret_bio):
        assert await rows_mentioning(service.runtime, secret) == [], secret
    # The placeholders a sealed profile opens to once its key is gone: grade and years too (a rebuild agrees).
    placeholders = PublicProfile(display_name="Withdrawn participant", entity="(erased)", duty_station="(erased)",
                                 time_zone="UTC", grade="(erased)", years_of_service=0, job_network="(erased)",
                                 languages=["(erased)"]).model_dump(mode="json")  # fmt: skip
    select = sa.select(candidates).where(candidates.c.participant_id == leaver.participant_id)
    async with service.runtime.engine.connect() as conn:
        row = (await conn.execute(select)).one()
        search_words = (await conn.execute(sa.text("SELECT length(search_document) FROM candidates WHERE participant_id = :p"),
                                           {"p": leaver.participant_id})).scalar_one()  # fmt: skip
    assert row.profile == placeholders
    assert search_words == 0  # nothing of theirs is searchable
    # Kept for audit and counts: who they were in the cohort, not what they answered.
    assert (row.person_id, row.roles, row.capacity, row.withdrawn) == (leaver.person_id, ["mentor"], 2, True)
    assert "leaver" not in await cohort.suggested("amina")
    search = await service.http.get(f"/cohorts/{cohort.id}/mentors", headers=cohort.team(), params={"q": secret_skill})
    assert search.json()["results"] == []

    # Erased again (a second request, or the same one replayed under a new id): the same placeholders.
    await service.bus.send(ParticipantAnswersErased(**common, erased_at=now()))
    async with service.runtime.engine.connect() as conn:
        assert (await conn.execute(select)).one().profile == placeholders

    # Rebuilt from the topics, the read model equals the live one, erasure included.
    fresh = await create_database("rebuilt_matching_erasure")
    await rebuild("matching", fresh, bootstrap=stack.kafka_bootstrap, prefix=NS)
    live = service.runtime.engine.url.render_as_string(hide_password=False)
    comparison = await compare("matching", fresh, live)
    assert comparison.equal, comparison.lines()
