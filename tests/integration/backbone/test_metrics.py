"""/metrics on the real stack, with pairing's app: each metric moves when its cause happens. A request is
counted under its route template; an event written while the relay does not run is an outbox backlog until
it is published; records produced and not handled are a consumer's lag; a poison record is a dead letter."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from fastapi import FastAPI

from tests.apps import client, service_app
from tests.backbone import TOPIC, ThingHappened, count_effect, drain, now, running
from tests.integration.backbone.test_consumer_faults import consumer_for, dead_letters_of, effect_of, publish
from tests.kafka_tools import wait_until
from tests.scrape import scrape
from together_events import RetryPolicy
from together_events.outbox import record_event
from together_servicekit.metrics import install_metrics

pytestmark = pytest.mark.integration

# The record held at the gate must not outlive its budget and be set aside: it waits for the test.
PATIENT = RetryPolicy(first_delay=0.05, max_delay=0.2, record_budget=60.0, attempt_timeout=60.0, stalled_after=60.0)


@pytest.fixture
async def pairing(stack, create_database, signer):
    async with service_app("pairing", await create_database("metrics"), stack.kafka_bootstrap, signer) as (app, runtime):
        async with client(app) as http:
            yield http, runtime


async def test_requests_are_counted_by_route_template_and_status(pairing, signer):
    http, _ = pairing
    headers = signer.headers("team-1", "programme_team")
    for _ in range(2):
        await http.get(f"/pairings/{uuid.uuid4()}", headers=headers)
    answered = await http.get(f"/pairings/{uuid.uuid4()}", headers=headers)
    refused = await http.get(f"/pairings/{uuid.uuid4()}")  # no token

    scraped = await scrape(http)
    route = "/pairings/{pairing_id}"
    assert scraped.value("together_http_requests_total", method="GET", route=route, status=str(answered.status_code)) == 3
    assert scraped.value("together_http_requests_total", method="GET", route=route, status=str(refused.status_code)) == 1
    assert scraped.value("together_http_request_duration_seconds_count", method="GET", route=route) == 4
    assert all(series["route"] in (route, "/metrics") for series in scraped.series("together_http_requests_total"))
    await http.get("/no/such/path")
    assert (await scrape(http)).value("together_http_requests_total", method="GET", route="unmatched", status="404") == 1


async def test_an_event_the_relay_has_not_published_is_an_outbox_backlog_until_it_is(pairing, topics):
    http, runtime = pairing
    assert (await scrape(http)).value("together_outbox_unpublished") == 0
    async with runtime.engine.begin() as conn:
        await record_event(conn, ThingHappened(thing_id=f"metrics-{uuid.uuid4()}", n=1), source="/test", time=now())
    await asyncio.sleep(1.1)

    backlog = await scrape(http)
    assert backlog.value("together_outbox_unpublished") == 1
    assert backlog.value("together_outbox_oldest_unpublished_seconds") >= 1
    await drain(runtime.relay)
    published = await scrape(http)
    assert (published.value("together_outbox_unpublished"), published.value("together_outbox_oldest_unpublished_seconds")) == (
        0,
        0,
    )


async def test_records_not_yet_handled_are_lag_and_a_poison_record_is_a_dead_letter(pairing, stack, topics, engine, producer):
    http, runtime = pairing
    thing = f"lag-{uuid.uuid4()}"
    gate = asyncio.Event()

    async def held_at_the_gate(conn, event, envelope):
        if event.n > 1:
            await gate.wait()
        await count_effect(conn, event, envelope)

    runtime.consumer = await consumer_for(stack, engine, producer, handler=held_at_the_gate, policy=PATIENT)
    async with running(runtime.consumer):
        await publish(producer, thing, 1)
        await wait_until(lambda: _is(effect_of(engine, thing), 1), what="the first record")
        await publish(producer, thing, 2, 3, 4)  # one key: one partition; 2 is held, 3 and 4 wait behind it

        async def lag() -> float:
            scraped = await scrape(http)
            return sum(scraped.value("together_consumer_lag", **series) for series in scraped.series("together_consumer_lag"))

        # The end offset is the broker's as of the consumer's last fetch: at least the records fetched behind
        # the held one (2 and 3, or all three) show as lag; none of them is handled.
        await wait_until(lambda: _at_least(lag(), 2), what="a lag of the records after the first")
        gate.set()
        await wait_until(lambda: _is(effect_of(engine, thing), 4), what="the records after the gate")
        await wait_until(lambda: _is(lag(), 0), what="no lag once handled")

        await producer.send_and_wait(TOPIC, value=b"\xff not json", key=thing.encode())
        await publish(producer, thing, 5)
        await wait_until(lambda: _is(effect_of(engine, thing), 5), what="the record after the poison")
    scraped = await scrape(http)
    assert scraped.value("together_dead_letters_total", topic=TOPIC, reason="malformed") == 1
    assert scraped.value("together_consumer_handled_total", topic=TOPIC, event_type=ThingHappened.event_type()) == 5
    assert len(await dead_letters_of(stack, thing.encode())) == 1


async def _is(value, expected) -> bool:
    return await value == expected


async def _at_least(value, expected) -> bool:
    return await value >= expected


async def test_the_database_pool_is_reported(pairing):
    http, runtime = pairing
    async with runtime.engine.connect():
        scraped = await scrape(http)
    assert scraped.value("together_db_pool_checked_out") >= 1  # this test's connection, the scrape's own
    assert scraped.value("together_db_pool_size") == 10


async def test_a_source_that_cannot_be_read_is_reported_and_the_rest_still_served(pairing):
    _, runtime = pairing

    async def unreadable(runtime):
        raise ConnectionRefusedError("the table's database does not answer")

    app = FastAPI()
    install_metrics(app, [unreadable])
    app.state.runtime = runtime
    async with client(app) as http:
        scraped = await scrape(http)
    assert scraped.value("together_metrics_source_failed", source=unreadable.__qualname__) == 1
    assert scraped.value("together_metrics_source_failed", source="backbone_tables") == 0
    assert scraped.value("together_db_pool_size") == 10
