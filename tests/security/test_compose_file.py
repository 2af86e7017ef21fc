"""docker-compose.yml is secured as the local stack is. This project's machines have no Docker
engine, so the file is loaded as Docker Compose loads it (compose-go, tests/compose_loader: schema,
interpolation, references) and the properties are checked on what it resolves to, with the secrets
deploy/docker/secrets.sh makes and the broker settings deploy/lib/kafka-broker.sh writes from it:

- Kafka has no listener without TLS and a login, and its authorizer denies what no ACL allows;
- each service logs in to Kafka and PostgreSQL as itself, never as the administrator;
- every password and key comes from a file (a Compose secret), and each container gets only its own;
- the profile is stated, and a development convenience is never on in a production-profile service;
- images are pinned, and the tests' containers (tests/containers.py) are the same servers.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from tests import containers
from tests.stack import REPO, SERVICES
from together_servicekit.auth import AuthSettings
from together_servicekit.profile import refusals
from together_servicekit.settings import ServiceSettings

Project = dict[str, Any]


@pytest.fixture(scope="module")
def secrets_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What deploy/docker/secrets.sh makes, in a folder of this test's."""
    directory = tmp_path_factory.mktemp("compose") / "state"
    subprocess.run(
        [str(REPO / "deploy/docker/secrets.sh")],
        env={**os.environ, "TOGETHER_COMPOSE_DIR": str(directory)},
        check=True,
        capture_output=True,
        timeout=120,
    )
    return directory


