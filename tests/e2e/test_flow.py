"""The first flow, end to end: five services as separate processes, real Kafka and PostgreSQL.

A programme team creates a programme and cohort; a mentor and a mentee
register; matching explains its suggestion; the mentee's preference becomes a
request, the mentor accepts; a session is booked and, once its end passes, completed; each partner
is notified exactly once per event, even when an event is delivered twice, and
e-mailed once, in their language, to the development mail sink. Then the cohort ends: the pairing
completes, both partners are asked for the final assessment and the post-programme survey, answer, and
the programme team reads the cohort's outcomes report (two people: no group is shown).
Every caller signs in at the development identity provider first, as a real
client would, and each step is also tried by someone it does not belong to.
"""

from __future__ import annotations

import asyncio
import email
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from email import policy
from email.message import EmailMessage

import httpx
import pytest

from notifications.mailsink import verification_tokens
from tests.kafka_tools import group_caught_up, read_topic
from tests.launched import launched, signing_in
from tests.stack import REPO, Stack
from together_devtools import launcher
from together_events import Envelope, build_producer
from together_events.topics import service_topic

pytestmark = pytest.mark.e2e

RUN = uuid.uuid4().hex[:8]
NAMESPACE = f"e2e{RUN}."  # topics of their own: a running demo or an earlier run cannot interfere
# The identity provider on 18100, the five services on 18101-18105.
SPECS = tuple(launcher.ServiceSpec(spec.name, 18100 + i, spec.module) for i, spec in enumerate(launcher.EVERYTHING))
URL = {spec.name: spec.url() for spec in SPECS}
STATE = REPO / ".run" / f"e2e-{RUN}"


@pytest.fixture(scope="module")
async def services(stack: Stack, create_database) -> AsyncIterator[dict[str, str]]:
    env = {
        "TOGETHER_CLOCK_MODE": "travel",
        "TOGETHER_AUTH_ISSUER": URL["identity"],
        "REGISTRATION_COHORT_CLOSE_POLL_SECONDS": "1",
    }
    async with launched(stack, create_database, SPECS, namespace=NAMESPACE, state=STATE, env=env):
        yield URL


def delivered() -> list[EmailMessage]:
    """The mails the run's mail sink received."""
    return [email.message_from_bytes(path.read_bytes(), policy=policy.default) for path in sorted((STATE / "mail").glob("*.eml"))]


async def follow_verification_link(person: httpx.AsyncClient, address: str) -> httpx.Response:
    """What a person does: wait for the verification mail in their mailbox (the sink), follow its link."""
    deadline = asyncio.get_running_loop().time() + 30
    while not (tokens := verification_tokens(STATE / "mail", address)):
        assert asyncio.get_running_loop().time() < deadline, f"no verification mail to {address}"
        await asyncio.sleep(0.2)
    return await person.post(f"{URL['registration']}/participants/verify", json={"token": tokens[-1]})


def topic(service: str) -> str:
    return service_topic(service, NAMESPACE)


signed_in = signing_in(URL["identity"])


