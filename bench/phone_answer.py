"""The browser phone on a real PBX (issue 20): how fast the browser rings, and how fast media flows
once the agent clicks Answer.

The whole app (uvicorn, SQLite) on the loopback test PBX (pbx/pbx.sh; started if down, under the
machine's PBX lock, and stopped again), one Chromium whose desk (webagent1, PJSIP/2001, Ready) is the
phone, and ``--calls`` (30) customer calls from sipp, one at a time, to the collections queue
(DID 0800123457: no recording notice), the customer's audio on a Python RTP peer. Per call:

* INVITE -> ringing: sipp's INVITE (its -trace_msg time stamp) to the desk's SIP session ringing
  (JsSIP's newRTCSession, ``performance.now`` on the page);
* click -> browser RTP: the Answer click to the first RTP packet the browser receives (its
  receiver's synchronization sources, polled every 2 ms on the page);
* click -> customer RTP: the click to the first packet at the customer's RTP peer.

Prints p50 / p90 / p99 / max (with 30 calls the p99 is about the max). Timing claims live here, not
in tests. The agent's wrap-up is 1 s, so the next call rings them again.

    .venv/bin/python bench/phone_answer.py [--calls 30]
    .venv/bin/python bench/phone_answer.py --private-pbx ETC,SPOOL,SIP,AMI,WS_URL,UAC_PORT
        (a developer's own Asterisk in the same chroot with the test PBX's configuration on other
        ports: no lock is taken and nothing is started)
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.async_api import Page, expect  # noqa: E402

from tests.browser.harness import ConsoleGuard  # noqa: E402
from tests.pbx.fixtures import LOCK_PATH  # noqa: E402
from tests.pbx.harness import Pbx  # noqa: E402
from tests.phone_pbx.parties import agent_browser, tone_wav  # noqa: E402
from tests.phone_pbx.rtp_peer import RtpPeer  # noqa: E402
from tests.phone_pbx.scenarios import customer_call, registered  # noqa: E402
from tests.phone_pbx.server import PASSWORD, Rig, add_web_agents, start_phone_server  # noqa: E402

DID_DIRECT = "0800123457"
FIRST_MEDIA = """() => new Promise((resolve) => {
  const phone = window.switchboard.phone;
  const clicked = performance.timeOrigin + performance.now();
  phone.answer();
  const started = performance.now();
  const poll = setInterval(() => {
    const pc = phone.session && phone.session.connection;
    const receiver = pc && pc.getReceivers()[0];
    if (receiver && receiver.getSynchronizationSources().length) {
      clearInterval(poll);
      resolve({ clicked, media: performance.timeOrigin + performance.now() });
    } else if (performance.now() - started > 10000) { clearInterval(poll); resolve({ clicked, media: null }); }
  }, 2);
})"""


def invite_sent_at(messages: str) -> float:
    from datetime import datetime

    stamp = None
    for line in messages.splitlines():
        if line.startswith("-----------------------------------------------"):
            stamp = line.rsplit(" ", 2)[-2:]
        elif line.startswith("INVITE sip:") and stamp is not None:
            return datetime.strptime(" ".join(stamp), "%Y-%m-%d %H:%M:%S.%f").timestamp()
    raise ValueError("no INVITE in the sipp message log")


def summary(name: str, values: list[float]) -> str:
    if not values:
        return f"{name}: no samples"
    ordered = sorted(values)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    return (f"{name}: n={len(values)} p50 {statistics.median(values):.1f} ms, p90 {pct(90):.1f}, "
            f"p99 {pct(99):.1f}, max {ordered[-1]:.1f}")


async def one_call(page: Page, rig: Rig, index: int) -> tuple[float, float, float]:
    peer = await RtpPeer(700.0).start()
    call = customer_call(rig, peer, did=DID_DIRECT)
    try:
        await expect(page.locator("#phone-answer")).to_be_visible(timeout=20_000)
        ring = await page.evaluate("""() => window.switchboard.phone.events.filter(
            (e) => e.type === 'call-ringing').pop().t""")
        invite = invite_sent_at(call.messages())
        answered = await page.evaluate(FIRST_MEDIA)
        if answered["media"] is None:
            raise RuntimeError(f"call {index}: no media within 10 s of the click")
        clicked = answered["clicked"] / 1000
        for _ in range(500):
            if peer.packets:
                break
            await asyncio.sleep(0.01)
        customer = next((p.t for p in peer.packets if p.t >= clicked), None)
        if customer is None:
            raise RuntimeError(f"call {index}: the customer got no RTP")
        await asyncio.sleep(0.5)
        await page.get_by_role("button", name="Hang up").click()
        await asyncio.to_thread(call.check, 30)
        return ring - invite * 1000, answered["media"] - answered["clicked"], (customer - clicked) * 1000
    finally:
        peer.close()
        call.cleanup()


def run(args: argparse.Namespace, rig: Rig, root: Path) -> None:
    live = start_phone_server(root, rig, wrapup_seconds=1)
    try:
        add_web_agents(live)
        asyncio.run(measure(args, rig, root, live.url))
    finally:
        live.stop()


async def measure(args: argparse.Namespace, rig: Rig, root: Path, url: str) -> None:
    guard = ConsoleGuard()
    async with agent_browser(url, tone_wav(root / "agent.wav", 440), guard) as desk:
        page = await desk("webagent1", PASSWORD)
        await registered(page)
        await page.get_by_role("button", name="Ready").click()
        ring, browser, customer = [], [], []
        for index in range(args.calls):
            await expect(page.locator("#state-pill")).to_have_text("Ready", timeout=20_000)
            await asyncio.sleep(0.5)  # the queue member is unpaused after the wrap-up
            r, b, c = await one_call(page, rig, index)
            ring.append(r)
            browser.append(b)
            customer.append(c)
    print(summary("INVITE -> browser ringing", ring))
    print(summary("Answer click -> first RTP in the browser", browser))
    print(summary("Answer click -> first RTP at the customer", customer))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--private-pbx", help="ETC,SPOOL,SIP,AMI,WS_URL,UAC_PORT of a developer's own Asterisk")
    args = parser.parse_args()
    if args.private_pbx:
        etc, spool, sip, ami, ws, uac = args.private_pbx.split(",")
        rig = Rig(Pbx().root, etc=etc, spool=spool, sip_port=int(sip), ami_port=int(ami), ws_url=ws,
                  customer_uac_port=int(uac))
        with tempfile.TemporaryDirectory(prefix="phone-bench-") as tmp:
            run(args, rig, Path(tmp))
        return
    with open(LOCK_PATH, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one PBX per machine: wait for the test sessions
        pbx = Pbx()
        was_running = pbx.is_running()
        pbx.start()
        pbx.reset()
        try:
            with tempfile.TemporaryDirectory(prefix="phone-bench-") as tmp:
                started = time.monotonic()
                run(args, Rig(pbx.root), Path(tmp))
                print(f"({args.calls} calls in {time.monotonic() - started:.0f} s)")
        finally:
            pbx.reset()
            if not was_running:
                pbx.stop()


if __name__ == "__main__":
    main()
