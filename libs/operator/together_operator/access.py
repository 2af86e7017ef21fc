"""Who may do what on the broker: Kafka ACLs derived from the topic catalogue (`together_contracts.topics`).

| principal | may |
| --- | --- |
| each service (`User:<service>`) | write its own topic and the dead-letter topic of each topic it consumes; read the topics it consumes, in its own group `<namespace><service>` |
| `User:operator` (the `together-events` tools, auditors) | read every declared topic, dead letters included, without a group |
| a subscriber (`User:<name>`, another organisation's system) | read the public topics, in groups whose names start with its own name |

The broker denies everything else (`allow.everyone.if.no.acl.found=false`); topic creation is the
admin's. `python -m together_operator.provision` grants these after creating the topics, for the
namespace it provisions; `--subscriber <name>` grants one more subscriber.

aiokafka's admin client has no method for ACLs, but it ships the protocol's CreateAcls and DeleteAcls
requests: they are sent here through its request path, so no JVM start is spent on an ACL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from aiokafka import errors
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.protocol.admin import CreateAclsRequest, DeleteAclsRequest

from together_contracts.topics import SERVICES, declared_topics
from together_events import KafkaSecurity, kafka_options
from together_events.topics import dead_letter_topic, namespace

OPERATOR = "operator"
# The development stack's example subscriber (deploy/kafka.sh makes its credentials).
EXAMPLE_SUBSCRIBER = "subscriber"


class Resource(IntEnum):  # the protocol's codes
    ANY = 1
    TOPIC = 2
    GROUP = 3


class Pattern(IntEnum):
    ANY = 1
    LITERAL = 3
    PREFIXED = 4


class Operation(IntEnum):
    ANY = 1
    READ = 3
    WRITE = 4


ALLOW = 3
ANY_PERMISSION = 1


@dataclass(frozen=True)
class Acl:
    principal: str  # the name of a SCRAM user, e.g. "pairing"
    operation: Operation
    resource: Resource
    name: str
    pattern: Pattern = Pattern.LITERAL

    def __str__(self) -> str:
        pattern = "*" if self.pattern is Pattern.PREFIXED else ""
        return f"User:{self.principal} {self.operation.name} {self.resource.name.lower()} {self.name}{pattern}"


def service_acls(prefix: str | None = None) -> list[Acl]:
    prefix = namespace() if prefix is None else prefix
    acls: list[Acl] = []
    for topic in declared_topics(prefix):
        if topic.name.endswith(".dlq"):
            continue
        acls.append(Acl(topic.name.removeprefix(f"{prefix}together."), Operation.WRITE, Resource.TOPIC, topic.name))
        for reader in topic.readers:
            acls.append(Acl(reader, Operation.READ, Resource.TOPIC, topic.name))
            acls.append(Acl(reader, Operation.WRITE, Resource.TOPIC, dead_letter_topic(topic.name)))
    for service in SERVICES:
        if any(service in topic.readers for topic in declared_topics(prefix)):
            acls.append(Acl(service, Operation.READ, Resource.GROUP, f"{prefix}{service}"))
    return acls


def operator_acls(prefix: str | None = None, principal: str = OPERATOR) -> list[Acl]:
    return [Acl(principal, Operation.READ, Resource.TOPIC, topic.name) for topic in declared_topics(prefix)]


def subscriber_acls(principal: str, prefix: str | None = None) -> list[Acl]:
    topics = [Acl(principal, Operation.READ, Resource.TOPIC, t.name) for t in declared_topics(prefix) if t.public]
    return [*topics, Acl(principal, Operation.READ, Resource.GROUP, principal, Pattern.PREFIXED)]


def declared_acls(prefix: str | None = None, subscribers: Iterable[str] = ()) -> list[Acl]:
    """Every ACL of a namespace: the services', the operator's and the given subscribers'."""
    return [
        *service_acls(prefix),
        *operator_acls(prefix),
        *(acl for subscriber in subscribers for acl in subscriber_acls(subscriber, prefix)),
    ]


class NoAuthorizer(Exception):
    """The broker enforces no ACLs (a development broker without an authorizer)."""


async def grant(bootstrap_servers: str, acls: Iterable[Acl], security: KafkaSecurity | None = None) -> None:
    """Create `acls` (creating one that exists changes nothing). Needs an admin's login."""
    admin = AIOKafkaAdminClient(**kafka_options(bootstrap_servers, security))
    await admin.start()

    async def create(acl: Acl) -> None:
        request = CreateAclsRequest(acl.resource, acl.name, acl.pattern, f"User:{acl.principal}", "*", acl.operation, ALLOW)
        response = await admin._send_request(request)  # aiokafka has the request, not a public method
        for code, message in response.creation_responses:
            _raise_for(code, f"granting {acl}: {message}")

    try:
        await asyncio.gather(*(create(acl) for acl in acls))  # one round trip for all: each waits on the controller
    finally:
        await admin.close()


async def revoke_namespace(bootstrap_servers: str, prefix: str, security: KafkaSecurity | None = None) -> None:
    """Remove every ACL on a namespace's topics and its services' groups (e.g. a test's, when it ends)."""
    names = [(Resource.TOPIC, t.name) for t in declared_topics(prefix)] + [(Resource.GROUP, f"{prefix}{s}") for s in SERVICES]
    admin = AIOKafkaAdminClient(**kafka_options(bootstrap_servers, security))
    await admin.start()

    async def delete(resource: Resource, name: str) -> None:
        # Any principal, host, operation and permission on exactly this resource (None: any).
        request = DeleteAclsRequest(resource, name, Pattern.LITERAL, None, None, Operation.ANY, ANY_PERMISSION)
        response = await admin._send_request(request)
        for code, message, *_ in response.filter_responses:
            _raise_for(code, f"revoking the ACLs of {resource.name.lower()} {name}: {message}")

    try:
        await asyncio.gather(*(delete(resource, name) for resource, name in names))
    finally:
        await admin.close()


def _raise_for(code: int, what: str) -> None:
    if code == 0:
        return
    error = errors.for_code(code)
    if error is errors.SecurityDisabled:
        raise NoAuthorizer("the broker has no authorizer: it enforces no ACLs")
    raise error(what)
