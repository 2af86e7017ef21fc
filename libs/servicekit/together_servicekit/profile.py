"""The production profile: development trust never reaches production silently.

`TOGETHER_ENV=production` makes a service refuse to start, naming each setting to change, when it
would trust what only development may: an identity provider or JWKS over plain HTTP, a local
public key file instead of the provider's keys, the development identity provider, the travelling
clock, the database's default password, a Kafka connection without TLS, a database login with
powers beyond its own database (checked once connected: `refuse_database_powers`). A service adds its own (notifications: its development
token source) through `ServiceSettings.production_refusals`. Development is the default, so the
README's two commands need nothing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from together_servicekit.auth import AuthSettings
    from together_servicekit.settings import ServiceSettings

PRODUCTION = "production"
# The password of the development stack's one database user (deploy/stack.sh): never a production one.
DEVELOPMENT_DATABASE_PASSWORD = "together"


class DevelopmentTrustRefused(SystemExit):
    """Raised at start: the message lists every refusal, one per line, each naming its setting."""


def is_production(environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get("TOGETHER_ENV", "development") == PRODUCTION


def is_https(url: str) -> bool:
    return urlsplit(url).scheme == "https"


def refusals(settings: ServiceSettings, auth: AuthSettings, environ: Mapping[str, str] = os.environ) -> list[str]:
    """Every development convenience this service would run with, as a sentence naming its setting."""
    found: list[str] = []
    if not is_https(auth.issuer):
        found.append(f"TOGETHER_AUTH_ISSUER must be an https URL in production, not {auth.issuer!r}")
    if auth.public_key_file:
        found.append("TOGETHER_AUTH_PUBLIC_KEY_FILE is for development and tests: production verifies the provider's JWKS")
    elif not is_https(auth.jwks_url):
        found.append(f"TOGETHER_AUTH_JWKS_URL must be an https URL in production, not {auth.jwks_url!r}")
    if environ.get("TOGETHER_DEV_IDENTITY") == "enabled":
        found.append("TOGETHER_DEV_IDENTITY=enabled: the development identity provider signs tokens for anyone")
    if settings.clock_mode == "travel":
        found.append("TOGETHER_CLOCK_MODE=travel: the travelling clock lets a caller move time forward")
    kafka = settings.kafka_security(environ)
    if not kafka.encrypted:
        own = f" (or {settings.env_prefix}KAFKA_SECURITY_PROTOCOL)" if settings.env_prefix else ""
        found.append(
            f"KAFKA_SECURITY_PROTOCOL{own} must be SSL or SASL_SSL in production, "
            f"not {kafka.protocol}: events and passwords would cross the network in clear text"
        )
    password = urlsplit(settings.database_url).password
    if not password or password == DEVELOPMENT_DATABASE_PASSWORD:
        prefix = settings.service_name.upper()
        found.append(
            f"the database password (PG_DSN_BASE, {prefix}_DATABASE_URL or {prefix}_DATABASE_PASSWORD_FILE) is "
            + ("missing" if not password else "the development stack's default")
        )
    return found + settings.production_refusals()


def refuse_development_trust(settings: ServiceSettings, auth: AuthSettings, environ: Mapping[str, str] = os.environ) -> None:
    """Under the production profile, stop here with every refusal; otherwise do nothing."""
    if not is_production(environ):
        return
    found = refusals(settings, auth, environ)
    if found:
        raise DevelopmentTrustRefused(
            f"{settings.service_name} refuses to start with TOGETHER_ENV=production:\n  - " + "\n  - ".join(found)
        )


def refuse_database_powers(settings: ServiceSettings, powers: list[str], environ: Mapping[str, str] = os.environ) -> None:
    """Under the production profile, stop when the service's database login can do more than own its database."""
    if is_production(environ) and powers:
        prefix = settings.service_name.upper()
        raise DevelopmentTrustRefused(
            f"{settings.service_name} refuses to start with TOGETHER_ENV=production:\n  - the database login "
            f"({prefix}_DATABASE_URL) may {', '.join(powers)}: give the service a role that owns its database and "
            "nothing more (deploy/postgres.sh creates such roles)"
        )
