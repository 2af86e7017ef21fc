"""The published event catalogue, generated from the code, and its compatibility rule.

    python -m together_operator.catalogue write   # (= make catalogue) regenerate docs/asyncapi.json and docs/schemas/
    python -m together_operator.catalogue check   # fail if they differ from the code, or if the
                                                  # code breaks a published event version

The catalogue is an AsyncAPI 3 document of every topic and event, and one JSON
Schema per event version (the CloudEvents envelope with its `data`). What is
committed under docs/ is what subscribers rely on, so it is the baseline:
`write` refuses to overwrite a published version with a breaking change.

Breaking, for a subscriber (a new major version is needed instead): a field removed;
a field's type, format or allowed values changed; a field newly required (also an
optional field becoming required); an event version removed.
Compatible: an optional field added; a description changed.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import together_contracts  # noqa: F401 - registers every contract
from together_contracts.privacy import privacy_of
from together_contracts.topics import SERVICES, declared_topics
from together_events.registry import Event, registered_types
from together_events.topics import Topic, namespace

DOCS = Path(__file__).resolve().parents[3] / "docs"
ASYNCAPI_FILE = "asyncapi.json"
CATALOGUE_MD = "catalogue.md"
SCHEMA_DIR = "schemas"
KAFKA_BINDING = "0.5.0"

CE_HEADERS = {
    "ce_specversion": "CloudEvents version, 1.0",
    "ce_id": "event id: the deduplication key",
    "ce_source": "the publishing service, /together/<service>",
    "ce_type": "event type with its major version",
    "ce_subject": "aggregate id (also the record key)",
    "ce_time": "when the fact happened (RFC 3339, UTC)",
    "ce_aggregatetype": "the aggregate's kind",
    "ce_sequence": "position in the aggregate's history, from 1",
    "ce_correlationid": "shared by everything one request caused",
    "ce_causationid": "id of the event that caused this one (absent when a request did)",
    "content-type": "application/cloudevents+json",
}


def project_events() -> dict[str, type[Event]]:
    """The contracts of the project's services (not test-only events), by type."""
    return {t: m for t, m in sorted(registered_types().items()) if m.service in SERVICES}


def event_schema(model: type[Event]) -> dict[str, Any]:
    """JSON Schema of one event version: the envelope, with `data` the event's fields."""
    data = model.model_json_schema()
    definitions = data.pop("$defs", {})
    _mark_privacy(model.__name__, data, definitions)
    for name, definition in definitions.items():
        _mark_privacy(name, definition, definitions)
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://together.example.org/schemas/{model.event_type()}.json",
        "title": model.event_type(),
        "description": inspect.cleandoc(model.__doc__ or "") or f"{model.__name__}, version {model.version}.",
        "type": "object",
        "required": [
            "specversion",
            "id",
            "source",
            "type",
            "subject",
            "time",
            "datacontenttype",
            "aggregatetype",
            "sequence",
            "correlationid",
            "data",
        ],
        "properties": {
            "specversion": {"const": "1.0"},
            "id": {"type": "string", "minLength": 1},
            "source": {"const": f"/together/{model.service}"},
            "type": {"const": model.event_type()},
            "subject": {"type": "string", "description": f"the {model.aggregate} id, also the Kafka record key"},
            "time": {"type": "string", "format": "date-time"},
            "datacontenttype": {"const": "application/json"},
            "aggregatetype": {"const": model.aggregate},
            "sequence": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
            "correlationid": {"type": "string"},
            "causationid": {"type": ["string", "null"]},
            "data": data,
        },
    }
    if definitions:
        schema["$defs"] = definitions  # pydantic's '#/$defs/...' references resolve from the root
    return schema


def _mark_privacy(model: str, schema: dict[str, Any], definitions: dict[str, Any]) -> None:
    """`x-privacy` on each property: public, pseudonymous, personal or free text (together_contracts.privacy).
    A property holding objects has none: their own properties carry theirs."""
    for name, prop in schema.get("properties", {}).items():
        if not _objects_in(prop, definitions):
            prop["x-privacy"] = privacy_of(model, name).value


