"""Sends each recorded message by e-mail, once as its reader sees it.

`deliveries` is the mail outbox: one row per notification,
pending -> claimed -> sending -> sent | failed | skipped (| pending again, for a retry).

- `claimed`: a worker took the row (FOR UPDATE SKIP LOCKED, attempts + 1) and prepares the mail
  (address, words, SMTP connection up to RCPT). Nothing has reached the SMTP server, so a claim
  is short (`delivery_claim_lease_seconds`, 10 s) and renewed by its worker while it lives: a
  killed worker's claim is taken by another worker within that lease.
- `sending`: committed on its own just before the DATA command (`mail.SmtpMailer`'s `starting`).
  From here the server may hold the mail, so the row waits the long lease
  (`delivery_lease_seconds`, 300 s) before anyone else touches it.
- The server's 250 reply is recorded (`sent`) at once, in one small transaction, before QUIT.
  Every transition is fenced on (state, attempts): a worker whose claim moved on records nothing.

What is guaranteed, and why. Only a worker that dies (or loses the database for longer than the
long lease) between DATA and the commit of its outcome leaves the outcome unknown. When the long
lease runs out the row is ambiguous: the next claim takes it and it is tried again (counted in
`ambiguous_attempts`, logged) with the SAME Message-ID (`<notification-<id>@domain>`) and Date, so
a receiving system that deduplicates by Message-ID, and every mail client threading by it, shows
one mail. A worker that
lives keeps retrying the commit of an outcome it knows (e.g. across a database restart) instead of
leaving it to the lease. Outside that window a notification is sent exactly once: a redelivered or
replayed event records no second notification (inbox and unique constraint), so no second
delivery row exists. We prefer a rare duplicate with a stable id to a lost mail.

Failures: 4xx replies and network errors retry with exponential backoff
(`next_attempt_at`, on the injected clock) up to `delivery_max_attempts`; a 5xx reply, a
participant without an address ("no address") or the last attempt records `failed` with the
reason, which the programme team sees and can retry (`api.py`).

Order: a person's mails go one at a time, in the order of the facts they tell (the source events'
times; `repository.claim_due_mail`), after a short settling window (`delivery_settle_seconds`), so a
fact read a moment later from another partition or topic is mailed first, or makes the mail moot
(`settling.py`). See docs/adr/0009.

The worker is a job on servicekit's shared poller (`together_servicekit.jobs`): the claim commits
on its own (`act_in_claim = False`), `delivery_concurrency` lanes send at once, and the back-off and
the give-up are its `Backoff`. An attempt that raises anyway (a bug while recording) is recorded by
the poller (`job.attempt_failed`, then `job.failed`) with the same back-off, fenced like the rest.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal
from uuid import UUID

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from notifications import repository
from notifications.contacts import ContactDirectory, ContactUnavailable
from notifications.domain.contacts import Contact
from notifications.domain.languages import LANGUAGES, language_of
from notifications.domain.messages import ADDRESS_VERIFICATION
from notifications.domain.team import TEAM_KINDS
from notifications.mail import Calendar, HandOverRefused, SendFailure, SmtpMailer, build_mail
from notifications.mail_headers import UnsafeHeaderValue
from notifications.rendering import Rendered, render
from notifications.repository import ClaimedMail
from notifications.settings import NotificationsSettings
from together_events import is_transient
from together_servicekit.invitations import Person, invitation
from together_servicekit.jobs import Backoff, Failure, JobPoller
from together_servicekit.runtime import Runtime

log = structlog.get_logger(__name__)

NO_TEAM_MAILBOX = (
    "no address: the programme's rules name no team mailbox (set team_mailbox with registration's "
    "PATCH /programmes/{id}/rules, then retry)"
)


@dataclass(frozen=True)
class Outcome:
    state: Literal["sent", "failed", "skipped", "retry"]
    reason: str | None = None
    address: str | None = None
    words: Rendered | None = None
    registration_language: str | None = None  # what the contact endpoint said, remembered for later messages
    ambiguous: bool = False  # the SMTP exchange broke after DATA began: the mail may have gone


class MailDelivery:
    """The job: claim one due mail, send it, record its outcome."""

    name: ClassVar[str] = "delivery-worker"
    act_in_claim: ClassVar[bool] = False  # the claim commits first: sending waits on the network

    def __init__(self, runtime: Runtime[NotificationsSettings], contacts: ContactDirectory, mailer: SmtpMailer) -> None:
        self._runtime, self._settings, self._contacts, self._mailer = runtime, runtime.settings, contacts, mailer
        s = self._settings
        self.backoff = Backoff(
            first=timedelta(seconds=s.delivery_backoff_seconds),
            longest=timedelta(seconds=s.delivery_backoff_max_seconds),
            attempts=s.delivery_max_attempts,
        )
        # Seconds from the server's 250 reply to the commit of `sent`: the window in which a crash resends.
        self.sent_windows: deque[float] = deque(maxlen=1000)

    async def claim(self, conn: AsyncConnection, now: datetime) -> ClaimedMail | None:
        lease_until = now + timedelta(seconds=self._settings.delivery_claim_lease_seconds)
        mail = await repository.claim_due_mail(conn, now, lease_until)
        if mail is not None and mail.taken_over == "claimed":
            log.info(
                "mail.claim_expired",
                notification_id=str(mail.notification_id),
                note="its worker stopped before DATA: tried again now",
            )
        elif mail is not None and mail.taken_over == "sending":
            log.warning("mail.ambiguous_attempt", notification_id=str(mail.notification_id), reason=repository.AMBIGUOUS)
        return mail

    async def act(self, conn: AsyncConnection | None, item: ClaimedMail, now: datetime) -> str:
        """One attempt at one claimed mail; its recorded state, or `not_handed_over` if it was left to the claim's lease."""
        done = asyncio.Event()
        holding = asyncio.create_task(self._hold(item, done))
        try:
            outcome = await self._attempt(item)
        except HandOverRefused as exc:  # nothing reached the server; the claim's lease frees the row
            log.warning("mail.not_handed_over", notification_id=str(item.notification_id), reason=str(exc))
            return "not_handed_over"
        except Exception as exc:  # a bug or bad data: counted as an attempt, so it ends failed, never stuck
            log.exception("mail.attempt_crashed", notification_id=str(item.notification_id))
            outcome = Outcome("retry", f"error while preparing the mail: {exc!r}")
        finally:
            done.set()  # not cancelled: a renewal in flight finishes its transaction
            await holding
        if outcome.state == "sent":
            return "sent"  # recorded the moment the server accepted it (`_attempt`)
        return await self._finish(item, outcome)

    def attempts_before(self, item: ClaimedMail) -> int:
        return item.attempts - 1  # the claim counted this one

    async def record_failure(self, conn: AsyncConnection, item: ClaimedMail, failure: Failure) -> None:
        await repository.record_failure(conn, item, failure, self._runtime.now())

    def describe(self, item: ClaimedMail) -> dict[str, Any]:
        return {"notification_id": str(item.notification_id), "kind": item.kind}

    async def _hold(self, mail: ClaimedMail, done: asyncio.Event) -> None:
        """Renew the claim while this worker lives and has not started DATA: a killed worker's claim runs
        out within `delivery_claim_lease_seconds`, and another worker sends the mail."""
        lease = timedelta(seconds=self._settings.delivery_claim_lease_seconds)
        while True:
            try:
                async with asyncio.timeout(lease.total_seconds() / 3):  # not wait_for: it can swallow a cancellation (3.11)
                    await done.wait()
                return
            except TimeoutError:
                pass
            try:
                async with self._runtime.engine.begin() as conn:
                    if not await repository.renew_claim(conn, mail, self._runtime.now() + lease):
                        return  # DATA began (the long lease now), or the claim moved on
            except (OSError, sa.exc.DBAPIError) as exc:  # a missed renewal risks the claim only: the fence holds
                log.warning("mail.claim_not_renewed", notification_id=str(mail.notification_id), error=repr(exc))

    async def _attempt(self, mail: ClaimedMail) -> Outcome:
        if mail.kind in (mail.email_off or ()):
            # No mail; still ask registration for the language (best effort), so the feed reads right.
            try:
                contact = await self._contacts.contact(mail.recipient_id)
            except ContactUnavailable:
                contact = None
            return Outcome(
                "skipped",
                f"e-mail turned off for {mail.kind}",
                words=_words(mail, contact),
                registration_language=_language(contact),
            )
        verifying, to_team = mail.kind == ADDRESS_VERIFICATION, mail.kind in TEAM_KINDS
        try:
            contact, added = await self._addressee(mail)
        except ContactUnavailable as exc:
            return Outcome("retry", str(exc))
        if contact is None and verifying:
            return Outcome("skipped", "nothing to verify: registration no longer knows the verification")
        if contact is None:
            return Outcome("failed", "no address: registration does not know the participant")
        # A team's language is a setting, not something registration said of a participant.
        words, learned = _words(mail, contact, added), None if to_team else _language(contact)
        # The feed keeps a verification message's words as recorded: never its link, nor what registration said.
        shown = None if verifying else words
        if contact.withdrawn:
            reason = "nothing to verify: verified, superseded or withdrawn since" if verifying else "participant withdrawn"
            return Outcome("skipped", reason, words=shown, registration_language=learned)
        if not contact.email:
            reason = NO_TEAM_MAILBOX if to_team else "no address"
            return Outcome("failed", reason, words=shown, registration_language=learned)
        try:
            message = build_mail(
                sender=self._settings.mail_from,
                to=contact.email,
                subject=words.subject,
                text=words.text,
                html=words.html,
                message_id=mail.message_id,
                date=mail.recorded_at,  # stable too: a repeated attempt is byte-for-byte the same mail
                language=words.language,
                calendar=_calendar(mail, contact, words),
            )
        except UnsafeHeaderValue as exc:  # e.g. an address stored before the API refused such: retrying cannot help
            return Outcome("failed", f"unsafe for a mail header: {exc}", words=shown, registration_language=learned)
        sent = Outcome("sent", None, contact.email, shown, learned)

        async def starting() -> None:
            if not await self._mark_sending(mail):
                raise HandOverRefused("the claim moved on: another worker took it, or a later fact made the mail moot")

        async def accepted(reply: str) -> None:
            await self._finish(mail, sent, replied=time.monotonic())

        try:
            await self._mailer.send(message, starting=starting, accepted=accepted)
        except SendFailure as exc:
            reason = f"{exc.reason} (after DATA began: it may have been delivered)" if exc.ambiguous else exc.reason
            return Outcome("failed" if exc.permanent else "retry", reason, contact.email, shown, learned, ambiguous=exc.ambiguous)
        return sent

    async def _addressee(self, mail: ClaimedMail) -> tuple[Contact | None, dict[str, Any]]:
        """Where the mail goes, and what it adds to the params: a verification mail goes to the address
        being verified, with a link registration makes for this very mail (each attempt a new one: only
        the latest works). A programme team's mail goes to the programme's mailbox, as its rules name it."""
        if mail.kind in TEAM_KINDS:
            return Contact(mail.recipient_id, mail.team_mailbox, None, self._settings.team_language, withdrawn=False), {}
        if mail.kind != ADDRESS_VERIFICATION:
            return await self._contacts.contact(mail.recipient_id), {}
        found = await self._contacts.verification_mail(UUID(str(mail.params["verification_id"])))
        return (found.contact, found.params) if found is not None else (None, {})

    async def _mark_sending(self, mail: ClaimedMail) -> bool:
        """Committed on its own just before DATA: from now on the outcome may be unknown (the long lease)."""
        lease = timedelta(seconds=self._settings.delivery_lease_seconds)
        try:
            async with self._runtime.engine.begin() as conn:
                return await repository.mark_sending(conn, mail, self._runtime.now() + lease)
        except (OSError, sa.exc.DBAPIError) as exc:
            raise HandOverRefused(f"could not record the hand-over: {exc!r}") from exc

    async def _finish(self, mail: ClaimedMail, outcome: Outcome, replied: float | None = None) -> str:
        """Record the outcome; `replied`: time.monotonic() of the server's 250, to measure the window."""
        now = self._runtime.now()
        state, reason, retry_at = outcome.state, outcome.reason, None
        if state == "retry":
            retry_at = self.backoff.retry_at(mail.attempts, now)
            if retry_at is None:
                state, reason = "failed", f"gave up after {mail.attempts} attempts: {reason}"
        pause = 0.5
        while True:
            try:
                async with self._runtime.engine.begin() as conn:
                    recorded = await repository.record_outcome(
                        conn,
                        mail,
                        state="pending" if state == "retry" else state,
                        reason=reason,
                        address=outcome.address,
                        ambiguous=outcome.ambiguous,
                        next_attempt_at=retry_at,
                        words=outcome.words,
                        registration_language=outcome.registration_language,
                        now=now,
                    )
                break
            except Exception as exc:
                if not is_transient(exc):
                    raise  # a bug, not an outage: retrying would only hide it
                # Only this process knows the outcome (e.g. the server said 250 and the database is restarting):
                # keep it and retry, rather than leave the row to the lease and a second mail.
                log.warning("mail.outcome_not_yet_recorded", notification_id=str(mail.notification_id), error=repr(exc))
                await asyncio.sleep(pause)
                pause = min(pause * 2, 5.0)
        window = None if replied is None else time.monotonic() - replied
        if window is not None:
            self.sent_windows.append(window)
        if not recorded:
            # The lease ran out first (e.g. a database outage longer than it) and another worker took the row.
            log.warning("mail.outcome_too_late", notification_id=str(mail.notification_id), outcome=state)
        event = {"sent": "mail.sent", "failed": "mail.failed", "skipped": "mail.skipped"}.get(state, "mail.retry_later")
        log_method = log.warning if state in ("failed", "retry") else log.info
        log_method(
            event,
            notification_id=str(mail.notification_id),
            kind=mail.kind,
            attempts=mail.attempts,
            reason=reason,
            **({} if window is None else {"recorded_after_ms": round(window * 1000, 1)}),
        )
        if outcome.ambiguous:
            log.warning("mail.ambiguous_attempt", notification_id=str(mail.notification_id), reason=reason)
        return state


