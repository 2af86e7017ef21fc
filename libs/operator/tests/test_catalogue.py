"""The published catalogue is generated from the code, and published versions only change compatibly."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import jsonschema_rs
import pytest

from together_contracts.pairing import RequestSent
from together_events import Envelope
from together_operator.catalogue import breaking_changes, compare, event_schema, project_events, rendered, write


def test_the_committed_catalogue_is_what_the_code_generates():
    breaking, stale = compare()
    assert breaking == []
    assert stale == [], "run: make catalogue"


def test_the_asyncapi_document_lists_every_topic_and_event():
    document = json.loads(rendered()["asyncapi.json"])
    assert document["asyncapi"] == "3.0.0"
    assert set(document["channels"]) == {
        f"together.{s}" for s in ("registration", "matching", "pairing", "scheduling", "notifications")
    }
    assert set(document["components"]["messages"]) == set(project_events())
    pairing = document["channels"]["together.pairing"]
    assert pairing["bindings"]["kafka"]["topicConfiguration"]["retention.ms"] == -1
    assert "together.pairing.RequestSent.v1" in pairing["messages"]


def _request_sent_envelope() -> dict:
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    event = RequestSent(
        request_id=uuid.uuid4(), selection_id=uuid.uuid4(), mentee_id=uuid.uuid4(), mentor_id=uuid.uuid4(),
        cohort_id=uuid.uuid4(), rank=2, reached_mentor_at=now, remind_at=now, expires_at=now,
    )  # fmt: skip
    envelope = Envelope(
        id=str(uuid.uuid4()), source="/together/pairing", type=event.event_type(), subject=event.aggregate_id(), time=now,
        aggregatetype="request", sequence=1, correlationid="c", data=event.model_dump(mode="json"),
    )  # fmt: skip
    return json.loads(envelope.to_json_bytes())


def test_a_real_event_validates_against_its_published_schema_and_a_broken_one_does_not():
    schema = event_schema(RequestSent)
    validator = jsonschema_rs.validator_for(schema, validate_formats=True)
    good = _request_sent_envelope()
    assert validator.is_valid(good)
    assert not validator.is_valid({**good, "data": {**good["data"], "rank": "first"}})
    assert not validator.is_valid({**good, "type": "together.pairing.RequestSent.v2"})


@pytest.mark.parametrize("event_type", sorted(project_events()))
def test_every_schema_is_a_valid_json_schema(event_type: str):
    jsonschema_rs.meta.validate(event_schema(project_events()[event_type]))


DATA = {
    "type": "object",
    "properties": {"rank": {"type": "integer"}, "note": {"type": "string"}},
    "required": ["rank"],
}


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        ({**DATA, "properties": {"rank": {"type": "integer"}}}, ["data.note: removed"]),
        (
            {**DATA, "properties": {**DATA["properties"], "rank": {"type": "string"}}},
            ["data.rank: type changed from 'integer' to 'string'"],
        ),
        ({**DATA, "required": ["rank", "note"]}, ["data.note: newly required"]),
        (
            {**DATA, "properties": {**DATA["properties"], "extra": {"type": "string"}}, "required": ["rank", "extra"]},
            ["data.extra: newly required"],
        ),
        ({**DATA, "properties": {**DATA["properties"], "extra": {"type": "string"}}}, []),
    ],
    ids=["removed", "retyped", "optional-becomes-required", "new-required", "new-optional-is-compatible"],
)
def test_breaking_changes_are_named(current: dict, expected: list[str]):
    assert breaking_changes(DATA, current) == expected


def _nullable_object(properties: dict, required: list[str]) -> dict:
    rules = {"type": "object", "properties": properties, "required": required}
    return {"type": "object", "properties": {"rules": {"anyOf": [rules, {"type": "null"}]}}}


def test_alternatives_are_compared_one_by_one():
    published = _nullable_object({"a": {"type": "integer"}}, ["a"])
    grown = _nullable_object({"a": {"type": "integer"}, "b": {"type": "boolean"}}, ["a"])
    assert breaking_changes(published, grown) == []  # a new optional field inside `Model | None`
    stricter = _nullable_object({"a": {"type": "integer"}, "b": {"type": "boolean"}}, ["a", "b"])
    assert breaking_changes(published, stricter) == ["data.rules.anyOf[0].b: newly required"]
    more = {"type": "object", "properties": {"rules": {"anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}]}}}
    assert breaking_changes(published, more) == ["data.rules: anyOf changed"]


def test_write_refuses_to_break_a_published_version(tmp_path: Path):
    write(tmp_path)
    published = tmp_path / "schemas" / f"{RequestSent.event_type()}.json"
    schema = json.loads(published.read_text())
    # As if the published version had a field the code has since dropped.
    schema["properties"]["data"]["properties"]["channel"] = {"type": "string"}
    published.write_text(json.dumps(schema))
    breaking, stale = compare(tmp_path)
    assert breaking == [f"{RequestSent.event_type()}: data.channel: removed"]
    assert stale == [f"schemas/{RequestSent.event_type()}.json"]
    with pytest.raises(SystemExit, match="breaking"):
        write(tmp_path)


def test_write_refuses_to_drop_a_published_version(tmp_path: Path):
    write(tmp_path)
    (tmp_path / "schemas" / "together.pairing.Retired.v1.json").write_text("{}")
    breaking, _ = compare(tmp_path)
    assert breaking == ["together.pairing.Retired.v1: a published event version was removed"]
