"""Steps 6 and 7: the team assigns the rest of the cohort at once, and the mails of the story
arrive, each in its reader's language."""

from __future__ import annotations

import email
from collections import Counter
from email import policy
from email.message import EmailMessage
from typing import Any

from deploy.demo.calls import URL, Demo, ok, until
from deploy.demo.cast import Cohort
from deploy.demo.console import DIM, RESET, ordinal, say, step
from deploy.demo.tail import kind_of
from together_devtools.launcher import state_dir


async def the_team_assigns_the_cohort(demo: Demo, cohort: Cohort) -> set[str]:
    """Returns the mentors an assigned request reached (each gets a mail in the last step).

    The tail stays hushed after this step: the last one counts what the acceptance set off."""
    http, team, tail = demo.http, demo.team, demo.tail
    step("6. The programme team proposes a cohort-wide assignment (optimal) and accepts it")
    proposal = ok(await http.post(f"{URL['matching']}/cohorts/{cohort.id}/assignments", json={"method": "optimal"}, headers=team))
    assignment_id, report = proposal["assignment_id"], proposal["report"]
    say(
        f"{report['paired']} of the {report['mentees']} mentees without a mentor get one; total score {report['total_score']:.1f}; "
        "own ranked choices met: "
        + (", ".join(f"{ordinal(int(c))} choice x{n}" for c, n in sorted(report["choices"].items()) if n) or "none")
    )
    if report["unmatched"]:
        say(f"unmatched ({len(report['unmatched'])}), each with the reason:")
        for u in report["unmatched"][:5]:
            say(f"{cohort.name_of(u['mentee_id'])}: {u['reason']}", 4)
    else:
        say("unmatched: nobody")
    tail.hush()  # a request per pair: counted, not printed
    tail.follow(assignment_id)
    ok(await http.post(f"{URL['matching']}/cohorts/{cohort.id}/assignments/{assignment_id}/accept", headers=team))

    def assigned(kind: str) -> list[dict[str, Any]]:
        return [e for e in tail.seen if kind_of(e) == kind and e["data"].get("assignment_id") == assignment_id]

    def skipped() -> list[dict[str, Any]]:  # v2 carries every skip; v1 repeats some while the two overlap
        return [e for e in assigned("AssignedPairSkipped") if str(e["type"]).endswith(".v2")]

    await tail.until(
        "pairing sends or skips each assigned pair",
        lambda: len(assigned("PreferencesSubmitted")) + len(skipped()) >= len(proposal["pairs"]),
    )
    statuses: Counter[str] = Counter()
    assigned_mentors = set()
    for e in assigned("PreferencesSubmitted"):
        mentee = e["data"]["mentee_id"]
        for r in ok(await http.get(f"{URL['pairing']}/mentees/{mentee}/requests", headers=team)):
            if r["mentor_id"] in e["data"]["ranked_mentor_ids"]:
                statuses[r["status"]] += 1
                if r["status"] == "pending":
                    assigned_mentors.add(r["mentor_id"])
    say(
        f"accepted: pairing sends {len(assigned('PreferencesSubmitted'))} requests through their ordinary lifecycle ("
        + ", ".join(f"{n} {status}" for status, n in statuses.most_common())
        + "; a waiting one reaches its mentor after the request before it)"
    )
    for e in skipped():
        reason = e["data"]["reason"]
        why = " (her own choices are being tried)" if reason == "open_selection" else ""
        say(f"skipped {cohort.name_of(e['data']['mentee_id'])}: {reason}{why}", 4)
    return assigned_mentors


async def the_mails_arrive(demo: Demo, cohort: Cohort, assigned_mentors: set[str]) -> None:
    run = demo.run
    step("7. E-mails delivered once each, in the reader's language, to the development mail sink (.run/mail/)")
    # Each: the pre-programme survey asked at registration; Amina: 2 requests, the reminder, session, next session,
    # feedback; Ravi: pairing, session, next session, feedback; Lina: a request not accepted.
    expected = {"Amina": 7, "Ravi": 5, "Lina": 2}

    async def feeds_settled() -> dict[str, list[dict[str, Any]]] | None:
        """Each reader's messages, once all are recorded and none waits to be mailed (a mail waits a few
        seconds, so that a later fact can make it moot: ADR 0009)."""
        feeds = {}
        for name, n in expected.items():
            response = await demo.http.get(
                f"{URL['notifications']}/participants/{cohort.ids[name]}/notifications", headers=demo.person[name]
            )
            feeds[name] = response.json() if response.is_success else []
            if len(feeds[name]) < n or any(message["email"] in ("pending", "sending") for message in feeds[name]):
                return None
        return feeds

    feeds = await until("notifications records every message of the story and mails it", feeds_settled, timeout=60)
    messages = sum(message["email"] == "sent" for feed in feeds.values() for message in feed)
    readers = {f"{name.lower()}.{run}@un.org": name for name in expected}
    to_mentors = len(assigned_mentors - {cohort.ids["Amina"]})  # one mail per assigned request that reached its mentor
    synthetic = len(cohort.mentors.keys() | cohort.mentees.keys())  # one mail each: the pre-programme survey

    def mails_of_run() -> tuple[list[EmailMessage], list[EmailMessage]]:
        mails = [m for m in delivered_mails() if f".{run}@" in str(m["To"])]
        return [m for m in mails if m["To"] in readers], [m for m in mails if m["To"] not in readers]

    def all_arrived() -> tuple[list[EmailMessage], list[EmailMessage]] | None:
        story_mails, others = mails_of_run()
        return (story_mails, others) if len(story_mails) >= messages and len(others) >= to_mentors + synthetic else None

    try:
        story_mails, others = await until("the mails reach the sink", all_arrived)
    except RuntimeError:
        if any(mails_of_run()):
            raise
        # No mail of this run at all: the sink keeps them elsewhere (under Docker Compose, in its container).
        say(
            f"no mail of this run in {state_dir() / 'mail'}; with Docker Compose: docker compose exec mailsink python -m notifications.mailsink list"
        )
        story_mails, others = [], []
    for mail in story_mails:
        files = [part.get_filename() for part in mail.walk() if part.get_filename()]
        language = mail["Content-Language"] or "?"
        say(f"to {readers[mail['To']]:<6} [{language}] {mail['Subject']}" + (f"  ({', '.join(files)})" if files else ""))
    moot = [f"{name}'s {message['kind']}" for name, feed in feeds.items() for message in feed if message["email"] == "skipped"]
    if moot:
        say(f"not mailed, in the feed only: {', '.join(moot)} (answered or done before the mail went out: nothing to ask)")
    if others:
        languages = Counter(str(m["Content-Language"] or "?") for m in others)
        say(
            f"and {len(others)} to the cohort's other participants: the pre-programme survey each, and a request each "
            f"to the {to_mentors} mentors of the assignment ("
            + ", ".join(f"{n} in {language}" for language, n in languages.most_common())
            + ")"
        )
    counted = demo.tail.unhush()
    say(f"{DIM}events since the acceptance: " + ", ".join(f"{n} x {kind}" for kind, n in counted.items()) + RESET)
    say("all of them: .venv/bin/python -m notifications.mailsink list")


def delivered_mails() -> list[EmailMessage]:
    return [
        email.message_from_bytes(path.read_bytes(), policy=policy.default)
        for path in sorted((state_dir() / "mail").glob("*.eml"))
    ]
