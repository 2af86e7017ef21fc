"""Each mail sent once: the mail sink's files, de-duplicated by Message-ID, against notifications'
deliveries. A second copy is allowed only for a delivery whose outcome was unknown (ambiguous,
docs/adr/0006): those are counted and shown. The delivery states are being changed by another
engineer, so this reads whatever columns and states are there and reports what it sees."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from email.parser import BytesHeaderParser
from email.policy import default

from tests.chaos.checks import Check, Databases
from tests.chaos.stack import STATE, ChaosStack

FINAL = {"sent", "failed", "skipped"}


def mails_by_message_id() -> Counter[str]:
    parser = BytesHeaderParser(policy=default)
    counted: Counter[str] = Counter()
    for path in (STATE / "mail").glob("*.eml"):
        counted[str(parser.parsebytes(path.read_bytes())["Message-ID"]).strip()] += 1
    return counted


async def deliveries_settled(stack: ChaosStack, timeout: float) -> tuple[bool, Counter[str]]:
    """Wait until every delivery to a registered participant is sent, failed or skipped (retries and the
    short lease included); return whether they are, and every delivery's state."""
    deadline = time.monotonic() + timeout
    states: Counter[str] = Counter()
    while time.monotonic() < deadline:
        try:
            registration, notifications = await stack.db("registration"), await stack.db("notifications")
            try:
                registered = {r["id"] for r in await registration.fetch("SELECT id FROM participants")}
                rows = await notifications.fetch("SELECT recipient_id, state FROM deliveries")
            finally:
                await registration.close()
                await notifications.close()
            states = Counter(r["state"] for r in rows)
            if all(r["state"] in FINAL for r in rows if r["recipient_id"] in registered):
                return True, states
        except Exception:  # the database is back any moment
            pass
        await asyncio.sleep(1)
    return False, states


def mails_once(dbs: Databases) -> Check:
    deliveries = dbs.tables["notifications.deliveries"]
    registered = {str(p["id"]) for p in dbs.tables["registration.participants"]}
    mails = mails_by_message_id()
    states = Counter(d.get("state") for d in deliveries)
    ambiguous = {d.get("message_id"): d.get("ambiguous_attempts") or 0 for d in deliveries}
    sent_ids = {d.get("message_id") for d in deliveries if d.get("state") == "sent"}
    lost = sorted(sent_ids - set(mails))
    copies = {mid: n - 1 for mid, n in mails.items() if n > 1}
    unexplained = {mid: n for mid, n in copies.items() if not ambiguous.get(mid)}
    # A message to someone registration never knew (a poison record's made-up participant) cannot be
    # mailed: it should end failed ("no address"); only real participants' mail must arrive.
    real = [d for d in deliveries if str(d.get("recipient_id")) in registered]
    unsettled = [d for d in real if d.get("state") not in FINAL]
    failed_real = [d for d in real if d.get("state") == "failed"]
    details = [f"sent, but no mail in the sink: {mid}" for mid in lost[:5]]
    details += [f"{n + 1} copies of {mid}, its delivery never ambiguous" for mid, n in list(unexplained.items())[:5]]
    details += [f"delivery {d.get('notification_id')} still {d.get('state')}: {d.get('last_error')}" for d in unsettled[:5]]
    details += [f"delivery to participant {d.get('recipient_id')} failed: {d.get('last_error')}" for d in failed_real[:5]]
    if not mails:
        details.append("no mail reached the sink: nothing to check")
    notes = [
        f"(not a failure) delivery {d.get('notification_id')} to a made-up recipient still {d.get('state')}: {d.get('last_error')}"
        for d in deliveries
        if d.get("state") not in FINAL and d not in real
    ]
    reasons = Counter(str(d.get("last_error"))[:60] for d in deliveries if d.get("state") == "failed")
    return Check(
        "each mail sent once",
        not details,
        f"{sum(mails.values())} mail files, {len(mails)} Message-IDs; duplicates {sum(copies.values())} "
        f"({sum(copies.values()) - sum(unexplained.values())} after an ambiguous attempt); deliveries "
        + ", ".join(f"{k} {n}" for k, n in sorted(states.items(), key=str))
        + f"; ambiguous attempts {sum(ambiguous.values())}; failed for real participants {len(failed_real)}"
        + (f"; failures by reason: {dict(reasons.most_common(3))}" if reasons else ""),
        details + notes[:5],
    )
