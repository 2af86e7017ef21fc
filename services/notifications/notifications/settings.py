from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from notifications.domain.languages import DEFAULT_LANGUAGE, LANGUAGES
from together_servicekit.settings import CallsRegistration

# The development mail sink (`python -m notifications.mailsink`) listens here by default.
MAILSINK_PORT = 8025


class NotificationsSettings(CallsRegistration):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore")

    service_name: str = "notifications"
    database_name: str = "notifications"
    port: int = 8005

    # E-mail over SMTP (aiosmtplib).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = MAILSINK_PORT
    smtp_security: Literal["opportunistic", "starttls", "tls"] = Field(
        default="opportunistic",
        description="opportunistic: STARTTLS whenever the server offers it (the dev sink does not); "
        "starttls: required, a server without it is refused; tls: implicit TLS (port 465). "
        "Credentials are never sent without TLS.",
    )
    smtp_ca_file: str = Field(default="", description="CA certificates to verify the SMTP server with; the system's by default.")
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_timeout_seconds: float = 30.0
    mail_from: str = "Together <no-reply@together.localhost>"
    message_id_domain: str = "together.localhost"

    # Delivery: retries with exponential backoff on the injected clock, then failed.
    delivery_max_attempts: int = 6
    delivery_backoff_seconds: float = 60.0
    delivery_backoff_max_seconds: float = 6 * 3600.0
    delivery_poll_seconds: float = 1.0
    delivery_concurrency: int = Field(default=4, ge=1, le=64, description="Mails sent at the same time by one process.")
    # A "claimed" row (nothing handed to SMTP yet) whose worker stopped renewing it for this long is
    # taken by another worker: nothing was sent, so no need to wait. Renewed every third of it.
    delivery_claim_lease_seconds: float = Field(default=10.0, gt=0)
    # A "sending" row (DATA began) older than this lost its worker between DATA and the commit:
    # ambiguous, sent again with the same Message-ID. Keep it well above the SMTP timeout.
    delivery_lease_seconds: float = 300.0
    # How long a new mail waits before it goes: the spread, in notifications' consumer, between facts that
    # happen together but travel on other partitions or topics. An earlier fact's mail goes first (a
    # person's mails go in the order of the facts), and a later fact can make the mail moot
    # (`domain/actions.py`). Not the address verification, which its reader is waiting for.
    delivery_settle_seconds: float = Field(default=5.0, ge=0)

    # The language of the programme team's messages (e.g. a pairing that ended early).
    team_language: str = Field(default=DEFAULT_LANGUAGE, description=f"one of {', '.join(LANGUAGES)}")

    @field_validator("team_language")
    @classmethod
    def _written_language(cls, code: str) -> str:
        if code not in LANGUAGES:
            raise ValueError(f"messages are written in {', '.join(LANGUAGES)}")
        return code

    # Registration's contact endpoint (addresses and preferred language) and data keys, called with a
    # service token (`CallsRegistration`: registration_url, token_source, ...).
    token_scope: str = Field(
        default="registration:contacts registration:data-keys",
        description="The scopes asked for: registration's contact and data-key endpoints require them.",
    )
