"""AMI ingest benchmark: our framing + normaliser vs stock panoramisk 1.4's protocol, same stream.

Builds a large stream by repeating the recorded transcripts (tests/fixtures/ami/*.ami) with the
Uniqueids/Linkedids renumbered per copy so every call is distinct, then feeds it in 64 KiB reads
(like TCP reads) through:

1. ours: ``AmiParser.feed`` + ``normalise`` of every message (a real CallTable, typed events out);
2. ours, framing only;
3. panoramisk: ``AMIProtocol.data_received`` (decode, split, ``Message.from_line``, dispatch to a
   counting factory): framing and parsing only, no normalisation.

Single process, single core, one run. Prints AMI messages/s for each and the ratio.
Goal: >= 100k messages/s through ours, >= 2x panoramisk.

    .venv/bin/python bench/ami_ingest.py [--copies 400] [--chunk 65536] [--rounds 3]
"""

from __future__ import annotations

import argparse
import gc
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cti.ami.calltable import CallTable  # noqa: E402
from cti.ami.framing import AmiParser  # noqa: E402
from cti.ami.normaliser import normalise  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "ami"
_IDS = re.compile(rb"^((?:Dest)?(?:Uniqueid|Linkedid|ChannelId): )([^\r\n]+)", re.MULTILINE)
_BANNER = b"Asterisk Call Manager/11.0.0\r\n"


def build_stream(copies: int) -> tuple[bytes, int]:
    """The fixtures' bodies (banner stripped) repeated ``copies`` times with distinct call ids."""
    bodies = []
    for path in sorted(FIXTURES.glob("*.ami")):
        raw = path.read_bytes()
        if raw.startswith(b"Asterisk Call Manager/"):
            raw = raw.split(b"\n", 1)[1]
        bodies.append(raw.rstrip(b"\r\n") + b"\r\n\r\n")
    body = b"".join(bodies)
    parts = [_BANNER]
    for i in range(copies):
        parts.append(_IDS.sub(rb"\g<1>\g<2>-%d" % i, body))
    data = b"".join(parts)
    messages = len(AmiParser().feed(data)) - 1  # minus the banner
    return data, messages


def chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def run_ours(reads: list[bytes]) -> tuple[int, int]:
    parser, table = AmiParser(), CallTable()
    feed = parser.feed
    n_msgs = n_events = 0
    for read in reads:
        for msg in feed(read):
            n_msgs += 1
            n_events += len(normalise(table, msg, "pbx1"))
    return n_msgs - 1, n_events


def run_ours_framing(reads: list[bytes]) -> tuple[int, int]:
    parser = AmiParser()
    n = 0
    for read in reads:
        n += len(parser.feed(read))
    return n - 1, 0


def run_ours_full_parse(reads: list[bytes]) -> tuple[int, int]:
    """Framing + parsing every header of every message (what panoramisk does for each one)."""
    parser = AmiParser()
    n = 0
    for read in reads:
        for msg in parser.feed(read):
            n += 1
            msg.headers  # noqa: B018 - forces the parse
    return n - 1, 0


class _Transport:
    def write(self, data: bytes) -> None:  # pragma: no cover - nothing is sent
        pass

    def close(self) -> None:  # pragma: no cover
        pass


class _Factory:
    """What AMIProtocol expects of panoramisk's Manager: dispatch() and a few attributes."""

    save_stream = None
    forgetable_actions: tuple[str, ...] = ()
    awaiting_actions: list[Any] = []

    def __init__(self) -> None:
        self.count = 0

    def dispatch(self, message: Any) -> None:
        self.count += 1

    def connection_lost(self, exc: Any) -> None:  # pragma: no cover
        pass


def run_panoramisk(reads: list[bytes]) -> tuple[int, int]:
    import logging

    from panoramisk.ami_protocol import AMIProtocol

    proto = AMIProtocol()
    proto.connection_made(_Transport())
    factory = _Factory()
    proto.factory = factory
    proto.encoding = "utf-8"
    proto.log = logging.getLogger("bench.panoramisk")
    proto.log.setLevel(logging.WARNING)
    for read in reads:
        proto.data_received(read)
    # responses (login, QueueAdd, ...) do not reach dispatch: count them as parsed too
    return factory.count, 0


def best_time(
    fn: Callable[[list[bytes]], tuple[int, int]], reads: list[bytes], rounds: int
) -> tuple[float, int, int]:
    """Best wall time of ``rounds`` runs, and the run's (messages, events) counts."""
    best = float("inf")
    count = events = 0
    for _ in range(rounds):
        gc.collect()
        t0 = time.perf_counter()
        count, events = fn(reads)
        best = min(best, time.perf_counter() - t0)
    return best, count, events


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--copies", type=int, default=400)
    ap.add_argument("--chunk", type=int, default=65536)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    data, messages = build_stream(args.copies)
    reads = chunks(data, args.chunk)
    print(f"stream: {len(data) / 1e6:.1f} MB, {messages} AMI messages, {len(reads)} reads of {args.chunk} B")

    t_ours, n_ours, n_events = best_time(run_ours, reads, args.rounds)
    t_framing, _, _ = best_time(run_ours_framing, reads, args.rounds)
    t_full, _, _ = best_time(run_ours_full_parse, reads, args.rounds)
    t_pano, n_pano, _ = best_time(run_panoramisk, reads, args.rounds)
    assert n_ours == messages, (n_ours, messages)
    # every rate is the same stream's message count over the time taken to get through it
    ours, framing, pano = messages / t_ours, messages / t_framing, messages / t_pano
    full = messages / t_full
    print(f"ours, framing + normaliser:        {ours:>10,.0f} msg/s  ({n_events} typed events out)")
    print(f"ours, framing only (lazy parse):   {framing:>10,.0f} msg/s")
    print(f"ours, framing + parse every field: {full:>10,.0f} msg/s  (same work as panoramisk)")
    print(f"panoramisk 1.4 AMIProtocol:        {pano:>10,.0f} msg/s  ({n_pano} dispatched events)")
    print(f"ratio ours(full) / panoramisk: {ours / pano:.2f}x   goal >= 100,000 msg/s and >= 2x")


if __name__ == "__main__":
    main()
