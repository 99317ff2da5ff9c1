"""Small WAV files for the recording tests (8 kHz 16-bit mono, like MixMonitor's)."""

from __future__ import annotations

import io
import math
import struct
import wave


def tone_wav(seconds: float = 3.0, freq: float = 440.0, rate: int = 8000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        audio.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * freq * i / rate)))
                                   for i in range(int(rate * seconds))))
    return out.getvalue()