async def eventually(call, until=lambda r: r.is_success, timeout: float = 30.0) -> httpx.Response:
    """Retry until `until` holds: a service learns of another's facts through events, a moment later."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        response = await call()
        if until(response) or asyncio.get_running_loop().time() > deadline:
            return response
        await asyncio.sleep(0.2)


async def events_of(stack: Stack, name: str, keys: set[str] | None = None) -> list[Envelope]:
    records = await read_topic(stack.kafka_bootstrap, name)
    return [Envelope.from_json_bytes(r.value) for r in records if keys is None or r.key.decode() in keys]


def answers(name: str, **overrides: object) -> dict:
    base = {
        "name": name, "email": f"{name.lower()}.{RUN}@un.org", "appointment_type": "permanent", "entity": "DESA", "duty_station": "New York",
        "time_zone": "America/New_York", "grade": "P-4", "years_of_service": 12, "job_network": "DEVNET",
        "languages": ["English", "French"], "skills": ["negotiation"], "goals": [],
    }  # fmt: skip
    return {**base, **overrides}


def cohort_dates(today: date) -> dict[str, str]:
    return {
        "registration_opens_on": str(today - timedelta(days=1)),
        "registration_closes_on": str(today + timedelta(days=10)),
        "starts_on": str(today + timedelta(days=11)),
        "ends_on": str(today + timedelta(days=131)),
    }


async def test_the_first_flow_through_all_five_services(stack: Stack, services: dict[str, str]):
    today = date.today()
    async with (
        signed_in("programme-lead", "programme_team", programmes=("*",)) as team,
        signed_in("operator", "service") as operator,
        signed_in(f"amina-{RUN}", "participant") as amina,
        signed_in(f"ravi-{RUN}", "participant") as ravi,
    ):
        # 1. Programme, cohort, a mentor and a mentee.
        programme = (await team.post(f"{URL['registration']}/programmes", json={"name": "Together", "kind": "mentoring"})).json()
        cohort = (
            await team.post(
                f"{URL['registration']}/programmes/{programme['id']}/cohorts", json={"name": f"e2e {RUN}", **cohort_dates(today)}
            )
        ).json()
        register = f"{URL['registration']}/cohorts/{cohort['id']}/participants"
        mentor = await amina.post(
            register,
            json=answers(
                "Amina", roles=["mentor"], mentor_capacity=1, duty_station="Nairobi", time_zone=None, preferred_language="fr"
            ),
        )
        mentee = await ravi.post(
            register, json=answers("Ravi", roles=["mentee"], grade="G-6", years_of_service=5, goals=["negotiation"], skills=[])
        )
        assert (mentor.status_code, mentee.status_code) == (201, 201)
        mentor_id, mentee_id = mentor.json()["id"], mentee.json()["id"]
        # Nobody else sees them until each follows the link mailed to their address.
        assert (await ravi.get(f"{URL['registration']}/participants/{mentor_id}")).status_code == 404
        for person, address in ((amina, f"amina.{RUN}@un.org"), (ravi, f"ravi.{RUN}@un.org")):
            verified = await follow_verification_link(person, address)
            assert verified.status_code == 200, verified.text
        assert "email" in (await amina.get(f"{URL['registration']}/participants/{mentor_id}")).json()
        assert "email" not in (await ravi.get(f"{URL['registration']}/participants/{mentor_id}")).json()  # team-only answer

        # 2. Matching learnt of both through events and explains its suggestion, to the mentee only.
        suggestions_url = f"{URL['matching']}/cohorts/{cohort['id']}/mentees/{mentee_id}/suggestions"
        suggestions = await eventually(
            lambda: ravi.get(suggestions_url), until=lambda r: r.is_success and r.json()["suggestions"]
        )  # both registrations arrived
        assert suggestions.status_code == 200, suggestions.text
        [suggestion] = suggestions.json()["suggestions"]
        assert suggestion["mentor_id"] == mentor_id
        assert "both work in DEVNET" in suggestion["reasons"]
        assert "has 'negotiation' among skills, which is one of your goals" in suggestion["reasons"]
        assert (await amina.get(suggestions_url)).status_code == 404  # not hers to see: as if there were none

        # 3. Preferences become a request to the first choice; only the mentor sees it and answers.
        preferences = await eventually(
            lambda: ravi.post(
                f"{URL['pairing']}/cohorts/{cohort['id']}/mentees/{mentee_id}/preferences", json={"mentor_ids": [mentor_id]}
            )
        )
        assert preferences.status_code == 201, preferences.text
        assert (await ravi.get(f"{URL['pairing']}/mentors/{mentor_id}/current-request")).status_code == 404
        request = (await amina.get(f"{URL['pairing']}/mentors/{mentor_id}/current-request")).json()
        assert (request["mentee_id"], request["rank"], request["status"]) == (mentee_id, 1, "pending")
        assert (await ravi.post(f"{URL['pairing']}/requests/{request['id']}/accept")).status_code == 404  # not his to answer
        accepted = await amina.post(f"{URL['pairing']}/requests/{request['id']}/accept")
        assert accepted.status_code == 200, accepted.text
        pairing_id = accepted.json()["pairing_id"]
        again = await amina.post(f"{URL['pairing']}/requests/{request['id']}/accept")
        assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"

        # 4. Scheduling learnt of the pairing; a partner books a session; once its end passes, the worker completes it.
        start = (today + timedelta(days=1)).isoformat() + "T13:00:00"
        booked = await eventually(
            lambda: ravi.post(
                f"{URL['scheduling']}/pairings/{pairing_id}/sessions",
                json={"starts_at": start, "time_zone": "America/New_York", "duration_minutes": 60},
            )
        )
        assert booked.status_code == 201, booked.text
        session_id = booked.json()["id"]
        sessions = await team.get(f"{URL['scheduling']}/pairings/{pairing_id}/sessions")
        assert [s["id"] for s in sessions.json()] == [session_id]  # the team sees dates
        too_early = await amina.post(f"{URL['scheduling']}/sessions/{session_id}/done")
        assert too_early.status_code == 409
        assert (await amina.post(f"{URL['scheduling']}/clock/travel", json={"seconds": 60})).status_code == 403
        travelled = await operator.post(f"{URL['scheduling']}/clock/travel", json={"seconds": 3 * 24 * 3600})
        assert travelled.status_code == 200
        completed = await eventually(
            lambda: team.get(f"{URL['scheduling']}/pairings/{pairing_id}/sessions"),
            until=lambda r: r.is_success and r.json()[0]["status"] == "completed",
        )
        assert completed.json()[0]["status"] == "completed", completed.text
        again = await amina.post(f"{URL['scheduling']}/sessions/{session_id}/done")
        assert again.status_code == 409  # completed once, by the worker

        # 5. Notifications: one message per event and person, readable by that person only.
        async def inbox(person: str) -> list[dict]:
            client = amina if person == mentor_id else ravi
            response = await client.get(f"{URL['notifications']}/participants/{person}/notifications")
            return response.json() if response.is_success else []  # 404 until notifications learns of them

        async def kinds(person: str) -> list[str]:
            return [row["kind"] for row in await inbox(person)]

        deadline = asyncio.get_running_loop().time() + 30
        while (len(await kinds(mentor_id)), len(await kinds(mentee_id))) != (7, 6):
            assert asyncio.get_running_loop().time() < deadline, (await kinds(mentor_id), await kinds(mentee_id))
            await asyncio.sleep(0.2)
        # The feedback request (keyed by session) and the next-session reminder (keyed by pairing) are on
        # different partitions: notifications may handle them in either order; so is the pre-programme survey's
        # ask (scheduling's, keyed by participant), once each.
        # The pairing formed tells both partners (the acceptance itself tells nobody: one message, not two).
        for person, first in ((mentor_id, ["request_received", "pairing_formed"]), (mentee_id, ["pairing_formed"])):
            verification, *told = await kinds(person)
            assert verification == "address_verification"  # mailed first; its words in the feed carry no link
            assert told.count("outcome_requested") == 1
            told.remove("outcome_requested")
            assert told[: len(first) + 1] == [*first, "session_scheduled"]
            assert sorted(told[len(first) + 1 :]) == ["feedback_requested", "next_session_reminder"]
        assert (await ravi.get(f"{URL['notifications']}/participants/{mentor_id}/notifications")).status_code == 404
        notification_ids = {row["id"] for person in (mentor_id, mentee_id) for row in await inbox(person)}

        # Each message e-mailed once to the address registration holds, in the person's language, except
        # the request: Amina accepted it before its mail went out (a few seconds later, ADR 0009), so it
        # no longer asks her to; her feed keeps it, saying there is nothing to do.
        deadline = asyncio.get_running_loop().time() + 30
        while any(row["email"] in ("pending", "sending") for row in await inbox(mentor_id) + await inbox(mentee_id)):
            assert asyncio.get_running_loop().time() < deadline, [(r["kind"], r["email"]) for r in await inbox(mentor_id)]
            await asyncio.sleep(0.2)
        [request_message] = [row for row in await inbox(mentor_id) if row["kind"] == "request_received"]
        assert request_message["email"] == "skipped"
        assert all(ask not in request_message["body"] for ask in ("Veuillez accepter ou refuser", "Please accept or decline"))
        mailed_ids = {row["id"] for person in (mentor_id, mentee_id) for row in await inbox(person) if row["email"] == "sent"}
        assert mailed_ids == notification_ids - {request_message["id"]}
        amina_address, ravi_address = f"amina.{RUN}@un.org", f"ravi.{RUN}@un.org"
        deadline = asyncio.get_running_loop().time() + 30
        while len(mails := delivered()) < 12:
            assert asyncio.get_running_loop().time() < deadline, [(m["To"], m["Subject"]) for m in mails]
            await asyncio.sleep(0.2)
        assert sorted(m["To"] for m in mails) == [amina_address] * 6 + [ravi_address] * 6
        assert {f"<notification-{i}@together.localhost>" for i in mailed_ids} == {m["Message-ID"].strip() for m in mails}
        subjects = {(m["To"], m["Subject"].split(":")[0].strip()) for m in mails}
        assert (amina_address, "Un mentoré vous demande d'être son mentor") not in subjects
        assert (amina_address, "Séance réservée") in subjects and (ravi_address, "Session booked") in subjects
        assert (ravi_address, "Please answer the pre-programme survey") in subjects
        assert any(to == amina_address and subject.startswith("Vous êtes en binôme avec") for to, subject in subjects)
        assert any(to == ravi_address and subject.startswith("You are paired with") for to, subject in subjects)
        invitations = [m for m in mails if any(p.get_filename() == "invite.ics" for p in m.walk())]
        assert sorted(m["To"] for m in invitations) == [amina_address, ravi_address]

        # The events on the topics: types in order per aggregate, keyed by aggregate, numbered from 1.
        registration = await events_of(stack, topic("registration"), {programme["id"], cohort["id"], mentor_id, mentee_id})
        assert sorted(e.type.split(".")[2] for e in registration) == [
            "AddressVerificationRequested", "AddressVerificationRequested", "CohortOpened", "ParticipantRegistered",
            "ParticipantRegistered", "ProgrammeCreated",
        ]  # fmt: skip
        assert all(e.source == "/together/registration" for e in registration)
        assert sorted(e.sequence for e in registration if e.subject == mentor_id) == [1, 2]
        assert all("email" not in str(e.data) for e in registration)  # team-only answers stay home
        served = (await events_of(stack, topic("matching"), {mentee_id}))[-1]  # each suggestion request is recorded
        assert served.data["suggestions"][0]["mentor_id"] == mentor_id

        pairing = await events_of(stack, topic("pairing"), {request["id"], pairing_id})
        by_aggregate = {
            key: [(e.type.split(".")[2], e.sequence) for e in pairing if e.subject == key] for key in (request["id"], pairing_id)
        }
        assert by_aggregate == {
            request["id"]: [("RequestQueued", 1), ("RequestSent", 2), ("RequestAccepted", 3)],
            pairing_id: [("PairingFormed", 1)],
        }
        accepted_event, formed_event = (
            next(e for e in pairing if e.type.endswith(name + ".v1")) for name in ("RequestAccepted", "PairingFormed")
        )
        assert accepted_event.correlationid == formed_event.correlationid  # one HTTP request caused both
        scheduling = await events_of(stack, topic("scheduling"), {session_id})
        assert [(e.type.split(".")[2], e.sequence) for e in scheduling] == [("SessionScheduled", 1), ("SessionCompleted", 2)]
        assert scheduling[1].data["completed_by"] == "end_time_passed"

        # (Filtered by this deployment's notification ids: another deployment may share the broker.)
        recorded = [e for e in await events_of(stack, topic("notifications")) if e.data["notification_id"] in notification_ids]
        reminders = await events_of(stack, topic("scheduling"), {pairing_id})  # keyed by pairing: NextSessionReminderDue
        asks = await events_of(stack, topic("scheduling"), {mentor_id, mentee_id})  # keyed by participant: OutcomeRequested
        verifications = await events_of(stack, topic("registration"), {mentor_id, mentee_id})
        sources = {e.id: e for e in pairing + scheduling + reminders + asks + verifications}
        assert len(recorded) == 13
        for notification in recorded:
            cause = sources[notification.causationid]  # each notification names the event that caused it
            assert notification.data["source_event_id"] == cause.id
            assert notification.correlationid == cause.correlationid

        # 6. The RequestSent delivered a second time: still one message for it.
        sent = next(e for e in pairing if e.type.endswith("RequestSent.v1"))
        original = next(r for r in await read_topic(stack.kafka_bootstrap, topic("pairing")) if r.key.decode() == sent.subject)
        producer = build_producer(stack.kafka_bootstrap, client_id=f"e2e-{RUN}-redeliver")
        await producer.start()
        try:
            await producer.send_and_wait(topic("pairing"), value=original.value, key=original.key, headers=list(original.headers))
        finally:
            await producer.stop()
        deadline = asyncio.get_running_loop().time() + 30
        while not await group_caught_up(stack.kafka_bootstrap, f"{NAMESPACE}notifications", topic("pairing")):
            assert asyncio.get_running_loop().time() < deadline, "notifications did not consume the redelivery"
            await asyncio.sleep(0.2)
        assert [row["source_event_id"] for row in await inbox(mentor_id)].count(sent.id) == 1
        await asyncio.sleep(2)  # the delivery worker polls every second: a second mail would be here by now
        assert len(delivered()) == 12

        # 7. The cohort ends (registration's clock passes its end date): the pairing completes, nothing new
        # happens in the cohort, both partners are asked for the final assessment and the post-programme survey.
        ends_on = date.fromisoformat(cohort_dates(today)["ends_on"])
        travel = (ends_on - today).days * 24 * 3600 + 2 * 24 * 3600
        assert (await operator.post(f"{URL['registration']}/clock/travel", json={"seconds": travel})).status_code == 200
        completed = await eventually(
            lambda: ravi.get(f"{URL['pairing']}/pairings/{pairing_id}"),
            until=lambda r: r.is_success and r.json()["status"] == "ended",
        )
        assert completed.json()["completed_because"] == "programme_ended", completed.text
        late = await ravi.post(
            f"{URL['pairing']}/cohorts/{cohort['id']}/mentees/{mentee_id}/preferences", json={"mentor_ids": [mentor_id]}
        )
        assert (late.status_code, late.json()["error"]["details"][0]["rule"]) == (409, "cohort_ended")

        async def told_of_the_end(person: str) -> bool:
            told = await kinds(person)  # asked: the pre-programme survey, the final assessment, the post survey
            return "pairing_completed" in told and told.count("outcome_requested") == 3

        deadline = asyncio.get_running_loop().time() + 30
        while not (await told_of_the_end(mentor_id) and await told_of_the_end(mentee_id)):
            assert asyncio.get_running_loop().time() < deadline, (await kinds(mentor_id), await kinds(mentee_id))
            await asyncio.sleep(0.2)
        asked = [
            e
            for e in await events_of(stack, topic("scheduling"), {mentor_id, mentee_id})
            if e.type.endswith("OutcomeRequested.v1")
        ]
        assert sorted((e.subject, e.data["kind"]) for e in asked) == sorted(
            (who, kind) for who in (mentor_id, mentee_id) for kind in ("pre_survey", "final_assessment", "post_survey")
        )

        # They answer; the team reads the cohort's outcomes report, where no group of fewer than 5 shows.
        for person, me, before, after in ((ravi, mentee_id, 2, 4), (amina, mentor_id, 3, 5)):
            for kind, scores in (("pre", {"confidence": before}), ("post", {"confidence": after, "satisfaction": 4})):
                answered = await person.put(f"{URL['scheduling']}/participants/{me}/surveys/{kind}", json=scores)
                assert answered.status_code == 200, answered.text
        agreement = {"skills_and_goals": ["negotiation"], "development_plan": "Shadow a negotiation.", "schedule": "Monthly"}
        assert (await ravi.put(f"{URL['scheduling']}/pairings/{pairing_id}/agreement", json=agreement)).status_code == 200
        assessment = {"ratings": [{"skill_or_goal": "negotiation", "rating": 4}]}
        assert (await ravi.put(f"{URL['scheduling']}/pairings/{pairing_id}/assessment", json=assessment)).status_code == 200
        assert (await ravi.get(f"{URL['registration']}/cohorts/{cohort['id']}/outcomes")).status_code == 403

        def measures(response: httpx.Response) -> dict[str, object]:
            return {row["measure"]: row["value"] for row in response.json()["rows"]} if response.is_success else {}

        report = await eventually(
            lambda: team.get(f"{URL['registration']}/cohorts/{cohort['id']}/outcomes"),
            until=lambda r: measures(r).get("goals_met_share") is not None and measures(r).get("post_survey_confidence_mean"),
        )
        whole = measures(report)
        assert (whole["registered"], whole["accepted"], whole["paired"], whole["pairings_completed"]) == (2, 2, 2, 1)
        assert (whole["sessions_per_pairing_mean"], whole["goals_met_share"]) == (1.0, 1.0)
        assert (whole["pre_survey_confidence_mean"], whole["post_survey_confidence_mean"]) == (2.5, 4.5)
        assert whole["survey_confidence_change_mean"] == 2.0
        assert {row["dimension"] for row in report.json()["rows"]} == {"cohort"}  # two people: every group hidden
        csv = await team.get(f"{URL['registration']}/cohorts/{cohort['id']}/outcomes.csv")
        assert csv.headers["content-type"].startswith("text/csv")
        assert csv.text.splitlines()[0] == "measure,dimension,group,people,value"


async def test_every_api_refuses_callers_without_a_valid_token(services: dict[str, str]):
    async with httpx.AsyncClient(timeout=10) as anonymous:
        for name in ("registration", "matching", "pairing", "scheduling", "notifications"):
            assert (await anonymous.get(f"{URL[name]}/healthz")).status_code == 200
            assert (await anonymous.get(f"{URL[name]}/openapi.json")).status_code == 200
        nobody = await anonymous.get(f"{URL['pairing']}/mentors/{uuid.uuid4()}/current-request")
        assert nobody.status_code == 401
        assert nobody.headers["www-authenticate"].startswith("Bearer")
        forged = await anonymous.get(f"{URL['registration']}/cohorts/{uuid.uuid4()}", headers={"Authorization": "Bearer x.y.z"})
        assert forged.status_code == 401 and forged.json()["error"]["code"] == "unauthenticated"


async def test_bad_input_is_refused_naming_the_field_and_the_rule(services: dict[str, str]):
    async with (
        signed_in("programme-lead", "programme_team", programmes=("*",)) as team,
        signed_in(f"someone-{RUN}", "participant") as someone,
    ):
        wrong_kind = await team.post(f"{URL['registration']}/programmes", json={"name": "x", "kind": "bogus"})
        assert wrong_kind.status_code == 422
        assert wrong_kind.json()["error"]["details"][0]["field"] == "body.kind"
        assert wrong_kind.json()["error"]["details"][0]["rule"] == "enum"

        programme = (await team.post(f"{URL['registration']}/programmes", json={"name": "x", "kind": "mentoring"})).json()
        dates = await team.post(
            f"{URL['registration']}/programmes/{programme['id']}/cohorts",
            json={"name": "c", "registration_opens_on": "2026-02-01", "registration_closes_on": "2026-01-01",
                  "starts_on": "2026-03-01", "ends_on": "2026-02-01"},
        )  # fmt: skip
        assert dates.status_code == 422
        assert {d["field"] for d in dates.json()["error"]["details"]} == {"registration_closes_on", "ends_on"}

        missing = await someone.post(
            f"{URL['registration']}/cohorts/{uuid.uuid4()}/participants", json=answers("Nobody", roles=["mentee"])
        )
        assert missing.status_code == 404

        zone = await someone.post(
            f"{URL['scheduling']}/pairings/{uuid.uuid4()}/sessions",
            json={"starts_at": "2027-03-14T02:30:00", "time_zone": "America/New_York"},
        )
        assert zone.status_code == 422 and zone.json()["error"]["details"][0]["rule"] == "exists_in_zone"

        too_many = await someone.post(
            f"{URL['pairing']}/cohorts/{uuid.uuid4()}/mentees/{uuid.uuid4()}/preferences",
            json={"mentor_ids": [str(uuid.uuid4()) for _ in range(6)]},
        )
        assert too_many.status_code == 422 and too_many.json()["error"]["details"][0]["field"] == "body.mentor_ids"

        huge = await someone.post(
            f"{URL['registration']}/cohorts/{uuid.uuid4()}/participants", content=b"{" + b" " * 100_000 + b"}",
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        assert huge.status_code == 413 and huge.json()["error"]["code"] == "body_too_large"
        assert huge.json()["request_id"] == huge.headers["x-request-id"]
