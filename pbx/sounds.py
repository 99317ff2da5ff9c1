"""Sounds for the loopback test PBX (issue 20), written at every start by pbx/pbx.sh.

The chroot's Asterisk has no hold music and no "this call may be recorded" prompt of its own, so
the test PBX gets tones a test can recognise: hold music 523 + 659 Hz, the recording notice
880 Hz (1.5 s). Both 8 kHz 16-bit mono WAV. Standard library only (runs with any python3).

    python3 pbx/sounds.py MOH_DIR SOUNDS_DIR
"""

from __future__ import annotations

import math
import struct
import sys
import wave
from pathlib import Path

RATE = 8000
MOH_TONES = (523.0, 659.0)
NOTICE_TONE = 880.0


def write_wav(path: Path, freqs: tuple[float, ...], seconds: float, amplitude: int = 8000) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = bytearray()
    for i in range(int(RATE * seconds)):
        value = sum(math.sin(2 * math.pi * f * i / RATE) for f in freqs) / len(freqs)
        frames += struct.pack("<h", int(amplitude * value))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(bytes(frames))


def main(moh_dir: str, sounds_dir: str) -> None:
    write_wav(Path(moh_dir) / "switchboard-hold.wav", MOH_TONES, 4.0)
    write_wav(Path(sounds_dir) / "switchboard" / "recording-notice.wav", (NOTICE_TONE,), 1.5)


if __name__ == "__main__":
    main(*sys.argv[1:3])
