"""Fuzzing every service's OpenAPI: no input makes a service answer 5xx, and every 4xx has the project's error shape.

Each service runs as its real app on a fresh, migrated database (tests/apps.py), served by uvicorn on a
spare loopback port from a thread with its own event loop: the app's engine and producer are made on that
loop, so the synchronous fuzzing below can call it over HTTP while the test's own loop sleeps.

Schemathesis reads the served OpenAPI document; for every operation, Hypothesis draws valid and invalid
requests from it (MAX_EXAMPLES of each, seeded per operation, so every run sends the same inputs). Every
request goes out twice, as a participant and as a programme team running every programme, and each answer
is checked: no 5xx; a 4xx in the shape of together_servicekit.errors; a 2xx as documented. A failure
reports schemathesis' curl to reproduce it and the app's own traceback.

A little state is seeded first (a programme and cohorts, participants, requests both ways, a pairing
with a session that has started), and hooks now and then put those ids in the path and meaningful values
(real time zones, grades, mentor ids, local wall-clock times) in valid bodies, so requests reach the use
cases instead of stopping at "does not exist".

The fuzzing is driven here rather than by schemathesis' pytest plugin: under pytest 9.2 the plugin's
`from_fixture` fails (`Function` has no `_nodeid`) and `schema.parametrize()` gives every operation's
test the same node id.
"""

from __future__ import annotations

import asyncio
import importlib
import socket
import threading
import time
import traceback
import uuid
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import hypothesis
import hypothesis.strategies as st
import pytest
import schemathesis
import uvicorn
from fastapi import FastAPI
from schemathesis.checks import not_a_server_error
from schemathesis.core import SCHEMATHESIS_TEST_CASE_HEADER as CASE_ID_HEADER
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err

from tests.apps import Signer, client, service_app
from tests.verification import requested_verification, verify
from together_contracts.pairing import PairingFormed, RequestSent
from together_contracts.registration import ParticipantRegistered, PublicProfile, Role
from together_events import Envelope, Event
from together_servicekit.clock import TravellingClock
from together_servicekit.runtime import Runtime

pytestmark = pytest.mark.integration

POSITIVE, NEGATIVE = schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE
SERVICES = ("registration", "matching", "pairing", "scheduling", "notifications")
PARTICIPANT = "fuzz-participant"  # the participant caller
OTHER_PERSON = "fuzz-other"  # the participant caller's partners
TEAM_PERSON = "fuzz-team"  # the programme team caller

MAX_EXAMPLES = 50  # per operation and generation mode (valid, invalid); about 45 s for the five services

# Every request carries a caller's valid token (tests/http/test_authentication.py covers the bad ones),
# so the generator does not spend its budget on the Authorization header.
CONFIG = schemathesis.Config.from_str(
    """
[generation]
with-security-parameters = false
database = "none"
"""
)
SETTINGS = hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[hypothesis.HealthCheck.too_slow],
    phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate, hypothesis.Phase.shrink],
)


# --- The checks ---------------------------------------------------------------------------------


def error_body_has_the_project_shape(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """A 4xx says what went wrong in the one shape every service uses (together_servicekit.errors)."""
    status = response.status_code
    if not 400 <= status < 500:
        return None
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"the {status} body is not JSON: {response.content[:300]!r}") from None
    problems = []
    if not isinstance(body, dict) or set(body) != {"error", "request_id"}:
        problems.append(f"the body's keys are not exactly error and request_id: {body!r:.300}")
    else:
        error = body["error"]
        if not isinstance(error, dict) or set(error) != {"status", "code", "message", "details"}:
            problems.append(f"error's keys are not exactly status, code, message, details: {error!r:.300}")
        else:
            if error["status"] != status:
                problems.append(f"error.status is {error['status']!r}, the response's status {status}")
            if not isinstance(error["code"], str) or not error["code"]:
                problems.append(f"error.code is not a non-empty string: {error['code']!r}")
            if not isinstance(error["message"], str) or not error["message"]:
                problems.append(f"error.message is not a non-empty string: {error['message']!r}")
            details = error["details"]
            if not isinstance(details, list) or not all(
                isinstance(d, dict) and set(d) == {"field", "rule", "message"} and all(isinstance(v, str) for v in d.values())
                for d in details
            ):
                problems.append(f"error.details is not a list of {{field, rule, message}} strings: {details!r:.300}")
        request_id = body["request_id"]
        sent_back = response.headers.get("x-request-id", [None])[0]
        if not isinstance(request_id, str) or not request_id or request_id != sent_back:
            problems.append(f"request_id {request_id!r} is not the response's X-Request-ID {sent_back!r}")
    if problems:
        raise AssertionError(f"a {status} response without the project's error shape: " + "; ".join(problems))
    return None