def asyncapi() -> dict[str, Any]:
    events = project_events()
    topics = {t.name: t for t in declared_topics(prefix="")}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for service in SERVICES:
        name = f"together.{service}"
        topic = topics[name]
        own = {t: m for t, m in events.items() if m.service == service}
        channels[name] = {
            "address": name,
            "description": f"{topic.purpose.capitalize()}. Prefixed by TOGETHER_TOPIC_NAMESPACE where a deployment sets "
            f"one. Privacy: {topic.privacy} Who may read: {who_may_read(topic)}",
            "messages": {t: {"$ref": f"#/components/messages/{t}"} for t in own},
            "bindings": {
                "kafka": {
                    "topic": name,
                    "partitions": topic.partitions,
                    "replicas": 1,
                    "topicConfiguration": {"retention.ms": int(topic.config["retention.ms"]), "cleanup.policy": ["delete"]},
                    "bindingVersion": KAFKA_BINDING,
                }
            },
        }
        if own:
            operations[f"{service}.publishes"] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{name}"},
                "summary": f"the {service} service publishes its events",
                "messages": [{"$ref": f"#/channels/{name}/messages/{t}"} for t in own],
            }
        for event_type, model in own.items():
            messages[event_type] = {
                "name": model.__name__,
                "title": f"{model.__name__} v{model.version}",
                "summary": (inspect.cleandoc(model.__doc__ or "").splitlines() or [model.__name__])[0],
                "contentType": "application/cloudevents+json",
                "headers": {
                    "type": "object",
                    "properties": {h: {"type": "string", "description": d} for h, d in CE_HEADERS.items()},
                },
                "payload": {"$ref": f"{SCHEMA_DIR}/{event_type}.json"},
                "bindings": {
                    "kafka": {
                        "key": {"type": "string", "description": f"the {model.aggregate} id ({model.aggregate}_id)"},
                        "bindingVersion": KAFKA_BINDING,
                    }
                },
            }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Together events",
            "version": "1.0.0",
            "description": "Every event of the Together platform: CloudEvents 1.0 in structured mode on Kafka, "
            "keyed by aggregate id. Generated from the code by `make catalogue`; "
            "see docs/subscribers.md.",
        },
        "defaultContentType": "application/cloudevents+json",
        "servers": {
            "local": {
                "host": "127.0.0.1:19092",
                "protocol": "kafka-secure",
                "description": "the stack `make demo` starts: TLS (its development CA) and a SCRAM-SHA-512 login",
                "security": [{"$ref": "#/components/securitySchemes/scram"}],
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": messages,
            "securitySchemes": {
                "scram": {
                    "type": "scramSha512",
                    "description": "a principal per client; the broker's ACLs say what it may read (docs/subscribers.md)",
                }
            },
        },
    }


def who_may_read(topic: Topic) -> str:
    """The topic's readers as the broker's ACLs grant them (together_operator.access)."""
    public = (
        "public: other organisations' systems may subscribe with a subscriber login (docs/subscribers.md)."
        if topic.public
        else "not public: a subscriber of another organisation is refused."
    )
    consumers = ", ".join(topic.readers) or "none"
    return f"{public[0].upper()}{public[1:]} The services that consume it: {consumers}; and the operators."


