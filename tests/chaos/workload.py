"""The participants' story over HTTP, told while the infrastructure fails.

A programme team opens a cohort; synthetic people register and follow the link of the
verification mail the sink received, some change an answer; each mentee asks matching for
suggestions and ranks mentors; mentors accept, decline or leave
requests unanswered; pairing's clock travels, so reminders and expiries fire; pairs book
sessions, scheduling's clock travels, so the sessions complete, and both partners rate them;
some people withdraw; the team accepts a cohort-wide assignment. A trickle of registrations
into a second cohort keeps the relays and consumers busy while faults are injected.

Each call goes to either instance of its service, as through a load balancer, and is retried
through outages. Only a 2xx answer counts as acknowledged: the ledger keeps, for each, the event
the operation must have published, which the checks then look for on Kafka.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import numpy as np

from tests.chaos.inbox import Inbox
from tests.chaos.stack import FIRST, SECOND, STATE, ChaosStack
from together_contracts.registration import AppointmentType
from together_devtools.launcher import ServiceSpec
from together_synthetic import Participant, generate_cohort
from together_synthetic.vocabulary import ENTITIES, LANGUAGES

# A programme open to every appointment type a programme may accept, mentees from any job network,
# meetings in every language, every entity: the synthetic people are refused only for what no programme accepts.
NEVER_ELIGIBLE = {"consultant", "contractor", "intern", "unv"}
ACCEPTABLE = [t.value for t in AppointmentType if t.value not in NEVER_ELIGIBLE]
OPEN_TO_ALL = {
    "roles": {"mentor": {"appointment_types": ACCEPTABLE}, "mentee": {"appointment_types": ACCEPTABLE, "job_networks": None}},
    "meeting_languages": list(LANGUAGES),
    "entities": list(ENTITIES),  # every entity the generator names, beside the Secretariat's own
}
PATIENCE = 120.0  # seconds a call keeps being retried: longer than any outage the suite causes


@dataclass(frozen=True)
class Ack:
    """An acknowledged operation, and the event (short type, data fields) it must have published."""

    operation: str
    event: str
    data: tuple[tuple[str, str], ...]


@dataclass
class Ledger:
    acks: list[Ack] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)  # attempts, retries, ambiguous, gave_up, by status

    def ack(self, operation: str, event: str, **data: object) -> None:
        self.acks.append(Ack(operation, event, tuple(sorted((k, str(v)) for k, v in data.items()))))

    def operations(self) -> Counter[str]:
        return Counter(a.operation for a in self.acks if not a.operation.endswith("+"))


class Api:
    """Either instance of a service, as a load balancer would pick: an instance that does not
    answer, or answers 5xx, is left for the other, and the call is retried until it is answered
    (or `PATIENCE` runs out). `wait_for` statuses are retried too: another service learns of a
    fact through events, a moment later."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.urls = {spec.name: [spec.url(), other.url()] for spec, other in zip(FIRST, SECOND, strict=True)}
        self.http = httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_connections=32))

    async def call(
        self, service: str, method: str, path: str, *, headers: dict[str, str], json: Any = None,
        wait_for: Iterable[int] = (), patience: float = PATIENCE,
    ) -> httpx.Response | None:  # fmt: skip
        urls = self.urls[service]
        turn, pause = random.randrange(len(urls)), 0.1
        deadline = time.monotonic() + patience
        wait_for = set(wait_for)
        while True:
            self.ledger.calls["attempts"] += 1
            try:
                response = await self.http.request(method, urls[turn % len(urls)] + path, headers=headers, json=json)
                if response.status_code < 500 and response.status_code not in wait_for:
                    self.ledger.calls[f"status {response.status_code}"] += 1
                    return response
                self.ledger.calls[f"retried after {response.status_code}"] += 1
            except httpx.HTTPError as exc:
                # Sent but unanswered: it may have happened. A retry then meets the result (409, ...).
                sent = not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
                self.ledger.calls["ambiguous, retried" if sent else "retried after no connection"] += 1
            if time.monotonic() > deadline:
                self.ledger.calls["gave up"] += 1
                return None
            turn += 1
            await asyncio.sleep(pause)
            pause = min(pause * 1.5, 2.0)

    async def close(self) -> None:
        await self.http.aclose()


