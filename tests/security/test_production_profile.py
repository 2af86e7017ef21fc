"""With TOGETHER_ENV=production, what a development setup would trust stops each process at its start,
with a message naming the settings; the development tools refuse to run at all."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PYTHON = sys.executable


SERVICES = ("registration", "matching", "pairing", "scheduling", "notifications")
# Settings a sourced .run/env.sh may hold: each test gives the ones it means.
STACK_SETTINGS = ("TOGETHER_", "PG_", *(f"{service.upper()}_" for service in SERVICES))


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith((*STACK_SETTINGS, "KAFKA_"))}
    return subprocess.run([PYTHON, *args], env={**clean, **env}, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_with_development_settings_refuses_to_start_in_production(service: str):
    started = run("-m", service, TOGETHER_ENV="production", TOGETHER_CLOCK_MODE="travel")
    assert started.returncode != 0
    assert f"{service} refuses to start with TOGETHER_ENV=production" in started.stderr
    for setting in (
        "TOGETHER_AUTH_ISSUER",
        "TOGETHER_AUTH_JWKS_URL",
        "TOGETHER_CLOCK_MODE=travel",
        "PG_DSN_BASE",
        f"KAFKA_SECURITY_PROTOCOL (or {service.upper()}_KAFKA_SECURITY_PROTOCOL) must be SSL or SASL_SSL",
    ):
        assert setting in started.stderr, setting
    if service != "registration":  # every reader of profiles asks registration for data keys (ADR 0008)
        assert f"{service.upper()}_TOKEN_SOURCE=dev" in started.stderr


def test_a_service_refuses_a_kafka_login_without_tls_in_production():
    started = run("-m", "pairing", TOGETHER_ENV="production", KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT")
    assert started.returncode != 0
    assert (
        "KAFKA_SECURITY_PROTOCOL (or PAIRING_KAFKA_SECURITY_PROTOCOL) must be SSL or SASL_SSL in production, not SASL_PLAINTEXT"
        in started.stderr
    )


def test_the_development_identity_provider_never_runs_in_production():
    started = run("-m", "together_devtools.dev_identity", TOGETHER_ENV="production", TOGETHER_DEV_IDENTITY="enabled")
    assert started.returncode != 0 and "never runs with TOGETHER_ENV=production" in started.stderr


def test_the_launcher_never_starts_anything_in_production(tmp_path):
    started = run("-m", "together_devtools.launcher", "start", TOGETHER_ENV="production", TOGETHER_STATE_DIR=str(tmp_path))
    assert started.returncode != 0 and "the launcher is a development tool" in started.stderr
    assert not (tmp_path / "services").exists()  # nothing was started