def success_matches_its_documented_schema(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """A 2xx body is what the OpenAPI document promises (4xx bodies are checked for the error shape instead)."""
    if 200 <= response.status_code < 300:
        return case.operation.validate_response(response, case=case)
    return None


CHECKS = [not_a_server_error, error_body_has_the_project_shape, success_matches_its_documented_schema]


# --- Seeded state -------------------------------------------------------------------------------


@dataclass
class Seeded:
    """What the fuzzer may use besides random values: path parameters naming seeded objects (each set
    consistent, e.g. a cohort with a mentee of that cohort), and meaningful values by body field."""

    paths: list[dict[str, str]] = field(default_factory=list)
    fields: dict[str, list[Any]] = field(default_factory=dict)


# Real zones at the edges: far east and west of UTC, half-hour and 45-minute offsets, daylight saving.
TIME_ZONES = ["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Kathmandu", "Australia/Lord_Howe", "America/New_York"]


def _profile(name: str) -> PublicProfile:
    return PublicProfile(
        display_name=name,
        entity="UNDP",
        duty_station="Nairobi",
        time_zone="Africa/Nairobi",
        grade="P-3",
        years_of_service=6,
        job_network="Management",
        languages=["English", "French"],
        skills=["budgeting"],
        goals=["leadership"],
    )


def _registered(participant_id: uuid.UUID, person: str, cohort: _Cohort, role: Role) -> ParticipantRegistered:
    return ParticipantRegistered(
        participant_id=participant_id,
        person_id=person,
        cohort_id=cohort.cohort_id,
        programme_id=cohort.programme_id,
        roles=[role],
        mentor_capacity=2 if role is Role.mentor else None,
        # A mentor more experienced than the mentee, as the grade rule of every request wants.
        profile=_profile(person).model_copy(update={"grade": "P-5"}) if role is Role.mentor else _profile(person),
        registered_at=datetime(2026, 1, 5, tzinfo=UTC),
    )


@dataclass(frozen=True)
class _Cohort:
    """A cohort as the read models know it, with one mentee and one mentor."""

    name: str
    mentee_person: str
    mentor_person: str

    def _id(self, what: str) -> uuid.UUID:
        return uuid.uuid5(uuid.NAMESPACE_URL, f"https://fuzz.test.together/{self.name}/{what}")

    @property
    def programme_id(self) -> uuid.UUID:
        return self._id("programme")

    @property
    def cohort_id(self) -> uuid.UUID:
        return self._id("cohort")

    @property
    def mentee_id(self) -> uuid.UUID:
        return self._id("mentee")

    @property
    def mentor_id(self) -> uuid.UUID:
        return self._id("mentor")

    def registrations(self) -> list[ParticipantRegistered]:
        return [
            _registered(self.mentee_id, self.mentee_person, self, Role.mentee),
            _registered(self.mentor_id, self.mentor_person, self, Role.mentor),
        ]


# The participant caller is a mentee in one cohort and a mentor in another, so both sides of pairing are reachable.
AS_MENTEE = _Cohort("as-mentee", mentee_person=PARTICIPANT, mentor_person=OTHER_PERSON)
AS_MENTOR = _Cohort("as-mentor", mentee_person=OTHER_PERSON, mentor_person=PARTICIPANT)
PARTICIPANT_IDS = [str(c.mentee_id) for c in (AS_MENTEE, AS_MENTOR)] + [str(c.mentor_id) for c in (AS_MENTEE, AS_MENTOR)]


def _participant_paths() -> list[dict[str, str]]:
    """Each cohort with its mentee and mentor, and with the two the other way round."""
    paths = []
    for c in (AS_MENTEE, AS_MENTOR):
        paths.append({"cohort_id": str(c.cohort_id), "mentee_id": str(c.mentee_id), "mentor_id": str(c.mentor_id)})
        paths.append({"cohort_id": str(c.cohort_id), "mentee_id": str(c.mentor_id), "mentor_id": str(c.mentee_id)})
    return paths


async def _deliver(service: str, runtime: Runtime, *events: Event) -> None:
    """Hand `events` to the service's own handlers, as its consumer would."""
    handlers = importlib.import_module(f"{service}.consumers").handlers(runtime)
    for event in events:
        envelope = Envelope(
            id=str(uuid.uuid4()),
            source="/together/test",
            type=event.event_type(),
            subject=event.aggregate_id(),
            time=runtime.now(),
            aggregatetype=event.aggregate,
            sequence=1,
            correlationid="fuzz-seed",
            data=event.model_dump(mode="json"),
        )
        async with runtime.engine.begin() as conn:
            await handlers[type(event)](conn, event, envelope)


def _json(response: httpx.Response, status: int = 201) -> Any:
    assert response.status_code == status, f"seeding: {response.request.method} {response.request.url}: {response.text}"
    return response.json()


def _as(signer: Signer, person: str) -> dict[str, str]:
    return signer.headers(person, "participant")


async def _seed_registration(http: httpx.AsyncClient, runtime: Runtime, signer: Signer) -> Seeded:
    """A programme with two open cohorts: the participant is registered (address verified) in the first, free to register in the second."""
    team = signer.headers(TEAM_PERSON, "programme_team", programmes=["*"])
    programme = _json(await http.post("/programmes", json={"name": "Fuzz mentoring", "kind": "mentoring"}, headers=team))
    today = runtime.now().date()
    dates = {
        "registration_opens_on": str(today - timedelta(days=1)),
        "registration_closes_on": str(today + timedelta(days=30)),
        "starts_on": str(today + timedelta(days=31)),
        "ends_on": str(today + timedelta(days=200)),
    }
    cohorts = [
        _json(await http.post(f"/programmes/{programme['id']}/cohorts", json={"name": name, **dates}, headers=team))["id"]
        for name in ("Fuzz cohort 1", "Fuzz cohort 2")
    ]
    answers = {
        "name": "Fuzz Participant",
        "email": "participant@example.org",
        "appointment_type": "fixed_term",
        "entity": "DESA",  # the Secretariat: a programme takes other entities only when it lists them
        "duty_station": "Nairobi",
        "time_zone": "Africa/Nairobi",
        "grade": "P-3",
        "years_of_service": 6,
        "job_network": "DEVNET",  # the mentoring programme's default: mentees from POLNET, DEVNET, INFONET
        "languages": ["English"],
        "roles": ["mentee"],
    }
    participant = _json(await http.post(f"/cohorts/{cohorts[0]}/participants", json=answers, headers=_as(signer, PARTICIPANT)))
    verification = await requested_verification(runtime.engine, participant["id"])
    await verify(http, runtime.engine, participant["id"], person=_as(signer, PARTICIPANT), signer=signer)
    return Seeded(
        paths=[
            {"programme_id": programme["id"]},
            *({"cohort_id": cohort} for cohort in cohorts),
            {"participant_id": participant["id"]},
            {"verification_id": verification},
        ],
        fields={
            "time_zone": TIME_ZONES,
            "grade": ["P-3", "G-1", "USG"],
            "roles": [["mentor"], ["mentee"], ["mentee", "mentor"]],
            "mentor_capacity": [1, 2],
            "email": ["someone@example.org", "PARTICIPANT@example.org"],
        },
    )


async def _seed_matching(http: httpx.AsyncClient, runtime: Runtime, signer: Signer) -> Seeded:
    await _deliver("matching", runtime, *AS_MENTEE.registrations(), *AS_MENTOR.registrations())
    return Seeded(paths=_participant_paths())


async def _seed_pairing(http: httpx.AsyncClient, runtime: Runtime, signer: Signer) -> Seeded:
    """The participant has asked a mentor in one cohort, and has been asked by a mentee in the other."""
    await _deliver("pairing", runtime, *AS_MENTEE.registrations(), *AS_MENTOR.registrations())
    requests = []
    for cohort in (AS_MENTEE, AS_MENTOR):
        _json(
            await http.post(
                f"/cohorts/{cohort.cohort_id}/mentees/{cohort.mentee_id}/preferences",
                json={"mentor_ids": [str(cohort.mentor_id)]},
                headers=_as(signer, cohort.mentee_person),
            )
        )
        sent = _json(await http.get(f"/mentees/{cohort.mentee_id}/requests", headers=_as(signer, cohort.mentee_person)), 200)
        requests += [r["id"] for r in sent]
    return Seeded(
        paths=[*_participant_paths(), *({"request_id": request} for request in requests)],
        fields={"mentor_ids": [[str(AS_MENTEE.mentor_id)], [str(AS_MENTOR.mentor_id)], PARTICIPANT_IDS]},
    )


async def _seed_scheduling(http: httpx.AsyncClient, runtime: Runtime, signer: Signer) -> Seeded:
    """A pairing of the participant, with one session booked in an hour, and the clock then moved past its start."""
    pairing_id = uuid.uuid5(uuid.NAMESPACE_URL, "https://fuzz.test.together/pairing")
    await _deliver(
        "scheduling",
        runtime,
        PairingFormed(
            pairing_id=pairing_id,
            request_id=uuid.uuid5(uuid.NAMESPACE_URL, "https://fuzz.test.together/request"),
            mentee_id=AS_MENTEE.mentee_id,
            mentor_id=AS_MENTEE.mentor_id,
            cohort_id=AS_MENTEE.cohort_id,
            programme_id=AS_MENTEE.programme_id,
            mentee_person_id=PARTICIPANT,
            mentor_person_id=OTHER_PERSON,
            formed_at=runtime.now(),
        ),
    )
    start = (runtime.now() + timedelta(hours=1)).astimezone(UTC).replace(tzinfo=None, second=0, microsecond=0)
    booked = _json(
        await http.post(
            f"/pairings/{pairing_id}/sessions",
            json={"starts_at": start.isoformat(), "time_zone": "UTC"},
            headers=_as(signer, PARTICIPANT),
        )
    )
    assert isinstance(runtime.clock, TravellingClock)
    runtime.clock.travel(timedelta(hours=2))
    return Seeded(
        paths=[{"pairing_id": str(pairing_id)}, {"session_id": booked["id"]}],
        fields={
            "time_zone": TIME_ZONES,
            # Local wall-clock times (the generator's date-times all carry an offset, which the rule refuses):
            # ordinary, skipped and repeated by a daylight-saving change in New York, and the calendar's ends.
            "starts_at": [
                "2031-06-02T10:00:00",
                "2031-03-09T02:30:00",
                "2031-11-02T01:30:00",
                "9999-12-31T23:30:00",
                "0001-01-01T00:30:00",
            ],
        },
    )


async def _seed_notifications(http: httpx.AsyncClient, runtime: Runtime, signer: Signer) -> Seeded:
    """The participant has been sent a request (a message for them) and has sent one."""
    now = runtime.now()
    sent = [
        RequestSent(
            request_id=uuid.uuid5(uuid.NAMESPACE_URL, f"https://fuzz.test.together/{cohort.name}/request"),
            selection_id=uuid.uuid5(uuid.NAMESPACE_URL, f"https://fuzz.test.together/{cohort.name}/selection"),
            mentee_id=cohort.mentee_id,
            mentor_id=cohort.mentor_id,
            cohort_id=cohort.cohort_id,
            rank=1,
            reached_mentor_at=now,
            remind_at=now + timedelta(days=3),
            expires_at=now + timedelta(days=7),
        )
        for cohort in (AS_MENTEE, AS_MENTOR)
    ]
    await _deliver("notifications", runtime, *AS_MENTEE.registrations(), *AS_MENTOR.registrations(), *sent)
    return Seeded(paths=[{"participant_id": participant} for participant in PARTICIPANT_IDS])


SEED: Mapping[str, Callable[[httpx.AsyncClient, Runtime, Signer], Awaitable[Seeded]]] = {
    "registration": _seed_registration,
    "matching": _seed_matching,
    "pairing": _seed_pairing,
    "scheduling": _seed_scheduling,
    "notifications": _seed_notifications,
}


# --- The served app ----------------------------------------------------------------------------


class _CrashRecorder:
    """ASGI wrapper: the traceback of every exception the app lets escape, by schemathesis test case id."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.crashes: dict[str, list[str]] = {}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        try:
            await self.app(scope, receive, send)
        except Exception as exc:
            headers = dict(scope.get("headers") or [])
            case_id = headers.get(CASE_ID_HEADER.lower().encode(), b"").decode("latin-1")
            self.crashes.setdefault(case_id, []).append(f"{scope.get('method')} {scope.get('path')}:\n{_app_traceback(exc)}")
            raise


def _app_traceback(exc: BaseException) -> str:
    """The traceback through the project's code (middleware and library frames left out) and the error."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames[:-1] if "site-packages" not in f.filename and f.filename != __file__] + frames[-1:]
    return "".join(traceback.format_list(own) + traceback.format_exception_only(exc))


@dataclass
class Served:
    service: str
    base_url: str
    seeded: Seeded
    recorder: _CrashRecorder

    def crashes_of(self, case: schemathesis.Case, wait: float = 2.0) -> list[str]:
        """The app's tracebacks for `case` (the app records them just after it answers, hence the wait)."""
        deadline = time.monotonic() + wait
        while not self.recorder.crashes.get(case.id) and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.recorder.crashes.get(case.id, []))