def _words(mail: ClaimedMail, contact: Contact | None, added: dict[str, Any] | None = None) -> Rendered:
    """In the person's chosen language, else registration's, else English; times in their zone."""
    registration_language = contact.preferred_language if contact is not None else None
    params = {**mail.params, **(added or {})}
    return render(mail.kind, language_of(mail.chosen_language, registration_language), params, mail.time_zone)


def _calendar(mail: ClaimedMail, contact: Contact, words: Rendered) -> Calendar | None:
    spec = mail.params.get("calendar")
    if not spec:
        return None
    me = str(mail.recipient_id)
    names = {me: contact.display_name or mail.display_name or me}
    partner = mail.params.get("partner_name")
    people = {
        ident: Person(names.get(ident) or partner or ident, contact.email if ident == me else None, ident=ident)
        for ident in spec["attendee_ids"]
    }
    organiser = people.get(spec.get("organiser_id") or me, people[me])

    def instant(name: str) -> datetime | None:
        return datetime.fromisoformat(spec[name]) if spec.get(name) else None

    text = invitation(
        uid=spec["uid"],
        sequence=spec["sequence"],
        method=spec["method"],
        summary=spec.get("summary") or words.subject,
        starts_at=datetime.fromisoformat(spec["starts_at"]),
        time_zone=spec["time_zone"],
        duration_minutes=spec["duration_minutes"],
        organizer=organiser,
        attendees=list(people.values()),
        stamp=mail.recorded_at,
        rrule=spec.get("rrule"),
        recurrence_id=instant("recurrence_id"),
        until=instant("until"),
        exdates=[datetime.fromisoformat(x) for x in spec.get("exdates") or ()],
    )
    return Calendar(text, spec["method"])


def _language(contact: Contact | None) -> str | None:
    """Registration's preferred language, if it is one messages are written in."""
    code = ((contact.preferred_language if contact is not None else None) or "").strip().lower()[:2]
    return code if code in LANGUAGES else None


def delivery_worker(runtime: Runtime[NotificationsSettings], delivery: MailDelivery) -> JobPoller[ClaimedMail]:
    s = runtime.settings
    return JobPoller.for_runtime(
        runtime,
        delivery,
        poll_interval=s.delivery_poll_seconds,
        lanes=s.delivery_concurrency,
        # /readyz: "stalled" when no attempt finished and no pass found nothing for longer than a mail may take.
        stalled_after=max(60.0, 2 * s.smtp_timeout_seconds + 10 * s.delivery_poll_seconds),
    )


def workers(runtime: Runtime[NotificationsSettings]) -> list[tuple[str, Callable[[], Awaitable[None]]]]:
    settings = runtime.settings
    delivery = MailDelivery(runtime, ContactDirectory(settings), SmtpMailer(settings))
    return [delivery_worker(runtime, delivery).worker(runtime)]
