"""Network faults for tests: a TCP proxy in front of a real server that can be cut and restored.

Cutting it closes every connection through it and refuses new ones, which is what a
client sees when PostgreSQL or the broker goes away; restoring it listens again on the
same port. The server behind it is never touched, so other tests sharing it carry on.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        with socket.socket() as probe:  # a free port, kept across cuts
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port, reuse_address=True)

    async def cut(self) -> None:
        """Refuse new connections and reset the open ones."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(*self._target)
        except OSError:
            client_writer.transport.abort()
            return
        self._writers |= {client_writer, server_writer}
        await asyncio.gather(self._pipe(client_reader, server_writer), self._pipe(server_reader, client_writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while chunk := await reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        writer.transport.abort()
        self._writers.discard(writer)


def proxied_url(database_url: str, proxy: TcpProxy) -> str:
    """`database_url` (postgresql+asyncpg://user:pw@host:port/db) reached through `proxy`."""
    head, _, tail = database_url.rpartition("@")
    _, _, database = tail.partition("/")
    return f"{head}@127.0.0.1:{proxy.port}/{database}"


def target_of(database_url: str) -> tuple[str, int]:
    host_port = database_url.rpartition("@")[2].partition("/")[0]
    host, _, port = host_port.rpartition(":")
    return host, int(port)