class _ServerThread:
    """The service's app, runtime and uvicorn server, all on one event loop in one thread."""

    def __init__(self, service: str, database_url: str, kafka_bootstrap: str, signer: Signer) -> None:
        self.service, self.database_url, self.kafka_bootstrap, self.signer = service, database_url, kafka_bootstrap, signer
        self.ready = threading.Event()
        self.server: uvicorn.Server | None = None
        self.served: Served | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name=f"fuzz-{service}", daemon=True)

    def start(self, timeout: float = 120) -> Served:
        self.thread.start()
        if not self.ready.wait(timeout):
            raise TimeoutError(f"{self.service} did not start serving within {timeout}s")
        if self.error is not None or self.served is None or self.server is None or not self.server.started:
            raise RuntimeError(f"{self.service} failed to start") from self.error
        return self.served

    def stop(self, timeout: float = 30) -> None:
        if self.server is not None:
            self.server.should_exit = True
        if self.thread.ident is not None:
            self.thread.join(timeout)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:
            self.error = exc
        finally:
            self.ready.set()

    async def _serve(self) -> None:
        async with service_app(self.service, self.database_url, self.kafka_bootstrap, self.signer) as (app, runtime):
            async with client(app) as http:
                seeded = await SEED[self.service](http, runtime, self.signer)
            recorder = _CrashRecorder(app)
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
            config = uvicorn.Config(recorder, lifespan="off", log_config=None, log_level="critical", access_log=False)
            self.server = uvicorn.Server(config)
            serving = asyncio.create_task(self.server.serve(sockets=[sock]))
            while not self.server.started and not serving.done():
                await asyncio.sleep(0.01)
            self.served = Served(self.service, base_url, seeded, recorder)
            self.ready.set()
            await serving


