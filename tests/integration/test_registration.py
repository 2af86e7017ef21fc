"""Registration on the real database and broker: rules, eligibility, places, edits, closing, credentials, withdrawal.

The service's real app runs in-process on a fresh database with the travelling clock;
people act over HTTP with their tokens. Events are relayed from the outbox to Kafka by the
service's own relay and read back from the topic, keyed by this test's ids.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from registration import cohort_closer as closer_module
from registration import cohort_ender as ender_module
from registration.cohort_closer import cohort_closer, workers
from registration.cohort_ender import cohort_ender
from registration.tables import cohorts, participants
from tests.apps import Signer, client, service_app
from tests.kafka_tools import read_topic, wait_until
from tests.scrape import scrape
from tests.stack import Stack
from tests.verification import follow_link, link_token, mail_link, notifications_headers
from together_contracts import registration_sealed as v2
from together_contracts.sealing import key_from_text
from together_events import Envelope
from together_events.registry import decode
from together_events.topics import Topic, service_topic
from together_operator.provision import delete_topics, ensure_topics
from together_servicekit.clock import TravellingClock
from together_servicekit.runtime import Runtime

pytestmark = pytest.mark.integration

CREDENTIAL_MAX = 256 * 1024
PDF = b"%PDF-1.7\n" + b"0" * 1000
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200_000  # larger than the usual 64 KiB body limit


@pytest.fixture
async def registration(stack, create_database, signer, monkeypatch):
    monkeypatch.setenv("TOGETHER_TOPIC_NAMESPACE", f"t{uuid.uuid4().hex[:8]}.")  # a topic of this test's own
    topic = service_topic("registration")
    await ensure_topics(stack.kafka_bootstrap, [Topic(topic, 2)])
    database = await create_database("registration")
    app_of = service_app("registration", database, stack.kafka_bootstrap, signer, credential_max_bytes=CREDENTIAL_MAX)
    try:
        async with app_of as (app, runtime), client(app) as http:
            yield http, runtime
    finally:
        await delete_topics(stack.kafka_bootstrap, [topic])


class World:
    """A programme team, people with tokens, and the events this test caused, read from Kafka."""

    def __init__(self, http: httpx.AsyncClient, runtime: Runtime, signer: Signer, stack: Stack) -> None:
        self.http, self.runtime, self.signer, self.stack = http, runtime, signer, stack
        self.run = uuid.uuid4().hex[:8]
        self.team = signer.headers(f"lead-{self.run}", "programme_team", programmes=["*"])
        self.service = notifications_headers(signer, f"notifications-{self.run}")
        self.key_reader = signer.headers(f"matching-{self.run}", "service", scopes=["registration:data-keys"])
        self.keys: set[str] = set()

    def person(self, name: str) -> dict[str, str]:
        return self.signer.headers(f"{name}-{self.run}", "participant")

    async def programme(self, kind: str = "mentoring", rules: dict | None = None) -> str:
        body: dict[str, Any] = {"name": f"{kind} {self.run}", "kind": kind}
        if rules is not None:
            body["rules"] = rules
        response = await self.http.post("/programmes", json=body, headers=self.team)
        assert response.status_code == 201, response.text
        self.keys.add(response.json()["id"])
        return response.json()["id"]

    async def cohort(self, programme: str, *, opens_in: int = -1, closes_in: int = 10, places: int | None = None) -> str:
        today = self.runtime.now().date()
        body = {
            "name": f"cohort {self.run}",
            "registration_opens_on": str(today + timedelta(days=opens_in)),
            "registration_closes_on": str(today + timedelta(days=closes_in)),
            "starts_on": str(today + timedelta(days=closes_in + 1)),
            "ends_on": str(today + timedelta(days=closes_in + 120)),
            "places": places,
        }
        response = await self.http.post(f"/programmes/{programme}/cohorts", json=body, headers=self.team)
        assert response.status_code == 201, response.text
        self.keys.add(response.json()["id"])
        return response.json()["id"]

    def answers(self, name: str, **overrides: Any) -> dict[str, Any]:
        base = {
            "name": name.title(), "email": f"{name}.{self.run}@un.org", "index_number": "UN-998877",
            "appointment_type": "permanent", "entity": "Secretariat", "duty_station": "Geneva",
            "time_zone": "Europe/Zurich", "grade": "G-6", "years_of_service": 5, "job_network": "POLNET",
            "job_family": "Political affairs", "languages": ["English"], "gender": "female", "skills": ["drafting"],
            "goals": ["negotiation"], "favourite_activities": ["job shadowing"], "bio": "Drafts resolutions.",
            "linkedin_url": "https://www.linkedin.com/in/someone", "preferred_language": "fr", "roles": ["mentee"],
        }  # fmt: skip
        return {**base, **overrides}

    async def register(self, cohort: str, name: str, expect: int = 201, *, verify: bool = True, **overrides: Any) -> dict:
        """Register `name`, and (`verify`) follow the link of the verification mail: registered for all to see."""
        response = await self.http.post(
            f"/cohorts/{cohort}/participants", json=self.answers(name, **overrides), headers=self.person(name)
        )
        assert response.status_code == expect, response.text
        body = response.json()
        if expect == 201:
            self.keys.add(body["id"])
            if verify:
                body = {**body, **(await self.verify(body["id"], name)).json()}
        return body

    async def verification_link(self, participant_id: str) -> dict:
        """What the notifications service does for the latest verification mail: reads the request from the
        topic and asks registration for the mail's link (with its service token)."""
        requested = [
            e for e in await self.events() if e.subject == participant_id and e.type.endswith(".AddressVerificationRequested.v1")
        ]
        return await mail_link(self.http, requested[-1].data["verification_id"], self.service)

    async def verify(self, participant_id: str, name: str) -> httpx.Response:
        """`name` follows the link of the latest verification mail, signed in as themself."""
        return await follow_link(self.http, (await self.verification_link(participant_id))["link"], self.person(name))

    async def events(self, *, every: bool = False) -> list[Envelope]:
        """The events about this test's ids (or `every` event of the test's own topic), in each key's order."""
        while await self.runtime.relay.publish_pending():
            pass
        records = await read_topic(self.stack.kafka_bootstrap, service_topic("registration"))
        return [Envelope.from_json_bytes(r.value) for r in records if every or r.key.decode() in self.keys]

    async def opened(self, envelope: Envelope) -> dict[str, Any]:
        """A v2 profile event's data with the profile opened, as a service granted the data keys opens it."""
        event = decode(envelope)
        assert isinstance(event, v2.SealedEvent)
        answer = await self.http.get(f"/participants/{event.participant_id}/data-key", headers=self.key_reader)
        key = key_from_text(answer.json()["key"]) if answer.status_code == 200 else None
        return {**envelope.data, "profile": v2.open_profile(event, key).model_dump(mode="json")}

    async def types(self, key: str) -> list[str]:
        return [e.type.split(".")[2] for e in await self.events() if e.subject == key]

    def travel_days(self, days: int) -> None:
        clock = self.runtime.clock
        assert isinstance(clock, TravellingClock)  # the service runs with the travelling clock
        clock.travel(timedelta(days=days))


