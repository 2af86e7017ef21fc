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
lease runs out the row is ambiguous: it is tried again (counted in `ambiguous_attempts`, logged)
with the SAME Message-ID (`<notification-<id>@domain>`) and Date, so a receiving system that
deduplicates by Message-ID, and every mail client threading by it, shows one mail. A worker that
lives keeps retrying the commit of an outcome it knows (e.g. across a database restart) instead of
leaving it to the lease. Outside that window a notification is sent exactly once: a redelivered or
replayed event records no second notification (inbox and unique constraint), so no second
delivery row exists. We prefer a rare duplicate with a stable id to a lost mail.

Failures: 4xx replies and network errors retry with exponential backoff
(`next_attempt_at`, on the injected clock) up to `delivery_max_attempts`; a 5xx reply, a
participant without an address ("no address") or the last attempt records `failed` with the
reason, which the programme team sees and can retry (`api.py`).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa
import structlog
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from notifications.contacts import ContactDirectory, ContactUnavailable
from notifications.domain.contacts import Contact
from notifications.domain.languages import LANGUAGES, language_of
from notifications.mail import Calendar, HandOverRefused, SendFailure, SmtpMailer, build_mail
from notifications.rendering import Rendered, render
from notifications.settings import NotificationsSettings
from notifications.tables import contact_languages, deliveries, notifications, participants, preferences
from together_events import is_transient
from together_servicekit.invitations import Person, invitation
from together_servicekit.runtime import Progress, Runtime

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Outcome:
    state: str  # sent | failed | skipped | retry
    reason: str | None = None
    address: str | None = None
    words: Rendered | None = None
    registration_language: str | None = None  # what the contact endpoint said, remembered for later messages
    ambiguous: bool = False  # the SMTP exchange broke after DATA began: the mail may have gone


