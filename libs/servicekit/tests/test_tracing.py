"""Which OTEL_* settings turn tracing on, and which are refused."""

from __future__ import annotations

import pytest

from together_servicekit.tracing import ConfigurationError, requested_exporter


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
