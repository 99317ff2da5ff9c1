"""How long an SMS is and how many parts it is sent (and charged) as. Pure.

GSM-7 (3GPP TS 23.038): a text made only of the basic table and its extension table. One part
holds 160 septets; a longer text is split into parts of 153 (7 septets go to the concatenation
header). An extension character (``€ [ ] { } \\ ^ ~ |`` and form feed) is an escape plus a
septet, 2 septets, and the pair is never split across two parts.

UCS-2 as soon as one character is outside GSM-7: 70 16-bit units in one part, 67 per part after
that. A character outside the Basic Multilingual Plane (an emoji) is a surrogate pair, 2 units,
never split across two parts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

LIMITS: dict[Encoding, tuple[int, int]] = {"GSM-7": (160, 153), "UCS-2": (70, 67)}


@dataclass(frozen=True, slots=True)
class SmsLength:
    """``characters``: the length as the network counts it (GSM-7 septets, UCS-2 16-bit units).
    ``per_segment``: what one part holds for this text (160/70 when it fits in one, else 153/67).
    ``parts``: the text of each part, as it is split."""

    text: str
    encoding: Encoding
    characters: int
    segments: int
    per_segment: int
    parts: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {"text": self.text, "encoding": self.encoding, "characters": self.characters,
                "segments": self.segments, "per_segment": self.per_segment}


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _units(text: str, encoding: Encoding) -> list[tuple[str, int]]:
    """Each character with its cost: septets (GSM-7) or UTF-16 units (UCS-2)."""
    if encoding == "GSM-7":
        return [(ch, 2 if ch in GSM7_EXTENSION else 1) for ch in text]
    return [(ch, 2 if ord(ch) > 0xFFFF else 1) for ch in text]


def measure(text: str) -> SmsLength:
    """Encoding, length, parts. An empty text is one (empty) part."""
    encoding: Encoding = "GSM-7" if is_gsm7(text) else "UCS-2"
    units = _units(text, encoding)
    total = sum(cost for _ch, cost in units)
    single, multi = LIMITS[encoding]
    if total <= single:
        return SmsLength(text, encoding, total, 1, single, (text,))
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for ch, cost in units:
        if used + cost > multi:  # an escape pair or a surrogate pair goes whole to the next part
            parts.append("".join(current))
            current, used = [], 0
        current.append(ch)
        used += cost
    parts.append("".join(current))
    return SmsLength(text, encoding, total, len(parts), multi, tuple(parts))


def segments(text: str) -> int:
    return measure(text).segments


def charged_warning(count: int) -> str | None:
    """Seed 001's warning for a text of ``count`` parts: "2 SMS: charged twice"."""
    if count <= 1:
        return None
    times = "twice" if count == 2 else f"{count} times"
    return f"{count} SMS: charged {times}"
