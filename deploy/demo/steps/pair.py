"""Steps 4 and 5: one mentee's partnership. A request goes through its lifecycle (sent, reminded,
accepted), the pair meets and rates the session, and a mentor's withdrawal moves another
mentee's waiting request to her next choice."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from deploy.demo.calls import URL, Demo, eventually, ok, until
from deploy.demo.cast import Cohort
from deploy.demo.console import at, ordinal, say, step

NAIROBI, BANGKOK, NEW_YORK = ZoneInfo("Africa/Nairobi"), ZoneInfo("Asia/Bangkok"), ZoneInfo("America/New_York")


async def ravi_ranks_mentors(demo: Demo, cohort: Cohort) -> dict[str, Any]:
    """Returns the request Amina sees."""
    http, tail = demo.http, demo.tail
    amina, jean, ravi = cohort.ids["Amina"], cohort.ids["Jean"], cohort.ids["Ravi"]
    step("4. Ravi ranks Amina first, Jean second; pairing sends the first request to Amina")
    ok(
        await eventually(
            lambda: http.post(
                f"{URL['pairing']}/cohorts/{cohort.id}/mentees/{ravi}/preferences",
                json={"mentor_ids": [amina, jean]},
                headers=demo.person["Ravi"],
            ),
            "preferences (pairing must first learn of the registrations)",
        )
    )
    request: dict[str, Any] = ok(
        await http.get(f"{URL['pairing']}/mentors/{amina}/current-request", headers=demo.person["Amina"])
    )
    await tail.seen_all(
        ("RequestSent", {"request_id": request["id"]}),
        ("NotificationRecorded", {"kind": "request_received", "recipient_id": amina}),
    )
    say(
        f"Amina sees the request (a mentor sees one at a time); reminder {at(request['remind_at'], NAIROBI)}, "
        f"expiry {at(request['expires_at'], NAIROBI)} Nairobi time"
    )
    return request


async def the_reminder_falls_due(demo: Demo, cohort: Cohort, request: dict[str, Any]) -> None:
    step("   48 hours on (pairing's demo clock travels), Amina has not answered: the reminder timer fires")
    remind_at = datetime.fromisoformat(request["remind_at"])
    travel = (remind_at - await demo.clock("pairing")).total_seconds() + 60  # just past the reminder, well before the expiry
    ok(await demo.http.post(f"{URL['pairing']}/clock/travel", json={"seconds": max(travel, 0)}, headers=demo.operator))
    await demo.tail.seen_all(
        ("RequestReminderDue", {"request_id": request["id"]}),
        ("NotificationRecorded", {"kind": "request_reminder", "recipient_id": cohort.ids["Amina"]}),
    )
    say(
        f"pairing's clock reads {at((await demo.clock('pairing')).isoformat(), NAIROBI)} in Nairobi; the request is still hers to answer"
    )


async def amina_accepts(demo: Demo, cohort: Cohort, request: dict[str, Any]) -> str:
    """Returns the pairing's id."""
    step("   Amina accepts")
    accepted = ok(await demo.http.post(f"{URL['pairing']}/requests/{request['id']}/accept", headers=demo.person["Amina"]))
    pairing_id: str = accepted["pairing_id"]
    demo.tail.follow(pairing_id)
    await demo.tail.seen_all(
        ("PairingFormed", {"pairing_id": pairing_id}),
        ("NotificationRecorded", {"kind": "pairing_formed", "recipient_id": cohort.ids["Ravi"]}),
        ("NotificationRecorded", {"kind": "pairing_formed", "recipient_id": cohort.ids["Amina"]}),
    )
    say(f"pairing {pairing_id[:8]}… formed; Amina has one place left")
    return pairing_id


