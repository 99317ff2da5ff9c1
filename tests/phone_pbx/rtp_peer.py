"""The customer's audio in the browser-phone tests: an asyncio UDP RTP peer on 127.0.0.1.

sipp signals (its SDP names this peer's port); the peer plays a PCMU tone every 20 ms to wherever
Asterisk's RTP comes from (symmetric, learned from the first packet) and records every packet that
arrives with its arrival time, so a test can say what the customer hears (Goertzel power of a
frequency in the decoded PCMU) and which RFC 4733 digits reached it.
"""

from __future__ import annotations

import asyncio
import math
import struct
import time
from dataclasses import dataclass, field

RATE = 8000
FRAME = 160  # 20 ms of PCMU
PT_PCMU = 0


def _ulaw_to_linear(b: int) -> int:
    b = ~b & 0xFF
    sign, exponent, mantissa = b & 0x80, (b >> 4) & 0x07, b & 0x0F
    sample = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return -sample if sign else sample


ULAW = [_ulaw_to_linear(i) for i in range(256)]


def linear_to_ulaw(sample: int) -> int:
    bias, clip = 0x84, 32635
    sign = 0x80 if sample < 0 else 0
    sample = min(abs(sample), clip) + bias
    exponent, mask = 7, 0x4000
    while exponent > 0 and not sample & mask:
        exponent -= 1
        mask >>= 1
    mantissa = (sample >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def goertzel(samples: list[int], freq: float) -> float:
    """Relative power of ``freq`` in ``samples`` (normalised by length and full scale)."""
    if not samples:
        return 0.0
    k = 2 * math.cos(2 * math.pi * freq / RATE)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + k * s1 - s2, s1
    return (s1 * s1 + s2 * s2 - k * s1 * s2) / (len(samples) ** 2 * 32768.0 ** 2)


@dataclass
class Packet:
    t: float
    pt: int
    seq: int
    payload: bytes


@dataclass
class RtpPeer(asyncio.DatagramProtocol):
    tone_hz: float = 700.0
    packets: list[Packet] = field(default_factory=list)
    remote: tuple[str, int] | None = None

    def __post_init__(self) -> None:
        self._transport: asyncio.DatagramTransport | None = None
        self._sender: asyncio.Task[None] | None = None
        self.port = 0
        self.sent = 0

    async def start(self) -> RtpPeer:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(lambda: self, local_addr=("127.0.0.1", 0))
        self._transport = transport
        self.port = transport.get_extra_info("sockname")[1]
        return self

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if len(data) < 12 or data[0] >> 6 != 2:
            return
        self.packets.append(Packet(time.time(), data[1] & 0x7F, struct.unpack("!H", data[2:4])[0], data[12:]))
        if self.remote is None:
            self.remote = addr
            self._sender = asyncio.get_running_loop().create_task(self._send_tone())

    async def _send_tone(self) -> None:
        seq, stamp, n = 0, 0, 0
        start = time.monotonic()
        while self._transport is not None and self.remote is not None:
            payload = bytes(linear_to_ulaw(int(9000 * math.sin(2 * math.pi * self.tone_hz * (n + i) / RATE)))
                            for i in range(FRAME))
            header = struct.pack("!BBHII", 0x80, PT_PCMU, seq & 0xFFFF, stamp & 0xFFFFFFFF, 0x5EC0FFEE)
            self._transport.sendto(header + payload, self.remote)
            self.sent += 1
            seq, stamp, n = seq + 1, stamp + FRAME, n + FRAME
            await asyncio.sleep(max(0.0, start + self.sent * 0.02 - time.monotonic()))

    def close(self) -> None:
        if self._sender is not None:
            self._sender.cancel()
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    # -- what the customer heard -------------------------------------------------------------------
    def since(self, t0: float, t1: float | None = None, pt: int | None = None) -> list[Packet]:
        return [p for p in self.packets if p.t >= t0 and (t1 is None or p.t < t1) and (pt is None or p.pt == pt)]

    def power(self, freq: float, t0: float, t1: float) -> float:
        """Mean Goertzel power (x 1e4) of ``freq`` over the PCMU packets of [t0, t1)."""
        packets = self.since(t0, t1, PT_PCMU)
        if not packets:
            return 0.0
        step = max(1, len(packets) // 40)
        powers = [goertzel([ULAW[b] for b in p.payload], freq) for p in packets[::step]]
        return round(1e4 * sum(powers) / len(powers), 3)

    def digits(self, t0: float, pt: int = 101) -> set[int]:
        """RFC 4733 event codes (0-9, 10 = *, 11 = #) whose end packet arrived since ``t0``."""
        return {p.payload[0] for p in self.since(t0, pt=pt) if len(p.payload) >= 4 and p.payload[1] & 0x80}