def markdown() -> str:
    """The catalogue for people: per topic, its privacy contract and each event's fields."""
    events = project_events()
    lines = [
        "# Event catalogue",
        "",
        "Generated from the code by `make catalogue`: do not edit by hand.",
        "How to read and subscribe: [subscribers.md](subscribers.md). Machine-readable: [asyncapi.json](asyncapi.json)",
        "and one JSON Schema per event version in [schemas/](schemas/).",
        "",
        "Each field's **data** column (`x-privacy` in the schemas) says what it tells about people: *public* (a fact of",
        "the programme), *pseudonymous* (an id standing for a person), *personal* (what describes a person) or *free",
        "text* (a person's own words); see [ADR 0008](adr/0008-personal-data-in-events.md).",
        "",
    ]
    for topic in declared_topics(prefix=""):
        if topic.name.endswith(".dlq"):
            continue
        lines += [f"## `{topic.name}`", "", f"{topic.purpose.capitalize()}; {topic.partitions} partitions; kept forever.", ""]
        lines += [f"**Privacy.** {topic.privacy}", "", f"**Who may read.** {who_may_read(topic)}", ""]
        for event_type, model in events.items():
            if f"together.{model.service}" != topic.name:
                continue
            summary = " ".join(inspect.cleandoc(model.__doc__ or "").split()) or f"{model.__name__}."
            lines += [
                f"### {model.__name__} v{model.version}",
                "",
                f"`{event_type}`, key and subject: `{model.aggregate}_id`. {summary}",
                "",
            ]
            lines += ["| field | type | required | data | description |", "| --- | --- | --- | --- | --- |"]
            lines += _field_rows(model)
            lines.append("")
    lines += [
        "## Dead-letter topics `together.<service>.dlq`",
        "",
        "One partition each, kept forever. " + next(t.privacy for t in declared_topics(prefix="") if t.name.endswith(".dlq")).replace(
            "together.registration", "the source topic"),
        "",
    ]  # fmt: skip
    return "\n".join(lines)


def _field_rows(model: type[Event]) -> list[str]:
    schema = model.model_json_schema()
    return _rows(model.__name__, schema, schema.get("$defs", {}), "")


def _rows(model: str, schema: dict[str, Any], definitions: dict[str, Any], path: str) -> list[str]:
    """One row per field, then one per field of an object it holds (`profile.display_name`)."""
    required = set(schema.get("required", []))
    rows = []
    for name, prop in schema["properties"].items():
        nested = _objects_in(prop, definitions)
        privacy = "per field" if nested else privacy_of(model, name).value
        rows.append(
            f"| `{path}{name}` | {_type_of(prop, definitions)} | {'yes' if name in required else 'no'} "
            f"| {privacy} | {prop.get('description', '')} |"
        )
        for inner in nested:
            rows += _rows(inner, definitions[inner], definitions, f"{path}{name}.")
    return rows


def _objects_in(prop: dict[str, Any], definitions: dict[str, Any]) -> list[str]:
    """The names of the object definitions a property holds, directly or in a list, map or option."""
    if "$ref" in prop:
        name = prop["$ref"].removeprefix("#/$defs/")
        return [name] if "properties" in definitions[name] else []  # an enum is no object
    found: list[str] = []
    for inner in [*prop.get("anyOf", []), prop.get("items"), prop.get("additionalProperties")]:
        if isinstance(inner, dict):
            found += _objects_in(inner, definitions)
    return found


def _type_of(prop: dict[str, Any], definitions: dict[str, Any]) -> str:
    if "$ref" in prop:
        target = definitions[prop["$ref"].removeprefix("#/$defs/")]
        if "enum" in target:
            return " or ".join(f"`{v}`" for v in target["enum"])
        return f"object ({', '.join(f'`{k}`' for k in target.get('properties', {}))})"
    if "anyOf" in prop:
        return " or ".join(_type_of(p, definitions) for p in prop["anyOf"])
    if prop.get("type") == "array":
        return f"list of {_type_of(prop.get('items', {}), definitions)}"
    kind: str = prop.get("format") or prop.get("type", "any")
    bounds = [f"{k} {prop[k]}" for k in ("minimum", "maximum", "minItems", "maxItems") if k in prop]
    return kind + (f" ({', '.join(bounds)})" if bounds else "")


def rendered() -> dict[str, str]:
    """Every catalogue file, path relative to docs/ -> its text."""
    files = {ASYNCAPI_FILE: _dump(asyncapi()), CATALOGUE_MD: markdown()}
    for event_type, model in project_events().items():
        files[f"{SCHEMA_DIR}/{event_type}.json"] = _dump(event_schema(model))
    return files


