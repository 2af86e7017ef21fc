"""Secure by default: a participant's answers travel sealed under their own data key, and erasing the
answers deletes the key, so every record of them on the topic stops opening (crypto-shredding, ADR
0008). On the real stack: the five services as processes, the mail sink, Kafka and PostgreSQL.

1. The records on `together.registration` hold no answer in the clear (nor the biography at all);
   matching opened them with the key and suggests with them.
2. After the participant withdraws and has their answers erased, registration answers 404 for their
   key, exactly as for an unknown participant; story and replay show the placeholders, and "(sealed)"
   without access to keys; a rebuild of matching's read model from the topics shows the placeholders.
3. Another participant of the same cohort opens as before, everywhere.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from notifications.mailsink import verification_tokens
from tests.e2e.test_flow import answers, cohort_dates, eventually
from tests.kafka_tools import read_topic
from tests.launched import launched, signing_in
from tests.stack import REPO, Stack
from together_contracts.registration import ERASED_DISPLAY_NAME
from together_devtools import launcher
from together_events.topics import service_topic
from together_operator.rebuild import rebuild
from together_servicekit.tokens import fetch_token

pytestmark = pytest.mark.e2e

RUN = uuid.uuid4().hex[:8]
# Ports of its own (not the e2e test's): the two may run at the same time.
SPECS = tuple(launcher.ServiceSpec(spec.name, 18400 + i, spec.module) for i, spec in enumerate(launcher.EVERYTHING))
URL = {spec.name: spec.url() for spec in SPECS}
NAMESPACE = f"shred{RUN}."
STATE = REPO / ".run" / f"shredding-{RUN}"
REGISTRATION_TOPIC = service_topic("registration", NAMESPACE)
# Answers no other test uses: where they show, they are this mentor's.
MENTOR_NAME = f"Zanele{RUN}"
MENTOR_ANSWERS = {"entity": "ECA", "duty_station": f"Addis Ababa {RUN}", "languages": ["English", "Amharic"],
                  "skills": ["negotiation"], "bio": f"Plays chess on Sundays {RUN}"}  # fmt: skip
MENTEE_NAME = f"Tomas{RUN}"


@pytest.fixture(scope="module")
async def services(stack: Stack, create_database) -> AsyncIterator[dict[str, str]]:
    env = {"TOGETHER_CLOCK_MODE": "travel", "TOGETHER_AUTH_ISSUER": URL["identity"]}
    async with launched(stack, create_database, SPECS, namespace=NAMESPACE, state=STATE, env=env):
        yield URL


signed_in = signing_in(URL["identity"])


def address(name: str) -> str:
    return f"{name.lower()}.{RUN}@un.org"


async def verify(person: httpx.AsyncClient, name: str) -> None:
    """Follow the link mailed to the address, as the person who registered it."""
    deadline = asyncio.get_running_loop().time() + 30
    while not (tokens := verification_tokens(STATE / "mail", address(name))):
        assert asyncio.get_running_loop().time() < deadline, f"no verification mail to {name}"
        await asyncio.sleep(0.2)
    verified = await person.post(f"{URL['registration']}/participants/verify", json={"token": tokens[-1]})
    assert verified.status_code == 200, verified.text


def together_events(*args: str) -> list[dict[str, Any]]:
    """The operator's command line, as an operator runs it; its JSON Lines."""
    env = {**os.environ, "TOGETHER_OPERATOR_DEV_IDENTITY_URL": URL["identity"]}  # its token: the dev grant
    done = subprocess.run(
        [sys.executable, "-m", "together_operator.cli", *args, "--namespace", NAMESPACE],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def profiles(lines: list[dict[str, Any]]) -> list[Any]:
    """The profiles shown in the records of the three profile events, in order."""
    return [line["event"]["data"]["profile"] for line in lines if line["event"]["type"].endswith("ParticipantRegistered.v2")]


async def test_erasure_shreds_the_answers_in_every_record_and_leaves_the_others(
    stack: Stack, services: dict[str, str], create_database, monkeypatch: pytest.MonkeyPatch
):
    registration = URL["registration"]
    with_keys = ["--registration-url", registration]
    async with (
        signed_in("programme-lead", "programme_team", programmes=("*",)) as team,
        signed_in(f"zanele-{RUN}", "participant") as mentor_person,
        signed_in(f"tomas-{RUN}", "participant") as mentee_person,
        httpx.AsyncClient(timeout=10) as http,
    ):
        key_reader = await fetch_token(
            http, URL["identity"], subject="shredding-probe", roles=["service"], scopes=["registration:data-keys"]
        )
        keys = {"Authorization": f"Bearer {key_reader}"}
        programme = (await team.post(f"{registration}/programmes", json={"name": "Shredding", "kind": "mentoring"})).json()
        cohort = (
            await team.post(
                f"{registration}/programmes/{programme['id']}/cohorts",
                json={"name": f"shred {RUN}", **cohort_dates(date.today())},
            )
        ).json()
        register = f"{registration}/cohorts/{cohort['id']}/participants"
        mentor = await mentor_person.post(
            register,
            json=answers(MENTOR_NAME, email=address(MENTOR_NAME), roles=["mentor"], mentor_capacity=1, **MENTOR_ANSWERS),
        )
        mentee = await mentee_person.post(
            register, json=answers(MENTEE_NAME, email=address(MENTEE_NAME), roles=["mentee"], grade="G-6", goals=["negotiation"])
        )
        assert (mentor.status_code, mentee.status_code) == (201, 201), (mentor.text, mentee.text)
        mentor_id, mentee_id = mentor.json()["id"], mentee.json()["id"]
        await verify(mentor_person, MENTOR_NAME)
        await verify(mentee_person, MENTEE_NAME)

        # 1. Matching opened the answers (its reasons quote them) ...
        suggestions_url = f"{URL['matching']}/cohorts/{cohort['id']}/mentees/{mentee_id}/suggestions"
        suggestions = await eventually(
            lambda: mentee_person.get(suggestions_url), until=lambda r: r.is_success and r.json()["suggestions"]
        )
        [suggestion] = suggestions.json()["suggestions"]
        assert suggestion["mentor_id"] == mentor_id and "both work in DEVNET" in suggestion["reasons"]
        # ... which no record of the registration topic holds in the clear.
        records = [r.value for r in await read_topic(stack.kafka_bootstrap, REGISTRATION_TOPIC) if r.key.decode() == mentor_id]
        assert any(b"ParticipantRegistered.v2" in value for value in records)
        for answer in (MENTOR_NAME, MENTOR_ANSWERS["duty_station"], "Amharic", "Plays chess", "DEVNET"):
            assert not any(answer.encode() in value for value in records), answer
        assert (await http.get(f"{registration}/participants/{mentor_id}/data-key", headers=keys)).status_code == 200

        # Story and replay: opened with access to the keys, "(sealed)" without.
        assert profiles(together_events("story", mentor_id, "--format", "jsonl", *with_keys))[0]["display_name"] == MENTOR_NAME
        assert profiles(together_events("story", mentor_id, "--format", "jsonl")) == ["(sealed)"]

        # 2. The mentor withdraws and has their answers erased.
        withdrawn = await mentor_person.post(f"{registration}/participants/{mentor_id}/withdrawal", json={"erase_answers": True})
        assert withdrawn.status_code == 200 and withdrawn.json() == {"answers_erased": True}, withdrawn.text
        gone = await http.get(f"{registration}/participants/{mentor_id}/data-key", headers=keys)
        unknown_id = str(uuid.uuid4())
        unknown = await http.get(f"{registration}/participants/{unknown_id}/data-key", headers=keys)
        assert gone.status_code == unknown.status_code == 404
        assert {**gone.json(), "request_id": None} == json.loads(
            json.dumps({**unknown.json(), "request_id": None}).replace(unknown_id, mentor_id)
        )  # an erased participant's key answers exactly as an unknown one's

        [shown] = profiles(together_events("story", mentor_id, "--format", "jsonl", *with_keys))
        assert shown["display_name"] == ERASED_DISPLAY_NAME and shown["duty_station"] == "(erased)"
        replayed = together_events("replay", "--topic", "registration", "--subject", mentor_id, *with_keys)
        assert [p["display_name"] for p in profiles(replayed)] == [ERASED_DISPLAY_NAME]
        assert MENTOR_NAME not in json.dumps(replayed) and "Amharic" not in json.dumps(replayed)

        # 3. The mentee, untouched: their key opens, story shows their name.
        assert (await http.get(f"{registration}/participants/{mentee_id}/data-key", headers=keys)).status_code == 200
        assert profiles(together_events("story", mentee_id, "--format", "jsonl", *with_keys))[0]["display_name"] == MENTEE_NAME

    # A rebuild of matching's read model from the topics goes through matching's handlers, which ask
    # registration for the keys as matching does: the erased mentor opens to the placeholders.
    monkeypatch.setenv("MATCHING_REGISTRATION_URL", registration)
    monkeypatch.setenv("MATCHING_DEV_IDENTITY_URL", URL["identity"])
    fresh = await create_database("shred_rebuilt_matching", owner="matching")
    report = await rebuild("matching", fresh, bootstrap=stack.kafka_bootstrap, prefix=NAMESPACE)
    assert not report.dead_letters, [d.line() for d in report.dead_letters]
    engine = create_async_engine(fresh)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(sa.text("SELECT participant_id::text, profile, withdrawn FROM candidates"))).all()
    finally:
        await engine.dispose()
    rebuilt = {row.participant_id: row for row in rows}
    assert rebuilt[mentor_id].profile["display_name"] == ERASED_DISPLAY_NAME and rebuilt[mentor_id].withdrawn
    assert MENTOR_NAME not in json.dumps(rebuilt[mentor_id].profile) and "Amharic" not in json.dumps(rebuilt[mentor_id].profile)
    assert rebuilt[mentee_id].profile["display_name"] == MENTEE_NAME and rebuilt[mentee_id].profile["grade"] == "G-6"
