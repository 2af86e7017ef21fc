"""The envelope, the registry and the Kafka binding, without a broker."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from opentelemetry import trace

from together_contracts.pairing import RequestSent  # a real contract to carry (the kernel's tests may use one)
from together_events import Envelope, MalformedEvent, decode
from together_events.tracing import context_of


def request_sent() -> RequestSent:
    now = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    return RequestSent(
        request_id=uuid.uuid4(),
        selection_id=uuid.uuid4(),
        mentee_id=uuid.uuid4(),
        mentor_id=uuid.uuid4(),
        cohort_id=uuid.uuid4(),
        rank=1,
        reached_mentor_at=now,
        remind_at=now,
        expires_at=now,
    )


def envelope_of(event: RequestSent, **overrides: object) -> Envelope:
    fields = dict(
        id=str(uuid.uuid4()),
        source="/together/pairing",
        type=event.event_type(),
        subject=event.aggregate_id(),
        time=datetime(2026, 11, 20, 15, 0, tzinfo=UTC),
        aggregatetype=event.aggregate,
        sequence=1,
        correlationid="corr-1",
        causationid="cause-1",
        data=event.model_dump(mode="json"),
    )
    fields.update(overrides)
    return Envelope(**fields)


def test_event_type_names_service_event_and_major_version():
    assert RequestSent.event_type() == "together.pairing.RequestSent.v1"
    assert RequestSent.topic() == "together.pairing"


def test_subject_is_the_aggregate_id():
    event = request_sent()
    assert event.aggregate_id() == str(event.request_id)


def test_round_trip_through_json_keeps_every_attribute_and_the_typed_event():
    event = request_sent()
    envelope = envelope_of(event)
    back = Envelope.from_json_bytes(envelope.to_json_bytes())
    assert back == envelope
    assert decode(back) == event


def test_structured_mode_value_is_a_cloudevent_and_headers_mirror_core_attributes():
    envelope = envelope_of(request_sent())
    document = json.loads(envelope.to_json_bytes())
    assert document["specversion"] == "1.0"
    assert document["datacontenttype"] == "application/json"
    headers = dict(envelope.kafka_headers())
    assert headers["ce_id"] == envelope.id.encode()
    assert headers["ce_type"] == b"together.pairing.RequestSent.v1"
    assert headers["ce_subject"] == envelope.subject.encode()
    assert headers["ce_sequence"] == b"1"
    assert headers["ce_correlationid"] == b"corr-1"
    assert headers["ce_causationid"] == b"cause-1"
    assert headers["content-type"] == b"application/cloudevents+json"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (None, "no value"),
        (b"", "no value"),
        (b"{not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"specversion": "1.0"}', "id: Field required"),
        (b'{"specversion": "0.3", "id": "x"}', "specversion"),
    ],
)
def test_malformed_values_are_refused_with_a_reason(raw: bytes | None, reason: str):
    with pytest.raises(MalformedEvent, match=reason):
        Envelope.from_json_bytes(raw)


def test_time_without_offset_is_refused():
    with pytest.raises(ValueError, match="UTC offset"):
        envelope_of(request_sent(), time=datetime(2026, 11, 20, 15, 0))


def test_sequence_starts_at_one():
    with pytest.raises(ValueError):
        envelope_of(request_sent(), sequence=0)


def test_data_breaking_the_contract_is_malformed():
    envelope = envelope_of(request_sent())
    broken = envelope.model_copy(update={"data": {**envelope.data, "rank": 9}})
    with pytest.raises(MalformedEvent, match="rank"):
        decode(broken)


def test_unknown_type_is_malformed():
    envelope = envelope_of(request_sent(), type="together.pairing.Nonsense.v1")
    with pytest.raises(MalformedEvent, match="unknown event type"):
        decode(envelope)


def test_registry_refuses_a_second_model_for_one_type():
    from together_events.registry import Event, register

    class RequestSent(Event):  # same name and service as the real one
        service = "pairing"
        aggregate = "request"
        request_id: uuid.UUID

    with pytest.raises(ValueError, match="registered twice"):
        register(RequestSent)


def test_a_namespace_prefixes_every_topic(monkeypatch):
    monkeypatch.setenv("TOGETHER_TOPIC_NAMESPACE", "staging.")
    assert RequestSent.topic() == "staging.together.pairing"


# The CloudEvents distributed-tracing extension

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_the_trace_context_travels_as_envelope_attributes_mirrored_in_headers():
    envelope = envelope_of(request_sent(), traceparent=TRACEPARENT, tracestate="vendor=1")

    document = json.loads(envelope.to_json_bytes())
    assert (document["traceparent"], document["tracestate"]) == (TRACEPARENT, "vendor=1")
    headers = dict(envelope.kafka_headers())
    assert headers["ce_traceparent"] == TRACEPARENT.encode()
    assert headers["ce_tracestate"] == b"vendor=1"
    assert Envelope.from_json_bytes(envelope.to_json_bytes()) == envelope


def test_an_event_without_a_trace_context_carries_no_trace_attribute_at_all():
    envelope = envelope_of(request_sent())

    assert "traceparent" not in json.loads(envelope.to_json_bytes())
    assert "traceparent" not in envelope.document()
    assert not [name for name, _ in envelope.kafka_headers() if name.startswith("ce_trace")]


def test_the_consumer_continues_the_trace_the_event_was_created_in():
    parent = trace.get_current_span(context_of(envelope_of(request_sent(), traceparent=TRACEPARENT))).get_span_context()

    assert (parent.trace_id, parent.span_id, parent.is_remote) == (0x0AF7651916CD43DD8448EB211C80319C, 0xB7AD6B7169203331, True)


def test_a_trace_context_that_is_not_w3c_is_ignored_not_fatal():
    parent = trace.get_current_span(context_of(envelope_of(request_sent(), traceparent="not-a-trace"))).get_span_context()

    assert not parent.is_valid
