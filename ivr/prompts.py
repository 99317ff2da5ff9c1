"""Prompts you can hear: every sound file of the menu rendered with espeak-ng, as 8 kHz WAV.

``switchboard ivr prompts --out DIR`` writes ``DIR/<lang>/<name>.wav`` for every piece of every
prompt and every word our readers use (:func:`ivr.speech.vocabulary`), in the language's
``espeak_voice``. espeak-ng speaks at 22,050 Hz; Asterisk's ``format_wav`` plays 8,000 Hz, 16-bit
mono, so the speech is resampled here (a windowed-sinc low-pass at 3.6 kHz, the telephone band).

A recorded file replaces the rendered one: ``--recorded DIR`` (default: the setting
``SWITCHBOARD_IVR__RECORDINGS_DIR``) with ``DIR/<lang>/<name>.wav`` is copied in its place (made
8 kHz mono if it is not). A manifest (``.switchboard-prompts.json``) remembers what each file was
made from, so a second run renders only what changed.
"""

from __future__ import annotations

import array
import hashlib
import json
import math
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from config.lists.ivr_menu import IvrMenu
from domain.errors import ConfigError
from ivr.speech import vocabulary

RATE = 8000
RENDERER = "espeak-ng/8k-v1"  # part of each file's fingerprint: bump it when the rendering changes
MANIFEST = ".switchboard-prompts.json"
_TAPS = 16  # half-width of the resampling filter, in input samples
_CUTOFF = 3600.0


@dataclass
class PromptReport:
    rendered: list[str] = field(default_factory=list)
    recorded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.rendered) + len(self.recorded) + len(self.unchanged)


def read_wav(path: Path) -> tuple[array.array[int], int]:
    """Mono 16-bit samples and the rate (a stereo file is mixed down)."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise ConfigError(f"{path}: only 16-bit PCM WAV files can be used", {"file": str(path)})
        channels, rate, frames = w.getnchannels(), w.getframerate(), w.readframes(w.getnframes())
    samples = array.array("h")
    samples.frombytes(frames)
    if channels > 1:
        samples = array.array("h", (sum(samples[i:i + channels]) // channels for i in range(0, len(samples), channels)))
    return samples, rate


def write_wav(path: Path, samples: array.array[int], rate: int = RATE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(".tmp")
    with wave.open(str(temp), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    temp.replace(path)


@cache
def _filter(src: int, dst: int) -> tuple[int, int, tuple[tuple[float, ...], ...]]:
    """(up, down, one row of taps per phase) for resampling ``src`` Hz to ``dst`` Hz."""
    g = math.gcd(src, dst)
    up, down = dst // g, src // g
    fc = min(_CUTOFF, dst / 2) / src  # cutoff, cycles per input sample
    rows = []
    for phase in range(up):
        frac = phase / up
        row = []
        for k in range(-_TAPS + 1, _TAPS + 1):
            t = k - frac
            sinc = 2 * fc if t == 0 else math.sin(2 * math.pi * fc * t) / (math.pi * t)
            window = 0.5 + 0.5 * math.cos(math.pi * t / _TAPS) if abs(t) < _TAPS else 0.0
            row.append(sinc * window)
        rows.append(tuple(row))
    return up, down, tuple(rows)


def resample(samples: array.array[int], src: int, dst: int = RATE) -> array.array[int]:
    if src == dst:
        return array.array("h", samples)
    up, down, rows = _filter(src, dst)
    padded = [0] * _TAPS + list(samples) + [0] * (_TAPS + 1)
    out = array.array("h")
    count = len(samples) * up // down
    for n in range(count):
        position = n * down
        base, phase = divmod(position, up)
        window = padded[base + 1: base + 1 + 2 * _TAPS]
        value = sum(map(float.__mul__, rows[phase], map(float, window)))
        out.append(max(-32768, min(32767, round(value))))
    return out


def espeak(text: str, voice: str, target: Path, program: str = "espeak-ng") -> None:
    """Speak ``text`` into ``target`` (8 kHz mono WAV)."""
    if shutil.which(program) is None:
        raise ConfigError(f"{program} is not installed (Debian package espeak-ng)", {"program": program})
    with tempfile.TemporaryDirectory(prefix="sb-prompt-") as tmp:
        raw = Path(tmp) / "speech.wav"
        try:
            subprocess.run([program, "-v", voice, "-s", "150", "-w", str(raw), text], check=True,
                           capture_output=True, timeout=60)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            raise ConfigError(f"{program} failed for voice {voice!r}: {exc}", {"voice": voice}) from exc
        samples, rate = read_wav(raw)
    write_wav(target, resample(samples, rate))


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x00".join([RENDERER, *parts]).encode()).hexdigest()[:16]


def render_prompts(menu: IvrMenu, out: Path, *, recorded: Path | None = None, jobs: int = 2,
                   speak: Callable[[str, str, Path], None] = espeak,
                   progress: Callable[[int, int], None] | None = None) -> PromptReport:
    """Write every sound file of every language of ``menu`` under ``out``; see the module doc."""
    out.mkdir(parents=True, exist_ok=True)
    manifest_path = out / MANIFEST
    try:
        manifest: dict[str, str] = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        manifest = {}
    report = PromptReport()
    work: list[tuple[str, str, str, Path]] = []
    for lang in menu.languages:
        for stem, text in vocabulary(menu, lang.code).items():
            key, target = f"{lang.code}/{stem}", out / lang.code / f"{stem}.wav"
            mine = recorded / lang.code / f"{stem}.wav" if recorded is not None else None
            if mine is not None and mine.is_file():
                samples, rate = read_wav(mine)
                write_wav(target, resample(samples, rate))
                manifest[key] = _fingerprint("recorded", mine.read_bytes().hex()[:64], str(mine.stat().st_size))
                report.recorded.append(key)
                continue
            print_ = _fingerprint(lang.espeak_voice, text)
            if manifest.get(key) == print_ and target.is_file():
                report.unchanged.append(key)
                continue
            work.append((key, text, lang.espeak_voice, target))
            manifest[key] = print_

    done = 0

    def one(item: tuple[str, str, str, Path]) -> str:
        key, text, voice, target = item
        speak(text, voice, target)
        return key

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for key in pool.map(one, work):
            report.rendered.append(key)
            done += 1
            if progress is not None:
                progress(done, len(work))
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return report
