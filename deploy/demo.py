"""The demo: a mentoring programme across the five services, told as a story.

    python deploy/demo.py            (make demo runs it after starting the stack)

A programme team creates a programme (its default rules printed) and a cohort; a synthetic
cohort registers (acceptances, refusals by rule, one refusal with all its reasons); matching
suggests mentors with reasons and says why not another; a mentee ranks mentors, the request
reaches a mentor, the 48-hour reminder falls due, the mentor accepts, a session is booked in
New York time, seen in Nairobi and Bangkok time, completed by the worker and rated; a mentor
who leaves moves a waiting request to the mentee's next choice; the team proposes and accepts
a cohort-wide assignment; the mails arrive in each reader's language. Every event of this run
on Kafka is printed as it arrives (bulk phases as counts).
The services must run with TOGETHER_CLOCK_MODE=travel: the demo moves the pairing and
scheduling services' clocks forward, as real days would. Each run uses fresh names, and reads
each service's own clock, so it can run again on the same stack.
"""

from __future__ import annotations

import asyncio
import email
import inspect
import json
import os
import sys
import textwrap
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from aiokafka import AIOKafkaConsumer

from together_events.topics import SERVICES, service_topic
from together_servicekit.dev_identity import fetch_token
from together_servicekit.launcher import EVERYTHING as SPECS
from together_servicekit.launcher import state_dir
from together_synthetic import generate_cohort

URL = {spec.name: spec.url() for spec in SPECS}
TOPICS = [service_topic(service) for service in SERVICES]
BOLD, DIM, RESET = ("\033[1m", "\033[2m", "\033[0m") if sys.stdout.isatty() else ("", "", "")
SEED, MENTORS, MENTEES = 2027, 30, 40  # the synthetic cohort: same people every run
NAIROBI, BANGKOK, NEW_YORK = ZoneInfo("Africa/Nairobi"), ZoneInfo("Asia/Bangkok"), ZoneInfo("America/New_York")


def step(text: str) -> None:
    print(f"\n{BOLD}▶ {text}{RESET}", flush=True)


def say(text: str, indent: int = 2) -> None:
    print(textwrap.fill(text, width=110, initial_indent=" " * indent, subsequent_indent=" " * (indent + 4)), flush=True)


def ordinal(n: int) -> str:
    return f"{n}{'st' if n == 1 else 'nd' if n == 2 else 'rd' if n == 3 else 'th'}"


