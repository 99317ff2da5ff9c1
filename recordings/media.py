"""Facts about a finished recording file (pure I/O helpers, no state)."""

from __future__ import annotations

import asyncio
import contextlib
import time
import wave
from pathlib import Path


def wav_duration_ms(path: Path) -> int | None:
    """The WAV's length in milliseconds (None when it is not a readable WAV)."""
    try:
        with wave.open(str(path), "rb") as audio:
            rate = audio.getframerate()
            return round(audio.getnframes() * 1000 / rate) if rate else None
    except (wave.Error, EOFError, OSError):
        return None


async def wait_until_closed(path: Path, *, timeout: float, settle: float = 0.5) -> bool:
    """True once ``path`` exists and its size has not changed for ``settle`` s (the PBX closes the
    file a moment after the call hangs up); False if that did not happen within ``timeout`` s."""
    deadline = time.monotonic() + timeout
    last: tuple[int, float] | None = None
    stable_since = 0.0
    while time.monotonic() < deadline:
        with contextlib.suppress(FileNotFoundError):
            st = await asyncio.to_thread(path.stat)
            now = (st.st_size, st.st_mtime)
            if now != last:
                last, stable_since = now, time.monotonic()
            elif st.st_size > 0 and time.monotonic() - stable_since >= settle:
                return True
        await asyncio.sleep(0.1)
    return False