@pytest.fixture(scope="module")
def project(secrets_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Project:
    loader = tmp_path_factory.mktemp("loader") / "composeloader"
    built = subprocess.run(
        ["go", "build", "-buildvcs=false", "-o", str(loader), "."],
        cwd=REPO / "tests/compose_loader",
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert built.returncode == 0, built.stderr
    # Only what `docker compose up` would be given here: the defaults, and where the secrets are.
    env = {"PATH": os.environ["PATH"], "TOGETHER_COMPOSE_DIR": str(secrets_dir)}
    loaded = subprocess.run([str(loader), str(REPO / "docker-compose.yml")], env=env, capture_output=True, text=True, timeout=60)
    assert loaded.returncode == 0, loaded.stderr
    result: Project = json.loads(loaded.stdout)
    return result


def environment(project: Project, service: str) -> dict[str, str]:
    return {name: value or "" for name, value in project["services"][service]["environment"].items()}


def secret_names(project: Project, service: str) -> set[str]:
    return {secret["source"] for secret in project["services"][service].get("secrets", [])}


def on_the_host(project: Project, env: Mapping[str, str]) -> dict[str, str]:
    """The environment with each /run/secrets/<name> replaced by the file Compose mounts there."""
    files = {f"/run/secrets/{name}": secret["file"] for name, secret in project["secrets"].items()}
    return {name: files.get(value, value) for name, value in env.items()}


def broker_settings(project: Project) -> dict[str, str]:
    """The server.properties deploy/docker/kafka-broker.sh writes from the Compose broker's environment."""
    env = environment(project, "kafka")
    script = 'source deploy/lib/kafka-broker.sh && broker_properties "$1" "$2" /data /run/secrets/kafka_broker_keystore /run/secrets/kafka_ca pw'
    rendered = subprocess.run(
        ["bash", "-c", script, "-", env["BROKER_LISTENERS"], env["BROKER_ADVERTISED_LISTENERS"]],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return dict(line.split("=", 1) for line in rendered.splitlines() if line and not line.startswith("#"))


def listeners(value: str) -> dict[str, str]:
    return dict(entry.split("://", 1) for entry in value.split(","))


@pytest.fixture
def service_environment(project: Project, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Builds a service's own settings from its Compose environment, as the service would in its container."""

    def settings_of(service: str, **overrides: str) -> tuple[ServiceSettings, dict[str, str]]:
        env = on_the_host(project, environment(project, service)) | overrides
        for name in list(os.environ):
            if name.startswith(("KAFKA_", "PG_", "TOGETHER_", f"{service.upper()}_")):
                monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        module = importlib.import_module(f"{service}.settings")
        settings: ServiceSettings = getattr(module, f"{service.capitalize()}Settings")()
        return settings, env

    yield settings_of


def test_the_file_loads_as_docker_compose_loads_it(project: Project):
    assert project["name"] == "together"
    assert set(project["services"]) == {*SERVICES, "kafka", "postgres", "provision", "identity", "mailsink"}


def test_kafka_has_no_listener_without_tls_and_a_login(project: Project):
    broker = broker_settings(project)
    protocols = dict(entry.split(":") for entry in broker["listener.security.protocol.map"].split(","))
    bound, advertised = listeners(broker["listeners"]), listeners(broker["advertised.listeners"])
    assert set(protocols) == set(bound) == set(advertised) == {"CLIENT", "HOST", "CONTROLLER"}
    assert {name: protocol for name, protocol in protocols.items() if name != "CONTROLLER"} == {
        "CLIENT": "SASL_SSL",
        "HOST": "SASL_SSL",
    }
    for name in ("client", "host"):
        assert broker[f"listener.name.{name}.sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    # The controller: mutual TLS, on the container's loopback, never published.
    assert protocols["CONTROLLER"] == "SSL" and broker["listener.name.controller.ssl.client.auth"] == "required"
    assert bound["CONTROLLER"].startswith("127.0.0.1:")
    published = {int(port["target"]) for port in project["services"]["kafka"]["ports"]}
    assert published == {int(bound["HOST"].rsplit(":", 1)[1])}
    assert advertised["HOST"] == f"127.0.0.1:{project['services']['kafka']['ports'][0]['published']}"
    assert "PLAINTEXT" not in ",".join(protocols.values()).replace("SASL_PLAINTEXT", "PLAINTEXT")
    # What no ACL allows is denied; only the broker and the admin are super users.
    assert broker["authorizer.class.name"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert broker["allow.everyone.if.no.acl.found"] == "false"
    assert broker["super.users"] == "User:broker;User:admin"
    assert project["services"]["kafka"]["entrypoint"] == ["bash", "/opt/together/docker/kafka-broker.sh"]


def test_every_kafka_client_container_uses_tls_and_a_login_of_its_own(project: Project):
    for name in (*SERVICES, "provision"):
        env = environment(project, name)
        assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092", name
        assert env["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL", name
        assert env["KAFKA_SSL_CA_FILE"] == "/run/secrets/kafka_ca" and "kafka_ca" in secret_names(project, name), name
    provision = environment(project, "provision")
    assert provision["KAFKA_SASL_USERNAME"] == "admin"
    assert project["services"]["provision"]["command"][-2:] == ["--subscriber", "subscriber"]


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_logs_in_as_itself_to_kafka_and_postgresql(project: Project, service_environment: Any, service: str):
    settings, env = service_environment(service)
    kafka = settings.kafka_security()
    assert (kafka.protocol, kafka.encrypted, kafka.authenticated) == ("SASL_SSL", True, True)
    assert kafka.username == service
    assert kafka.password == Path(project["secrets"][f"kafka_{service}_password"]["file"]).read_text().strip()
    assert kafka.ca_file == project["secrets"]["kafka_ca"]["file"]
    database = make_url(settings.database_url)
    assert (database.username, database.host, database.database) == (service, "postgres", service)
    assert database.password == Path(project["secrets"][f"postgres_{service}_password"]["file"]).read_text().strip()
    # Never the administrator's login, nor its base URL (which any service would append its database to).
    assert "PG_DSN_BASE" not in env
    assert make_url(environment(project, service)[f"{service.upper()}_DATABASE_URL"]).password is None


def test_each_service_is_a_distinct_principal_and_role(project: Project):
    principals = {environment(project, s)[f"{s.upper()}_KAFKA_SASL_USERNAME"] for s in SERVICES}
    roles = {make_url(environment(project, s)[f"{s.upper()}_DATABASE_URL"]).username for s in SERVICES}
    assert principals == roles == set(SERVICES)
    passwords = {
        Path(project["secrets"][f"{kind}_{s}_password"]["file"]).read_text() for kind in ("kafka", "postgres") for s in SERVICES
    }
    assert len(passwords) == 2 * len(SERVICES)


def test_postgresql_makes_a_role_per_service_from_secrets(project: Project):
    postgres = project["services"]["postgres"]
    env = environment(project, "postgres")
    assert env == containers.POSTGRES_ENVIRONMENT
    assert "POSTGRES_PASSWORD" not in env
    assert secret_names(project, "postgres") == {"postgres_together_password", *(f"postgres_{s}_password" for s in SERVICES)}
    mounts = {volume["target"]: volume["source"] for volume in postgres["volumes"]}
    assert mounts["/docker-entrypoint-initdb.d/10-together.sh"] == str(REPO / "deploy/docker/postgres-init.sh")
    assert mounts["/opt/together/postgres"] == str(REPO / "deploy/postgres")
    assert {sql.name for sql in (REPO / "deploy/postgres").glob("*.sql")} == {"service-role.sql", "database.sql", "hand-over.sql"}


def test_every_password_and_key_comes_from_a_secret_file_and_each_container_gets_only_its_own(
    project: Project, secrets_dir: Path
):
    assert {name: secret.get("file") for name, secret in project["secrets"].items()} == {
        name: str(secrets_dir / path) for name, path in containers.secrets().items()
    }
    for name in project["secrets"]:
        assert Path(project["secrets"][name]["file"]).is_file(), name
    assert secrets_dir.stat().st_mode & 0o777 == 0o700
    assert (secrets_dir / "kafka/tls/ca.key").stat().st_mode & 0o777 == 0o600  # never mounted
    for name, service in project["services"].items():
        env = environment(project, name)
        for variable, value in env.items():
            assert not re.search(r"PASSWORD$|SECRET$", variable), f"{name}: {variable} holds a secret itself"
            if variable.endswith("_FILE"):
                assert value.removeprefix("/run/secrets/") in secret_names(project, name), f"{name}: {variable}"
        assert "together:together" not in json.dumps(service), name
    assert secret_names(project, "kafka") == {
        "kafka_ca",
        "kafka_broker_keystore",
        *(f"kafka_{p}_password" for p in containers.KAFKA_PRINCIPALS),
    }
    for service in SERVICES:
        assert secret_names(project, service) == {"kafka_ca", f"kafka_{service}_password", f"postgres_{service}_password"}
    assert secret_names(project, "provision") == {"kafka_ca", "kafka_admin_password"}
    assert not secret_names(project, "identity") and not secret_names(project, "mailsink")


def test_the_profile_is_stated_and_no_development_convenience_is_on_silently(project: Project, service_environment: Any):
    for name in (*SERVICES, "identity", "mailsink"):
        assert environment(project, name).get("TOGETHER_ENV") in ("development", "production"), f"{name} states no profile"
    for name in ("identity", "mailsink"):  # development tools, whatever the services run
        assert environment(project, name)["TOGETHER_ENV"] == "development"
    for service in SERVICES:
        settings, env = service_environment(service)
        auth = AuthSettings.from_environment()
        if env["TOGETHER_ENV"] == "production":
            assert refusals(settings, auth, env) == [], service  # would refuse to start
            continue
        # Development: what production would refuse is there because the file says so, not by default.
        found = "\n".join(refusals(settings, auth, env))
        assert "TOGETHER_AUTH_ISSUER must be an https URL" in found and "TOGETHER_AUTH_ISSUER" in env
        if service != "registration":
            assert f"{service.upper()}_TOKEN_SOURCE=dev" in found and env[f"{service.upper()}_TOKEN_SOURCE"] == "dev"
        assert "KAFKA_SECURITY_PROTOCOL" not in found and "database password" not in found


def test_images_are_pinned_and_the_tests_containers_are_the_same_servers(project: Project):
    for name, service in project["services"].items():
        if "build" in service:
            continue
        assert re.fullmatch(r"[\w./-]+:\d+\.\d+(\.\d+)?(-[\w.]+)?", service["image"]), f"{name}: {service['image']} floats"
    assert project["services"]["postgres"]["image"] == containers.POSTGRES_IMAGE
    assert project["services"]["kafka"]["image"] == containers.KAFKA_IMAGE
    kafka = environment(project, "kafka")
    assert kafka["CLUSTER_ID"] == containers.KAFKA_CLUSTER_ID
    assert kafka["BROKER_LISTENERS"] == containers.BROKER_LISTENERS
    assert kafka["BROKER_ADVERTISED_LISTENERS"] == containers.broker_advertised_listeners("127.0.0.1", 19092)