@pytest.fixture(scope="module", params=SERVICES)
async def served(request: pytest.FixtureRequest, stack, create_database, signer: Signer) -> AsyncIterator[Served]:
    """One service at a time: its real app on a fresh database, seeded, served on a loopback port."""
    server = _ServerThread(request.param, await create_database(f"fuzz_{request.param}"), stack.kafka_bootstrap, signer)
    try:
        yield await asyncio.to_thread(server.start)
    finally:
        await asyncio.to_thread(server.stop)


@pytest.fixture(scope="module")
def callers(signer: Signer) -> list[dict[str, str]]:
    """Every request goes out once as each: a participant, and a programme team running every programme."""
    return [signer.headers(PARTICIPANT, "participant"), signer.headers(TEAM_PERSON, "programme_team", programmes=["*"])]


# --- The fuzzing --------------------------------------------------------------------------------


def _is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _steer_to(seeded: Seeded) -> tuple[Callable[..., st.SearchStrategy], Callable[..., st.SearchStrategy]]:
    """Hooks that now and then put a seeded object's id or a meaningful value where the generator put a random
    one, so requests get past "does not exist" and "not a time zone" into the use cases."""

    def flatmap_path_parameters(context: schemathesis.HookContext, path_parameters: dict[str, Any]) -> st.SearchStrategy:
        generated = path_parameters or {}
        steered = [
            {**generated, **{name: value for name, value in path.items() if _is_uuid(generated.get(name))}}
            for path in seeded.paths
            if set(path) & set(generated)
        ]
        return st.sampled_from([generated, *steered])

    def flatmap_body(context: schemathesis.HookContext, body: Any) -> st.SearchStrategy:
        if not isinstance(body, dict):
            return st.just(body)
        return st.fixed_dictionaries(
            {
                name: st.sampled_from([value, *seeded.fields[name]]) if name in seeded.fields else st.just(value)
                for name, value in body.items()
            }
        )

    return flatmap_path_parameters, flatmap_body


