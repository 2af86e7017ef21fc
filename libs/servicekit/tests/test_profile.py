"""The production profile refuses every development convenience, naming its setting; development is unchanged."""

from __future__ import annotations

import os

import pytest
from pydantic_settings import SettingsConfigDict

from together_servicekit.auth import AuthSettings
from together_servicekit.profile import DevelopmentTrustRefused, refusals, refuse_database_powers, refuse_development_trust
from together_servicekit.settings import ServiceSettings

PRODUCTION = {"TOGETHER_ENV": "production", "KAFKA_SECURITY_PROTOCOL": "SASL_SSL"}
SAFE_DATABASE = "postgresql://registration:s3cret-from-a-file@db.internal:5432/registration"


@pytest.fixture(autouse=True)
def no_stack_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """A sourced .run/env.sh (the stack's logins) must not decide what these tests see."""
    for name in [k for k in os.environ if k.startswith(("REGISTRATION_", "PG_", "KAFKA_", "TOGETHER_"))]:
        monkeypatch.delenv(name)


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRATION_", extra="ignore")

    service_name: str = "registration"
    database_name: str = "registration"
    port: int = 8001


def auth(issuer: str = "https://login.example.org/realms/together", **overrides: str) -> AuthSettings:
    values = {"jwks_url": f"{issuer}/protocol/openid-connect/certs", "public_key_file": "", **overrides}
    return AuthSettings(issuer=issuer, audience="together", **values)


def development_defaults() -> tuple[Settings, AuthSettings]:
    return Settings(clock_mode="travel"), auth("http://127.0.0.1:8000", jwks_url="http://127.0.0.1:8000/.well-known/jwks.json")


def test_development_starts_with_every_convenience():
    settings, development_auth = development_defaults()
    refuse_development_trust(settings, development_auth, {"TOGETHER_DEV_IDENTITY": "enabled"})  # no TOGETHER_ENV: nothing refused


def test_production_refuses_each_development_convenience_naming_its_setting():
    settings, development_auth = development_defaults()
    with pytest.raises(DevelopmentTrustRefused) as refused:
        refuse_development_trust(settings, development_auth, {"TOGETHER_ENV": "production", "TOGETHER_DEV_IDENTITY": "enabled"})
    message = str(refused.value)
    assert message.startswith("registration refuses to start with TOGETHER_ENV=production")
    for setting in (
        "TOGETHER_AUTH_ISSUER",
        "TOGETHER_AUTH_JWKS_URL",
        "TOGETHER_DEV_IDENTITY=enabled",
        "TOGETHER_CLOCK_MODE=travel",
        "PG_DSN_BASE, REGISTRATION_DATABASE_URL or REGISTRATION_DATABASE_PASSWORD_FILE",
        "KAFKA_SECURITY_PROTOCOL (or REGISTRATION_KAFKA_SECURITY_PROTOCOL) must be SSL or SASL_SSL in production, not PLAINTEXT",
    ):
        assert setting in message, setting


def test_production_refuses_a_local_key_file_and_a_missing_database_password():
    settings = Settings(clock_mode="system", database_url="postgresql://registration@db.internal:5432/registration")
    found = refusals(settings, auth(public_key_file="/keys/dev.pem", jwks_url=""), PRODUCTION)
    assert found == [
        "TOGETHER_AUTH_PUBLIC_KEY_FILE is for development and tests: production verifies the provider's JWKS",
        "the database password (PG_DSN_BASE, REGISTRATION_DATABASE_URL or REGISTRATION_DATABASE_PASSWORD_FILE) is missing",
    ]


def test_production_starts_when_nothing_of_development_is_left():
    settings = Settings(clock_mode="system", database_url=SAFE_DATABASE)
    assert refusals(settings, auth(), PRODUCTION) == []
    refuse_development_trust(settings, auth(), PRODUCTION)


@pytest.mark.parametrize("protocol", ["PLAINTEXT", "SASL_PLAINTEXT"])
def test_production_refuses_a_kafka_connection_without_tls(protocol: str):
    settings = Settings(clock_mode="system", database_url=SAFE_DATABASE)
    found = refusals(settings, auth(), {**PRODUCTION, "KAFKA_SECURITY_PROTOCOL": protocol})
    assert found == [
        f"KAFKA_SECURITY_PROTOCOL (or REGISTRATION_KAFKA_SECURITY_PROTOCOL) must be SSL or SASL_SSL in production, not {protocol}: "
        "events and passwords would cross the network in clear text"
    ]


def test_a_service_s_own_kafka_protocol_wins_over_the_shared_one():
    settings = Settings(clock_mode="system", database_url=SAFE_DATABASE)
    environ = {**PRODUCTION, "KAFKA_SECURITY_PROTOCOL": "PLAINTEXT", "REGISTRATION_KAFKA_SECURITY_PROTOCOL": "SSL"}
    assert refusals(settings, auth(), environ) == []


def test_production_refuses_a_database_login_with_powers_beyond_its_database():
    settings = Settings(clock_mode="system", database_url=SAFE_DATABASE)
    refuse_database_powers(settings, [], PRODUCTION)
    refuse_database_powers(settings, ["act as superuser"], {})  # development: the administrator's login is fine
    with pytest.raises(DevelopmentTrustRefused) as refused:
        refuse_database_powers(settings, ["act as superuser", "create databases"], PRODUCTION)
    assert "the database login (REGISTRATION_DATABASE_URL) may act as superuser, create databases" in str(refused.value)


def test_the_database_password_comes_from_a_secret_file_unless_the_url_has_one(tmp_path):
    secret = tmp_path / "registration.password"
    secret.write_text("from-the-file\n")
    url = "postgresql://registration@db.internal:5432/registration"
    from_file = Settings(database_url=url, database_password_file=str(secret))
    assert from_file.database_url == "postgresql+asyncpg://registration:from-the-file@db.internal:5432/registration"
    explicit = Settings(database_url=SAFE_DATABASE, database_password_file=str(secret))
    assert explicit.database_url == SAFE_DATABASE.replace("postgresql://", "postgresql+asyncpg://")
    with pytest.raises(ValueError, match="DATABASE_PASSWORD_FILE: '/nowhere/password' cannot be read"):
        Settings(database_url=url, database_password_file="/nowhere/password")
