"""A database outage is answered 503 `try_again` in the one error shape, and the service
recovers by itself when the database returns. The outage is real: the service reaches
PostgreSQL through a TCP proxy that the test cuts and restores."""

from __future__ import annotations

import uuid

import pytest

from tests.apps import client, service_app
from tests.faults import TcpProxy, proxied_url, target_of

pytestmark = pytest.mark.integration

# A read that needs the database, per service (any answer under 500 while it is up).
READS = {
    "registration": f"/programmes/{uuid.uuid4()}",
    "matching": f"/cohorts/{uuid.uuid4()}/assignments",
    "pairing": f"/pairings/{uuid.uuid4()}",
    "scheduling": f"/pairings/{uuid.uuid4()}/sessions",
    "notifications": f"/participants/{uuid.uuid4()}/notifications",
}


@pytest.mark.parametrize("service", sorted(READS))
async def test_a_database_outage_is_503_try_again_and_the_service_recovers(service, stack, create_database, signer):
    url = await create_database(f"outage_{service}")
    proxy = TcpProxy(*target_of(url))
    await proxy.start()
    headers = signer.headers("lead", "programme_team", programmes=["*"])
    try:
        async with service_app(service, proxied_url(url, proxy), stack.kafka_bootstrap, signer) as (app, _):
            async with client(app) as http:
                before = await http.get(READS[service], headers=headers)
                assert before.status_code < 500, before.text

                await proxy.cut()
                during = await http.get(READS[service], headers=headers)
                assert during.status_code == 503
                assert during.headers["Retry-After"] == "1"
                body = during.json()
                assert body["error"]["code"] == "try_again"
                assert body["error"]["message"].startswith("briefly unavailable (")
                assert body["request_id"] == during.headers["x-request-id"]

                await proxy.start()
                after = await http.get(READS[service], headers=headers)
                assert after.status_code == before.status_code
    finally:
        await proxy.cut()
