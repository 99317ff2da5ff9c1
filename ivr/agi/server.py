"""The thin asyncio shell of FastAGI: a TCP server, one :class:`AgiConnection` per call.

Each connection reads Asterisk's environment (bounded by ``header_timeout``), then the handler
sends commands one at a time (each reply bounded by the command's timeout or ``command_timeout``).
A connection that closes, times out or speaks nonsense is closed and logged; it never spins and
never takes the server down. The server keeps a reference to every connection task, logs each
failure and cancels the ones still running when it stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import TypeVar

from domain.errors import CarrierError, ProtocolViolation
from ivr.agi.protocol import AgiCommand, AgiEnvironment, AgiHangup, AgiParser, AgiReply

log = logging.getLogger(__name__)
T = TypeVar("T")
READ_SIZE = 4096


class AgiClosed(CarrierError):
    """Asterisk closed the FastAGI connection."""


@dataclass
class AgiStats:
    """What the server's connections did: commands, and the sound Asterisk really played
    (``STREAM FILE`` answers ``endpos``: the samples played, 8,000 a second)."""

    connections: int = 0
    commands: int = 0
    files_played: int = 0  # STREAM FILE replies with endpos above 0
    samples_played: int = 0


class AgiConnection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *,
                 command_timeout: float = 60.0, stats: AgiStats | None = None) -> None:
        self._reader, self._writer = reader, writer
        self.stats = stats or AgiStats()
        self._parser = AgiParser()
        self._pending: list[AgiReply] = []
        self.command_timeout = command_timeout
        self.hung_up = False  # Asterisk sent HANGUP
        self.environment: AgiEnvironment | None = None

    async def _read(self) -> None:
        data = await self._reader.read(READ_SIZE)
        if not data:
            raise AgiClosed("Asterisk closed the AGI connection")
        for message in self._parser.feed(data):
            if isinstance(message, AgiEnvironment):
                self.environment = message
            elif isinstance(message, AgiHangup):
                self.hung_up = True
            else:
                self._pending.append(message)

    async def read_environment(self, timeout: float) -> AgiEnvironment:
        async with asyncio.timeout(timeout):
            while self.environment is None:
                await self._read()
        return self.environment

    async def send(self, command: AgiCommand) -> AgiReply:
        if self._pending:
            raise ProtocolViolation("an AGI reply arrived before its command", {"command": command.name})
        self._writer.write(command.encode())
        await self._writer.drain()
        try:
            async with asyncio.timeout(command.timeout or self.command_timeout):
                while not self._pending:
                    await self._read()
        except TimeoutError as exc:
            raise CarrierError(f"no AGI reply to {command.name} in time", {"command": command.name}) from exc
        reply = self._pending.pop(0)
        self.stats.commands += 1
        if command.name == "STREAM FILE" and reply.endpos:
            self.stats.files_played += 1
            self.stats.samples_played += reply.endpos
        return reply

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(OSError, ConnectionError):
            await self._writer.wait_closed()


async def exchange(connection: AgiConnection, dialog: Generator[AgiCommand, AgiReply, T]) -> T:
    """Run a sans-I/O dialog (:mod:`ivr.agi.player`) on the connection; its return value."""
    try:
        command = next(dialog)
        while True:
            reply = await connection.send(command)
            command = dialog.send(reply)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


Handler = Callable[[AgiConnection, AgiEnvironment], Awaitable[None]]


class FastAgiServer:
    def __init__(self, handler: Handler, *, host: str = "127.0.0.1", port: int = 4573,
                 header_timeout: float = 5.0, command_timeout: float = 60.0) -> None:
        self._handler = handler
        self.host, self.port = host, port
        self.header_timeout, self.command_timeout = header_timeout, command_timeout
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self.stats = AgiStats()

    @property
    def active(self) -> int:
        return len(self._connections)

    async def start(self) -> int:
        """Listen; returns the port (useful with port 0)."""
        self._server = await asyncio.start_server(self._accept, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("FastAGI server listening on %s:%d", self.host, self.port)
        return self.port

    async def serve(self) -> None:
        """Supervised: listen until cancelled, then stop."""
        if self._server is None:
            await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()

    async def stop(self, grace: float = 2.0) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        tasks = list(self._connections)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=grace)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        self.stats.connections += 1
        connection = AgiConnection(reader, writer, command_timeout=self.command_timeout, stats=self.stats)
        try:
            environment = await connection.read_environment(self.header_timeout)
            await self._handler(connection, environment)
        except asyncio.CancelledError:
            raise
        except TimeoutError:
            log.warning("FastAGI: no environment from %s in %.1f s; closed", _peer(writer), self.header_timeout)
        except (AgiClosed, ConnectionError) as exc:
            log.info("FastAGI: connection from %s closed: %s", _peer(writer), exc)
        except Exception:
            log.exception("FastAGI: the connection from %s failed", _peer(writer))
        finally:
            self._connections.discard(task)
            await connection.close()


def _peer(writer: asyncio.StreamWriter) -> str:
    peer = writer.get_extra_info("peername")
    return f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else "?"
