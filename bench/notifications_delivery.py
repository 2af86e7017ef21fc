"""E-mail delivery benchmark: how fast notifications records messages and mails them.

    .venv/bin/python bench/notifications_delivery.py [--messages N] [--concurrency 1,4,8] [--json]

On a fresh database of its own (on `PG_DSN_BASE`), with a real SMTP server (aiosmtpd) and a
real HTTP contact endpoint on loopback, both in this process:

  record    N RequestSent events handled by notifications' own handler (render in the
            reader's language, message + delivery row + NotificationRecorded in one transaction);
  deliver   the delivery worker sends them all, for each concurrency (lanes per process);
  two       two workers at once on the same rows (as two replicas would), concurrency 4 each.

After each delivery run it checks that every message was mailed exactly once (distinct
Message-IDs = N, mails = N). It prints figures and asserts no timing: they depend on the
machine (and the SMTP server and the contact endpoint share its CPUs here).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser

import asyncpg
import uvicorn
from aiosmtpd.controller import Controller
from fastapi import FastAPI

from notifications.consumers import handlers
from notifications.contacts import ContactDirectory
from notifications.delivery import MailDelivery, delivery_worker
from notifications.mail import SmtpMailer
from notifications.repository import ClaimedMail
from notifications.settings import NotificationsSettings
from notifications.tables import deliveries
from together_contracts.pairing import RequestSent
from together_events import Envelope
from together_servicekit.clock import SystemClock
from together_servicekit.db import make_engine, migrate
from together_servicekit.jobs import JobPoller
from together_servicekit.logging import configure_logging
from together_servicekit.runtime import Runtime
from together_servicekit.settings import DEFAULT_PG_DSN_BASE

PG = os.environ.get("PG_DSN_BASE", DEFAULT_PG_DSN_BASE).rstrip("/")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sink:
    def __init__(self) -> None:
        self.message_ids: list[str] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        headers = BytesParser(policy=policy.default).parsebytes(envelope.original_content, headersonly=True)
        self.message_ids.append(str(headers["Message-ID"]))
        return "250 OK"


def contact_app() -> FastAPI:
    app = FastAPI()
    languages = ("en", "fr", "es")

    @app.get("/participants/{participant_id}/contact")
    async def contact(participant_id: uuid.UUID) -> dict:
        language = languages[participant_id.int % 3]
        return {"participant_id": str(participant_id), "email": f"{participant_id.hex[:12]}@bench.test",
                "display_name": "Bench", "preferred_language": language, "withdrawn": False}  # fmt: skip

    return app


def envelope(event: RequestSent) -> Envelope:
    return Envelope(
        id=str(uuid.uuid4()), source="/together/pairing", type=event.event_type(), subject=event.aggregate_id(),
        time=datetime.now(UTC), aggregatetype=event.aggregate, sequence=1, correlationid="bench",
        data=event.model_dump(mode="json"),
    )  # fmt: skip


async def record(runtime: Runtime, n: int) -> float:
    handle = handlers(runtime)[RequestSent]
    now = datetime.now(UTC)
    events = [
        RequestSent(
            request_id=uuid.uuid4(),
            selection_id=uuid.uuid4(),
            mentee_id=uuid.uuid4(),
            mentor_id=uuid.uuid4(),
            cohort_id=uuid.uuid4(),
            rank=1,
            reached_mentor_at=now,
            remind_at=now,
            expires_at=now + timedelta(days=3),
        )
        for _ in range(n)
    ]
    started = time.perf_counter()
    for event in events:  # one transaction per event, as the consumer does
        async with runtime.engine.begin() as conn:
            await handle(conn, event, envelope(event))
    return time.perf_counter() - started


async def reset(runtime: Runtime) -> None:
    async with runtime.engine.begin() as conn:
        await conn.execute(
            deliveries.update().values(state="pending", attempts=0, next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
        )


def worker(runtime: Runtime[NotificationsSettings], concurrency: int) -> JobPoller[ClaimedMail]:
    """The service's delivery worker with `concurrency` lanes."""
    s = runtime.settings.model_copy(update={"delivery_concurrency": concurrency})
    lanes = replace(runtime, settings=s)
    return delivery_worker(lanes, MailDelivery(lanes, ContactDirectory(s), SmtpMailer(s)))


async def deliver(workers: list[JobPoller[ClaimedMail]], sink: Sink, n: int) -> float:
    sink.message_ids.clear()
    started = time.perf_counter()
    while len(sink.message_ids) < n:
        outcomes = await asyncio.gather(*(w.run_due(limit=n) for w in workers))
        if not any(outcomes):
            break
    elapsed = time.perf_counter() - started
    if len(sink.message_ids) != n or len(set(sink.message_ids)) != n:
        raise SystemExit(f"expected {n} distinct mails, got {len(sink.message_ids)} ({len(set(sink.message_ids))} distinct)")
    return elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--concurrency", default="1,4,8")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    configure_logging("bench", "WARNING")  # one log line per mail would be most of the work
    lanes = [int(c) for c in args.concurrency.split(",")]

    name = f"bench_notifications_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(f"{PG}/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    server = uvicorn.Server(uvicorn.Config(contact_app(), host="127.0.0.1", port=free_port(), log_level="warning"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    figures: dict[str, float] = {"messages": args.messages}
    try:
        settings = NotificationsSettings(
            database_url=f"{PG}/{name}", smtp_port=smtp.port, registration_url=f"http://127.0.0.1:{server.config.port}",
            token_source="static", service_token="bench",
        )  # fmt: skip
        await asyncio.to_thread(migrate, "notifications", settings.database_url)
        engine = make_engine(settings.database_url)
        runtime = Runtime(settings=settings, engine=engine, clock=SystemClock(), producer=None, relay=None)
        elapsed = await record(runtime, args.messages)
        figures["record_per_s"] = args.messages / elapsed
        for concurrency in lanes:
            await reset(runtime)
            figures[f"deliver_c{concurrency}_per_s"] = args.messages / await deliver(
                [worker(runtime, concurrency)], sink, args.messages
            )
        await reset(runtime)
        two = [worker(runtime, 4) for _ in range(2)]
        figures["deliver_two_workers_c4_per_s"] = args.messages / await deliver(two, sink, args.messages)
        await engine.dispose()
    finally:
        server.should_exit = True
        await serving
        smtp.stop()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    if args.json:
        print(json.dumps(figures))
        return
    print(
        f"notifications e-mail delivery, {args.messages} messages, {os.cpu_count()} CPUs (SMTP sink and contact endpoint in-process)"
    )
    print(f"  record (handler: render + message + delivery + outbox)  {figures['record_per_s']:8.1f} messages/s")
    for concurrency in lanes:
        print(
            f"  deliver, concurrency {concurrency:<2} (contact + render + SMTP)       {figures[f'deliver_c{concurrency}_per_s']:8.1f} mails/s"
        )
    print(f"  deliver, two workers x concurrency 4 (SKIP LOCKED)          {figures['deliver_two_workers_c4_per_s']:8.1f} mails/s")
    print("  every run: each message mailed exactly once (distinct Message-IDs = messages)")


if __name__ == "__main__":
    asyncio.run(main())