def _describe(exc: BaseException) -> str:
    """Schemathesis' report (status, body, curl to reproduce), Hypothesis' falsifying example, the app's traceback."""
    if isinstance(exc, FailureGroup):
        return "".join(traceback.format_exception_only(exc))
    return "".join(traceback.format_exception(exc))  # not a finding of the checks: show where it came from


def _fuzz(
    operation: schemathesis.APIOperation, mode: schemathesis.GenerationMode, served: Served, callers: list[dict[str, str]]
) -> None:
    """Hypothesis over the operation's valid or invalid requests; each is sent as every caller and checked."""

    @hypothesis.seed(zlib.crc32(f"{served.service} {operation.label} {mode.value}".encode()))  # the same inputs every run
    @hypothesis.settings(SETTINGS)
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def check_every_caller(case: schemathesis.Case) -> None:
        for headers in callers:
            response = case.call(base_url=served.base_url, headers=headers)
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except FailureGroup as exc:
                for crash in served.crashes_of(case) if response.status_code >= 500 else []:
                    exc.add_note(f"The app's traceback for {crash}")
                raise

    check_every_caller()


def test_no_input_makes_a_service_fail(served: Served, callers: list[dict[str, str]]) -> None:
    steer_paths, steer_bodies = _steer_to(served.seeded)
    findings = []
    # Invalid inputs keep their generated bodies: steering could make them valid.
    for mode, hooks in ((POSITIVE, [steer_paths, steer_bodies]), (NEGATIVE, [steer_paths])):
        schema = schemathesis.openapi.from_url(f"{served.base_url}/openapi.json", config=CONFIG)
        for hook in hooks:
            schema.hook(hook)
        for result in schema.get_all_operations():
            if isinstance(result, Err):
                findings.append(f"{served.service}: the OpenAPI document: {result.err()}")
                continue
            operation = result.ok()
            try:
                _fuzz(operation, mode, served, callers)
            except (Exception, FailureGroup) as exc:  # a FailureGroup is a BaseExceptionGroup
                findings.append(f"{served.service} {operation.label}, {mode.value} inputs: " + _describe(exc))
    assert not findings, "\n\n".join(findings)
