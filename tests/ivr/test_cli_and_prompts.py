"""``switchboard ivr check|simulate|prompts`` and the prompt renderer (espeak-ng, 8 kHz WAV)."""

from __future__ import annotations

import array
import math
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agent_ui.cli_ivr import walk
from config.compliance_loader import load_pack
from config.lists import load_lists
from config.settings import CONFIG_DIR, Settings
from ivr.data import StoreIvrData
from ivr.engine import IvrEngine
from ivr.prompts import MANIFEST, read_wav, render_prompts, resample, write_wav
from store.db import Database
from store.models import Customer, PromiseToPay
from store.seed.demo import load_demo
from tests.config.helpers import replace_in
from tests.ivr.support import default_menu, menu_with

REPO = Path(__file__).resolve().parents[2]
DEFAULT_MENU = CONFIG_DIR / "defaults" / "ivr.yaml"


def switchboard(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agent_ui.cli", *args], capture_output=True, text=True,
                          timeout=120, cwd=REPO)


def test_check_a_good_and_a_bad_file(tmp_path: Path) -> None:
    good = switchboard("ivr", "check", str(DEFAULT_MENU))
    assert good.returncode == 0 and "is valid: 15 nodes" in good.stdout
    bad = tmp_path / "ivr.yaml"
    shutil.copy(DEFAULT_MENU, bad)
    replace_in(bad, '"3": callback', '"3": calback')
    refused = switchboard("ivr", "check", str(bad))
    assert refused.returncode == 2
    assert "line" in refused.stderr and "nodes.main.options.3: no node named 'calback'" in refused.stderr
    assert "Traceback" not in refused.stderr


async def test_simulate_walks_the_menu_and_saves_nothing(database: Database) -> None:
    await load_demo(database, 1)

    async with database.session() as session:
        gov = await session.scalar(select(Customer.government_id).where(Customer.name == "Amina Wanjiru"))
        promises = await session.scalar(select(func.count(PromiseToPay.id)))
    assert gov is not None
    typed = iter(["1", gov[-4:], "2", "1000", "1812#", "1", "q"])
    lines: list[str] = []

    settings = Settings(redis_url=None)
    lists = load_lists(settings.config_dir)
    data = StoreIvrData(settings, lambda: lists, load_pack("kenya"), dry_run=True)
    await walk(IvrEngine(default_menu(), "0712345678"), data, database, lambda _prompt: next(typed), lines.append)
    text = "\n".join(lines)
    assert "last four digits of your ID number" in text and "You promise to pay 1,000 shillings" in text
    assert "[simulation: the SavePromise is not saved]" in text and lines[-1] == "[hung up at main]"
    async with database.session() as session:
        assert await session.scalar(select(func.count(PromiseToPay.id))) == promises


def _tone(seconds: float, rate: int, hz: float) -> array.array[int]:
    return array.array("h", (int(8000 * math.sin(2 * math.pi * hz * n / rate)) for n in range(int(seconds * rate))))


def test_resampling_keeps_the_speech_band_and_drops_what_8khz_cannot_carry() -> None:
    def rms(s: array.array[int]) -> float:
        return math.sqrt(sum(x * x for x in s) / len(s))

    low = resample(_tone(0.5, 22050, 440), 22050)
    high = resample(_tone(0.5, 22050, 6000), 22050)
    assert len(low) == 4000 and 5000 < rms(low) < 6000  # 8000 amplitude: RMS 5657
    assert rms(high) < 300  # above 4 kHz: filtered, not folded back into the band


def test_prompts_render_every_file_once_and_recorded_ones_win(tmp_path: Path) -> None:
    def one_language(d: dict) -> None:
        d["languages"] = d["languages"][:1]
        for texts in d["prompts"].values():
            texts.pop("sw")
        d["currencies"] = {"KES": {"en": "shillings"}}

    menu = menu_with(one_language)
    spoken: list[str] = []

    def speak(text: str, voice: str, target: Path) -> None:
        spoken.append(text)
        write_wav(target, _tone(0.2, 8000, 440))

    recorded = tmp_path / "recorded"
    write_wav(recorded / "en" / "greeting.wav", _tone(1.0, 16000, 300), rate=16000)
    out = tmp_path / "sounds"
    first = render_prompts(menu, out, recorded=recorded, speak=speak)
    assert first.recorded == ["en/greeting"] and "Welcome to Jua Power." not in spoken
    assert {"en/main_menu", "en/balance__1", "en/w_shillings", "en/w_cents"} <= set(first.rendered)
    with wave.open(str(out / "en" / "greeting.wav")) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()) == (8000, 1, 2, 8000)
    assert (out / MANIFEST).is_file()
    spoken.clear()
    second = render_prompts(menu, out, recorded=recorded, speak=speak)
    assert second.rendered == [] and spoken == [] and len(second.unchanged) == len(first.rendered)


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (scripts/services.sh)")
def test_the_cli_renders_real_speech_at_8khz(tmp_path: Path) -> None:
    small = tmp_path / "ivr.yaml"
    shutil.copy(DEFAULT_MENU, small)
    done = switchboard("ivr", "prompts", "--out", str(tmp_path / "out"), "--file", str(small), "--jobs", "2")
    assert done.returncode == 0, done.stderr
    assert "rendered" in done.stdout
    for lang, name in (("en", "greeting"), ("sw", "greeting"), ("sw", "w_elfu"), ("en", "w_shillings")):
        samples, rate = read_wav(tmp_path / "out" / lang / f"{name}.wav")
        assert rate == 8000 and len(samples) > 2000 and max(samples) > 2000, (lang, name)