class DeliveryWorker:
    def __init__(
        self,
        runtime: Runtime,
        settings: NotificationsSettings,
        contacts: ContactDirectory,
        mailer: SmtpMailer,
    ) -> None:
        self._runtime, self._settings, self._contacts, self._mailer = runtime, settings, contacts, mailer
        # /readyz: "stalled" when no attempt finished and no pass found nothing for longer than a mail may take.
        self.progress = Progress(
            settings.delivery_poll_seconds,
            stalled_after=max(60.0, 2 * settings.smtp_timeout_seconds + 10 * settings.delivery_poll_seconds),
        )
        # Seconds from the server's 250 reply to the commit of `sent`: the window in which a crash resends.
        self.sent_windows: deque[float] = deque(maxlen=1000)

    async def deliver_due(self, limit: int = 200) -> list[str]:
        """Try every delivery due now (up to `limit`), `delivery_concurrency` at a time; return their outcomes."""
        await self.reclaim_abandoned()
        outcomes: list[str] = []
        lanes = max(1, self._settings.delivery_concurrency)
        await asyncio.gather(*(self._lane(outcomes, limit) for _ in range(lanes)))
        return outcomes

    async def _lane(self, outcomes: list[str], limit: int) -> None:
        """One mail at a time: claim, send, record; SKIP LOCKED keeps the lanes (and replicas) apart."""
        while len(outcomes) < limit:
            claimed = await self._claim()
            if claimed is None:
                self.progress.passed()
                break
            outcome = await self._deliver(claimed)
            if outcome is not None:
                outcomes.append(outcome)
            self.progress.passed()

    async def _deliver(self, row: dict[str, Any]) -> str | None:
        """One attempt at one claimed row; its recorded state, or None if it was left to the claim's lease."""
        done = asyncio.Event()
        holding = asyncio.create_task(self._hold(row, done))
        try:
            outcome = await self._attempt(row)
        except HandOverRefused as exc:  # nothing reached the server; the claim's lease frees the row
            log.warning("mail.not_handed_over", notification_id=str(row["notification_id"]), reason=str(exc))
            return None
        except Exception as exc:  # a bug or bad data: counted as an attempt, so it ends failed, never stuck
            log.exception("mail.attempt_crashed", notification_id=str(row["notification_id"]))
            outcome = Outcome("retry", f"error while preparing the mail: {exc!r}")
        finally:
            done.set()  # not cancelled: a renewal in flight finishes its transaction
            await holding
        if outcome.state == "sent":
            return "sent"  # recorded the moment the server accepted it (`_attempt`)
        return await self._finish(row, outcome)

    async def _hold(self, row: dict[str, Any], done: asyncio.Event) -> None:
        """Renew the claim while this worker lives and has not started DATA: a killed worker's claim runs
        out within `delivery_claim_lease_seconds`, and another worker sends the mail."""
        lease = timedelta(seconds=self._settings.delivery_claim_lease_seconds)
        while True:
            try:
                await asyncio.wait_for(done.wait(), lease.total_seconds() / 3)
                return
            except TimeoutError:
                pass
            try:
                async with self._runtime.engine.begin() as conn:
                    renewed = await conn.execute(
                        deliveries.update().where(*_ours(row, "claimed")).values(claimed_until=self._runtime.now() + lease)
                    )
                if not renewed.rowcount:
                    return  # DATA began (the long lease now), or the claim moved on
            except (OSError, sa.exc.DBAPIError) as exc:  # a missed renewal risks the claim only: the fence holds
                log.warning("mail.claim_not_renewed", notification_id=str(row["notification_id"]), error=repr(exc))

    async def run(self) -> None:
        while True:
            await self.deliver_due()
            await asyncio.sleep(self._settings.delivery_poll_seconds)

    async def reclaim_abandoned(self) -> int:
        """Rows left `sending` past the long lease: the worker died (or lost the database) between DATA
        and recording the outcome. Ambiguous: tried again with the same Message-ID."""
        now = self._runtime.now()
        async with self._runtime.engine.begin() as conn:
            rows = (
                await conn.execute(
                    deliveries.update()
                    .where(deliveries.c.state == "sending", deliveries.c.claimed_until < now)
                    .values(
                        state="pending",
                        next_attempt_at=now,
                        claimed_until=None,
                        ambiguous_attempts=deliveries.c.ambiguous_attempts + 1,
                        last_error="ambiguous: the previous attempt ended without an outcome; it may have been delivered",
                    )
                    .returning(deliveries.c.notification_id)
                )
            ).all()
        for row in rows:
            log.warning("mail.ambiguous_attempt", notification_id=str(row.notification_id))
        return len(rows)

    async def _claim(self) -> dict[str, Any] | None:
        now = self._runtime.now()
        async with self._runtime.engine.begin() as conn:
            # Due mail, and claims whose worker stopped renewing them before DATA: nothing was sent.
            found = (
                await conn.execute(
                    sa.select(deliveries.c.notification_id, deliveries.c.state)
                    .where(
                        sa.or_(
                            sa.and_(deliveries.c.state == "pending", deliveries.c.next_attempt_at <= now),
                            sa.and_(deliveries.c.state == "claimed", deliveries.c.claimed_until < now),
                        )
                    )
                    .order_by(deliveries.c.next_attempt_at, deliveries.c.notification_id)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                )
            ).first()
            if found is None:
                return None
            due = found.notification_id
            if found.state == "claimed":
                log.info("mail.claim_expired", notification_id=str(due), note="its worker stopped before DATA: tried again now")
            lease = now + timedelta(seconds=self._settings.delivery_claim_lease_seconds)
            await conn.execute(
                deliveries.update()
                .where(deliveries.c.notification_id == due)
                .values(state="claimed", attempts=deliveries.c.attempts + 1, claimed_until=lease)
            )
            row = (
                await conn.execute(
                    sa.select(
                        deliveries.c.notification_id,
                        deliveries.c.attempts,
                        deliveries.c.message_id,
                        notifications.c.recipient_id,
                        notifications.c.kind,
                        notifications.c.params,
                        notifications.c.recorded_at,
                        participants.c.time_zone,
                        participants.c.display_name,
                        preferences.c.language.label("chosen_language"),
                        preferences.c.email_off,
                    )
                    .select_from(
                        deliveries.join(notifications, notifications.c.id == deliveries.c.notification_id)
                        .outerjoin(participants, participants.c.id == notifications.c.recipient_id)
                        .outerjoin(preferences, preferences.c.participant_id == notifications.c.recipient_id)
                    )
                    .where(deliveries.c.notification_id == due)
                )
            ).one()
            return dict(row._mapping)

    async def _attempt(self, row: dict[str, Any]) -> Outcome:
        if row["kind"] in (row["email_off"] or ()):
            # No mail; still ask registration for the language (best effort), so the feed reads right.
            try:
                contact = await self._contacts.contact(row["recipient_id"])
            except ContactUnavailable:
                contact = None
            return Outcome(
                "skipped",
                f"e-mail turned off for {row['kind']}",
                words=self._words(row, contact),
                registration_language=_language(contact),
            )
        try:
            contact = await self._contacts.contact(row["recipient_id"])
        except ContactUnavailable as exc:
            return Outcome("retry", str(exc))
        if contact is None:
            return Outcome("failed", "no address: registration does not know the participant")
        words, learned = self._words(row, contact), _language(contact)
        if contact.withdrawn:
            return Outcome("skipped", "participant withdrawn", words=words, registration_language=learned)
        if not contact.email:
            return Outcome("failed", "no address", words=words, registration_language=learned)
        mail = build_mail(
            sender=self._settings.mail_from,
            to=contact.email,
            subject=words.subject,
            text=words.text,
            html=words.html,
            message_id=row["message_id"],
            date=row["recorded_at"],  # stable too: a repeated attempt is byte-for-byte the same mail
            language=words.language,
            calendar=self._calendar(row, contact, words),
        )
        sent = Outcome("sent", None, contact.email, words, learned)

        async def starting() -> None:
            if not await self._mark_sending(row):
                raise HandOverRefused("the claim moved on to another worker")

        async def accepted(reply: str) -> None:
            await self._finish(row, sent, replied=time.monotonic())

        try:
            await self._mailer.send(mail, starting=starting, accepted=accepted)
        except SendFailure as exc:
            reason = f"{exc.reason} (after DATA began: it may have been delivered)" if exc.ambiguous else exc.reason
            state = "failed" if exc.permanent else "retry"
            return Outcome(state, reason, contact.email, words, learned, ambiguous=exc.ambiguous)
        return sent

    async def _mark_sending(self, row: dict[str, Any]) -> bool:
        """Committed on its own just before DATA: from now on the outcome may be unknown (the long lease)."""
        lease = timedelta(seconds=self._settings.delivery_lease_seconds)
        try:
            async with self._runtime.engine.begin() as conn:
                updated = await conn.execute(
                    deliveries.update()
                    .where(*_ours(row, "claimed"))
                    .values(state="sending", claimed_until=self._runtime.now() + lease)
                )
        except (OSError, sa.exc.DBAPIError) as exc:
            raise HandOverRefused(f"could not record the hand-over: {exc!r}") from exc
        return bool(updated.rowcount)

    def _words(self, row: dict[str, Any], contact: Contact | None) -> Rendered:
        """In the person's chosen language, else registration's, else English; times in their zone."""
        registration_language = contact.preferred_language if contact is not None else None
        return render(row["kind"], language_of(row["chosen_language"], registration_language), row["params"], row["time_zone"])

    def _calendar(self, row: dict[str, Any], contact: Contact, words: Rendered) -> Calendar | None:
        spec = row["params"].get("calendar")
        if not spec:
            return None
        me = str(row["recipient_id"])
        names = {me: contact.display_name or row["display_name"] or me}
        partner = row["params"].get("partner_name")
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
            stamp=row["recorded_at"],
            rrule=spec.get("rrule"),
            recurrence_id=instant("recurrence_id"),
            until=instant("until"),
            exdates=[datetime.fromisoformat(x) for x in spec.get("exdates") or ()],
        )
        return Calendar(text, spec["method"])

    async def _finish(self, row: dict[str, Any], outcome: Outcome, replied: float | None = None) -> str:
        """Record the outcome; `replied`: time.monotonic() of the server's 250, to measure the window."""
        now = self._runtime.now()
        s = self._settings
        state, reason = outcome.state, outcome.reason
        values: dict[str, Any] = {"claimed_until": None, "last_error": reason, "address": outcome.address}
        if outcome.ambiguous:
            values["ambiguous_attempts"] = deliveries.c.ambiguous_attempts + 1
        if state == "retry" and row["attempts"] >= s.delivery_max_attempts:
            state, reason = "failed", f"gave up after {row['attempts']} attempts: {reason}"
            values["last_error"] = reason
        if state == "retry":
            delay = min(s.delivery_backoff_seconds * 2 ** (row["attempts"] - 1), s.delivery_backoff_max_seconds)
            values.update(state="pending", next_attempt_at=now + timedelta(seconds=delay))
        else:
            values.update(state=state, finished_at=now)
        pause = 0.5
        while True:
            try:
                recorded = await self._record(row, outcome, values, now)
                break
            except Exception as exc:
                if not is_transient(exc):
                    raise  # a bug, not an outage: retrying would only hide it
                # Only this process knows the outcome (e.g. the server said 250 and the database is restarting):
                # keep it and retry, rather than leave the row to the lease and a second mail.
                log.warning("mail.outcome_not_yet_recorded", notification_id=str(row["notification_id"]), error=repr(exc))
                await asyncio.sleep(pause)
                pause = min(pause * 2, 5.0)
        window = None if replied is None else time.monotonic() - replied
        if window is not None:
            self.sent_windows.append(window)
        if not recorded:
            # The lease ran out first (e.g. a database outage longer than it) and another worker took the row.
            log.warning("mail.outcome_too_late", notification_id=str(row["notification_id"]), outcome=state)
        event = {"sent": "mail.sent", "failed": "mail.failed", "skipped": "mail.skipped"}.get(state, "mail.retry_later")
        log_method = log.warning if state in ("failed", "retry") else log.info
        log_method(
            event,
            notification_id=str(row["notification_id"]),
            kind=row["kind"],
            attempts=row["attempts"],
            reason=reason,
            **({} if window is None else {"recorded_after_ms": round(window * 1000, 1)}),
        )
        if outcome.ambiguous:
            log.warning("mail.ambiguous_attempt", notification_id=str(row["notification_id"]), reason=reason)
        return state

    async def _record(self, row: dict[str, Any], outcome: Outcome, values: dict[str, Any], now: datetime) -> bool:
        """The outcome, in one small transaction, if the row is still this attempt's claim."""
        async with self._runtime.engine.begin() as conn:
            updated = await conn.execute(
                deliveries.update().where(*_ours(row, "claimed", "sending")).values(**values).returning(deliveries.c.state)
            )
            if updated.first() is None:
                # Ours already, if an earlier try committed but its reply was lost; else another worker's.
                current = await conn.execute(
                    sa.select(deliveries.c.state).where(
                        deliveries.c.notification_id == row["notification_id"], deliveries.c.attempts == row["attempts"]
                    )
                )
                return current.scalar() == values["state"]
            if outcome.words is not None:
                # The feed shows the words that were mailed (the language may differ from the first rendering).
                await conn.execute(
                    notifications.update()
                    .where(notifications.c.id == row["notification_id"])
                    .values(subject=outcome.words.subject, body=outcome.words.text, language=outcome.words.language)
                )
            if outcome.registration_language is not None:
                # Later messages to this person are written in it from the start (in the feed too).
                learned = {"language": outcome.registration_language, "learned_at": now}
                await conn.execute(
                    insert(contact_languages)
                    .values(participant_id=row["recipient_id"], **learned)
                    .on_conflict_do_update(index_elements=["participant_id"], set_=learned)
                )
        return True


