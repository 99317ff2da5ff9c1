"""Minimal raw AMI client and recorder (plain asyncio sockets, no framework).

AmiConn keeps every byte Asterisk sends (banner included) in `raw`, so a session can be
written out verbatim as a fixture. It is also what tests/pbx/test_pbx.py uses to talk AMI.

CLI: python -m tests.pbx.record_ami --out FILE [--seconds N]
     records the live stream (login included) for N seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import time
from pathlib import Path

HOST, PORT, USER, SECRET = "127.0.0.1", 5038, "switchboard", "switchboard-test"


def parse_message(block: bytes) -> dict[str, str]:
    """One AMI message (without its blank line) -> dict (first value wins for repeats)."""
    msg: dict[str, str] = {}
    for line in block.decode(errors="replace").split("\r\n"):
        key, sep, value = line.partition(":")
        if sep and key not in msg:
            msg[key.strip()] = value.strip()
    return msg


class AmiConn:
    def __init__(self, host: str = HOST, port: int = PORT):
        self.host, self.port = host, port
        self.raw = bytearray()
        self.banner = ""
        self.messages: list[dict[str, str]] = []
        self._ids = itertools.count(1)
        self._buf = b""
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def connect(self, within: float = 5) -> str:
        self._reader, self._writer = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port), within
        )
        line = await asyncio.wait_for(self._reader.readline(), within)
        self.raw += line
        self.banner = line.decode().strip()
        return self.banner

    async def send(self, action: str, action_id: str | None = None, **fields: str) -> str:
        """Send an action; returns its ActionID. Field names are sent as given."""
        assert self._writer is not None
        action_id = action_id or f"{action.lower()}-{next(self._ids)}"
        lines = [f"Action: {action}", f"ActionID: {action_id}"]
        lines += [f"{k}: {v}" for k, v in fields.items()]
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await self._writer.drain()
        return action_id

    async def read_message(self, within: float = 5) -> dict[str, str]:
        assert self._reader is not None
        while b"\r\n\r\n" not in self._buf:
            chunk = await asyncio.wait_for(self._reader.read(65536), within)
            if not chunk:
                raise ConnectionError("AMI connection closed")
            self.raw += chunk
            self._buf += chunk
        block, self._buf = self._buf.split(b"\r\n\r\n", 1)
        msg = parse_message(block)
        self.messages.append(msg)
        return msg

    async def wait_for(self, pred, within: float = 10) -> dict[str, str]:
        """Read for at most `within` s until pred(msg); earlier messages stay in self.messages."""
        deadline = time.monotonic() + within
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no matching AMI message within timeout")
            try:
                msg = await self.read_message(left)
            except TimeoutError:
                raise TimeoutError("no matching AMI message within timeout") from None
            if pred(msg):
                return msg

    async def wait_event(self, name: str, within: float = 10, **match: str) -> dict[str, str]:
        return await self.wait_for(
            lambda m: m.get("Event") == name and all(m.get(k) == v for k, v in match.items()), within
        )

    async def action(self, action: str, within: float = 10, **fields: str) -> dict[str, str]:
        """Send an action and return its Response message."""
        aid = await self.send(action, **fields)
        return await self.wait_for(lambda m: m.get("ActionID") == aid and "Response" in m, within)

    async def login(self, user: str = USER, secret: str = SECRET, within: float = 5) -> dict[str, str]:
        aid = await self.send("Login", action_id="login-1", Username=user, Secret=secret)
        resp = await self.wait_for(lambda m: m.get("ActionID") == aid, within)
        if resp.get("Response") != "Success":
            raise PermissionError(f"AMI login failed: {resp}")
        return resp

    async def drain(self, seconds: float) -> None:
        """Keep reading (recording) for `seconds`."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                await self.read_message(left)
            except TimeoutError:
                return

    def events(self, name: str) -> list[dict[str, str]]:
        return [m for m in self.messages if m.get("Event") == name]

    async def close(self) -> None:
        if self._writer is not None:
            try:
                await self.send("Logoff")
                await asyncio.wait_for(self._reader.read(4096), 1)  # type: ignore[union-attr]
            except (OSError, TimeoutError):
                pass
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
            self._writer = None

    def save(self, path: Path | str) -> Path:
        """Write the raw bytes received so far (banner, login response, all events)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(bytes(self.raw))
        return path


async def record(out: Path, seconds: float) -> int:
    conn = AmiConn()
    await conn.connect()
    await conn.login()
    await conn.drain(seconds)
    conn.save(out)
    await conn.close()
    return len(conn.messages)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args()
    n = asyncio.run(record(args.out, min(args.seconds, 3600)))
    print(f"recorded {n} messages to {args.out}")


if __name__ == "__main__":
    main()