async def they_book_a_session(demo: Demo, cohort: Cohort, pairing_id: str) -> dict[str, Any]:
    """Returns the session."""
    step("   They book a first session: 13:00 New York time tomorrow")
    tomorrow = (await demo.clock("scheduling")).astimezone(NEW_YORK).date() + timedelta(days=1)
    start_local = f"{tomorrow.isoformat()}T13:00:00"
    session: dict[str, Any] = ok(
        await eventually(
            lambda: demo.http.post(
                f"{URL['scheduling']}/pairings/{pairing_id}/sessions",
                json={"starts_at": start_local, "time_zone": "America/New_York", "duration_minutes": 60},
                headers=demo.person["Ravi"],
            ),
            "booking (scheduling must first learn of the pairing)",
        )
    )
    demo.tail.follow(session["id"])
    await demo.tail.seen_all(
        ("SessionScheduled", {"session_id": session["id"]}),
        ("NotificationRecorded", {"kind": "session_scheduled", "recipient_id": cohort.ids["Amina"]}),
        ("NotificationRecorded", {"kind": "session_scheduled", "recipient_id": cohort.ids["Ravi"]}),
    )
    starts = datetime.fromisoformat(start_local).replace(tzinfo=NEW_YORK)
    say(
        f"Amina sees {starts.astimezone(NAIROBI):%a %d %b %H:%M} (Nairobi), Ravi {starts.astimezone(BANGKOK):%a %d %b %H:%M} "
        "(Bangkok); each gets an invitation (.ics) in their own time zone"
    )
    return session


async def the_session_is_completed_and_rated(demo: Demo, cohort: Cohort, pairing_id: str, session: dict[str, Any]) -> None:
    http = demo.http
    step("   Two days later (scheduling's clock travels), the session has ended: the worker completes it")
    ok(await http.post(f"{URL['scheduling']}/clock/travel", json={"seconds": 2 * 24 * 3600}, headers=demo.operator))

    async def completed() -> dict[str, Any] | None:
        sessions = ok(await http.get(f"{URL['scheduling']}/pairings/{pairing_id}/sessions", headers=demo.person["Amina"]))
        return next((s for s in sessions if s["id"] == session["id"] and s["status"] == "completed"), None)

    done = await until("scheduling completes the ended session", completed)
    await demo.tail.seen_all(
        ("SessionCompleted", {"session_id": session["id"]}),
        ("NotificationRecorded", {"kind": "feedback_requested", "recipient_id": cohort.ids["Amina"]}),
        ("NotificationRecorded", {"kind": "feedback_requested", "recipient_id": cohort.ids["Ravi"]}),
    )
    say(f"session {done['id'][:8]}… completed at {done['completed_at']}; both are asked for feedback")
    for name, rating, comment in (("Ravi", 5, "Clear advice on my negotiation plan."), ("Amina", 4, "A motivated mentee.")):
        ok(
            await http.post(
                f"{URL['scheduling']}/sessions/{session['id']}/feedback",
                json={"rating": rating, "comment": comment},
                headers=demo.person[name],
            )
        )
    await demo.tail.seen_all(*[("FeedbackGiven", {"session_id": session["id"]})] * 2)
    say("Ravi rates it 5, Amina 4; only the ratings travel as events, the comments stay in scheduling")


async def a_mentor_withdraws(demo: Demo, cohort: Cohort) -> None:
    http = demo.http
    amina, jean, lina = cohort.ids["Amina"], cohort.ids["Jean"], cohort.ids["Lina"]
    step("5. A mentor leaves: Lina ranks Jean first, Amina second; Jean withdraws while her request waits")
    ok(
        await eventually(
            lambda: http.post(
                f"{URL['pairing']}/cohorts/{cohort.id}/mentees/{lina}/preferences",
                json={"mentor_ids": [jean, amina]},
                headers=demo.person["Lina"],
            ),
            "Lina's preferences",
        )
    )
    await demo.tail.seen_all(("RequestSent", {"mentee_id": lina, "mentor_id": jean}))
    say("Lina's request waits for Jean's answer")
    ok(await http.post(f"{URL['registration']}/participants/{jean}/withdrawal", json={}, headers=demo.person["Jean"]))
    await demo.tail.seen_all(
        ("ParticipantWithdrawn", {"participant_id": jean}),
        ("RequestCancelled", {"mentee_id": lina, "mentor_id": jean}),
        ("RequestSent", {"mentee_id": lina, "mentor_id": amina}),
        ("NotificationRecorded", {"kind": "request_not_accepted", "recipient_id": lina}),
        *[("NotificationRecorded", {"kind": "request_received", "recipient_id": amina})] * 2,  # Ravi's, now Lina's
    )
    say("Jean withdraws (registration); pairing cancels the request and tries Lina's next choice:")
    requests = ok(await http.get(f"{URL['pairing']}/mentees/{lina}/requests", headers=demo.person["Lina"]))
    for r in requests:
        say(f"Lina's {ordinal(r['rank'])} choice, {cohort.name_of(r['mentor_id'])}: {r['status']}", 4)