def _dump(document: Any) -> str:
    return json.dumps(document, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


# --- compatibility ---------------------------------------------------------------------


def breaking_changes(published: dict[str, Any], current: dict[str, Any], where: str = "data") -> list[str]:
    """What in `current` would break a subscriber of `published` (two JSON Schemas of `data`)."""
    problems: list[str] = []
    old_props, new_props = published.get("properties", {}), current.get("properties", {})
    old_required, new_required = set(published.get("required", [])), set(current.get("required", []))
    for name, old in old_props.items():
        if name not in new_props:
            problems.append(f"{where}.{name}: removed")
            continue
        problems.extend(_retyped(old, new_props[name], f"{where}.{name}"))
    for name in sorted(new_required - old_required):
        problems.append(f"{where}.{name}: newly required")
    return problems


def _retyped(old: dict[str, Any], new: dict[str, Any], where: str) -> list[str]:
    problems = []
    for facet in ("type", "format", "$ref", "const"):
        if old.get(facet) != new.get(facet):
            problems.append(f"{where}: {facet} changed from {old.get(facet)!r} to {new.get(facet)!r}")
    if old.get("enum") != new.get("enum"):
        problems.append(f"{where}: allowed values changed from {old.get('enum')} to {new.get('enum')}")
    for combinator in ("anyOf", "oneOf", "allOf"):
        old_options, new_options = old.get(combinator), new.get(combinator)
        if old_options == new_options:
            continue
        if old_options and new_options and len(old_options) == len(new_options):
            # The same alternatives, each compared in turn: e.g. a new optional field in `Model | None`.
            for i, (was, now) in enumerate(zip(old_options, new_options, strict=True)):
                problems.extend(_retyped(was, now, f"{where}.{combinator}[{i}]"))
        else:
            problems.append(f"{where}: {combinator} changed")
    if "items" in old or "items" in new:
        problems.extend(_retyped(old.get("items", {}), new.get("items", {}), f"{where}[]"))
    if old.get("type") == "object" and "properties" in old:
        problems.extend(breaking_changes(old, new, where))
    return problems


def compare(docs: Path = DOCS) -> tuple[list[str], list[str]]:
    """(breaking changes to published versions, files out of date) between the code and docs/."""
    breaking: list[str] = []
    stale: list[str] = []
    current = rendered()
    for relative, text in current.items():
        path = docs / relative
        if not path.exists() or path.read_text() != text:
            stale.append(relative)
    for path in sorted((docs / SCHEMA_DIR).glob("*.json")):
        relative = f"{SCHEMA_DIR}/{path.name}"
        if relative not in current:
            breaking.append(f"{path.stem}: a published event version was removed")
            continue
        published = json.loads(path.read_text())
        now = json.loads(current[relative])
        breaking.extend(f"{path.stem}: {problem}" for problem in breaking_changes(_with_defs(published), _with_defs(now)))
    return breaking, stale


def _with_defs(schema: dict[str, Any]) -> dict[str, Any]:
    """`data`'s schema with its $refs resolved from the document's $defs, for comparing."""
    definitions = schema.get("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node and node["$ref"].startswith("#/$defs/"):
                return resolve(definitions[node["$ref"].removeprefix("#/$defs/")])
            return {k: resolve(v) for k, v in node.items() if k not in ("title", "description")}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    data: dict[str, Any] = resolve(schema["properties"]["data"])
    return data


def write(docs: Path = DOCS) -> list[str]:
    breaking, stale = compare(docs)
    if breaking:
        raise SystemExit("refusing to overwrite published event versions with breaking changes:\n  " + "\n  ".join(breaking)
                         + "\npublish a new major version (a new model with version = N+1) instead.")  # fmt: skip
    for relative, text in rendered().items():
        path = docs / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return stale


def _lines(items: list[str]) -> Iterator[str]:
    yield from (f"  {item}" for item in items)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["write", "check"])
    parser.add_argument("--docs", type=Path, default=DOCS)
    args = parser.parse_args()
    if namespace():
        sys.exit("unset TOGETHER_TOPIC_NAMESPACE: the catalogue names the topics without a namespace")
    if args.command == "write":
        written = write(args.docs)
        print(f"catalogue written: {len(written)} file(s) changed" + "".join(f"\n  {w}" for w in written))
        return
    breaking, stale = compare(args.docs)
    for line in ["breaking changes to published versions:", *_lines(breaking)] if breaking else []:
        print(line)
    for line in ["out of date (run: make catalogue):", *_lines(stale)] if stale else []:
        print(line)
    sys.exit(1 if breaking or stale else 0)


if __name__ == "__main__":
    main()
