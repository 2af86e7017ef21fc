"""The five services as processes on a namespace of their own, as the end-to-end tests run them.

Topics of the namespace with their ACLs (each service logs in to Kafka as its own principal), a fresh
database per service owned by its role (least privilege), the launcher's processes and, at the end,
all of it removed again. A failed start prints the end of each process's log.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path

import httpx

from tests.stack import Stack
from together_contracts.topics import declared_topics
from together_devtools import launcher
from together_operator.access import declared_acls, grant, revoke_namespace
from together_operator.provision import delete_topics, ensure_topics
from together_servicekit.tokens import fetch_token


@contextlib.asynccontextmanager
async def launched(
    stack: Stack,
    create_database: Callable[..., Awaitable[str]],
    specs: tuple[launcher.ServiceSpec, ...],
    *,
    namespace: str,
    state: Path,
    env: Mapping[str, str],
) -> AsyncIterator[None]:
    """`specs`: the identity provider first, then the services; `env`: what the run adds (issuer, clock...)."""
    await ensure_topics(stack.kafka_bootstrap, declared_topics(namespace))
    await grant(stack.kafka_bootstrap, declared_acls(namespace))
    settings = {"KAFKA_BOOTSTRAP_SERVERS": stack.kafka_bootstrap, "TOGETHER_TOPIC_NAMESPACE": namespace, **env}
    for spec in specs[1:]:
        label = f"{namespace.rstrip('.')}_{spec.name}"
        settings[f"{spec.env_prefix}DATABASE_URL"] = await create_database(label, owner=spec.name)
    try:
        await asyncio.to_thread(launcher.start, specs, state=state, extra_env=settings)
        yield
    except Exception:
        for log in sorted((state / "logs").glob("*.log")):
            print(f"--- {log.name}\n" + "\n".join(log.read_text().splitlines()[-30:]))
        raise
    finally:
        await asyncio.to_thread(launcher.stop, specs, state=state)
        await delete_topics(stack.kafka_bootstrap, [t.name for t in declared_topics(namespace)])
        await revoke_namespace(stack.kafka_bootstrap, namespace)


def signing_in(identity_url: str) -> Callable[..., contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]:
    """`signed_in(subject, *roles, programmes=())`: a client that signed in at this identity provider, as
    any client would, and sends its token."""

    @contextlib.asynccontextmanager
    async def signed_in(subject: str, *roles: str, programmes: tuple[str, ...] = ()) -> AsyncIterator[httpx.AsyncClient]:
        async with httpx.AsyncClient(timeout=10) as anonymous:
            token = await fetch_token(anonymous, identity_url, subject=subject, roles=roles, programmes=programmes)
        async with httpx.AsyncClient(timeout=10, headers={"Authorization": f"Bearer {token}"}) as client:
            yield client

    return signed_in
