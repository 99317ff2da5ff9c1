"""``python -m messaging.fakes --kind africastalking --port 9101 [--latency 0.05] [--mode ok]``:
serve one fake provider until interrupted (benches start it as a process of its own)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from typing import get_args

from messaging.fakes.sms import FakeSms, Mode


async def _serve(args: argparse.Namespace) -> None:
    fake = FakeSms(args.kind, api_key=args.api_key, mode=args.mode, latency=args.latency, port=args.port)
    await fake.start()
    print(f"fake {args.kind} on {fake.url}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m messaging.fakes")
    parser.add_argument("--kind", choices=["africastalking", "infobip"], required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--mode", default="ok", choices=list(get_args(Mode)))
    parser.add_argument("--api-key", default="fake-key")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
