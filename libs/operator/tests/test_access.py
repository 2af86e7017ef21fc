"""The broker's ACLs follow the catalogue, and the catalogue follows the code: what each service's
consumer subscribes to is what `together_contracts.topics.CONSUMES` declares."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import create_async_engine

from together_contracts.topics import CONSUMES, PUBLIC, SERVICES
from together_operator.access import Acl, Operation, Pattern, Resource, declared_acls, service_acls, subscriber_acls
from together_operator.rebuild import ReplayRuntime, rebuildable, spec_for


def test_each_service_consumes_exactly_the_topics_declared_for_it():
    engine = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")  # never connected
    subscribed = {}
    for service in rebuildable():  # every service with a consumer declares its rebuild: its handlers
        spec = spec_for(service)
        handlers = spec.handlers(ReplayRuntime(engine, source=f"/together/{service}", settings=spec.settings()))
        subscribed[service] = {model.service for model in handlers}
    assert subscribed == {service: set(sources) for service, sources in CONSUMES.items() if sources}


def test_a_service_writes_its_own_topic_and_the_dead_letters_of_its_sources_and_reads_its_sources_in_its_group():
    acls = service_acls("ns.")
    assert Acl("pairing", Operation.WRITE, Resource.TOPIC, "ns.together.pairing") in acls
    assert Acl("pairing", Operation.WRITE, Resource.TOPIC, "ns.together.matching.dlq") in acls
    assert Acl("pairing", Operation.READ, Resource.TOPIC, "ns.together.matching") in acls
    assert Acl("pairing", Operation.READ, Resource.GROUP, "ns.pairing") in acls
    mine = {(acl.operation, acl.name) for acl in acls if acl.principal == "pairing"}
    assert mine == {
        (Operation.WRITE, "ns.together.pairing"),
        (Operation.WRITE, "ns.together.registration.dlq"),
        (Operation.WRITE, "ns.together.matching.dlq"),
        (Operation.READ, "ns.together.registration"),
        (Operation.READ, "ns.together.matching"),
        (Operation.READ, "ns.pairing"),
    }
    registration = {(acl.operation, acl.name) for acl in acls if acl.principal == "registration"}
    assert registration == {  # its outcomes report reads pairing's and scheduling's events
        (Operation.WRITE, "ns.together.registration"),
        (Operation.WRITE, "ns.together.pairing.dlq"),
        (Operation.WRITE, "ns.together.scheduling.dlq"),
        (Operation.READ, "ns.together.pairing"),
        (Operation.READ, "ns.together.scheduling"),
        (Operation.READ, "ns.registration"),
    }


def test_a_subscriber_reads_the_public_topics_only_in_groups_named_after_it():
    acls = subscriber_acls("hr-system", "")
    assert {acl.name for acl in acls if acl.resource is Resource.TOPIC} == {f"together.{service}" for service in PUBLIC}
    assert Acl("hr-system", Operation.READ, Resource.GROUP, "hr-system", Pattern.PREFIXED) in acls
    assert all(acl.operation is Operation.READ for acl in acls)


def test_nobody_but_operators_reads_a_dead_letter_topic():
    readers = {
        acl.principal
        for acl in declared_acls("", subscribers=["hr-system"])
        if acl.name.endswith(".dlq") and acl.operation is Operation.READ
    }
    assert readers == {"operator"}
    assert set(SERVICES) >= {acl.principal for acl in declared_acls("") if acl.operation is Operation.WRITE}
