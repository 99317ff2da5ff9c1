"""The people of the browser-phone tests: one Chromium process per agent (each with its own fake
microphone tone: ``--use-file-for-fake-audio-capture`` applies to the whole process), signed in to
the real desk, and a meter that says which tones the agent hears (WebAudio on the phone's remote
stream, medians of 100 ms snapshots)."""

from __future__ import annotations

import asyncio
import math
import struct
import time
import wave
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from playwright.async_api import Page, async_playwright

from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS, HAVE_CHROMIUM, TIMEZONE, ConsoleGuard

MEDIA_ARGS = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
              "--allow-loopback-in-peer-connection"]
FREQS = (440, 700, 880, 1500, 523, 659)

TONE_METER = """(freqs) => {
  if (window.__tones) return true;
  const log = [];
  let ctx = null, analyser = null, stream = null;
  setInterval(() => {
    const phone = window.switchboard && window.switchboard.phone;
    const remote = phone && phone.remoteStream;
    if (remote && remote !== stream) {
      stream = remote;
      ctx = ctx || new AudioContext();
      analyser = ctx.createAnalyser();
      analyser.fftSize = 4096;
      analyser.smoothingTimeConstant = 0;
      ctx.createMediaStreamSource(remote).connect(analyser);
    }
    if (!analyser) return;
    const bins = new Float32Array(analyser.frequencyBinCount);
    analyser.getFloatFrequencyData(bins);
    const hz = ctx.sampleRate / analyser.fftSize;
    const v = {};
    for (const f of freqs) { const i = Math.round(f / hz); v[f] = Math.max(bins[i - 1], bins[i], bins[i + 1]); }
    log.push({ t: Date.now(), v });
    if (log.length > 900) log.shift();
  }, 100);
  window.__tones = (since) => {
    const rows = log.filter((r) => r.t >= since);
    if (!rows.length) return null;
    const out = { n: rows.length };
    for (const f of freqs) {
      const xs = rows.map((r) => (Number.isFinite(r.v[f]) ? r.v[f] : -200)).sort((a, b) => a - b);
      out[f] = xs[Math.floor(xs.length / 2)];
    }
    return out;
  };
  return true;
}"""


def tone_wav(path: Path, freq: float, rate: int = 48000, seconds: int = 10, amp: int = 9000) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(struct.pack("<h", int(amp * math.sin(2 * math.pi * freq * i / rate)))
                                 for i in range(rate * seconds)))
    return path


@asynccontextmanager
async def agent_browser(base_url: str, tone: Path, guard: ConsoleGuard) -> AsyncIterator[Any]:
    """One Chromium whose microphone plays ``tone``; yields a factory of signed-in desk pages."""
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            *CHROMIUM_ARGS, *MEDIA_ARGS, f"--use-file-for-fake-audio-capture={tone}"])
        contexts = []

        async def desk(username: str, password: str) -> Page:
            context = await browser.new_context(base_url=base_url, timezone_id=TIMEZONE, locale="en-US",
                                                viewport={"width": 1440, "height": 960})
            context.set_default_timeout(20_000)
            contexts.append(context)
            page = guard.watch(await context.new_page())
            await page.goto("/login?next=/")
            await page.get_by_label("Username").fill(username)
            await page.get_by_label("Password").fill(password)
            await page.get_by_role("button", name="Sign in").click()
            await page.wait_for_url("**/")
            await page.wait_for_selector("body[data-ready='true']")
            await install_meter(page)
            return page

        try:
            yield desk
        finally:
            for context in contexts:
                await context.close()
            await browser.close()


async def install_meter(page: Page) -> None:
    """The tone meter (again after a navigation: a new document has none)."""
    await page.evaluate(TONE_METER, list(FREQS))


async def wait_for(page: Page, expression: str, timeout: float = 15.0, arg: Any = None) -> Any:
    """Poll ``expression`` (a JS function of ``arg``) until truthy; bounded."""
    deadline = time.monotonic() + timeout
    while True:
        value = await page.evaluate(expression, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {expression}")
        await asyncio.sleep(0.05)


async def inbound_packets(page: Page) -> int:
    stats = await page.evaluate("() => window.switchboard.phone.stats()")
    return int(stats["inbound"]["packetsReceived"]) if stats and stats["inbound"] else 0


async def hears(page: Page, since: float) -> dict[str, float]:
    """Median level (dB) of each test tone the agent heard since ``since`` (epoch seconds)."""
    levels = await page.evaluate("(t) => window.__tones(t)", since * 1000)
    assert levels is not None, "the tone meter has no samples"
    return {k: float(v) for k, v in levels.items()}


__all__ = ["FREQS", "HAVE_CHROMIUM", "agent_browser", "hears", "inbound_packets", "install_meter", "tone_wav",
           "wait_for"]