class Clocks:
    """Pairing's and scheduling's travelling clocks, the same on both instances. A restarted
    instance starts from the system clock, so it is moved to where its sibling is."""

    TRAVELLING = ("pairing", "scheduling")

    def __init__(self, api: Api, operator: dict[str, str]) -> None:
        self.api, self.operator = api, operator
        self.offset = dict.fromkeys(self.TRAVELLING, 0.0)  # seconds ahead of the system clock
        self._lock = asyncio.Lock()

    async def travel(self, service: str, seconds: float) -> None:
        async with self._lock:
            self.offset[service] += seconds
            for spec in (s for s in FIRST + SECOND if s.name == service):
                await self._align(spec)

    async def align(self, spec: ServiceSpec) -> None:
        if spec.name in self.TRAVELLING:
            async with self._lock:
                await self._align(spec)

    async def _align(self, spec: ServiceSpec) -> None:
        """Move one instance forward to the target offset (an instance that is down is aligned when it restarts)."""
        for _ in range(20):
            try:
                now = (await self.api.http.get(f"{spec.url()}/clock", headers=self.operator)).json()["now"]
                behind = self.offset[spec.name] - (datetime.fromisoformat(now) - datetime.now(UTC)).total_seconds()
                if behind <= 1.0:
                    return
                await self.api.http.post(f"{spec.url()}/clock/travel", json={"seconds": behind}, headers=self.operator)
            except (httpx.HTTPError, KeyError, ValueError):
                await asyncio.sleep(0.5)

    def now(self, service: str) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset[service])


@dataclass
class Person:
    id: str
    subject: str
    roles: list[str]
    capacity: int
    time_zone: str
    headers: dict[str, str]
    cohort: str
    email: str
    verified: bool = False  # followed the link of their verification mail: known to all
    withdrawn: bool = False


def synthetic_people(seed: int, n: int) -> list[Participant]:
    """N distinct synthetic people in a shuffled order, about 6 mentees to 3 mentors to 1 in both roles."""
    cohort = generate_cohort(seed, mentors=math.ceil(n * 0.4), mentees=math.ceil(n * 0.7))
    rows = np.random.default_rng(seed).permutation(len(cohort))[:n]
    return [cohort.participant(int(row)) for row in rows]


async def gather_limited(calls: Iterable[Callable[[], Awaitable[Any]]], limit: int = 6) -> list[Any]:
    semaphore = asyncio.Semaphore(limit)

    async def one(call: Callable[[], Awaitable[Any]]) -> Any:
        async with semaphore:
            return await call()

    return list(await asyncio.gather(*(one(c) for c in calls)))


