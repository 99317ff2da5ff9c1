"""Sign-in flood benchmark: a normal request's latency while many clients send wrong passwords.

A ``switchboard serve`` process (SQLite, one worker) on a loopback port. The parent first measures
``GET /api/auth/me`` (a signed-in agent's everyday request) alone, then while ``--clients`` loops
post wrong passwords as fast as they are answered, and prints the median and p95 of the normal
request in both phases, with how the flood was answered (401 wrong password, 429 refused early).

``--spread`` gives every flood request its own client address (``X-Forwarded-For``, which uvicorn
trusts from 127.0.0.1) and username, as a distributed attack would: the per-address and per-account
limits then never trigger, and only argon2's bounded pool protects the rest of the server.

    .venv/bin/python bench/login_flood.py [--clients 16] [--seconds 10] [--spread]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _cli(env: dict[str, str], *args: str) -> subprocess.Popen[bytes] | None:
    cmd = [sys.executable, "-m", "agent_ui.cli", *args]
    if args[0] == "serve":
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    return None


async def _normal(client: httpx.AsyncClient, token: str, seconds: float) -> list[float]:
    """``GET /api/auth/me`` one after another for ``seconds``: each latency in ms."""
    times: list[float] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        start = time.perf_counter()
        r = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        times.append((time.perf_counter() - start) * 1000)
    return times


async def _flood(client: httpx.AsyncClient, n: int, spread: bool, stop: asyncio.Event, seen: Counter[int]) -> None:
    i = 0
    while not stop.is_set():
        i += 1
        headers = {"X-Forwarded-For": f"10.{n}.{i // 250 % 250}.{i % 250 + 1}"} if spread else {}
        username = f"guess{n}-{i}" if spread else "agent1"
        r = await client.post("/api/auth/login", json={"username": username, "password": "wrong-pass"},
                              headers=headers)
        seen[r.status_code] += 1


def _figures(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[int(len(ordered) * 0.95) - 1] if len(ordered) >= 20 else ordered[-1]
    return f"median {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms   ({len(ordered)} requests)"


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "SWITCHBOARD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/bench.db",
               "SWITCHBOARD_SECRET_KEY": "b" * 40, "SWITCHBOARD_ATTACHMENTS_DIR": f"{tmp}/att",
               "SWITCHBOARD_DIALER__ENABLED": "false"}
        env.pop("SWITCHBOARD_REDIS_URL", None)
        _cli(env, "db", "upgrade")
        _cli(env, "user", "create", "agent1", "--role", "agent", "--password", "agent1-pass")
        port = _port()
        server = _cli(env, "serve", "--host", "127.0.0.1", "--port", str(port))
        assert server is not None
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30,
                                         limits=httpx.Limits(max_connections=args.clients + 4)) as client:
                for _ in range(200):
                    try:
                        if (await client.get("/api/health")).status_code == 200:
                            break
                    except httpx.TransportError:
                        await asyncio.sleep(0.1)
                login = await client.post("/api/auth/login", json={"username": "agent1", "password": "agent1-pass"})
                token = login.json()["token"]
                quiet = await _normal(client, token, args.seconds)
                stop, seen = asyncio.Event(), Counter[int]()
                flood = [asyncio.create_task(_flood(client, n, args.spread, stop, seen)) for n in range(args.clients)]
                await asyncio.sleep(1.0)  # let the flood start
                loaded = await _normal(client, token, args.seconds)
                stop.set()
                await asyncio.gather(*flood)
        finally:
            server.terminate()
            server.wait(10)
    print(f"alone:                      {_figures(quiet)}")
    print(f"{args.clients} clients flooding sign-in: {_figures(loaded)}")
    print(f"flood answers: {dict(sorted(seen.items()))} ({'spread' if args.spread else 'one address, one account'})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--spread", action="store_true", help="a new address and username per request")
    asyncio.run(main(parser.parse_args()))