@pytest.fixture
async def world(registration, signer, stack) -> World:
    http, runtime = registration
    return World(http, runtime, signer, stack)


def details(response: httpx.Response | dict[str, Any]) -> set[tuple[str, str]]:
    """(field, rule) of each violation in an error response (or its parsed body)."""
    body = response if isinstance(response, dict) else response.json()
    return {(d["field"], d["rule"]) for d in body["error"]["details"]}


async def test_programmes_get_their_kinds_defaults_overrides_and_rule_changes(world: World):
    coaching = await world.programme("coaching")
    rules = (await world.http.get(f"/programmes/{coaching}", headers=world.team)).json()["rules"]
    assert rules["roles"]["coach"]["max_capacity"] == 3 and "temporary" in rules["roles"]["client"]["appointment_types"]
    assert rules["session_plan"]["session_minutes"] == 45

    pilot = await world.programme("mentoring", rules={"roles": {"mentee": {"job_networks": ["LOGNET"]}}})
    rules = (await world.http.get(f"/programmes/{pilot}", headers=world.team)).json()["rules"]
    assert rules["roles"]["mentee"]["job_networks"] == ["LOGNET"] and rules["roles"]["mentor"]["max_capacity"] == 2

    refused = await world.http.post(
        "/programmes",
        json={
            "name": "x",
            "kind": "mentoring",
            "rules": {
                "roles": {"coach": {"appointment_types": ["permanent"], "min_capacity": 1, "max_capacity": 1}},
                "session_plan": {"period_months": 0},
            },
        },
        headers=world.team,
    )
    assert refused.status_code == 422
    assert ("rules.roles.coach", "role_of_kind") in details(refused)
    assert ("rules.session_plan.period_months", "between_1_and_36") in details(refused)

    changed = await world.http.patch(
        f"/programmes/{pilot}/rules",
        json={"session_plan": {"period_months": 6}, "matching_weights": {"skills": 2.0}},
        headers=world.team,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["session_plan"]["period_months"] == 6
    same = await world.http.patch(f"/programmes/{pilot}/rules", json={"session_plan": {"period_months": 6}}, headers=world.team)
    assert same.status_code == 200  # nothing changed: no event
    bad = await world.http.patch(f"/programmes/{pilot}/rules", json={"colour": "red"}, headers=world.team)
    assert bad.status_code == 422 and details(bad) == {("rules.colour", "unknown_rule")}

    events = {e.subject: e for e in await world.events() if e.type.endswith("ProgrammeCreated.v1")}
    assert events[coaching].data["rules"]["roles"]["coach"]["min_capacity"] == 1
    assert await world.types(pilot) == ["ProgrammeCreated", "ProgrammeRulesChanged"]
    rules_changed = [e for e in await world.events() if e.subject == pilot][-1]
    assert rules_changed.data["rules"]["matching_weights"] == {"skills": 2.0}
    assert rules_changed.data["rules"]["roles"]["mentee"]["job_networks"] == ["LOGNET"]


async def test_the_questionnaire_says_which_answers_are_public(world: World):
    programme = await world.programme("coaching")
    response = await world.http.get("/questionnaire", params={"programme_id": programme}, headers=world.person("anyone"))
    assert response.status_code == 200
    visibility = {f["name"]: f["visibility"] for f in response.json()["fields"]}
    assert {n for n, v in visibility.items() if v == "programme_team"} == {
        "email", "index_number", "appointment_type", "preferred_language"
    }  # fmt: skip
    assert visibility["bio"] == "public" and visibility["coach_capacity"] == "public"
    assert response.json()["programme_rules"]["roles"]["coach"]["max_capacity"] == 3


async def test_a_named_duty_station_gives_the_time_zone_that_the_profile_carries(world: World):
    stations = (await world.http.get("/duty-stations", headers=world.person("anyone"))).json()
    by_name = {s["name"]: s for s in stations}
    for main in ("New York", "Geneva", "Vienna", "Nairobi", "Bangkok", "Addis Ababa", "Beirut", "Santiago"):
        assert by_name[main]["country"] and by_name[main]["time_zone"], main
    assert by_name["Geneva"] == {"name": "Geneva", "country": "CH", "subdivision": "GE", "time_zone": "Europe/Zurich"}

    programme = await world.programme(rules={"official_holidays": True})
    cohort = await world.cohort(programme)
    amina = await world.register(cohort, "amina", duty_station="nairobi", time_zone=None)
    refused = await world.register(cohort, "jean", expect=422, duty_station="Geneva", time_zone="Europe/Geneva")
    assert details(refused) == {("time_zone", "iana_time_zone")}
    assert "'Europe/Geneva' is not an IANA time zone: Geneva is Europe/Zurich" in refused["error"]["message"]
    elsewhere = await world.register(cohort, "ines", duty_station="Laayoune", time_zone="Africa/El_Aaiun")

    moved = await world.http.patch(
        f"/participants/{amina['id']}", json={"duty_station": "Bangkok"}, headers=world.person("amina")
    )
    assert moved.status_code == 200 and moved.json() == {"changed": ["duty_station", "time_zone"]}
    profiles = {
        (e.subject, e.type.split(".")[2]): (await world.opened(e))["profile"]
        for e in await world.events()
        if e.type.endswith((".ParticipantRegistered.v2", ".ParticipantProfileUpdated.v2"))
    }
    registered, updated = profiles[amina["id"], "ParticipantRegistered"], profiles[amina["id"], "ParticipantProfileUpdated"]
    assert (registered["duty_station"], registered["time_zone"]) == ("Nairobi", "Africa/Nairobi")
    assert (updated["duty_station"], updated["time_zone"]) == ("Bangkok", "Asia/Bangkok")
    assert profiles[elsewhere["id"], "ParticipantRegistered"]["time_zone"] == "Africa/El_Aaiun"
    created = next(e for e in await world.events() if e.subject == programme)
    assert created.data["rules"]["official_holidays"] is True


async def test_an_ineligible_registration_is_refused_with_every_reason(world: World):
    cohort = await world.cohort(await world.programme())
    refused = await world.register(cohort, "connie", expect=422, appointment_type="consultant", job_network="LOGNET")
    assert details(refused) == {
        ("appointment_type", "eligible_appointment_type"),
        ("job_network", "eligible_job_network"),
    }
    message = refused["error"]["message"]
    assert "appointment type 'consultant' is not eligible for this programme" in message
    assert "job network 'LOGNET' is not open to mentees in this cohort" in message

    many = await world.register(
        cohort, "mo", expect=422, roles=["mentor"], mentor_capacity=3, time_zone="Mars/Base", languages=["Klingon"]
    )
    assert details(many) == {
        ("mentor_capacity", "between_1_and_2"),
        ("time_zone", "iana_time_zone"),
        ("languages", "meeting_language"),
    }
    # Nothing was registered; each refusal by the eligibility rules is counted for the cohort's outcomes.
    assert await world.types(cohort) == ["CohortOpened", "RegistrationRefused", "RegistrationRefused"]
    counted = [e.data["failed_rules"] for e in await world.events() if e.type.endswith(".RegistrationRefused.v1")]
    assert counted == [["appointment_type", "job_network"], ["languages"]]


async def test_outside_the_window_the_dates_are_given_and_a_second_registration_is_a_conflict(world: World):
    programme = await world.programme()
    later = await world.cohort(programme, opens_in=3, closes_in=10)
    early = await world.register(later, "eager", expect=422)
    assert details(early) == {("cohort", "registration_window")}
    opens = (world.runtime.now().date() + timedelta(days=3)).isoformat()
    assert opens in early["error"]["message"]

    cohort = await world.cohort(programme)
    await world.register(cohort, "once")
    again = await world.register(cohort, "once", expect=409)
    assert again["error"]["code"] == "conflict"
    other_email = await world.http.post(
        f"/cohorts/{cohort}/participants",
        json=world.answers("twice", email=f"once.{world.run}@un.org"),
        headers=world.person("twice"),
    )
    # The same address, another person: the same answer as any registration (no address oracle); the
    # verification mail tells the address's owner instead, with no link, and the registration stays unseen.
    assert other_email.status_code == 201 and other_email.json().keys() == {"id", "status"}
    world.keys.add(other_email.json()["id"])
    mail = await world.verification_link(other_email.json()["id"])
    assert (mail["outcome"], mail["link"], mail["email"]) == ("already_registered", None, f"once.{world.run}@un.org")
    unseen = await world.http.get(f"/participants/{other_email.json()['id']}", headers=world.person("once"))
    assert unseen.status_code == 404


async def test_refusals_say_what_was_refused_in_the_callers_language(world: World):
    """After the window closed the refusal says it closed, and when; a second registration of the same person
    says the person is the duplicate; an entity outside the Secretariat and the programme's list is named.
    Each in the `Accept-Language`: English, French or Spanish."""
    programme = await world.programme()  # the defaults: the Secretariat only
    today = world.runtime.now().date()
    passed = await world.cohort(programme, opens_in=-20, closes_in=-3)
    last_day, opened = (today - timedelta(days=3)).isoformat(), (today - timedelta(days=20)).isoformat()

    async def register(cohort: str, name: str, language: str, **answers: Any) -> httpx.Response:
        headers = {**world.person(name), "Accept-Language": language}
        return await world.http.post(f"/cohorts/{cohort}/participants", json=world.answers(name, **answers), headers=headers)

    late = {language: await register(passed, "late", language) for language in ("en", "fr", "es")}
    assert {language: [d["message"] for d in r.json()["error"]["details"]] for language, r in late.items()} == {
        "en": [f"registration for this cohort closed on {last_day}, its last day (it opened on {opened})"],
        "fr": [f"les inscriptions à cette cohorte ont fermé le {last_day}, leur dernier jour (elles avaient ouvert le {opened})"],
        "es": [f"la inscripción en esta cohorte se cerró el {last_day}, su último día (se había abierto el {opened})"],
    }
    assert all(details(r) == {("cohort", "registration_window")} for r in late.values())

    cohort = await world.cohort(programme)
    unicef = await register(cohort, "unicef", "fr", entity="UNICEF")
    assert details(unicef) == {("entity", "eligible_entity")}
    assert unicef.json()["error"]["details"][0]["message"] == (
        "l'entité « UNICEF » n'est pas admise dans ce programme, ouvert au Secrétariat"
    )
    first = await world.register(cohort, "twice")
    again = await register(cohort, "twice", "es", email=f"other.{world.run}@un.org")
    assert again.status_code == 409, again.text
    assert details(again) == {("person_id", "one_registration_per_person")}
    assert again.json()["error"]["message"] == (
        f"usted ya está inscrito/a en esta cohorte ({first['id']}): una inscripción por persona y cohorte; "
        "modifique en su lugar las respuestas de esa inscripción"
    )


async def test_places_fill_then_a_waitlist_and_a_freed_place_goes_to_the_first_waiting(world: World):
    cohort = await world.cohort(await world.programme(), places=1)
    first = await world.register(cohort, "first")
    mentor = await world.register(cohort, "mentor", roles=["mentor"], mentor_capacity=1, grade="P-4")
    second = await world.register(cohort, "second")
    third = await world.register(cohort, "third")
    assert (first["waitlisted"], mentor["waitlisted"], second["waitlisted"], third["waitlisted"]) == (False, False, True, True)

    withdrawn = await world.http.post(f"/participants/{first['id']}/withdrawal", json={}, headers=world.person("first"))
    assert withdrawn.status_code == 200, withdrawn.text
    view = (await world.http.get(f"/participants/{second['id']}", headers=world.person("second"))).json()
    assert (view["status"], view["waitlisted"]) == ("active", False) and view["admitted_at"]
    assert (await world.http.get(f"/participants/{third['id']}", headers=world.team)).json()["status"] == "waitlisted"

    registered = {e.subject: e for e in await world.events() if e.type.endswith("ParticipantRegistered.v2")}
    assert registered[second["id"]].data["waitlisted"] is True and registered[first["id"]].data["waitlisted"] is False
    assert await world.types(second["id"]) == ["AddressVerificationRequested", "ParticipantRegistered", "ParticipantAdmitted"]
    assert await world.types(third["id"]) == ["AddressVerificationRequested", "ParticipantRegistered"]
    assert await world.types(first["id"]) == ["AddressVerificationRequested", "ParticipantRegistered", "ParticipantWithdrawn"]


async def test_answers_change_while_open_and_after_closing_a_role_needs_a_grant(world: World):
    cohort = await world.cohort(await world.programme(), closes_in=2)
    mentor = (await world.register(cohort, "amina", roles=["mentor"], mentor_capacity=1, grade="P-4"))["id"]
    amina = world.person("amina")

    changed = await world.http.patch(
        f"/participants/{mentor}",
        json={"languages": ["English", "French"], "bio": "New bio", "email": f"a2.{world.run}@un.org"},
        headers=amina,
    )
    assert changed.status_code == 200, changed.text
    assert sorted(changed.json()["changed"]) == ["bio", "email", "languages"]
    own = (await world.http.get(f"/participants/{mentor}", headers=amina)).json()
    assert own["email"] == f"amina.{world.run}@un.org"  # the new address waits for its link
    refused = await world.http.patch(
        f"/participants/{mentor}",
        json={"roles": ["mentor", "mentee"], "job_network": "LOGNET", "mentor_capacity": 5},
        headers=amina,
    )
    assert details(refused) == {("job_network", "eligible_job_network"), ("mentor_capacity", "between_1_and_2")}
    both = await world.http.patch(f"/participants/{mentor}", json={"roles": ["mentor", "mentee"]}, headers=amina)
    assert both.status_code == 200 and both.json()["changed"] == ["roles"]
    back = await world.http.patch(f"/participants/{mentor}", json={"roles": ["mentor"]}, headers=amina)
    assert back.status_code == 200
    not_hers = await world.http.patch(f"/participants/{mentor}", json={"bio": "x"}, headers=world.person("ravi"))
    assert not_hers.status_code == 403
    early_grant = await world.http.post(f"/participants/{mentor}/roles", json={"role": "mentee"}, headers=world.team)
    assert early_grant.status_code == 409  # while open, the participant adds it themself

    world.travel_days(3)  # the window has passed
    due = (await scrape(world.http)).value("together_timers_due", worker="cohort-closer")
    assert due >= 1  # this cohort, and any other of the test's database past its window
    closer = cohort_closer(world.runtime)
    assert "closed" in await closer.run_due()
    assert (await scrape(world.http)).value("together_timers_due", worker="cohort-closer") == 0
    assert await world.types(cohort) == ["CohortOpened", "CohortClosed"]
    await closer.run_due()
    assert await world.types(cohort) == ["CohortOpened", "CohortClosed"]  # once
    assert (await world.http.post(f"/cohorts/{cohort}/closure", headers=world.team)).status_code == 409

    role = await world.http.patch(f"/participants/{mentor}", json={"roles": ["mentor", "mentee"]}, headers=amina)
    assert details(role) == {("roles", "closed_needs_grant")}
    bio = await world.http.patch(f"/participants/{mentor}", json={"bio": "later"}, headers=amina)
    assert bio.status_code == 200 and bio.json()["changed"] == ["bio"]  # other answers still change
    ineligible = await world.http.patch(f"/participants/{mentor}", json={"appointment_type": "intern"}, headers=amina)
    assert details(ineligible) == {("appointment_type", "eligible_appointment_type")}
    too_many = await world.http.patch(f"/participants/{mentor}", json={"mentor_capacity": 3}, headers=amina)
    assert details(too_many) == {("mentor_capacity", "between_1_and_2")}
    raised = await world.http.patch(f"/participants/{mentor}", json={"mentor_capacity": 2}, headers=amina)
    assert raised.json()["changed"] == ["mentor_capacity"]
    late = await world.register(cohort, "late", expect=422)
    assert details(late) == {("cohort", "registration_window")}

    ineligible = await world.http.post(f"/participants/{mentor}/roles", json={"role": "coach", "capacity": 1}, headers=world.team)
    assert ineligible.status_code == 422
    granted = await world.http.post(f"/participants/{mentor}/roles", json={"role": "mentee"}, headers=world.team)
    assert granted.status_code == 204, granted.text
    assert (
        await world.http.post(f"/participants/{mentor}/roles", json={"role": "mentee"}, headers=world.team)
    ).status_code == 409

    verified = await world.verify(mentor, "amina")  # the link mailed to the new address
    assert verified.status_code == 200, verified.text
    own = (await world.http.get(f"/participants/{mentor}", headers=amina)).json()
    assert own["email"] == f"a2.{world.run}@un.org"
    everything = [e for e in await world.events() if e.subject == mentor]
    assert [e.type.split(".")[2] for e in everything].count("AddressVerificationRequested") == 2  # registering, changing
    events = [e for e in everything if not e.type.endswith(".AddressVerificationRequested.v1")]
    assert [e.type.split(".")[2] for e in events] == [
        "ParticipantRegistered", "ParticipantProfileUpdated", "ParticipantProfileUpdated", "ParticipantProfileUpdated",
        "ParticipantProfileUpdated", "ParticipantProfileUpdated", "ParticipantRoleGranted",
    ]  # fmt: skip
    first_update = await world.opened(events[1])
    assert sorted(first_update["changed"]) == ["bio", "languages"]  # the new email is news for nobody
    assert first_update["profile"]["languages"] == ["English", "French"] and "English" not in str(events[1].data)
    assert first_update["profile"]["bio"] is None  # free text never travels: registration's API serves it
    assert events[4].data["changed"] == ["bio"] and (await world.opened(events[4]))["profile"]["bio"] is None
    assert events[5].data["changed"] == ["mentor_capacity"] and events[5].data["mentor_capacity"] == 2
    assert events[6].data["granted_role"] == "mentee" and events[6].data["roles"] == ["mentor", "mentee"]
    assert await world.types(cohort) == ["CohortOpened", "CohortClosed"]
    about_her = str([e.data for e in events])
    assert "@un.org" not in about_her  # no email, old or new
    assert "UN-998877" not in about_her and "permanent" not in about_her  # nor other team-only answers


async def test_the_team_may_close_registration_early_once(world: World):
    programme = await world.programme()
    cohort = await world.cohort(programme, closes_in=20)
    other_team = world.signer.headers("other", "programme_team", programmes=[str(uuid.uuid4())])
    assert (await world.http.post(f"/cohorts/{cohort}/closure", headers=other_team)).status_code == 403
    closed = await world.http.post(f"/cohorts/{cohort}/closure", headers=world.team)
    assert closed.status_code == 200 and closed.json()["closed_at"]
    assert (await world.http.post(f"/cohorts/{cohort}/closure", headers=world.team)).status_code == 409
    late = await world.register(cohort, "late", expect=422)
    assert "closed early" in late["error"]["message"]
    world.travel_days(30)
    await cohort_closer(world.runtime).run_due()
    assert await world.types(cohort) == ["CohortOpened", "CohortClosed"]


async def test_who_sees_which_answers(world: World):
    cohort = await world.cohort(await world.programme())
    ada = (await world.register(cohort, "ada"))["id"]
    await world.register(cohort, "bob", job_network="DEVNET")

    own = (await world.http.get(f"/participants/{ada}", headers=world.person("ada"))).json()
    marks = {a["field"]: a["visibility"] for a in own["answers"]}
    values = {a["field"]: a["value"] for a in own["answers"]}
    assert marks["email"] == "programme_team" and marks["bio"] == "public"
    assert values["appointment_type"] == "permanent" and values["index_number"] == "UN-998877"
    assert values["preferred_language"] == "fr" and own["email"] == f"ada.{world.run}@un.org"
    team = (await world.http.get(f"/participants/{ada}", headers=world.team)).json()
    assert {a["field"] for a in team["answers"]} == set(marks)
    listed = (await world.http.get(f"/cohorts/{cohort}/participants", headers=world.team)).json()
    assert [p["public_profile"]["display_name"] for p in listed] == ["Ada", "Bob"]
    assert {a["field"]: a["value"] for a in listed[0]["answers"]}["appointment_type"] == "permanent"
    second = await world.http.get(f"/cohorts/{cohort}/participants", params={"limit": 1, "offset": 1}, headers=world.team)
    assert [p["public_profile"]["display_name"] for p in second.json()] == ["Bob"]  # a page at a time
    too_many = await world.http.get(f"/cohorts/{cohort}/participants", params={"limit": 501}, headers=world.team)
    assert too_many.status_code == 422 and details(too_many) == {("query.limit", "less_than_equal")}
    other = (await world.http.get(f"/participants/{ada}", headers=world.person("bob"))).json()
    assert "email" not in other and "person_id" not in other
    assert {a["visibility"] for a in other["answers"]} == {"public"}
    assert {a["field"] for a in other["answers"]} == set(marks) - {
        "email",
        "index_number",
        "appointment_type",
        "preferred_language",
    }


async def test_the_contact_endpoint_is_for_services(world: World):
    cohort = await world.cohort(await world.programme())
    ada = (await world.register(cohort, "ada"))["id"]
    contact = await world.http.get(f"/participants/{ada}/contact", headers=world.service)
    assert contact.status_code == 200
    assert contact.json() == {
        "participant_id": ada, "email": f"ada.{world.run}@un.org", "display_name": "Ada",
        "preferred_language": "fr", "withdrawn": False,
    }  # fmt: skip
    unscoped = world.signer.headers(f"matching-{world.run}", "service")  # a service not granted registration:contacts
    for caller in (world.person("ada"), world.team, unscoped):
        assert (await world.http.get(f"/participants/{ada}/contact", headers=caller)).status_code == 403
    assert (await world.http.get(f"/participants/{uuid.uuid4()}/contact", headers=world.service)).status_code == 404


async def test_withdrawal_keeps_the_record_and_erases_answers_where_the_programme_allows(world: World):
    cohort = await world.cohort(await world.programme())
    ada = (await world.register(cohort, "ada"))["id"]
    withdrawn = await world.http.post(
        f"/participants/{ada}/withdrawal", json={"erase_answers": True}, headers=world.person("ada")
    )
    assert withdrawn.status_code == 200 and withdrawn.json() == {"answers_erased": True}
    again = await world.http.post(f"/participants/{ada}/withdrawal", json={}, headers=world.person("ada"))
    assert again.status_code == 409
    view = (await world.http.get(f"/participants/{ada}", headers=world.team)).json()
    assert view["status"] == "withdrawn" and view["withdrawn_at"] and view["answers_erased"] is True
    values = {a["field"]: a["value"] for a in view["answers"]}
    assert values["name"] == "Withdrawn participant" and values["bio"] is None and values["index_number"] is None
    assert world.run not in str(values)  # no trace of the email
    contact = (await world.http.get(f"/participants/{ada}/contact", headers=world.service)).json()
    assert contact["withdrawn"] is True and contact["email"].endswith("@erased.invalid")
    edit = await world.http.patch(f"/participants/{ada}", json={"bio": "back"}, headers=world.person("ada"))
    assert edit.status_code == 409
    async with world.runtime.engine.connect() as conn:
        row = (await conn.execute(sa.select(participants).where(participants.c.id == uuid.UUID(ada)))).one()
    assert row.registered_at and row.withdrawn_by == "participant" and row.person_id == f"ada-{world.run}"
    (event,) = [e for e in await world.events() if e.type.endswith("ParticipantWithdrawn.v1")]
    assert event.data["answers_erased"] is True and event.data["participant_id"] == ada
    assert await world.types(ada) == [
        "AddressVerificationRequested",
        "ParticipantRegistered",
        "ParticipantWithdrawn",
        "ParticipantAnswersErased",
    ]

    later = await world.cohort(await world.programme())
    cleo = (await world.register(later, "cleo"))["id"]
    too_early = await world.http.post(f"/participants/{cleo}/erasure", headers=world.person("cleo"))
    assert too_early.status_code == 409  # withdraw first
    assert (await world.http.post(f"/participants/{cleo}/withdrawal", headers=world.person("cleo"))).json() == {
        "answers_erased": False
    }
    kept = (await world.http.get(f"/participants/{cleo}", headers=world.team)).json()
    assert kept["public_profile"]["display_name"] == "Cleo" and kept["answers_erased"] is False
    registered = next(e for e in await world.events() if e.subject == cleo and e.type.endswith("ParticipantRegistered.v2"))
    assert (await world.opened(registered))["profile"]["display_name"] == "Cleo"  # the key opens it, until the erasure
    assert (await world.http.post(f"/participants/{cleo}/erasure", headers=world.person("cleo"))).status_code == 204
    assert (await world.opened(registered))["profile"]["display_name"] == "Withdrawn participant"  # the key is gone
    answers = set()
    for gone in (ada, cleo, str(uuid.uuid4())):  # erased at withdrawal, erased later, never known: the same 404
        answer = await world.http.get(f"/participants/{gone}/data-key", headers=world.key_reader)
        assert answer.status_code == 404
        answers.add(str({**answer.json(), "request_id": None}).replace(gone, "ID"))
    assert len(answers) == 1
    contacts_only = await world.http.get(f"/participants/{cleo}/data-key", headers=world.service)
    assert contacts_only.status_code == 403  # the scope registration:contacts is not registration:data-keys
    erased = (await world.http.get(f"/participants/{cleo}", headers=world.team)).json()
    assert erased["public_profile"]["display_name"] == "Withdrawn participant" and erased["answers_erased"] is True
    assert (await world.http.post(f"/participants/{cleo}/erasure", headers=world.team)).status_code == 409  # once
    assert await world.types(cleo) == [
        "AddressVerificationRequested",
        "ParticipantRegistered",
        "ParticipantWithdrawn",
        "ParticipantAnswersErased",
    ]

    keeping = await world.cohort(await world.programme(rules={"answers_erasable": False}))
    bob = (await world.register(keeping, "bob"))["id"]
    refused = await world.http.post(f"/participants/{bob}/withdrawal", json={"erase_answers": True}, headers=world.team)
    assert details(refused) == {("erase_answers", "erasable_in_programme")}
    by_team = await world.http.post(f"/participants/{bob}/withdrawal", headers=world.team)
    assert by_team.status_code == 200 and by_team.json() == {"answers_erased": False}
    not_later_either = await world.http.post(f"/participants/{bob}/erasure", headers=world.person("bob"))
    assert details(not_later_either) == {("erase_answers", "erasable_in_programme")}


async def test_coach_credentials_are_checked_reviewed_and_gate_visibility(world: World):
    cohort = await world.cohort(await world.programme("coaching"))
    coach = (await world.register(cohort, "carla", roles=["coach"], coach_capacity=2, grade="P-5"))["id"]
    client_id = (await world.register(cohort, "kim", roles=["client"], appointment_type="temporary"))["id"]
    carla, kim = world.person("carla"), world.person("kim")
    assert (await world.http.get(f"/participants/{coach}", headers=kim)).status_code == 404  # not approved yet
    assert (await world.http.get(f"/participants/{coach}", headers=carla)).status_code == 200

    async def submit(headers: dict, participant: str, *, file: tuple | None = None, **form: str) -> Any:
        files = {"file": file} if file else None
        return await world.http.post(f"/participants/{participant}/credentials", data=form, files=files, headers=headers)

    refused = await submit(carla, coach, kind="icf_certificate", file=("cert.pdf", b"MZ\x90\x00not a pdf", "application/pdf"))
    assert refused.status_code == 422
    assert details(refused) == {("confidentiality_accepted", "must_accept"), ("file", "pdf_png_or_jpeg")}
    too_big = await submit(
        carla,
        coach,
        kind="icf_certificate",
        confidentiality_accepted="true",
        file=("big.png", PNG + b"\x00" * 100_000, "image/png"),
    )
    assert details(too_big) == {("file", "max_size")}
    huge = await submit(
        carla, coach, kind="icf_certificate", confidentiality_accepted="true", file=("x.png", PNG * 2, "image/png")
    )
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "body_too_large"
    not_a_coach = await submit(kim, client_id, kind="icf_certificate", confidentiality_accepted="true", reference="ICF-1")
    assert details(not_a_coach) == {("participant", "coaches_only")}
    # A coach not yet approved is not another participant's to see: as if they did not exist (ADR 0005).
    assert (await submit(kim, coach, kind="icf_certificate", confidentiality_accepted="true", reference="x")).status_code == 404

    submitted = await submit(
        carla, coach, kind="icf_training_50_hours", confidentiality_accepted="true", file=("training.png", PNG, "image/png")
    )
    assert submitted.status_code == 201, submitted.text
    credential = submitted.json()["id"]
    assert (await submit(carla, coach, kind="icf_certificate", confidentiality_accepted="true", reference="x")).status_code == 409

    programme = (await world.http.get(f"/cohorts/{cohort}", headers=world.team)).json()["programme_id"]
    pending = (await world.http.get(f"/programmes/{programme}/credentials", headers=world.team)).json()
    assert [(c["id"], c["content_type"], c["size_bytes"], c["display_name"]) for c in pending] == [
        (credential, "image/png", len(PNG), "Carla")
    ]
    downloaded = await world.http.get(f"/credentials/{credential}/file", headers=world.team)
    assert downloaded.status_code == 200 and downloaded.content == PNG and downloaded.headers["content-type"] == "image/png"
    assert (await world.http.get(f"/credentials/{credential}/file", headers=kim)).status_code == 404  # not hers to see
    assert (await world.http.post(f"/credentials/{credential}/approval", headers=carla)).status_code == 403  # hers to see
    assert (await world.http.post(f"/credentials/{credential}/approval", headers=world.team)).status_code == 204
    assert (await world.http.post(f"/credentials/{credential}/approval", headers=world.team)).status_code == 409
    assert (await world.http.get(f"/programmes/{programme}/credentials", headers=world.team)).json() == []
    visible = await world.http.get(f"/participants/{coach}", headers=kim)
    assert visible.status_code == 200 and visible.json()["coach_approved"] is True

    other = (await world.register(cohort, "otto", roles=["coach"], coach_capacity=1, grade="P-5"))["id"]
    by_reference = await submit(
        world.person("otto"), other, kind="icf_certificate", confidentiality_accepted="true", reference="ICF ACC 778899"
    )
    assert by_reference.status_code == 201
    reference_id = by_reference.json()["id"]
    assert (await world.http.get(f"/credentials/{reference_id}/file", headers=world.team)).status_code == 404
    no_reason = await world.http.post(f"/credentials/{reference_id}/rejection", json={}, headers=world.team)
    assert no_reason.status_code == 422 and ("body.reason", "missing") in details(no_reason)
    rejected = await world.http.post(
        f"/credentials/{reference_id}/rejection", json={"reason": "Not an ICF number"}, headers=world.team
    )
    assert rejected.status_code == 204
    assert (await world.http.get(f"/participants/{other}", headers=kim)).status_code == 404
    # The coach reads the decision and the team's reason from registration (no event carries it).
    otto = world.person("otto")
    decision = (await world.http.get(f"/credentials/{reference_id}", headers=otto)).json()
    assert (decision["status"], decision["reason"], decision["reference"]) == ("rejected", "Not an ICF number", "ICF ACC 778899")
    assert [c["id"] for c in (await world.http.get(f"/participants/{other}/credentials", headers=otto)).json()] == [reference_id]
    assert (await world.http.get(f"/credentials/{reference_id}", headers=carla)).status_code == 404  # another coach's
    assert (await world.http.get(f"/participants/{other}/credentials", headers=carla)).status_code == 404
    assert (await world.http.get(f"/participants/{coach}/credentials", headers=kim)).status_code == 403  # sees Carla, not hers

    assert await world.types(coach) == [
        "AddressVerificationRequested",
        "ParticipantRegistered",
        "CoachCredentialSubmitted",
        "CoachCredentialApproved",
    ]
    published = [e for e in await world.events() if e.subject == other]
    events = {e.type.split(".")[2]: e.data for e in published}
    [rejection] = [e for e in published if e.type.startswith("together.registration.CoachCredentialRejected.")]
    assert rejection.type.endswith(".v2") and "reason" not in rejection.data
    assert "Not an ICF number" not in str(events)  # the team's words stay with registration (ADR 0008)
    assert events["ParticipantRegistered"]["coach_approved"] is False and events["ParticipantRegistered"]["coach_capacity"] == 1
    assert "ICF ACC" not in str(events)  # the reference stays with registration


async def test_concurrent_registrations_never_take_more_places_than_there_are(world: World):
    cohort = await world.cohort(await world.programme(), places=3)
    names = [f"rush{i}" for i in range(12)]
    responses = await asyncio.gather(
        *(world.http.post(f"/cohorts/{cohort}/participants", json=world.answers(n), headers=world.person(n)) for n in names)
    )
    assert [r.status_code for r in responses] == [201] * len(names)
    for r in responses:
        world.keys.add(r.json()["id"])
    # A place is taken when the address is verified: all the links followed at once.
    links = [(await world.verification_link(r.json()["id"]))["link"] for r in responses]
    verified = await asyncio.gather(
        *(follow_link(world.http, link, world.person(n)) for n, link in zip(names, links, strict=True))
    )
    assert [r.status_code for r in verified] == [200] * len(names)
    assert sorted(r.json()["waitlisted"] for r in verified) == [False] * 3 + [True] * 9
    registered = [e for e in await world.events(every=True) if e.type.endswith("ParticipantRegistered.v2")]
    assert len(registered) == 12 and len([e for e in registered if not e.data["waitlisted"]]) == 3


async def test_changing_roles_takes_or_frees_a_place(world: World):
    cohort = await world.cohort(await world.programme(), places=1)
    holder = (await world.register(cohort, "holder"))["id"]
    mentor = (await world.register(cohort, "mentor", roles=["mentor"], mentor_capacity=1, grade="P-4"))["id"]
    waiting = (await world.register(cohort, "waiting"))["id"]

    both = await world.http.patch(f"/participants/{mentor}", json={"roles": ["mentor", "mentee"]}, headers=world.person("mentor"))
    assert both.status_code == 200
    assert (await world.http.get(f"/participants/{mentor}", headers=world.team)).json()["status"] == "waitlisted"

    to_mentor = await world.http.patch(
        f"/participants/{holder}",
        json={"roles": ["mentor"], "mentor_capacity": 2, "grade": "P-3"},
        headers=world.person("holder"),
    )
    assert to_mentor.status_code == 200, to_mentor.text
    statuses = {
        p: (await world.http.get(f"/participants/{p}", headers=world.team)).json()["status"] for p in (holder, mentor, waiting)
    }
    # first waiting, first admitted: "waiting" joined the waitlist before the mentor did
    assert statuses == {holder: "active", mentor: "waitlisted", waiting: "active"}
    assert await world.types(waiting) == ["AddressVerificationRequested", "ParticipantRegistered", "ParticipantAdmitted"]
    assert await world.types(mentor) == ["AddressVerificationRequested", "ParticipantRegistered", "ParticipantProfileUpdated"]
    updated = [e for e in await world.events() if e.subject == mentor and e.type.endswith("ParticipantProfileUpdated.v2")]
    assert updated[0].data["waitlisted"] is True

    another = await world.register(cohort, "another")
    assert another["waitlisted"] is True
    leaving = await world.http.post(f"/participants/{mentor}/withdrawal", headers=world.person("mentor"))
    assert leaving.status_code == 200
    assert await world.types(mentor) == [
        "AddressVerificationRequested",
        "ParticipantRegistered",
        "ParticipantProfileUpdated",
        "ParticipantWithdrawn",
    ]
    assert await world.types(another["id"]) == [
        "AddressVerificationRequested",
        "ParticipantRegistered",
    ]  # the mentor held no place: nobody admitted


async def test_the_service_worker_closes_a_cohort_when_its_window_passes(world: World):
    cohort = await world.cohort(await world.programme(), closes_in=0)
    names = [name for name, _ in workers(world.runtime)]  # wired into the service; run below with a short poll
    assert names == ["cohort-closer", "cohort-ender"]
    closer = asyncio.create_task(cohort_closer(world.runtime, poll_interval=0.05).run())
    try:
        await asyncio.sleep(0.3)
        assert await world.types(cohort) == ["CohortOpened"]  # today is the window's last day: still open
        world.travel_days(1)

        async def closed() -> bool:
            return (await world.http.get(f"/cohorts/{cohort}", headers=world.team)).json()["closed_at"] is not None

        await wait_until(closed, timeout=10, what="the cohort closer")
    finally:
        closer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await closer
    assert await world.types(cohort) == ["CohortOpened", "CohortClosed"]


async def test_a_cohort_that_cannot_be_closed_is_set_aside_and_holds_back_no_other(world: World, monkeypatch):
    programme = await world.programme()
    broken, fine = await world.cohort(programme, closes_in=0), await world.cohort(programme, closes_in=1)
    close = closer_module.close_claimed_cohort

    async def failing_for_one(runtime, conn, cohort, now):
        if str(cohort.id) == broken:
            raise RuntimeError("the cohort's rules cannot be read")
        await close(runtime, conn, cohort, now)

    monkeypatch.setattr(closer_module, "close_claimed_cohort", failing_for_one)
    closer = cohort_closer(world.runtime)
    world.travel_days(2)  # both windows have passed; the broken one is first in line
    outcomes = await closer.run_due()

    assert "failed_attempt" in outcomes and "closed" in outcomes
    assert await world.types(fine) == ["CohortOpened", "CohortClosed"]
    assert await world.types(broken) == ["CohortOpened"]

    async def bookkeeping() -> Any:
        async with world.runtime.engine.connect() as conn:
            query = sa.select(cohorts).where(cohorts.c.id == uuid.UUID(broken))
            return (await conn.execute(query)).one()

    first = await bookkeeping()
    assert first.status == "open" and first.close_attempts == 1
    assert first.close_error == "RuntimeError: the cohort's rules cannot be read"
    assert timedelta(seconds=50) < first.close_retry_at - world.runtime.now() <= timedelta(minutes=1)  # the first back-off
    assert first.close_failed_at is None
    for _ in range(closer_module.CohortClosing.backoff.attempts - 1):
        world.travel_days(1)  # past the longest back-off
        await closer.run_due()
    given_up = await bookkeeping()
    assert given_up.close_attempts == closer_module.CohortClosing.backoff.attempts and given_up.close_failed_at is not None
    world.travel_days(1)
    await closer.run_due()
    assert (await bookkeeping()).close_attempts == given_up.close_attempts  # set aside: tried no more


async def test_a_cohort_ends_once_after_its_end_date_whoever_runs_the_ender(world: World):
    cohort = await world.cohort(await world.programme(), closes_in=0)  # ends 120 days from today
    await world.register(cohort, "amina")
    world.travel_days(1)
    await cohort_closer(world.runtime).run_due()
    ender = cohort_ender(world.runtime)
    world.travel_days(119)  # its end date: the cohort runs until the end of the day (UTC)
    assert await ender.run_due() == []
    assert (await scrape(world.http)).value("together_timers_due", worker="cohort-ender") == 0
    world.travel_days(1)
    assert (await scrape(world.http)).value("together_timers_due", worker="cohort-ender") == 1
    assert await ender.run_due() == ["ended"]
    assert (await scrape(world.http)).value("together_timers_due", worker="cohort-ender") == 0
    assert await ender.run_due() == []  # once
    assert await cohort_ender(world.runtime).run_due() == []  # a restarted ender (another replica) finds nothing either
    assert await world.types(cohort) == ["CohortOpened", "CohortClosed", "CohortEnded"]
    (ended,) = [e for e in await world.events() if e.type.endswith(".CohortEnded.v1")]
    shown = (await world.http.get(f"/cohorts/{cohort}", headers=world.team)).json()
    assert ended.data["ends_on"] == shown["ends_on"] and ended.data["ended_at"] is not None
    assert shown["ended_at"] is not None
    late = await world.register(cohort, "late", expect=422)
    assert details(late) == {("cohort", "registration_window")}


async def test_a_cohort_still_open_at_its_end_is_closed_then_ended_and_a_failing_one_holds_back_no_other(
    world: World, monkeypatch
):
    programme = await world.programme()
    broken, fine = await world.cohort(programme, closes_in=0), await world.cohort(programme, closes_in=1)
    end = ender_module.end_claimed_cohort

    async def failing_for_one(runtime, conn, cohort, now):
        if str(cohort.id) == broken:
            raise RuntimeError("the cohort cannot be ended")
        await end(runtime, conn, cohort, now)

    monkeypatch.setattr(ender_module, "end_claimed_cohort", failing_for_one)
    world.travel_days(130)  # both have ended; the closer has not run: the ender closes registration first
    outcomes = await cohort_ender(world.runtime).run_due()
    assert sorted(outcomes) == ["ended", "failed_attempt"]
    assert await world.types(fine) == ["CohortOpened", "CohortClosed", "CohortEnded"]
    assert await world.types(broken) == ["CohortOpened"]
    async with world.runtime.engine.connect() as conn:
        row = (await conn.execute(sa.select(cohorts).where(cohorts.c.id == uuid.UUID(broken)))).one()
    assert (row.end_attempts, row.end_error, row.ended_at) == (1, "RuntimeError: the cohort cannot be ended", None)
    assert row.end_retry_at > world.runtime.now() and row.end_failed_at is None


async def test_one_person_registering_several_times_at_once_is_registered_once(world: World):
    cohort = await world.cohort(await world.programme())
    answers = world.answers("twin", roles=["mentor"], mentor_capacity=1, grade="P-4")
    responses = await asyncio.gather(
        *(world.http.post(f"/cohorts/{cohort}/participants", json=answers, headers=world.person("twin")) for _ in range(6))
    )
    assert sorted(r.status_code for r in responses) == [201] + [409] * 5
    registration = next(r.json()["id"] for r in responses if r.status_code == 201)
    requested = [e for e in await world.events(every=True) if e.type.endswith("AddressVerificationRequested.v1")]
    assert [e.subject for e in requested] == [registration]


async def test_a_verification_link_works_once_for_its_person_until_it_expires_and_a_resend_is_spared(world: World):
    cohort = await world.cohort(await world.programme(), places=1)
    ada = (await world.register(cohort, "ada", verify=False))["id"]
    assert (await world.http.get(f"/participants/{ada}", headers=world.person("bob"))).status_code == 404
    assert (await world.http.get(f"/participants/{ada}", headers=world.person("ada"))).json()["status"] == "unverified"
    listed = (await world.http.get(f"/cohorts/{cohort}/participants", headers=world.team)).json()
    assert [(p["id"], p["status"], p["verified_at"]) for p in listed] == [(ada, "unverified", None)]
    assert (await world.http.get(f"/participants/{ada}/contact", headers=world.service)).status_code == 404

    def token(link: str) -> dict[str, str]:
        return {"token": link_token(link)}

    first = (await world.verification_link(ada))["link"]
    second = (await world.verification_link(ada))["link"]  # a second mail: the first link stops working
    invalid = [
        await world.http.post("/participants/verify", json=token(first), headers=world.person("ada")),
        await world.http.post("/participants/verify", json=token(second), headers=world.person("bob")),  # not his
        await world.http.post("/participants/verify", json={"token": "made-up"}, headers=world.person("ada")),
    ]
    world.travel_days(3)  # 72 hours: expired
    invalid.append(await world.http.post("/participants/verify", json=token(second), headers=world.person("ada")))
    assert {(r.status_code, r.json()["error"]["code"], r.json()["error"]["message"]) for r in invalid} == {
        (400, "invalid_link", invalid[0].json()["error"]["message"])
    }
    resent = await world.http.post(f"/participants/{ada}/verification", headers=world.person("ada"))
    assert resent.status_code == 202, resent.text
    again = await world.http.post(f"/participants/{ada}/verification", headers=world.person("ada"))
    assert again.json() == resent.json()  # within the pause: no second mail
    assert await world.types(ada) == ["AddressVerificationRequested", "AddressVerificationRequested"]
    link = (await world.verification_link(ada))["link"]
    verified = await world.http.post("/participants/verify", json=token(link), headers=world.person("ada"))
    assert verified.status_code == 200 and verified.json() == {"participant_id": ada, "waitlisted": False}
    used = await world.http.post("/participants/verify", json=token(link), headers=world.person("ada"))
    assert used.status_code == 400 and used.json()["error"] == invalid[0].json()["error"]
    assert (await world.http.get(f"/participants/{ada}", headers=world.person("bob"))).status_code == 200
    assert (await world.http.post(f"/participants/{ada}/verification", headers=world.person("ada"))).status_code == 409
    assert (await world.verification_link(ada))["outcome"] == "nothing_to_verify"
    assert await world.types(ada) == [
        "AddressVerificationRequested", "AddressVerificationRequested", "ParticipantRegistered"
    ]  # fmt: skip