class Workload:
    def __init__(self, stack: ChaosStack, seed: int) -> None:
        self.stack, self.seed, self.run = stack, seed, stack.run
        self.ledger = Ledger()
        self.api = Api(self.ledger)
        self.rng = random.Random(seed)
        self.team = self._headers("chaos-team", "programme_team", programmes=("*",))
        self.clocks = Clocks(self.api, self._headers("chaos-operator", "service"))
        self.people: dict[str, Person] = {}  # participant id -> person, both cohorts
        self.inbox = Inbox(STATE / "mail")
        self.verifying: set[asyncio.Task[None]] = set()  # the trickle's people following their links
        self.pairings: dict[str, tuple[str, str]] = {}  # pairing id -> (mentee, mentor)
        self.sessions: dict[str, str] = {}  # session id -> pairing id
        self.programme = self.cohort = self.trickle_cohort = ""
        self.figures: Counter[str] = Counter()
        self.problems: list[str] = []  # steps of the story that failed
        self.started = time.monotonic()

    def _headers(self, subject: str, *roles: str, programmes: tuple[str, ...] = ()) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.stack.signer.token(subject, *roles, programmes=programmes, expires_in=6 * 3600)}"}

    def say(self, text: str) -> None:
        print(f"  [{time.monotonic() - self.started:6.1f}s] workload: {text}", flush=True)

    # --- the story ------------------------------------------------------------------------

    async def story(self, round_: int, people: int) -> None:
        """One round of the story, in a cohort of its own, after `open_programme`. A step that fails
        is reported and the story goes on."""
        self.figures, self.pairings, self.sessions = Counter(), {}, {}
        self.cohort = await self.open_cohort(f"Chaos {self.run} round {round_ + 1}")
        self.say(f"round {round_ + 1}: {people} people")
        steps: list[tuple[str, Callable[[], Awaitable[None]]]] = [
            ("register", lambda: self.register(self.cohort, synthetic_people(self.seed + round_, people), f"r{round_}")),
            ("learn registrations", lambda: self.learn_registrations(self.cohort)),
            ("verify addresses", lambda: self.verify_all(self.cohort)),
            ("update answers", self.update_answers),
            ("wait", lambda: self.caught_up("every service learns of the registrations")),
            ("prefer", self.prefer),
            *((f"answer {n + 1}", lambda n=n: self.answer(n)) for n in range(3)),
            ("fire timers", self.fire_timers),
            ("answer 4", lambda: self.answer(3)),
            ("sessions", self.book_and_complete_sessions),
            ("withdraw", self.withdraw),
            ("assign", self.assign),
        ]
        for name, step in steps:
            try:
                await step()
            except Exception as exc:
                self.problems.append(f"round {round_ + 1}, {name}: {exc!r}")
                self.say(f"step {name} FAILED: {exc!r}")
        self.say(f"round {round_ + 1} told")

    async def open_programme(self) -> None:
        """The programme, and the cohort the trickle registers into."""
        body = {"name": f"Chaos {self.run}", "kind": "mentoring", "rules": OPEN_TO_ALL}
        self.programme = await self.create("registration", "/programmes", body)
        self.ledger.ack("programme", "ProgrammeCreated", programme_id=self.programme)
        self.trickle_cohort = await self.open_cohort(f"Chaos {self.run} trickle")

    async def open_cohort(self, name: str) -> str:
        today = date.today()  # registration's clock never travels
        window = {
            "registration_opens_on": str(today - timedelta(days=7)), "registration_closes_on": str(today + timedelta(days=30)),
            "starts_on": str(today + timedelta(days=31)), "ends_on": str(today + timedelta(days=180)),
        }  # fmt: skip
        cohort = await self.create("registration", f"/programmes/{self.programme}/cohorts", {"name": name, **window})
        self.ledger.ack("cohort", "CohortOpened", cohort_id=cohort)
        return cohort

    async def create(self, service: str, path: str, body: dict[str, Any]) -> str:
        response = await self.api.call(service, "POST", path, headers=self.team, json=body)
        if response is None or response.status_code != 201:
            raise RuntimeError(
                f"POST {path}: {response.status_code if response else 'no answer'} {response.text[:300] if response else ''}"
            )
        return str(response.json()["id"])

    async def register(self, cohort: str, people: list[Participant], label: str) -> None:
        async def one(p: Participant) -> None:
            subject = f"chaos-{self.run}-{label}-{p.row}"
            headers = self._headers(subject, "participant")
            response = await self.api.call(
                "registration", "POST", f"/cohorts/{cohort}/participants", headers=headers, json=p.questionnaire()
            )
            if response is not None and response.status_code == 201:
                pid = str(response.json()["id"])
                self.ledger.ack("registration", "AddressVerificationRequested", participant_id=pid)
                capacity = p.questionnaire().get("mentor_capacity") or 0
                self.people[pid] = Person(pid, subject, list(p.roles), capacity, p.time_zone, headers, cohort, p.email)
            self.figures[f"registration {response.status_code if response else 'unanswered'}"] += 1

        await gather_limited((lambda p=p: one(p)) for p in people)
        self.say(f"{len(people)} people asked to register ({label}): " + self._statuses("registration"))

    def _statuses(self, prefix: str) -> str:
        return ", ".join(
            f"{k.removeprefix(prefix).strip()} x{n}" for k, n in sorted(self.figures.items()) if k.startswith(prefix)
        )

    async def learn_registrations(self, cohort: str) -> None:
        """Registrations whose answer was lost to a fault exist all the same: the team's list names them."""
        response = await self.api.call("registration", "GET", f"/cohorts/{cohort}/participants", headers=self.team)
        if response is None or response.status_code != 200:
            return
        known = {p.subject for p in self.people.values()}
        for row in response.json():
            if row["person_id"].startswith(f"chaos-{self.run}-") and row["person_id"] not in known:
                profile = row["public_profile"]
                headers = self._headers(row["person_id"], "participant")
                self.people[row["id"]] = Person(
                    row["id"], row["person_id"], row["roles"], row["mentor_capacity"] or 0, profile["time_zone"], headers,
                    cohort, row["email"], verified=row["status"] != "unverified",
                )  # fmt: skip
                self.figures["registrations answered by nobody, found in the list"] += 1

    async def verify_all(self, cohort: str) -> None:
        """Each person registered in `cohort` follows the link of their verification mail."""
        waiting = [p for p in self.people.values() if p.cohort == cohort and not p.verified and not p.withdrawn]
        await gather_limited(((lambda p=p: self.verify(p)) for p in waiting), limit=16)
        self.say(f"{len(waiting)} people followed their verification link: " + self._statuses("verification"))

    async def verify(self, person: Person, label: str = "verification", patience: float = PATIENCE) -> None:
        """The person follows the newest link the sink received for their address, until one works. A
        link of another registration to the same address (another cohort) gets 400 `invalid_link`, and so
        does their own once used: a retried call whose first answer was lost. Their registration says which."""
        tried: set[str] = set()
        deadline = time.monotonic() + patience
        while time.monotonic() < deadline:
            for token in reversed([t for t in self.inbox.tokens(person.email) if t not in tried]):
                tried.add(token)
                response = await self.api.call(
                    "registration", "POST", "/participants/verify", headers=person.headers, json={"token": token}
                )
                if response is None:
                    break
                if response.status_code == 200 or (response.status_code == 400 and await self._verified(person)):
                    person.verified = True
                    self.ledger.ack("verification", "ParticipantRegistered", participant_id=person.id)
                    self.figures[f"{label} 200"] += 1
                    return
            await asyncio.sleep(0.5)
        self.figures[f"{label}: no working link"] += 1

    async def _verified(self, person: Person) -> bool:
        response = await self.api.call("registration", "GET", f"/participants/{person.id}", headers=person.headers)
        return response is not None and response.status_code == 200 and response.json()["status"] != "unverified"

    def story_people(self) -> list[Person]:
        return [p for p in self.people.values() if p.cohort == self.cohort and p.verified and not p.withdrawn]

    def mentors(self) -> list[Person]:
        return [p for p in self.story_people() if "mentor" in p.roles and p.capacity]

    def mentees(self) -> list[Person]:
        return [p for p in self.story_people() if "mentee" in p.roles]

    async def update_answers(self) -> None:
        story = sorted(p.id for p in self.story_people())
        chosen = self.rng.sample(story, k=min(len(story), max(2, len(story) // 20)))

        async def one(pid: str) -> None:
            person = self.people[pid]
            body = {"bio": f"Updated during chaos run {self.run}."}
            response = await self.api.call("registration", "PATCH", f"/participants/{pid}", headers=person.headers, json=body)
            if response is not None and response.status_code == 200 and response.json().get("changed"):
                self.ledger.ack("answers changed", "ParticipantProfileUpdated", participant_id=pid)

        await gather_limited((lambda pid=pid: one(pid)) for pid in chosen)
        self.say(f"{len(chosen)} people changed an answer")

    async def caught_up(self, what: str, timeout: float = 180) -> None:
        """Until every consumer group has consumed what is on its topics now (the broker may be down meanwhile)."""
        deadline = time.monotonic() + timeout
        targets = None
        while time.monotonic() < deadline:
            try:
                targets = targets or await self.stack.consumer_targets()
                if not await self.stack.lagging(targets):
                    return
            except Exception:
                await self.stack.forget_kafka_clients()
            await asyncio.sleep(0.5)
        self.say(f"gave up waiting: {what}")

    async def prefer(self) -> None:
        mentors = {p.id for p in self.mentors()}

        async def one(mentee: Person) -> None:
            path = f"/cohorts/{self.cohort}/mentees/{mentee.id}/suggestions"
            response = await self.api.call("matching", "GET", path, headers=mentee.headers, wait_for={404})
            if response is None or response.status_code != 200:
                return
            self.ledger.ack("suggestions", "SuggestionsServed", mentee_id=mentee.id)
            ranked = [
                s["mentor_id"]
                for s in response.json()["suggestions"]
                if s["mentor_id"] in mentors and s["mentor_id"] != mentee.id
            ]
            for attempt in range(3):  # a mentor may be full by now: try the next ones
                choice = ranked[attempt * 3 : attempt * 3 + 3]
                if not choice:
                    return
                response = await self.api.call(
                    "pairing", "POST", f"/cohorts/{self.cohort}/mentees/{mentee.id}/preferences",
                    headers=mentee.headers, json={"mentor_ids": choice}, wait_for={404},
                )  # fmt: skip
                if response is None:
                    return
                self.figures[f"preferences {response.status_code}"] += 1
                if response.status_code == 201:
                    self.ledger.ack("preferences", "PreferencesSubmitted", selection_id=response.json()["selection_id"])
                    return
                rules = {d.get("rule") for d in response.json().get("error", {}).get("details", [])}
                if rules & {"one_open_selection", "not_paired", "still_in_cohort", "has_mentee_role"}:
                    return

        await gather_limited((lambda m=m: one(m)) for m in self.mentees())
        self.say("mentees ranked their suggestions: " + self._statuses("preferences"))

    async def answer(self, round_: int) -> None:
        """Each mentor looks at their request: about 55% accept, 25% decline, 20% leave it unanswered."""

        async def one(mentor: Person) -> None:
            response = await self.api.call("pairing", "GET", f"/mentors/{mentor.id}/current-request", headers=mentor.headers)
            if response is None or response.status_code != 200:
                return
            request = response.json()
            choice = int(request["id"][:8], 16) % 100
            if choice >= 80:
                self.figures["requests left unanswered"] += 1
                return
            verb = "accept" if choice < 55 else "decline"
            answered = await self.api.call("pairing", "POST", f"/requests/{request['id']}/{verb}", headers=mentor.headers)
            self.figures[f"{verb} {answered.status_code if answered else 'unanswered'}"] += 1
            if answered is not None and answered.status_code == 200 and verb == "accept":
                pairing = answered.json()["pairing_id"]
                self.pairings[pairing] = (request["mentee_id"], mentor.id)
                self.ledger.ack("accept", "RequestAccepted", request_id=request["id"])
                self.ledger.ack("accept+", "PairingFormed", pairing_id=pairing)
            elif answered is not None and answered.status_code == 204:
                self.ledger.ack("decline", "RequestDeclined", request_id=request["id"])

        await gather_limited((lambda m=m: one(m)) for m in self.mentors())
        self.say(
            f"answer round {round_ + 1}: "
            + ", ".join(
                f"{k} x{n}" for k, n in sorted(self.figures.items()) if k.startswith(("accept", "decline", "requests left"))
            )
        )

    async def fire_timers(self) -> None:
        """Two days and an hour on, the reminders fall due; four more days, the expiries (weekends included)."""
        for label, seconds in (("reminders", 2 * 86400 + 3600), ("expiries", 4 * 86400)):
            await self.clocks.travel("pairing", seconds)
            fired = await self.wait_for_rows(
                "pairing", "SELECT count(*) FROM timers WHERE fired_at IS NULL AND failed_at IS NULL AND due_at <= $1",
                self.clocks.now("pairing") - timedelta(seconds=5),
            )  # fmt: skip
            self.say(f"pairing's clock travelled: due {label} {'all fired' if fired else 'NOT all fired within 90 s'}")

    async def wait_for_rows(self, service: str, count_sql: str, *args: Any, timeout: float = 90) -> bool:
        """Until `count_sql` counts nothing (a worker acts a moment later; the database may be down meanwhile)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                conn = await self.stack.db(service)
                try:
                    if not await conn.fetchval(count_sql, *args):
                        return True
                finally:
                    await conn.close()
            except Exception:  # the database is down or restarting: ask again
                pass
            await asyncio.sleep(1)
        return False

    async def book_and_complete_sessions(self) -> None:
        await self.caught_up("scheduling learns of the pairings")

        async def book(pairing: str, mentee: Person) -> None:
            day = (self.clocks.now("scheduling") + timedelta(days=1)).date()
            body = {"starts_at": f"{day.isoformat()}T13:00:00", "time_zone": mentee.time_zone, "duration_minutes": 60}
            response = await self.api.call(
                "scheduling", "POST", f"/pairings/{pairing}/sessions", headers=mentee.headers, json=body, wait_for={404}
            )
            self.figures[f"session {response.status_code if response else 'unanswered'}"] += 1
            if response is not None and response.status_code == 201:
                self.sessions[response.json()["id"]] = pairing
                self.ledger.ack("session", "SessionScheduled", session_id=response.json()["id"])

        pairs = [(pid, self.people[mentee]) for pid, (mentee, _) in self.pairings.items() if mentee in self.people]
        await gather_limited((lambda p=p, m=m: book(p, m)) for p, m in pairs)
        await self.clocks.travel("scheduling", 3 * 86400)
        done = await self.wait_for_rows(
            "scheduling", "SELECT count(*) FROM sessions WHERE status = 'scheduled' AND ends_at <= $1",
            self.clocks.now("scheduling") - timedelta(seconds=5),
        )  # fmt: skip
        self.say(
            f"{len(self.sessions)} sessions booked; scheduling's clock travelled: {'all completed' if done else 'NOT all completed within 90 s'}"
        )

        async def rate(session: str, person: Person) -> None:
            body = {"rating": self.rng.randint(1, 5), "comment": "Useful."}
            response = await self.api.call(
                "scheduling", "POST", f"/sessions/{session}/feedback", headers=person.headers, json=body, wait_for={409}
            )
            self.figures[f"feedback {response.status_code if response else 'unanswered'}"] += 1
            if response is not None and response.status_code == 201:
                self.ledger.ack("feedback", "FeedbackGiven", session_id=session, participant_id=person.id)

        raters = [(s, self.people[p]) for s, pairing in self.sessions.items() for p in self.pairings[pairing] if p in self.people]
        await gather_limited((lambda s=s, p=p: rate(s, p)) for s, p in raters)
        self.say("partners rated their sessions: " + self._statuses("feedback"))

    async def withdraw(self, share: float = 0.06) -> None:
        chosen = self.rng.sample(sorted(p.id for p in self.story_people()), k=max(3, int(len(self.story_people()) * share)))
        await gather_limited((lambda pid=pid: self.withdraw_one(pid)) for pid in chosen)
        self.say(f"{len(chosen)} people withdrew: " + self._statuses("withdrawal"))

    async def withdraw_one(self, pid: str, label: str = "withdrawal") -> None:
        person = self.people[pid]
        body = {"erase_answers": self.rng.random() < 0.3}
        response = await self.api.call(
            "registration", "POST", f"/participants/{pid}/withdrawal", headers=person.headers, json=body
        )
        self.figures[f"{label} {response.status_code if response else 'unanswered'}"] += 1
        if response is not None and response.status_code == 200:
            person.withdrawn = True
            self.ledger.ack("withdrawal", "ParticipantWithdrawn", participant_id=pid)

    async def assign(self) -> None:
        await self.caught_up("matching learns of pairings and withdrawals")
        proposal = await self.api.call(
            "matching", "POST", f"/cohorts/{self.cohort}/assignments", headers=self.team, json={"method": "optimal"}
        )
        if proposal is None or proposal.status_code != 201:
            self.say(f"assignment not proposed: {proposal.status_code if proposal else 'no answer'}")
            return
        assignment = proposal.json()["assignment_id"]
        accepted = await self.api.call(
            "matching", "POST", f"/cohorts/{self.cohort}/assignments/{assignment}/accept", headers=self.team
        )
        if accepted is not None and accepted.status_code == 200:
            self.ledger.ack("assignment", "AssignmentAccepted", assignment_id=assignment)
        self.say(
            f"assignment of {len(proposal.json()['pairs'])} pairs accepted: {accepted.status_code if accepted else 'no answer'}"
        )

    # --- the trickle ----------------------------------------------------------------------

    async def trickle(self, stop: asyncio.Event) -> None:
        """A registration into the second cohort every half second, each person then following their
        verification link on the side, and a withdrawal of a verified person every fifth, until `stop`
        (then the links under way are followed to their ends)."""
        try:
            for n, person in enumerate(synthetic_people(self.seed + 1, 5000)):
                if stop.is_set():
                    return
                await self.register_quietly(self.trickle_cohort, person)
                if n % 5 == 4:
                    verified = [
                        p.id for p in self.people.values() if p.cohort == self.trickle_cohort and p.verified and not p.withdrawn
                    ]
                    if verified:
                        await self.withdraw_one(verified[0], "trickle withdrawal")
                await asyncio.sleep(0.5)
        finally:
            await asyncio.gather(*self.verifying, return_exceptions=True)

    async def register_quietly(self, cohort: str, p: Participant) -> None:
        subject = f"chaos-{self.run}-trickle-{p.row}"
        headers = self._headers(subject, "participant")
        response = await self.api.call(
            "registration", "POST", f"/cohorts/{cohort}/participants", headers=headers, json=p.questionnaire()
        )
        self.figures[f"trickle registration {response.status_code if response else 'unanswered'}"] += 1
        if response is not None and response.status_code == 201:
            pid = str(response.json()["id"])
            self.ledger.ack("registration", "AddressVerificationRequested", participant_id=pid)
            self.people[pid] = Person(pid, subject, list(p.roles), 0, p.time_zone, headers, cohort, p.email)
            verifying = asyncio.create_task(self.verify(self.people[pid], "trickle verification"))
            self.verifying.add(verifying)
            verifying.add_done_callback(self.verifying.discard)

    async def close(self) -> None:
        await self.api.close()
