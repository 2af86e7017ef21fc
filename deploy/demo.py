"""The demo: one mentoring flow across the five services, told as a story.

    python deploy/demo.py            (make demo runs it after starting the stack)

A programme team creates a programme and a cohort; a mentor and a mentee
register; matching suggests mentors with reasons; the mentee ranks them;
the mentor accepts; a session is booked, held and completed when it ends; every event
on Kafka and every notification recorded is printed as it happens.
The services must run with TOGETHER_CLOCK_MODE=travel: the demo moves the
scheduling service's clock past the session, as a real week would.
"""

from __future__ import annotations

import asyncio
import email
import json
import os
import sys
import time
import uuid
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import httpx
from aiokafka import AIOKafkaConsumer

from together_events.topics import SERVICES, service_topic
from together_servicekit.dev_identity import fetch_token
from together_servicekit.launcher import EVERYTHING as SPECS
from together_servicekit.launcher import state_dir

URL = {spec.name: spec.url() for spec in SPECS}
TOPICS = [service_topic(service) for service in SERVICES]
BOLD, DIM, RESET = ("\033[1m", "\033[2m", "\033[0m") if sys.stdout.isatty() else ("", "", "")


def step(text: str) -> None:
    print(f"\n{BOLD}▶ {text}{RESET}", flush=True)


def say(text: str) -> None:
    print(f"  {text}", flush=True)


async def tail_events(bootstrap: str, ready: asyncio.Event) -> None:
    """Print each event on the project's topics: topic, key (aggregate id), sequence, type."""
    consumer = AIOKafkaConsumer(*TOPICS, bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="latest")
    await consumer.start()
    try:
        while not consumer.assignment():
            await asyncio.sleep(0.05)
        for tp in consumer.assignment():
            await consumer.position(tp)  # pin "latest" now, before the story starts
        ready.set()
        async for record in consumer:
            event = json.loads(record.value)
            print(
                f"  {DIM}event{RESET} {event['type'].split('.')[-2]:<22} topic={record.topic:<24} "
                f"key={record.key.decode()[:8]}… seq={event['sequence']}",
                flush=True,
            )
    finally:
        await consumer.stop()


async def eventually(call, what: str, timeout: float = 30.0) -> httpx.Response:  # type: ignore[no-untyped-def]
    """Retry a request until it succeeds: other services learn of things through events."""
    deadline = time.monotonic() + timeout
    while True:
        response = await call()
        if response.is_success:
            return response
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: {response.status_code} {response.text}")
        await asyncio.sleep(0.2)


def ok(response: httpx.Response) -> dict:
    if not response.is_success:
        raise RuntimeError(f"{response.request.method} {response.request.url}: {response.status_code} {response.text}")
    return response.json() if response.content else {}


