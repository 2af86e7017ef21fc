"""Scheduling ends its copy of a pairing that ran to its end (pairing's PairingCompleted, the cohort ended) as it
does one ended early: its future sessions are cancelled once and nothing more is booked."""

from __future__ import annotations

from datetime import datetime

import pytest

from scheduling.consumers import handlers
from tests.apps import client, service_app
from tests.http.access import check, deliver
from tests.integration.test_scheduling_sessions import Pair
from together_contracts.pairing import CompletedBecause, PairingCompleted

pytestmark = pytest.mark.integration


@pytest.fixture
async def service(stack, create_database, signer):
    async with service_app("scheduling", await create_database("sched_completed"), stack.kafka_bootstrap, signer) as (
        app,
        runtime,
    ):
        async with client(app) as http:
            yield http, runtime


async def test_a_completed_pairing_takes_no_more_bookings_and_its_future_sessions_are_cancelled_once(service, signer):
    http, runtime = service
    pair = await Pair(http, runtime, signer).form()
    next_year = runtime.now().year + 1
    await pair.book(datetime(next_year, 1, 5, 9, 0))
    completed = PairingCompleted(
        pairing_id=pair.pairing, mentee_id=pair.mentee, mentor_id=pair.mentor, cohort_id=pair.cohort,
        reason=CompletedBecause.programme_ended, completed_at=runtime.now(),
    )  # fmt: skip
    await deliver(runtime, handlers(runtime), completed)
    cancels = await pair.events("SessionCancelled", "SeriesCancelled")
    assert [(e["type"], e["reason"]) for e in cancels] == [("SessionCancelled", "pairing_ended")]
    assert {s["status"] for s in await pair.sessions()} == {"cancelled"}
    refused = await http.post(
        f"/pairings/{pair.pairing}/sessions",
        json={"starts_at": f"{next_year}-03-01T09:00:00", "time_zone": "UTC"},
        headers=pair.mentee_h,
    )
    check(refused, 409)
    await deliver(runtime, handlers(runtime), completed.model_copy())  # again: nothing more
    assert len(await pair.events("SessionCancelled", "SeriesCancelled")) == 1
