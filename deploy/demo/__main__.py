"""Tell the story (see the package's docstring), then say where the running stack is."""

from __future__ import annotations

import asyncio
import os
import time
import uuid

import httpx

from deploy.demo.calls import URL, Demo
from deploy.demo.console import BOLD, RESET
from deploy.demo.steps.assignment import the_mails_arrive, the_team_assigns_the_cohort
from deploy.demo.steps.cohort import (
    a_synthetic_cohort_registers,
    matching_suggests_mentors,
    the_team_creates_a_programme_and_cohort,
)
from deploy.demo.steps.outcomes import ravi_and_amina_set_their_goals, the_cohort_ends, the_team_reads_the_outcomes_report
from deploy.demo.steps.pair import (
    a_mentor_withdraws,
    amina_accepts,
    ravi_ranks_mentors,
    the_reminder_falls_due,
    the_session_is_completed_and_rated,
    they_book_a_session,
)
from deploy.demo.tail import EventTail


async def tell(http: httpx.AsyncClient, tail: EventTail) -> None:
    """The README's eight steps in order; its fourth (one request's life and a first session) is six, its eighth three."""
    demo = await Demo.sign_in(http, tail, run=uuid.uuid4().hex[:6])
    cohort_id = await the_team_creates_a_programme_and_cohort(demo)
    cohort = await a_synthetic_cohort_registers(demo, cohort_id)
    await matching_suggests_mentors(demo, cohort)
    request = await ravi_ranks_mentors(demo, cohort)
    await the_reminder_falls_due(demo, cohort, request)
    pairing_id = await amina_accepts(demo, cohort, request)
    session = await they_book_a_session(demo, cohort, pairing_id)
    await the_session_is_completed_and_rated(demo, cohort, pairing_id, session)
    await ravi_and_amina_set_their_goals(demo, cohort, pairing_id)
    await a_mentor_withdraws(demo, cohort)
    assigned_mentors = await the_team_assigns_the_cohort(demo, cohort)
    await the_mails_arrive(demo, cohort, assigned_mentors)
    await the_cohort_ends(demo, cohort, pairing_id)
    await the_team_reads_the_outcomes_report(demo, cohort)


async def main() -> None:
    started = time.monotonic()
    tail = EventTail(os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092"))
    tailing = asyncio.create_task(tail.run())
    await asyncio.wait_for(tail.ready.wait(), 30)
    async with httpx.AsyncClient(timeout=10) as http:
        await tell(http, tail)
    await asyncio.sleep(1.0)  # let the last events print
    tailing.cancel()
    print(f"\n{BOLD}The story took {time.monotonic() - started:.0f} s. The stack keeps running.{RESET} API docs:")
    for name, url in URL.items():
        print(f"  {name:<14} {url}" + ("  (SMTP mail sink; mails in .run/mail/)" if name == "mailsink" else "/docs"))
    print(f"Tokens: POST {URL['identity']}/token (see libs/devtools/README.md), then 'Authorize' in the docs.")
    print("Logs: .run/logs/<service>.log, .run/kafka/kafka.log, .run/postgres/postgres.log. Stop everything: make stop")


if __name__ == "__main__":
    asyncio.run(main())
