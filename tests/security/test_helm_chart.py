"""The Kubernetes chart (deploy/helm/together-service), rendered with Helm for each service's release
(deploy/helm/values/<service>.yaml), as `helm install` would send it:

- every manifest is valid against the Kubernetes schemas (kubernetes-validate), and the Strimzi
  KafkaTopic and KafkaUser against Strimzi's own CRD schemas (vendored in deploy/helm/schemas/);
- each release has its Deployment, Service, autoscaler, disruption budget, ConfigMap, migration Job
  and NetworkPolicy, its pods locked down (non-root, read-only root, no capabilities, seccomp);
- the topics and the service's ACLs are those the topic catalogue declares and provisioning grants;
- the service's settings, read from the rendered ConfigMap and secret files, pass the production profile.

Helm is built from its Go module the first time (as tests/compose_loader is), into a cache folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.stack import REPO, SERVICES
from together_contracts.topics import CONSUMES, declared_topics
from together_operator.access import Operation, Resource, service_acls

HELM_VERSION = "v3.21.4"
KUBERNETES_VERSION = "1.33.0"
CHART = REPO / "deploy/helm/together-service"
VALUES = REPO / "deploy/helm/values"
SCHEMAS = REPO / "deploy/helm/schemas"
STRIMZI_CRDS = {"KafkaTopic": "043-Crd-kafkatopic.yaml", "KafkaUser": "044-Crd-kafkauser.yaml"}

Manifest = dict[str, Any]


@pytest.fixture(scope="module")
def helm() -> str:
    found = shutil.which("helm")
    if found:
        return found
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "together" / f"helm-{HELM_VERSION}"
    binary = cache / "helm"
    if not binary.exists():
        built = subprocess.run(
            ["go", "install", f"helm.sh/helm/v3/cmd/helm@{HELM_VERSION}"],
            env={**os.environ, "GOBIN": str(cache), "CGO_ENABLED": "0"},
            capture_output=True,
            text=True,
            timeout=1200,
        )
        assert built.returncode == 0, built.stderr
    return str(binary)


def render(helm: str, service: str, *options: str) -> list[Manifest]:
    rendered = run_helm(helm, service, *options)
    assert rendered.returncode == 0, rendered.stderr
    return [document for document in yaml.safe_load_all(rendered.stdout) if document]


def run_helm(helm: str, service: str, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            helm,
            "template",
            service,
            str(CHART),
            "--namespace",
            "together",
            "--kube-version",
            KUBERNETES_VERSION,
            "--values",
            str(VALUES / f"{service}.yaml"),
            *options,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def releases(helm: str) -> dict[str, list[Manifest]]:
    return {service: render(helm, service) for service in SERVICES}


def of_kind(manifests: list[Manifest], kind: str) -> list[Manifest]:
    return [manifest for manifest in manifests if manifest["kind"] == kind]


def one(manifests: list[Manifest], kind: str) -> Manifest:
    found = of_kind(manifests, kind)
    assert len(found) == 1, f"{len(found)} {kind}"
    return found[0]


def strimzi_schema(kind: str) -> dict[str, Any]:
    crd = yaml.safe_load((SCHEMAS / STRIMZI_CRDS[kind]).read_text())
    version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1")
    schema: dict[str, Any] = version["schema"]["openAPIV3Schema"]
    return schema


@pytest.mark.parametrize("service", SERVICES)
def test_every_manifest_is_valid_against_its_schema(releases: dict[str, list[Manifest]], service: str) -> None:
    checked = []
    for manifest in releases[service]:
        if manifest["apiVersion"].startswith("kafka.strimzi.io/"):
            assert manifest["apiVersion"] == "kafka.strimzi.io/v1"
            jsonschema.validate(manifest, strimzi_schema(manifest["kind"]))
        else:
            kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
        checked.append(manifest["kind"])
    assert sorted(checked) == sorted(
        [
            "ConfigMap",
            "Deployment",
            "HorizontalPodAutoscaler",
            "Job",
            "KafkaTopic",
            "KafkaTopic",
            "KafkaUser",
            "NetworkPolicy",
            "PodDisruptionBudget",
            "Service",
            "ServiceAccount",
        ]
    )


@pytest.mark.parametrize("service", SERVICES)
def test_helm_lint_finds_nothing(helm: str, service: str) -> None:
    linted = subprocess.run(
        [helm, "lint", "--strict", str(CHART), "--kube-version", KUBERNETES_VERSION, "--values", str(VALUES / f"{service}.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_the_chart_refuses_an_unknown_service_and_a_missing_database(helm: str) -> None:
    unknown = run_helm(helm, "registration", "--set", "service=billing")
    assert unknown.returncode != 0
    assert 'not "billing"' in unknown.stderr
    no_database = run_helm(helm, "pairing", "--set", "database.url=")
    assert no_database.returncode != 0
    assert "database.url" in no_database.stderr


def test_a_broken_manifest_is_refused() -> None:
    """The validators do refuse: a container without an image, a topic with a partition count as text."""
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"}, "spec": {"containers": [{"name": "x", "imagee": "y"}]}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(pod, KUBERNETES_VERSION, strict=True)
    topic = {"apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaTopic", "metadata": {"name": "t"}, "spec": {"partitions": "3"}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(topic, strimzi_schema("KafkaTopic"))


def pods(manifests: list[Manifest]) -> Iterator[tuple[str, dict[str, Any]]]:
    yield "Deployment", one(manifests, "Deployment")["spec"]["template"]["spec"]
    yield "Job", one(manifests, "Job")["spec"]["template"]["spec"]


@pytest.mark.parametrize("service", SERVICES)
def test_pods_are_locked_down(releases: dict[str, list[Manifest]], service: str) -> None:
    for kind, pod in pods(releases[service]):
        assert pod["automountServiceAccountToken"] is False, kind
        assert pod["securityContext"]["runAsNonRoot"] is True, kind
        assert pod["securityContext"]["runAsUser"] != 0, kind
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, kind
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, kind
            assert context["readOnlyRootFilesystem"] is True, kind
            assert context["capabilities"] == {"drop": ["ALL"]}, kind
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), kind
            assert {"cpu", "memory"} <= set(container["resources"]["limits"]), kind
            assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"], kind
            # Secrets only from Secrets: no literal value of a password, key or token in the pod.
            for variable in container.get("env", []):
                if any(word in variable["name"] for word in ("PASSWORD", "SECRET", "TOKEN")) and "FILE" not in variable["name"]:
                    assert "secretKeyRef" in variable["valueFrom"], variable


@pytest.mark.parametrize("service", SERVICES)
def test_probes_and_the_migration_hook(releases: dict[str, list[Manifest]], service: str) -> None:
    manifests = releases[service]
    container = one(manifests, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    job = one(manifests, "Job")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert f"migrate('{service}', settings.database_url)" in job["spec"]["template"]["spec"]["containers"][0]["command"][-1]
    # The autoscaler and the budget act on the Deployment's pods, which the Service selects.
    deployment = one(manifests, "Deployment")
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert one(manifests, "Service")["spec"]["selector"] == selector
    assert one(manifests, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"] == selector
    assert one(manifests, "HorizontalPodAutoscaler")["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert "migration" not in selector.values()


@pytest.mark.parametrize("service", SERVICES)
def test_network_policy_lets_in_the_service_port_only(releases: dict[str, list[Manifest]], service: str) -> None:
    manifests = releases[service]
    policy = one(manifests, "NetworkPolicy")["spec"]
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    port = one(manifests, "Service")["spec"]["ports"][0]["port"]
    assert [rule["ports"] for rule in policy["ingress"]] == [[{"port": port, "protocol": "TCP"}]]
    egress_ports = {p["port"] for rule in policy["egress"] for p in rule["ports"]}
    calls_registration = service != "registration"
    assert egress_ports == {53, 9093, 5432, 443} | ({8001} if calls_registration else set()) | (
        {587} if service == "notifications" else set()
    )


@pytest.mark.parametrize("prefix", ["", "staging-"])
@pytest.mark.parametrize("service", SERVICES)
def test_topics_and_acls_agree_with_the_catalogue(
    releases: dict[str, list[Manifest]], helm: str, service: str, prefix: str
) -> None:
    """What provisioning declares and grants (together_operator.provision), in a topic namespace too."""
    manifests = render(helm, service, "--set", f"kafka.topicNamespace={prefix}") if prefix else releases[service]
    names = (f"{prefix}together.{service}", f"{prefix}together.{service}.dlq")
    own = {t.name: t for t in declared_topics(prefix) if t.name in names}
    topics = {m["spec"]["topicName"]: m["spec"] for m in of_kind(manifests, "KafkaTopic")}
    assert set(topics) == set(own)
    for name, declared in own.items():
        assert topics[name]["partitions"] == declared.partitions, name
        config = {key: str(value) for key, value in topics[name]["config"].items()}
        assert {key: str(value) for key, value in declared.config.items()}.items() <= config.items(), name
    user = one(manifests, "KafkaUser")
    # A login per namespace (provisioning's is the service's name in every namespace): staging's
    # password opens nothing of production's on a shared cluster.
    assert user["metadata"]["name"] == f"{prefix}{service}"
    assert one(manifests, "ConfigMap")["data"][f"{service.upper()}_KAFKA_SASL_USERNAME"] == f"{prefix}{service}"
    granted = {
        (op, rule["resource"]["type"], rule["resource"]["name"])
        for rule in user["spec"]["authorization"]["acls"]
        for op in rule["operations"]
    }
    expected = {
        (acl.operation.name.capitalize(), acl.resource.name.lower(), acl.name)
        for acl in service_acls(prefix)
        if acl.principal == service
    }
    assert granted == expected
    assert all(rule["resource"]["patternType"] == "literal" for rule in user["spec"]["authorization"]["acls"])
    assert {(Operation.READ, Resource.TOPIC, f"{prefix}together.{s}") for s in CONSUMES[service]} <= {
        (Operation[op.upper()], Resource[kind.upper()], name) for op, kind, name in granted
    }


@pytest.mark.parametrize("service", SERVICES)
def test_settings_pass_the_production_profile(
    releases: dict[str, list[Manifest]], service: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service's own settings class, on the rendered ConfigMap and secret files, starts in production."""
    import importlib

    from together_servicekit.auth import AuthSettings
    from together_servicekit.profile import refusals

    manifests = releases[service]
    environment = dict(one(manifests, "ConfigMap")["data"])
    container = one(manifests, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    for variable in container.get("env", []):
        environment[variable["name"]] = "a secret"
    mount = next(m["mountPath"] for m in container["volumeMounts"] if m["name"] == "secrets")
    secrets = tmp_path / "secrets"
    for name, value in environment.items():
        if value.startswith(mount + "/"):
            file = secrets / value.removeprefix(mount + "/")
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text("a-password\n")
            environment[name] = str(file)
    assert environment["TOGETHER_ENV"] == "production"
    for name in list(os.environ):
        if name.startswith(("TOGETHER_", "KAFKA_", "PG_", f"{service.upper()}_")):
            monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    job = one(manifests, "Job")["spec"]["template"]["spec"]["containers"][0]["command"][-1]
    class_name = job.split(".settings import ")[1].split()[0]
    settings = getattr(importlib.import_module(f"{service}.settings"), class_name)()
    assert settings.host == "0.0.0.0"
    assert settings.database_url.startswith(f"postgresql+asyncpg://{service}:a-password@")
    assert settings.kafka_security().username == service
    assert refusals(settings, AuthSettings.from_environment(), environment) == []
