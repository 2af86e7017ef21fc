"""The declared topics: one per publishing service and its dead-letter topic, kept forever."""

from __future__ import annotations

from together_contracts.topics import SERVICES, declared_topics
from together_events import registered_types


def test_every_registered_event_has_a_declared_topic_and_a_dead_letter_topic():
    declared = {t.name for t in declared_topics()}
    contracts = {t: m for t, m in registered_types().items() if m.service in SERVICES}  # not other tests' events
    assert len(contracts) >= 12
    for event_type, model in contracts.items():
        assert model.topic() in declared, event_type
        assert f"{model.topic()}.dlq" in declared, event_type


def test_domain_topics_keep_everything():
    for topic in declared_topics():
        assert topic.config["retention.ms"] == "-1", topic.name


def test_a_namespace_prefixes_every_declared_topic(monkeypatch):
    monkeypatch.setenv("TOGETHER_TOPIC_NAMESPACE", "staging.")
    assert {t.name for t in declared_topics()} >= {"staging.together.pairing", "staging.together.pairing.dlq"}