class EventTail:
    """Prints the events of this run as they cross Kafka.

    The topics are shared (earlier runs, tests, timers of older cohorts firing after a clock
    travel), so an event is shown only when it names something of this run: the story tells
    the tail each id it creates, and an event that matches brings its own ids in (a pairing's
    id from PairingFormed, a session's from SessionScheduled...). An event that arrives before
    the HTTP answer that names its id waits a few seconds for it. In a bulk phase (`hush`) the
    events are counted instead of printed.
    """

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.ready = asyncio.Event()
        self.ours: set[str] = set()
        self.waiting: list[tuple[float, str, str, dict[str, Any]]] = []  # (give up at, topic, key, event)
        self.seen: list[dict[str, Any]] = []  # every event of this run, in arrival order
        self.hushed: Counter[str] | None = None
        self.names: dict[str, str] = {}  # participant id -> first name, for the printed lines

    def follow(self, *ids: object) -> None:
        self.ours.update(str(i) for i in ids)
        self._recheck()

    def hush(self) -> None:
        self.hushed = Counter()

    def unhush(self) -> Counter[str]:
        counted, self.hushed = self.hushed or Counter(), None
        return counted

    def count(self, kind: str, /, **data: object) -> int:
        return sum(1 for e in self.seen if kind_of(e) == kind and all(str(e["data"].get(k)) == str(v) for k, v in data.items()))

    async def until(self, what: str, condition: Callable[[], bool], timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise RuntimeError(f"not seen on Kafka within {timeout:.0f}s: {what}")
            await asyncio.sleep(0.1)

    def _take(self, topic: str, key: str, event: dict[str, Any]) -> bool:
        ids = {s for s in strings(event.get("data")) if is_uuid(s)}
        if key not in self.ours and not ids & self.ours:
            return False
        self.ours.update(ids | {key})
        self.seen.append(event)
        if self.hushed is not None:
            self.hushed[kind_of(event)] += 1
        else:
            print(
                f"  {DIM}event {kind_of(event):<22} {topic:<24} key={key[:8]}… seq={event['sequence']:<2} {self.detail(event)}".rstrip()
                + RESET,
                flush=True,
            )
        return True

    def detail(self, event: dict[str, Any]) -> str:
        """Who the event is about, in words: whom a message is for, who asked whom."""
        data = event["data"]

        def name(key: str) -> str:
            return self.names.get(str(data.get(key)), "")

        if kind_of(event) == "NotificationRecorded":
            return f"{data['kind']} for {name('recipient_id') or 'a mentor'}"
        if "mentee_id" in data and "mentor_id" in data:
            return f"{name('mentee_id') or 'a mentee'} → {name('mentor_id') or 'a mentor'}"
        if "ranked_mentor_ids" in data:
            return f"{name('mentee_id') or 'a mentee'} ranks " + ", ".join(
                self.names.get(str(i), "a mentor") for i in data["ranked_mentor_ids"]
            )
        if "mentee_id" in data:
            return name("mentee_id")
        if "participant_ids" in data:
            return " and ".join(self.names.get(str(i), "?") for i in data["participant_ids"])
        return name("participant_id")

    async def seen_all(self, *wanted: tuple[str, dict[str, object]], timeout: float = 30.0) -> None:
        """Wait until each (kind, data) has crossed Kafka (as often as it is listed), so that a
        step's events print under it."""
        needed = Counter((kind, tuple(sorted((k, str(v)) for k, v in data.items()))) for kind, data in wanted)
        await self.until(
            ", ".join(kind for kind, _ in wanted),
            lambda: all(self.count(kind, **dict(data)) >= n for (kind, data), n in needed.items()),
            timeout,
        )

    def _recheck(self) -> None:
        progress = True
        while progress:  # an event taken may bring in the ids another one waits for
            progress = False
            for item in list(self.waiting):
                if self._take(*item[1:]):
                    self.waiting.remove(item)
                    progress = True

    async def run(self) -> None:
        consumer = AIOKafkaConsumer(
            *TOPICS, bootstrap_servers=self.bootstrap, enable_auto_commit=False, auto_offset_reset="latest"
        )
        await consumer.start()
        try:
            while not consumer.assignment():
                await asyncio.sleep(0.05)
            for tp in consumer.assignment():
                await consumer.position(tp)  # pin "latest" now, before the story starts
            self.ready.set()
            while True:
                batches = await consumer.getmany(timeout_ms=200)
                for records in batches.values():
                    for record in records:
                        key = record.key.decode() if record.key else ""
                        event = json.loads(record.value)
                        if not self._take(record.topic, key, event):
                            self.waiting.append((time.monotonic() + 5.0, record.topic, key, event))
                now = time.monotonic()
                self.waiting = [item for item in self.waiting if item[0] > now]  # not ours after all
        finally:
            await consumer.stop()


def kind_of(event: dict[str, Any]) -> str:
    return str(event["type"]).split(".")[-2]


def is_uuid(text: str) -> bool:
    try:
        return len(text) == 36 and bool(uuid.UUID(text))
    except ValueError:
        return False


def strings(value: Any) -> list[str]:
    """Every string in an event's data, nested ones too (ids of participants, pairings, cohorts)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


async def eventually(call: Callable[[], Awaitable[httpx.Response]], what: str, timeout: float = 30.0) -> httpx.Response:
    """Retry a request until it succeeds: other services learn of things through events."""
    deadline = time.monotonic() + timeout
    while True:
        response = await call()
        if response.is_success:
            return response
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: {response.status_code} {response.text}")
        await asyncio.sleep(0.2)


async def until(what: str, probe: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Poll until `probe` (a function, or a coroutine function) gives something truthy: a worker or
    a consumer acts a moment later."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise RuntimeError(f"not within {timeout:.0f}s: {what}")
        await asyncio.sleep(0.2)


def ok(response: httpx.Response) -> Any:
    if not response.is_success:
        raise RuntimeError(f"{response.request.method} {response.request.url}: {response.status_code} {response.text}")
    return response.json() if response.content else {}


def at(instant: str, zone: ZoneInfo) -> str:
    return f"{datetime.fromisoformat(instant).astimezone(zone):%a %d %b %H:%M}"


# The story's own people: hand-written so the story reads the same every run.
CHARACTERS: dict[str, dict[str, Any]] = {
    "Amina": {
        "name": "Amina Njoroge", "appointment_type": "permanent", "entity": "UNEP", "duty_station": "Nairobi",
        "time_zone": "Africa/Nairobi", "grade": "P-4", "years_of_service": 12, "job_network": "DEVNET",
        "languages": ["English", "French"], "skills": ["Negotiation", "Project management"], "roles": ["mentor"],
        "mentor_capacity": 2, "preferred_language": "fr",
    },
    "Jean": {
        "name": "Jean Dupont", "appointment_type": "continuing", "entity": "OHCHR", "duty_station": "Geneva",
        "time_zone": "Europe/Zurich", "grade": "P-5", "years_of_service": 20, "job_network": "POLNET",
        "languages": ["French"], "skills": ["Drafting"], "roles": ["mentor"], "mentor_capacity": 1,
        "preferred_language": "fr",
    },
    "Ravi": {
        "name": "Ravi Sharma", "appointment_type": "fixed_term", "entity": "ESCAP", "duty_station": "Bangkok",
        "time_zone": "Asia/Bangkok", "grade": "G-6", "years_of_service": 5, "job_network": "DEVNET",
        "languages": ["English", "French"], "goals": ["Negotiation"], "roles": ["mentee"],
    },
    "Lina": {
        "name": "Lina Haddad", "appointment_type": "fixed_term", "entity": "ESCWA", "duty_station": "Beirut",
        "time_zone": "Asia/Beirut", "grade": "P-2", "years_of_service": 3, "job_network": "POLNET",
        "languages": ["Arabic", "French", "Spanish"], "goals": ["Drafting"], "roles": ["mentee"],
        "preferred_language": "es",
    },
    # The most senior staff: the mentoring rule wants a more experienced mentor, and this cohort has none.
    "Kofi": {
        "name": "Kofi Mensah", "appointment_type": "permanent", "entity": "DPPA", "duty_station": "New York",
        "time_zone": "America/New_York", "grade": "USG", "years_of_service": 40, "job_network": "POLNET",
        "languages": ["English", "French"], "goals": ["Intercultural communication"], "roles": ["mentee"],
    },
}  # fmt: skip
# Refused on purpose: an intern, in a job network the pilot does not take mentees from, who
# speaks neither meeting language. Registration gives every reason at once.
REFUSED = {
    "name": "Lucía Fernández", "appointment_type": "intern", "entity": "ECLAC", "duty_station": "Santiago",
    "time_zone": "America/Santiago", "grade": "G-4", "years_of_service": 0, "job_network": "LOGNET",
    "languages": ["Spanish"], "goals": ["Budgeting"], "roles": ["mentee"],
}  # fmt: skip


async def story(http: httpx.AsyncClient, tail: EventTail) -> None:
    run = uuid.uuid4().hex[:6]

    async def signed_in(subject: str, *roles: str, programmes: tuple[str, ...] = ()) -> dict[str, str]:
        """Sign in at the identity provider, as any client would, and return the header to send."""
        token = await fetch_token(http, URL["identity"], subject=subject, roles=roles, programmes=programmes)
        return {"Authorization": f"Bearer {token}"}

    async def clock(service: str) -> datetime:
        return datetime.fromisoformat(ok(await http.get(f"{URL[service]}/clock", headers=team))["now"])

    async def register(cohort_id: str, subject: str, answers: dict[str, Any]) -> httpx.Response:
        headers = await signed_in(subject, "participant")
        return await http.post(f"{URL['registration']}/cohorts/{cohort_id}/participants", json=answers, headers=headers)

    # --- 1 ---------------------------------------------------------------------------------------
    step("1. The programme team signs in and creates a mentoring programme and a cohort")
    team = await signed_in("programme-lead", "programme_team", programmes=("*",))
    operator = await signed_in("demo-operator", "service")  # moves the demo clocks
    person = {name: await signed_in(f"{name.lower()}.{run}", "participant") for name in CHARACTERS}
    today = (await clock("registration")).date()
    programme = ok(
        await http.post(
            f"{URL['registration']}/programmes", json={"name": "Together mentoring", "kind": "mentoring"}, headers=team
        )
    )
    tail.follow(programme["id"])
    await tail.seen_all(("ProgrammeCreated", {"programme_id": programme["id"]}))
    rules = ok(await http.get(f"{URL['registration']}/programmes/{programme['id']}", headers=team))["rules"]
    mentee_rules, mentor_rules = rules["roles"]["mentee"], rules["roles"]["mentor"]
    say(f"programme {programme['id'][:8]}… (kind mentoring) with the 2020 pilot's rules as defaults:")
    say(f"mentees from {', '.join(mentee_rules['job_networks'])}; mentors from any job network", 4)
    say(f"appointments {', '.join(mentor_rules['appointment_types'])}; mentors take 1-{mentor_rules['max_capacity']} mentees", 4)
    plan = rules["session_plan"]
    say(
        f"meetings in {' or '.join(rules['meeting_languages'])}, {plan['meeting_interval']} for {plan['period_months']} months", 4
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
    cohort_id = cohort["id"]
    tail.follow(cohort_id)
    await tail.seen_all(("CohortOpened", {"cohort_id": cohort_id}))
    say(f'cohort {cohort_id[:8]}… "Demo cohort {run}": registration open until {today + timedelta(days=14)}')

    # --- 2 ---------------------------------------------------------------------------------------
    step(f"2. A synthetic cohort registers ({MENTORS} mentors, {MENTEES} mentees, seed {SEED}), and the story's people")
    synthetic = generate_cohort(SEED, mentors=MENTORS, mentees=MENTEES)
    people = list({p.index_number: p for p in synthetic.mentors + synthetic.mentees}.values())
    limit = asyncio.Semaphore(8)

    async def register_synthetic(number: int, p: Any) -> tuple[dict[str, Any], httpx.Response]:
        answers = p.questionnaire()
        local, domain = answers["email"].split("@")
        answers["email"] = f"{local}.{run}@{domain}"  # fresh addresses per run: the mail sink tells runs apart
        async with limit:
            # The subject travels in events as person_id: never derive it from a team-only answer.
            return answers, await register(cohort_id, f"synthetic-{run}-{number}", answers)

    tail.hush()
    results = await asyncio.gather(*(register_synthetic(n, p) for n, p in enumerate(people)))
    accepted = {r.json()["id"]: answers for answers, r in results if r.status_code == 201}
    tail.follow(*accepted)
    refused = [(answers, r.json()["error"]["details"]) for answers, r in results if r.status_code == 422]
    unexpected = [r for _, r in results if r.status_code not in (201, 422)]
    if unexpected:
        raise RuntimeError(f"registration: {unexpected[0].status_code} {unexpected[0].text}")
    ids: dict[str, str] = {}
    for name, answers in CHARACTERS.items():
        created = ok(await register(cohort_id, f"{name.lower()}.{run}", {**answers, "email": f"{name.lower()}.{run}@un.org"}))
        ids[name] = created["id"]
        tail.follow(created["id"])
    amina, jean, ravi, lina = ids["Amina"], ids["Jean"], ids["Ravi"], ids["Lina"]
    names = {**{i: a["name"] for i, a in accepted.items()}, **{i: name for name, i in ids.items()}}

    tail.names = {i: name.split()[0] for i, name in names.items()}

    def name_of(participant_id: str) -> str:
        return names.get(participant_id, participant_id[:8] + "…")

    await tail.until("every registration", lambda: tail.count("ParticipantRegistered") >= len(accepted) + len(ids))
    counted = tail.unhush()
    mentors = {i: a for i, a in accepted.items() if "mentor" in a["roles"]}
    mentees = {i: a for i, a in accepted.items() if "mentee" in a["roles"]}
    all_mentors = len(mentors) + sum("mentor" in a["roles"] for a in CHARACTERS.values())
    all_mentees = len(mentees) + sum("mentee" in a["roles"] for a in CHARACTERS.values())
    say(f"accepted {len(accepted)} of {len(people)}: {len(mentors)} mentors, {len(mentees)} mentees (both roles count in each)")
    by_rule = Counter(v["rule"] for _, violations in refused for v in violations)
    say(f"refused {len(refused)}, reasons by rule: " + ", ".join(f"{rule} x{n}" for rule, n in by_rule.most_common()))
    say(
        ", ".join(f"{name} ({a['roles'][0]}, {a['grade']}, {a['duty_station']})" for name, a in CHARACTERS.items())
        + " registered"
    )
    say(f"{DIM}events: " + ", ".join(f"{n} x {kind}" for kind, n in counted.items()) + RESET)
    refusal = await register(cohort_id, f"lucia.{run}", {**REFUSED, "email": f"lucia.{run}@un.org"})
    if refusal.status_code != 422:
        raise RuntimeError(f"Lucía's registration should be refused: {refusal.status_code} {refusal.text}")
    say("Lucía (intern at ECLAC, LOGNET, Spanish only) asks to be a mentee: 422, every reason at once:")
    for violation in refusal.json()["error"]["details"]:
        say(f"{violation['field']} ({violation['rule']}): {violation['message']}", 4)

    # --- 3 ---------------------------------------------------------------------------------------
    step("3. Matching suggests mentors to Ravi, each with its reasons; the team asks why not others")

    async def matching_knows_everyone() -> bool:  # matching reads the registrations from Kafka
        response = await http.get(f"{URL['matching']}/cohorts/{cohort_id}/fairness", headers=team)
        if not response.is_success:
            return False
        report = response.json()
        known_mentees = sum(g["mentees"] for g in report["mentees_by"]["grade"])
        return report["concentration"]["mentors"] == all_mentors and known_mentees == all_mentees

    await until("matching learns of every registration", matching_knows_everyone)
    suggestions = ok(await http.get(f"{URL['matching']}/cohorts/{cohort_id}/mentees/{ravi}/suggestions", headers=person["Ravi"]))[
        "suggestions"
    ]
    say(f"{len(suggestions)} suggestions among {all_mentors} mentors; the top three:")
    for rank, s in enumerate(suggestions[:3], 1):
        say(f"{rank}. {s['display_name']} (score {s['score']:.1f}): " + "; ".join(s["reasons"]), 4)
    await tail.seen_all(("SuggestionsServed", {"mentee_id": ravi}))
    suggested = {s["mentor_id"] for s in suggestions}
    shown_excluded = shown_ranked = False
    for mentor_id, answers in list(mentors.items()) + [(jean, CHARACTERS["Jean"])]:
        if mentor_id in suggested or (shown_excluded and shown_ranked):
            continue
        why = ok(await http.get(f"{URL['matching']}/cohorts/{cohort_id}/mentees/{ravi}/why-not/{mentor_id}", headers=team))
        if why["exclusions"] and not shown_excluded:
            shown_excluded = True
            say(f"why not {answers['name']} ({answers['grade']}, {answers['duty_station']})? excluded:", 2)
            for exclusion in why["exclusions"]:
                say(f"{exclusion['rule']}: {exclusion['reason']}", 4)
        elif not why["exclusions"] and not shown_ranked:
            shown_ranked = True
            say(f"why not {answers['name']} ({answers['grade']}, {answers['duty_station']})? {why['summary']}", 2)

    # --- 4 ---------------------------------------------------------------------------------------
    step("4. Ravi ranks Amina first, Jean second; pairing sends the first request to Amina")
    ok(
        await eventually(
            lambda: http.post(
                f"{URL['pairing']}/cohorts/{cohort_id}/mentees/{ravi}/preferences",
                json={"mentor_ids": [amina, jean]},
                headers=person["Ravi"],
            ),
            "preferences (pairing must first learn of the registrations)",
        )
    )
    request = ok(await http.get(f"{URL['pairing']}/mentors/{amina}/current-request", headers=person["Amina"]))
    await tail.seen_all(
        ("RequestSent", {"request_id": request["id"]}),
        ("NotificationRecorded", {"kind": "request_received", "recipient_id": amina}),
    )
    say(
        f"Amina sees the request (a mentor sees one at a time); reminder {at(request['remind_at'], NAIROBI)}, "
        f"expiry {at(request['expires_at'], NAIROBI)} Nairobi time"
    )

    step("   48 hours on (pairing's demo clock travels), Amina has not answered: the reminder timer fires")
    remind_at = datetime.fromisoformat(request["remind_at"])
    travel = (remind_at - await clock("pairing")).total_seconds() + 60  # just past the reminder, well before the expiry
    ok(await http.post(f"{URL['pairing']}/clock/travel", json={"seconds": max(travel, 0)}, headers=operator))
    await tail.seen_all(
        ("RequestReminderDue", {"request_id": request["id"]}),
        ("NotificationRecorded", {"kind": "request_reminder", "recipient_id": amina}),
    )
    say(
        f"pairing's clock reads {at((await clock('pairing')).isoformat(), NAIROBI)} in Nairobi; the request is still hers to answer"
    )

    step("   Amina accepts")
    pairing_id = ok(await http.post(f"{URL['pairing']}/requests/{request['id']}/accept", headers=person["Amina"]))["pairing_id"]
    tail.follow(pairing_id)
    await tail.seen_all(
        ("PairingFormed", {"pairing_id": pairing_id}),
        ("NotificationRecorded", {"kind": "pairing_formed", "recipient_id": ravi}),
        ("NotificationRecorded", {"kind": "pairing_formed", "recipient_id": amina}),
    )
    say(f"pairing {pairing_id[:8]}… formed; Amina has one place left")

    step("   They book a first session: 13:00 New York time tomorrow")
    tomorrow = (await clock("scheduling")).astimezone(NEW_YORK).date() + timedelta(days=1)
    start_local = f"{tomorrow.isoformat()}T13:00:00"
    session = ok(
        await eventually(
            lambda: http.post(
                f"{URL['scheduling']}/pairings/{pairing_id}/sessions",
                json={"starts_at": start_local, "time_zone": "America/New_York", "duration_minutes": 60},
                headers=person["Ravi"],
            ),
            "booking (scheduling must first learn of the pairing)",
        )
    )
    tail.follow(session["id"])
    await tail.seen_all(
        ("SessionScheduled", {"session_id": session["id"]}),
        ("NotificationRecorded", {"kind": "session_scheduled", "recipient_id": amina}),
        ("NotificationRecorded", {"kind": "session_scheduled", "recipient_id": ravi}),
    )
    starts = datetime.fromisoformat(start_local).replace(tzinfo=NEW_YORK)
    say(
        f"Amina sees {starts.astimezone(NAIROBI):%a %d %b %H:%M} (Nairobi), Ravi {starts.astimezone(BANGKOK):%a %d %b %H:%M} "
        "(Bangkok); each gets an invitation (.ics) in their own time zone"
    )

    step("   Two days later (scheduling's clock travels), the session has ended: the worker completes it")
    ok(await http.post(f"{URL['scheduling']}/clock/travel", json={"seconds": 2 * 24 * 3600}, headers=operator))

    async def completed() -> dict[str, Any] | None:
        sessions = ok(await http.get(f"{URL['scheduling']}/pairings/{pairing_id}/sessions", headers=person["Amina"]))
        return next((s for s in sessions if s["id"] == session["id"] and s["status"] == "completed"), None)

    done = await until("scheduling completes the ended session", completed)
    await tail.seen_all(
        ("SessionCompleted", {"session_id": session["id"]}),
        ("NotificationRecorded", {"kind": "feedback_requested", "recipient_id": amina}),
        ("NotificationRecorded", {"kind": "feedback_requested", "recipient_id": ravi}),
    )
    say(f"session {done['id'][:8]}… completed at {done['completed_at']}; both are asked for feedback")
    for name, rating, comment in (("Ravi", 5, "Clear advice on my negotiation plan."), ("Amina", 4, "A motivated mentee.")):
        ok(
            await http.post(
                f"{URL['scheduling']}/sessions/{session['id']}/feedback",
                json={"rating": rating, "comment": comment},
                headers=person[name],
            )
        )
    await tail.seen_all(*[("FeedbackGiven", {"session_id": session["id"]})] * 2)
    say("Ravi rates it 5, Amina 4; only the ratings travel as events, the comments stay in scheduling")

    # --- 5 ---------------------------------------------------------------------------------------
    step("5. A mentor leaves: Lina ranks Jean first, Amina second; Jean withdraws while her request waits")
    ok(
        await eventually(
            lambda: http.post(
                f"{URL['pairing']}/cohorts/{cohort_id}/mentees/{lina}/preferences",
                json={"mentor_ids": [jean, amina]},
                headers=person["Lina"],
            ),
            "Lina's preferences",
        )
    )
    await tail.seen_all(("RequestSent", {"mentee_id": lina, "mentor_id": jean}))
    say("Lina's request waits for Jean's answer")
    ok(await http.post(f"{URL['registration']}/participants/{jean}/withdrawal", json={}, headers=person["Jean"]))
    await tail.seen_all(
        ("ParticipantWithdrawn", {"participant_id": jean}),
        ("RequestCancelled", {"mentee_id": lina, "mentor_id": jean}),
        ("RequestSent", {"mentee_id": lina, "mentor_id": amina}),
        ("NotificationRecorded", {"kind": "request_not_accepted", "recipient_id": lina}),
        *[("NotificationRecorded", {"kind": "request_received", "recipient_id": amina})] * 2,  # Ravi's, now Lina's
    )
    say("Jean withdraws (registration); pairing cancels the request and tries Lina's next choice:")
    requests = ok(await http.get(f"{URL['pairing']}/mentees/{lina}/requests", headers=person["Lina"]))
    for r in requests:
        say(f"Lina's {ordinal(r['rank'])} choice, {name_of(r['mentor_id'])}: {r['status']}", 4)

    # --- 6 ---------------------------------------------------------------------------------------
    step("6. The programme team proposes a cohort-wide assignment (optimal) and accepts it")
    proposal = ok(await http.post(f"{URL['matching']}/cohorts/{cohort_id}/assignments", json={"method": "optimal"}, headers=team))
    assignment_id, report = proposal["assignment_id"], proposal["report"]
    say(
        f"{report['paired']} of the {report['mentees']} mentees without a mentor get one; total score {report['total_score']:.1f}; "
        "own ranked choices met: "
        + (", ".join(f"{ordinal(int(c))} choice x{n}" for c, n in sorted(report["choices"].items()) if n) or "none")
    )
    if report["unmatched"]:
        say(f"unmatched ({len(report['unmatched'])}), each with the reason:")
        for u in report["unmatched"][:5]:
            say(f"{name_of(u['mentee_id'])}: {u['reason']}", 4)
    else:
        say("unmatched: nobody")
    tail.hush()  # a request per pair: counted, not printed
    tail.follow(assignment_id)
    ok(await http.post(f"{URL['matching']}/cohorts/{cohort_id}/assignments/{assignment_id}/accept", headers=team))

    def assigned(kind: str) -> list[dict[str, Any]]:
        return [e for e in tail.seen if kind_of(e) == kind and e["data"].get("assignment_id") == assignment_id]

    await tail.until(
        "pairing sends or skips each assigned pair",
        lambda: len(assigned("PreferencesSubmitted")) + len(assigned("AssignedPairSkipped")) >= len(proposal["pairs"]),
    )
    statuses: Counter[str] = Counter()
    assigned_mentors = set()
    for e in assigned("PreferencesSubmitted"):
        mentee = e["data"]["mentee_id"]
        for r in ok(await http.get(f"{URL['pairing']}/mentees/{mentee}/requests", headers=team)):
            if r["mentor_id"] in e["data"]["ranked_mentor_ids"]:
                statuses[r["status"]] += 1
                if r["status"] == "pending":
                    assigned_mentors.add(r["mentor_id"])
    say(
        f"accepted: pairing sends {len(assigned('PreferencesSubmitted'))} requests through their ordinary lifecycle ("
        + ", ".join(f"{n} {status}" for status, n in statuses.most_common())
        + "; a waiting one reaches its mentor after the request before it)"
    )
    for e in assigned("AssignedPairSkipped"):
        say(f"skipped {name_of(e['data']['mentee_id'])}: {e['data']['reason']} (her own choices are being tried)", 4)

    # --- 7 ---------------------------------------------------------------------------------------
    step("7. E-mails delivered once each, in the reader's language, to the development mail sink (.run/mail/)")
    expected = {"Amina": 6, "Ravi": 4, "Lina": 1}  # Amina: 2 requests, the reminder, session, next session, feedback

    async def feeds_complete() -> dict[str, int] | None:
        counts = {}
        for name, n in expected.items():
            response = await http.get(f"{URL['notifications']}/participants/{ids[name]}/notifications", headers=person[name])
            counts[name] = len(response.json()) if response.is_success else 0
            if counts[name] < n:
                return None
        return counts

    messages = sum((await until("notifications records every message of the story", feeds_complete)).values())
    readers = {f"{name.lower()}.{run}@un.org": name for name in expected}
    to_mentors = len(assigned_mentors - {amina})  # one mail per assigned request that reached its mentor

    def mails_of_run() -> tuple[list[EmailMessage], list[EmailMessage]]:
        mails = [m for m in delivered_mails() if f".{run}@" in str(m["To"])]
        return [m for m in mails if m["To"] in readers], [m for m in mails if m["To"] not in readers]

    def all_arrived() -> tuple[list[EmailMessage], list[EmailMessage]] | None:
        story_mails, others = mails_of_run()
        return (story_mails, others) if len(story_mails) >= messages and len(others) >= to_mentors else None

    try:
        story_mails, others = await until("the mails reach the sink", all_arrived)
    except RuntimeError:
        if any(mails_of_run()):
            raise
        # No mail of this run at all: the sink keeps them elsewhere (under Docker Compose, in its container).
        say(
            f"no mail of this run in {state_dir() / 'mail'}; with Docker Compose: docker compose exec mailsink python -m notifications.mailsink list"
        )
        story_mails, others = [], []
    for mail in story_mails:
        files = [part.get_filename() for part in mail.walk() if part.get_filename()]
        language = mail["Content-Language"] or "?"
        say(f"to {readers[mail['To']]:<6} [{language}] {mail['Subject']}" + (f"  ({', '.join(files)})" if files else ""))
    if others:
        languages = Counter(str(m["Content-Language"] or "?") for m in others)
        say(
            f"and {len(others)} to mentors of the assignment, a request each ("
            + ", ".join(f"{n} in {language}" for language, n in languages.most_common())
            + ")"
        )
    counted = tail.unhush()
    say(f"{DIM}events since the acceptance: " + ", ".join(f"{n} x {kind}" for kind, n in counted.items()) + RESET)
    say("all of them: .venv/bin/python -m notifications.mailsink list")


def delivered_mails() -> list[EmailMessage]:
    return [
        email.message_from_bytes(path.read_bytes(), policy=policy.default)  # type: ignore[misc]
        for path in sorted((state_dir() / "mail").glob("*.eml"))
    ]


async def main() -> None:
    started = time.monotonic()
    tail = EventTail(os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092"))
    tailing = asyncio.create_task(tail.run())
    await asyncio.wait_for(tail.ready.wait(), 30)
    async with httpx.AsyncClient(timeout=10) as http:
        await story(http, tail)
    await asyncio.sleep(1.0)  # let the last events print
    tailing.cancel()
    print(f"\n{BOLD}The story took {time.monotonic() - started:.0f} s. The stack keeps running.{RESET} API docs:")
    for name, url in URL.items():
        print(f"  {name:<14} {url}" + ("  (SMTP mail sink; mails in .run/mail/)" if name == "mailsink" else "/docs"))
    print(f"Tokens: POST {URL['identity']}/token (see libs/servicekit/README.md), then 'Authorize' in the docs.")
    print("Logs: .run/logs/<service>.log, .run/kafka/kafka.log, .run/postgres/postgres.log. Stop everything: make stop")


if __name__ == "__main__":
    asyncio.run(main())
