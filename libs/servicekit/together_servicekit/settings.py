"""Settings common to every service, read from environment variables.

Each service subclasses `ServiceSettings` with its own prefix (e.g.
`PAIRING_PORT`). Two shared variables make pointing every service at an
external stack a two-variable change: `KAFKA_BOOTSTRAP_SERVERS` and
`PG_DSN_BASE` (the database name is appended per service); a prefixed
variable, e.g. `PAIRING_DATABASE_URL`, overrides them for one service.
A service's database password may come from a secret file instead of the URL
(`PAIRING_DATABASE_PASSWORD_FILE`, e.g. a mounted Kubernetes Secret). How the
service logs in to Kafka is read the same way (`kafka_security`, e.g.
`PAIRING_KAFKA_SASL_USERNAME` before `KAFKA_SASL_USERNAME`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from together_events import KafkaSecurity
from together_events.topics import namespace
from together_servicekit.profile import is_https

DEFAULT_PG_DSN_BASE = "postgresql://together:together@127.0.0.1:15432"
DEFAULT_KAFKA = "127.0.0.1:19092"


def _clock_mode_from_environment() -> Literal["system", "travel"]:
    """The shared variable's mode; anything but "travel" is the system clock, as `make_clock` reads it."""
    return "travel" if os.environ.get("TOGETHER_CLOCK_MODE") == "travel" else "system"


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    service_name: str
    database_name: str
    port: int
    host: str = "127.0.0.1"
    database_url: str = ""
    database_password_file: str = Field(
        default="", description="A file holding the database password, used when the URL carries none."
    )
    consumer_group: str = Field(
        default="",
        description="Kafka consumer group; defaults to the service name, after the topic namespace if there is one.",
    )
    kafka_bootstrap_servers: str = Field(default_factory=lambda: os.environ.get("KAFKA_BOOTSTRAP_SERVERS", DEFAULT_KAFKA))
    log_level: str = Field(default_factory=lambda: os.environ.get("TOGETHER_LOG_LEVEL", "INFO"))
    max_body_bytes: int = Field(
        default_factory=lambda: int(os.environ.get("TOGETHER_MAX_BODY_BYTES", 64 * 1024)),
        description="Larger request bodies are refused with 413.",
    )
    cors_origins: str = Field(
        default_factory=lambda: os.environ.get("TOGETHER_CORS_ORIGINS", ""),
        description="Comma-separated browser origins allowed to call the API; none by default.",
    )
    hsts_seconds: int = Field(
        default_factory=lambda: int(os.environ.get("TOGETHER_HSTS_SECONDS", 0)),
        description="Strict-Transport-Security max-age, for deployments behind HTTPS; 0 sends none.",
    )
    unknown_event_types: Literal["skip", "dead_letter"] = Field(
        default="skip",
        description=(
            "What the consumer does with an event type it has never heard of (a newer producer's): "
            "skip it (forward compatible; logged and counted per topic and type) or set it aside on the dead-letter topic."
        ),
    )
    clock_mode: Literal["system", "travel"] = Field(default_factory=_clock_mode_from_environment)

    @model_validator(mode="after")
    def _derive_defaults(self) -> ServiceSettings:
        # With a namespace, the group is the namespace's too: what the broker's ACLs grant the service.
        self.consumer_group = self.consumer_group or f"{namespace()}{self.service_name}"
        if not self.database_url:
            base = os.environ.get("PG_DSN_BASE", DEFAULT_PG_DSN_BASE).rstrip("/")
            self.database_url = f"{base}/{self.database_name}"
        if self.database_password_file:
            setting = f"{self.model_config.get('env_prefix', '')}DATABASE_PASSWORD_FILE"
            self.database_url = _with_password_from(self.database_password_file, self.database_url, setting)
        # Services talk to PostgreSQL through asyncpg whatever scheme was given.
        for scheme in ("postgresql://", "postgres://"):
            if self.database_url.startswith(scheme):
                self.database_url = "postgresql+asyncpg://" + self.database_url[len(scheme) :]
        return self

    @property
    def env_prefix(self) -> str:
        return str(self.model_config.get("env_prefix", ""))

    def kafka_security(self, environ: Mapping[str, str] | None = None) -> KafkaSecurity:
        """How this service logs in to Kafka: its prefixed variables first, then the shared ones."""
        return KafkaSecurity.from_environment(self.env_prefix, environ)

    def production_refusals(self) -> list[str]:
        """This service's own development conveniences that the production profile refuses (see profile.py)."""
        return []

    @property
    def source(self) -> str:
        """The CloudEvents `source` of this service's events."""
        return f"/together/{self.service_name}"


class CallsRegistration(ServiceSettings):
    """A service that asks registration with a service token: for the data keys that open the profiles
    sealed in events (ADR 0008), and notifications for contacts too (`registration_client`)."""

    registration_url: str = "http://127.0.0.1:8001"
    token_source: Literal["dev", "static", "client_credentials"] = Field(
        default="dev",
        description="dev: the development identity provider's dev-login grant; static: `service_token`; "
        "client_credentials: OAuth2 client credentials at `token_url`.",
    )
    token_scope: str = Field(
        default="registration:data-keys",
        description="The scopes asked for, space separated: registration's endpoints require them.",
    )
    service_token: str = ""
    token_url: str = ""
    client_id: str = ""
    client_secret: str = ""
    dev_identity_url: str = Field(default="", description="Defaults to TOGETHER_AUTH_ISSUER, else http://127.0.0.1:8000.")
    data_key_seconds: float = Field(
        default=300.0, ge=0, description="How long a participant's data key stays in memory (never stored)."
    )

    def production_refusals(self) -> list[str]:
        found = super().production_refusals()
        if self.token_source == "dev":
            found.append(f"{self.env_prefix}TOKEN_SOURCE=dev: its token comes from the development identity provider's grant")
        elif self.token_source == "client_credentials" and not is_https(self.token_url):
            found.append(f"{self.env_prefix}TOKEN_URL must be an https URL in production, not {self.token_url!r}")
        return found


def _with_password_from(path: str, url: str, setting: str) -> str:
    """The URL with the file's password, unless the URL already has one (an explicit URL wins)."""
    parsed = make_url(url)
    if parsed.password:
        return url
    try:
        password = Path(path).read_text().strip()
    except OSError as error:
        raise ValueError(f"{setting}: {path!r} cannot be read: {error.strerror}") from None
    if not password:
        raise ValueError(f"{setting}: {path!r} is empty")
    return parsed.set(password=password).render_as_string(hide_password=False)
