"""Which OTEL_* settings turn tracing on, which are refused, and the trace ids in log lines."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext

from together_servicekit.tracing import ConfigurationError, add_trace_ids, requested_exporter


@pytest.mark.parametrize(
    ("environ", "exporter"),
    [
        ({}, None),
        ({"OTEL_SERVICE_NAME": "pairing"}, None),  # a name alone exports nothing
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, "otlp"),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, "otlp"),
        ({"OTEL_TRACES_EXPORTER": "otlp"}, "otlp"),
        ({"OTEL_TRACES_EXPORTER": "Console"}, "console"),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, None),
    ],
)
def test_tracing_is_on_only_when_an_exporter_is_asked_for(environ, exporter):
    assert requested_exporter(environ) == exporter


def test_an_exporter_this_service_does_not_have_is_refused_by_name():
    with pytest.raises(ConfigurationError, match="OTEL_TRACES_EXPORTER must be one of otlp, console or none, not 'zipkin'"):
        requested_exporter({"OTEL_TRACES_EXPORTER": "zipkin"})


def test_a_log_line_written_inside_a_span_names_its_trace_and_span():
    context = SpanContext(trace_id=0x0AF7651916CD43DD8448EB211C80319C, span_id=0xB7AD6B7169203331, is_remote=False)
    with trace.use_span(NonRecordingSpan(context)):
        inside = add_trace_ids(None, "info", {"event": "x"})
    outside = add_trace_ids(None, "info", {"event": "y"})

    assert (inside["trace_id"], inside["span_id"]) == ("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331")
    assert "trace_id" not in outside


def run_configured(environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """configure_tracing in a process of its own (the SDK is installed once per process), then one span (flushed at exit)."""
    script = (
        "from opentelemetry import trace\n"
        "from together_servicekit.tracing import configure_tracing\n"
        "print('on' if configure_tracing('pairing') else 'off')\n"
        "with trace.get_tracer('t').start_as_current_span('a-span'): pass\n"
    )
    clean = {name: value for name, value in os.environ.items() if not name.startswith("OTEL_")}
    return subprocess.run([sys.executable, "-c", script], env=clean | environ, capture_output=True, text=True, timeout=60)


def test_with_an_exporter_asked_for_the_service_exports_its_spans_under_its_name():
    done = run_configured({"OTEL_TRACES_EXPORTER": "console"})

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("on\n")
    assert '"name": "a-span"' in done.stdout
    assert '"service.name": "pairing"' in done.stdout


def test_without_one_nothing_is_installed_and_nothing_exported():
    done = run_configured({"OTEL_SERVICE_NAME": "pairing"})

    assert done.returncode == 0, done.stderr
    assert done.stdout == "off\n"


def test_an_otlp_protocol_the_exporter_does_not_speak_is_refused_at_start():
    done = run_configured({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"})

    assert done.returncode != 0
    assert "OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf" in done.stderr