async def story(http: httpx.AsyncClient) -> None:
    run = uuid.uuid4().hex[:6]

    async def signed_in(subject: str, *roles: str, programmes: tuple[str, ...] = ()) -> dict[str, str]:
        """Sign in at the identity provider, as any client would, and return the header to send."""
        token = await fetch_token(http, URL["identity"], subject=subject, roles=roles, programmes=programmes)
        return {"Authorization": f"Bearer {token}"}

    step("Everyone signs in at the (development) identity provider")
    team = await signed_in("programme-lead", "programme_team", programmes=("*",))
    operator = await signed_in("demo-operator", "service")
    person = {name: await signed_in(f"{name.lower()}.{run}", "participant") for name in ("Amina", "Jean", "Ravi")}
    say(f"tokens for the programme team, the demo operator and three people ({', '.join(person)}), each a signed JWT")
    today = datetime.fromisoformat(ok(await http.get(f"{URL['registration']}/clock", headers=team))["now"]).date()

    step("The programme team creates a mentoring programme and a cohort")
    programme = ok(
        await http.post(
            f"{URL['registration']}/programmes", json={"name": "Together mentoring", "kind": "mentoring"}, headers=team
        )
    )
    cohort = ok(
        await http.post(
            headers=team,
            url=f"{URL['registration']}/programmes/{programme['id']}/cohorts",
            json={
                "name": f"Demo cohort {run}",
                "registration_opens_on": str(today - timedelta(days=7)),
                "registration_closes_on": str(today + timedelta(days=14)),
                "starts_on": str(today + timedelta(days=21)),
                "ends_on": str(today + timedelta(days=21 + 120)),
            },
        )
    )
    say(f"programme {programme['id']}, cohort {cohort['id']}")
    await asyncio.sleep(0.5)

    step("Two mentors and a mentee register")
    people = {
        "Amina (mentor, P-4, Nairobi)": {
            "name": "Amina Njoroge", "appointment_type": "permanent", "entity": "UNEP", "duty_station": "Nairobi", "time_zone": "Africa/Nairobi",
            "grade": "P-4", "years_of_service": 12, "job_network": "DEVNET", "languages": ["English", "French"],
            "skills": ["negotiation", "project management"], "roles": ["mentor"], "mentor_capacity": 2,
            "preferred_language": "fr",
        },
        "Jean (mentor, P-5, Geneva)": {
            "name": "Jean Dupont", "appointment_type": "continuing", "entity": "OHCHR", "duty_station": "Geneva", "time_zone": "Europe/Zurich",
            "grade": "P-5", "years_of_service": 20, "job_network": "POLNET", "languages": ["French"],
            "skills": ["drafting"], "roles": ["mentor"], "mentor_capacity": 1,
        },
        "Ravi (mentee, G-6, Bangkok)": {
            "name": "Ravi Sharma", "appointment_type": "fixed_term", "entity": "ESCAP", "duty_station": "Bangkok", "time_zone": "Asia/Bangkok",
            "grade": "G-6", "years_of_service": 5, "job_network": "DEVNET", "languages": ["English", "French"],
            "goals": ["negotiation"], "roles": ["mentee"],
        },
    }  # fmt: skip
    ids = {}
    for label, answers in people.items():
        email = f"{answers['name'].split()[0].lower()}.{run}@un.org"
        created = ok(
            await http.post(
                f"{URL['registration']}/cohorts/{cohort['id']}/participants",
                json={**answers, "email": email},
                headers=person[label.split()[0]],
            )
        )
        ids[label.split()[0]] = created["id"]
        say(f"{label}: {created['id']}")
    amina, jean, ravi = ids["Amina"], ids["Jean"], ids["Ravi"]
    await asyncio.sleep(0.5)

    step("Matching suggests mentors to Ravi, each with its reasons")
    suggestions = ok(
        await eventually(
            lambda: http.get(f"{URL['matching']}/cohorts/{cohort['id']}/mentees/{ravi}/suggestions", headers=person["Ravi"]),
            "suggestions",
        )
    )
    for rank, s in enumerate(suggestions["suggestions"], 1):
        name = "Amina" if s["mentor_id"] == amina else "Jean" if s["mentor_id"] == jean else s["mentor_id"]
        say(f"{rank}. {name} (score {s['score']}): " + "; ".join(s["reasons"]))

    step("Ravi ranks Amina first, Jean second; pairing sends the first request")
    ok(
        await eventually(
            lambda: http.post(
                f"{URL['pairing']}/cohorts/{cohort['id']}/mentees/{ravi}/preferences",
                json={"mentor_ids": [amina, jean]},
                headers=person["Ravi"],
            ),
            "preferences (pairing must first learn of the registrations)",
        )
    )
    request = ok(await http.get(f"{URL['pairing']}/mentors/{amina}/current-request", headers=person["Amina"]))
    nairobi = ZoneInfo("Africa/Nairobi")
    say(
        f"Amina sees one request; reminder {datetime.fromisoformat(request['remind_at']).astimezone(nairobi):%a %d %b %H:%M}, "
        f"expiry {datetime.fromisoformat(request['expires_at']).astimezone(nairobi):%a %d %b %H:%M} Nairobi time"
    )
    await asyncio.sleep(0.5)

    step("Amina accepts")
    pairing = ok(await http.post(f"{URL['pairing']}/requests/{request['id']}/accept", headers=person["Amina"]))
    say(f"pairing {pairing['pairing_id']}")
    await asyncio.sleep(0.5)

    step("They book a first session: 13:00 New York time tomorrow")
    start_local = (today + timedelta(days=1)).isoformat() + "T13:00:00"
    session = ok(
        await eventually(
            lambda: http.post(
                f"{URL['scheduling']}/pairings/{pairing['pairing_id']}/sessions",
                json={"starts_at": start_local, "time_zone": "America/New_York", "duration_minutes": 60},
                headers=person["Ravi"],
            ),
            "booking (scheduling must first learn of the pairing)",
        )
    )
    starts = datetime.fromisoformat(start_local).replace(tzinfo=ZoneInfo("America/New_York"))
    say(
        f"Amina sees {starts.astimezone(nairobi):%a %d %b %H:%M} (Nairobi); Ravi sees {starts.astimezone(ZoneInfo('Asia/Bangkok')):%a %d %b %H:%M} (Bangkok)"
    )
    await asyncio.sleep(0.5)

    step("Two days later (the scheduling service's demo clock travels), the session has ended: scheduling completes it")
    ok(await http.post(f"{URL['scheduling']}/clock/travel", json={"seconds": 2 * 24 * 3600}, headers=operator))
    for _ in range(150):  # the completion worker polls; give it a few seconds
        sessions = ok(await http.get(f"{URL['scheduling']}/pairings/{pairing['pairing_id']}/sessions", headers=person["Amina"]))
        if sessions[0]["id"] == session["id"] and sessions[0]["status"] == "completed":
            break
        await asyncio.sleep(0.2)
    else:
        raise RuntimeError("scheduling did not complete the ended session")
    say(f"session {sessions[0]['id'][:8]}… completed at {sessions[0]['completed_at']}")

    step("Notifications recorded, once per event and person")
    for name, someone, expected in (("Amina", amina, 4), ("Ravi", ravi, 4)):
        deadline = time.monotonic() + 30
        while True:
            messages = ok(await http.get(f"{URL['notifications']}/participants/{someone}/notifications", headers=person[name]))
            if len(messages) >= expected or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        for message in messages:
            say(f"to {name}: [{message['kind']}] {message['subject']} ({message['source_event_type'].split('.')[-2]})")

    step("E-mails delivered once each, in the reader's language, to the development mail sink (.run/mail/)")
    addresses = {f"amina.{run}@un.org", f"ravi.{run}@un.org"}
    deadline = time.monotonic() + 30
    while len(mails := [m for m in delivered_mails() if m["To"] in addresses]) < 8 and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
    for mail in mails:
        files = [part.get_filename() for part in mail.walk() if part.get_filename()]
        say(f"to {mail['To']}: {mail['Subject']}" + (f"  [{', '.join(files)}]" if files else ""))
    say("all of them: .venv/bin/python -m notifications.mailsink list")


def delivered_mails() -> list[EmailMessage]:
    return [
        email.message_from_bytes(path.read_bytes(), policy=policy.default)  # type: ignore[misc]
        for path in sorted((state_dir() / "mail").glob("*.eml"))
    ]


async def main() -> None:
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
    ready = asyncio.Event()
    tail = asyncio.create_task(tail_events(bootstrap, ready))
    await asyncio.wait_for(ready.wait(), 30)
    async with httpx.AsyncClient(timeout=10) as http:
        await story(http)
    await asyncio.sleep(1.0)  # let the last events print
    tail.cancel()
    print(f"\n{BOLD}The stack keeps running.{RESET} API docs:")
    for name, url in URL.items():
        print(f"  {name:<14} {url}" + ("  (SMTP mail sink; mails in .run/mail/)" if name == "mailsink" else "/docs"))
    print(f"Tokens: POST {URL['identity']}/token (see libs/servicekit/README.md), then 'Authorize' in the docs.")
    print("Logs: .run/logs/<service>.log, .run/kafka/kafka.log, .run/postgres/postgres.log. Stop everything: make stop")


if __name__ == "__main__":
    asyncio.run(main())
