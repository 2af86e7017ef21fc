"""The alerting rules of deploy/prometheus: each is complete (expression, duration, severity, a runbook entry
that exists), reads only metrics the services serve, is tested in alerts.test.yml; and Prometheus' own
`promtool` checks them and runs those tests (`make promtool` builds it once, into ~/.cache)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import yaml

from together_servicekit.metrics import METRICS

RULES_DIR = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
ALERTS = RULES_DIR / "alerts.yml"
PROMTOOL_VERSION = "v0.316.0"  # the Makefile's PROMTOOL_VERSION
PROMTOOL = Path(os.environ.get("PROMTOOL", Path.home() / ".cache" / "together-promtool" / PROMTOOL_VERSION / "promtool"))


def _rules() -> list[dict]:
    return [rule for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]]


def _anchors() -> set[str]:
    headings = re.findall(r"^## (.+)$", (RULES_DIR / "RUNBOOK.md").read_text(), flags=re.MULTILINE)
    return {re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-") for heading in headings}


def test_each_rule_has_an_expression_a_duration_a_severity_and_a_runbook_entry():
    rules, anchors = _rules(), _anchors()
    assert {rule["alert"] for rule in rules} >= {
        "ServiceDown", "ConsumerStalled", "OutboxBehind", "DeadLettersGrowing", "MailsFailing", "TimersOverdue",
    }  # fmt: skip
    for rule in rules:
        assert rule["expr"] and re.fullmatch(r"\d+[smh]", rule["for"]), rule["alert"]
        assert rule["labels"]["severity"] in ("page", "ticket"), rule["alert"]
        document, _, anchor = rule["annotations"]["runbook"].partition("#")
        assert document == "RUNBOOK.md" and anchor in anchors, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]


def test_rules_read_only_metrics_the_services_serve():
    served = set(METRICS) | {"together_http_requests_total", "together_http_request_duration_seconds"}
    for rule in _rules():
        names = set(re.findall(r"\b(together_[a-z_]+)", rule["expr"]))
        assert names <= served, (rule["alert"], names - served)


def test_each_rule_is_tested():
    tests = yaml.safe_load((RULES_DIR / "alerts.test.yml").read_text())["tests"]
    tested = {case["alertname"] for test in tests for case in test["alert_rule_test"] if case["exp_alerts"]}
    assert tested == {rule["alert"] for rule in _rules()}


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL.exists(), f"no promtool at {PROMTOOL}: build it with `make promtool` (Go), or set PROMTOOL"
    return subprocess.run([str(PROMTOOL), *args], cwd=RULES_DIR, capture_output=True, text=True, timeout=120)


def test_promtool_checks_the_rules():
    checked = _promtool("check", "rules", "alerts.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(_rules())} rules found" in checked.stdout


def test_promtool_runs_the_rule_tests():
    tested = _promtool("test", "rules", "alerts.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def test_promtool_checks_the_example_scrape_configuration():
    checked = _promtool("check", "config", "prometheus.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
