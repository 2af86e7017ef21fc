"""E-mail: the MIME message and the SMTP client (aiosmtplib).

A message is multipart/alternative (text, HTML); an invitation adds a `text/calendar;
method=REQUEST|CANCEL` alternative, which Outlook and others show as an invitation, and the same
calendar as an `invite.ics` attachment for clients that only look at attachments.

The client calls back twice, so the delivery worker can tell "nothing sent" from "maybe sent":
`starting` just before the DATA command (until then the server holds no mail: an abort sends
nothing), and `accepted` as soon as the server's 250 reply arrives, before QUIT.

Every header value goes through `mail_headers`: none can break out into a header or body of its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import aiosmtplib

from notifications.mail_headers import (
    HEADER_POLICY,
    UnsafeHeaderValue,
    inert_text,
    language_header,
    mailbox,
    message_id_header,
    recipient,
    verify_serialisable,
)
from notifications.settings import NotificationsSettings

CALENDAR_METHODS = ("REQUEST", "CANCEL")


@dataclass(frozen=True)
class Calendar:
    text: str  # a complete VCALENDAR (CRLF line ends)
    method: str  # REQUEST or CANCEL: must match the VCALENDAR's METHOD


def build_mail(
    *,
    sender: str,
    to: str,
    subject: str,
    text: str,
    html: str,
    message_id: str,
    date: datetime,
    language: str,
    calendar: Calendar | None = None,
    to_name: str | None = None,
) -> EmailMessage:
    """The mail, or UnsafeHeaderValue when the sender, address, Message-ID or language cannot be a header.
    A subject or name that could (stored before the APIs refused such names) is rendered harmless instead:
    the reader still gets the news, and only that text reads differently."""
    if calendar is not None and calendar.method not in CALENDAR_METHODS:
        raise UnsafeHeaderValue(f"the calendar method must be one of {', '.join(CALENDAR_METHODS)}")
    mail = EmailMessage(policy=HEADER_POLICY)
    mail["From"] = mailbox("From", sender)
    mail["To"] = recipient(to, to_name)
    mail["Subject"] = inert_text("Subject", subject)
    mail["Message-ID"] = message_id_header(message_id)  # the same on every attempt: receivers drop a second copy by it
    mail["Date"] = format_datetime(date)
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    mail.set_content(text)
    mail.add_alternative(html, subtype="html")
    if calendar is not None:
        mail.add_alternative(calendar.text, subtype="calendar", params={"method": calendar.method})
        mail.add_attachment(
            calendar.text.encode(),
            maintype="application",
            subtype="ics",
            filename="invite.ics" if calendar.method == "REQUEST" else "cancel.ics",
        )
    # Last: set_content clears a part's Content-* headers and making a multipart moves them inward.
    mail["Content-Language"] = language_header(language)
    verify_serialisable(mail)
    return mail


@dataclass(frozen=True)
class SendFailure(Exception):
    """The server did not take the mail. `permanent`: trying again will not help (5xx).
    `ambiguous`: the connection failed after DATA began, without a reply: the server may have taken it."""

    reason: str
    permanent: bool
    ambiguous: bool = False

    def __str__(self) -> str:
        return self.reason


class HandOverRefused(Exception):
    """`starting` refused to let the mail go (the claim is gone, or could not be recorded): nothing was sent."""


async def _nothing(*_: object) -> None:
    return None


class _Client(aiosmtplib.SMTP):
    """aiosmtplib's client (its send_message: envelope, SIZE, SMTPUTF8), calling back around DATA."""

    def __init__(
        self, starting: Callable[[], Awaitable[None]], accepted: Callable[[str], Awaitable[None]], **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._starting, self._accepted = starting, accepted
        self.started = False
        self.reply: str | None = None

    async def data(self, message: str | bytes, /, **kwargs: Any) -> aiosmtplib.SMTPResponse:
        await self._starting()
        self.started = True
        response = await super().data(message, **kwargs)
        self.reply = response.message
        await self._accepted(response.message)
        return response


class SmtpMailer:
    def __init__(self, settings: NotificationsSettings) -> None:
        self._settings = settings

    async def send(
        self,
        mail: EmailMessage,
        *,
        starting: Callable[[], Awaitable[None]] = _nothing,
        accepted: Callable[[str], Awaitable[None]] = _nothing,
    ) -> str:
        """Hand the mail to the SMTP server; its reply when accepted, else SendFailure (or HandOverRefused
        from `starting`)."""
        s = self._settings
        client = _Client(
            starting,
            accepted,
            hostname=s.smtp_host,
            port=s.smtp_port,
            use_tls=s.smtp_security == "tls",
            # None: STARTTLS whenever the server offers it; True: refuse a server that does not.
            start_tls=True if s.smtp_security == "starttls" else None if s.smtp_security == "opportunistic" else False,
            cert_bundle=s.smtp_ca_file or None,
            timeout=s.smtp_timeout_seconds,
        )
        try:
            async with client:
                if s.smtp_username:
                    if client.get_transport_info("sslcontext") is None:
                        raise SendFailure(
                            "SMTP credentials are never sent without TLS: the server offered no STARTTLS", permanent=True
                        )
                    await client.login(s.smtp_username, s.smtp_password)
                await client.send_message(mail)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients[0]
            raise SendFailure(f"{refused.code} {refused.message}", permanent=refused.code >= 500) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise SendFailure(f"{exc.code} {exc.message}", permanent=exc.code >= 500) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            if client.reply is not None:  # accepted (and recorded); only the goodbye failed
                return client.reply
            raise SendFailure(f"SMTP server unreachable: {exc!r}", permanent=False, ambiguous=client.started) from exc
        assert client.reply is not None
        return client.reply