def _ours(row: dict[str, Any], *states: str) -> tuple[sa.ColumnElement[bool], ...]:
    """The fence: the row is still this attempt's, in one of `states` (a later claim raised `attempts`)."""
    return (
        deliveries.c.notification_id == row["notification_id"],
        deliveries.c.attempts == row["attempts"],
        deliveries.c.state.in_(states),
    )


def _language(contact: Contact | None) -> str | None:
    """Registration's preferred language, if it is one messages are written in."""
    code = ((contact.preferred_language if contact is not None else None) or "").strip().lower()[:2]
    return code if code in LANGUAGES else None


async def retry_failed(conn: AsyncConnection, notification_id: UUID, now: datetime) -> bool:
    """The programme team's retry: a failed delivery starts again with a fresh count. False if not failed."""
    updated = await conn.execute(
        deliveries.update()
        .where(deliveries.c.notification_id == notification_id, deliveries.c.state == "failed")
        .values(state="pending", attempts=0, next_attempt_at=now, finished_at=None)
    )
    return bool(updated.rowcount)


def workers(runtime: Runtime) -> list[tuple[str, Callable[[], Awaitable[None]]]]:
    settings = runtime.settings
    assert isinstance(settings, NotificationsSettings)
    worker = DeliveryWorker(runtime, settings, ContactDirectory(settings), SmtpMailer(settings))
    runtime.checks["delivery-worker"] = worker.progress.health
    return [("delivery-worker", worker.run)]
