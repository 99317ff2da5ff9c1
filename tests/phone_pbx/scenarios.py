"""The browser-phone scenarios on a real PBX (issue 20), written once and run by the pytest tests
(on the shared test PBX) or by a developer against a private Asterisk (any :class:`Rig`).

Parties: the agents are Chromium processes whose microphones play 440 Hz (webagent1) and 1500 Hz
(webagent2); the customer is sipp (signalling) with a Python RTP peer playing 700 Hz; hold music is
523 + 659 Hz and the recording notice 880 Hz. "Who hears whom" is a number: Goertzel power at the
customer (present ≈ 100-200, absent < 2), WebAudio level in the browser (present ≈ -25 dB, absent
< -70 dB). Every wait is bounded; margins are wide.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import struct
import time
import wave
from pathlib import Path

from playwright.async_api import Page, expect

from tests.browser.harness import ConsoleGuard, screenshot
from tests.browser.server import LiveServer
from tests.pbx.phones import SippPhone
from tests.phone_pbx.parties import agent_browser, hears, inbound_packets, install_meter, tone_wav, wait_for
from tests.phone_pbx.rtp_peer import RtpPeer, goertzel
from tests.phone_pbx.server import PASSWORD, Rig, wait_api

DID_RECORDED = "0800123470"  # the notice, then the collections queue (pbx/asterisk/extensions_webrtc.conf)
AMINA = "0712345678"
SETTLE = 0.7  # after a change, before a measuring window
WINDOW = 2.0
PRESENT, ABSENT = 20.0, 5.0  # Goertzel power at the customer
HEARD_DB = -50.0


def tones_per_second(wav_bytes: bytes, freqs: tuple[int, ...] = (440, 700, 1500)) -> list[dict[int, float]]:
    """Goertzel power (x 1e4) of each tone in each whole second of an 8 kHz 16-bit WAV."""
    with wave.open(io.BytesIO(wav_bytes)) as audio:
        rate, frames = audio.getframerate(), audio.getnframes()
        samples = struct.unpack(f"<{frames}h", audio.readframes(frames))
    return [{f: 1e4 * goertzel(list(samples[s * rate: s * rate + rate // 2]), f) for f in freqs}
            for s in range(frames // rate)]


async def _window(page: Page | None, peer: RtpPeer) -> tuple[float, float, int]:
    await asyncio.sleep(SETTLE)
    before = await inbound_packets(page) if page is not None else 0
    t0 = time.time()
    await asyncio.sleep(WINDOW)
    after = await inbound_packets(page) if page is not None else 0
    return t0, time.time(), after - before


def customer_call(rig: Rig, peer: RtpPeer, did: str = DID_RECORDED) -> SippPhone:
    return SippPhone("uac_rtp_peer", local_port=rig.customer_uac_port, remote=f"127.0.0.1:{rig.sip_port}",
                     service=did, keys={"caller": AMINA, "rtp_port": str(peer.port)}, calls=1, timeout_s=200,
                     name="customer").start()


def customer_answering(rig: Rig, peer: RtpPeer) -> SippPhone:
    return SippPhone("uas_rtp_peer", local_port=rig.customer_uas_port, keys={"rtp_port": str(peer.port)}, calls=1,
                     timeout_s=200, name="customer-uas").start()


async def registered(page: Page) -> None:
    await expect(page.locator("#phone-state")).to_have_attribute("data-state", "registered")
    await expect(page.locator("#phonebar")).to_have_attribute("data-confirmed", "true")


async def register_and_ready_gate(live: LiveServer, rig: Rig, tmp: Path) -> None:
    """The desk registers over the PBX's WebSocket; Ready needs the PBX to have seen it."""
    token = live.login("webagent1", PASSWORD)
    refused = live.api("PUT", "/api/agents/me/state", token, json={"state": "ready"})
    assert refused.status_code == 409 and "not registered" in refused.json()["message"], refused.text
    include_path = rig.pbx_root / rig.etc / "pjsip_switchboard.conf"
    include = include_path.read_text()
    assert "[2001](switchboard-webrtc)" in include and "webrtc = yes" in include
    assert "password_digest = md5:" in include and "\npassword =" not in include
    guard = ConsoleGuard()
    async with agent_browser(live.url, tone_wav(tmp / "a1.wav", 440), guard) as desk:
        page = await desk("webagent1", PASSWORD)
        await registered(page)
        await page.get_by_role("button", name="Ready").click()
        await expect(page.locator("#state-pill")).to_have_text("Ready")
        secret = await page.evaluate("() => window.switchboard.phone.creds.secret")
        assert secret and secret not in include_path.read_text()  # only its digest reached the PBX
        await page.get_by_role("button", name="Leave queue").click()
        await expect(page.locator("#state-pill")).to_have_text("Logged out")
    guard.check()


async def _transfer(page: Page, kind: str, target: str, *, warm: bool = False) -> None:
    if not await page.locator("#phone-transfer").is_visible():
        await page.get_by_role("button", name="Transfer", exact=True).click()
    await page.locator("#xfer-type").select_option(kind)
    await page.locator("#xfer-target").fill(target)
    await page.get_by_role("button", name="Consult first" if warm else "Blind transfer").click()


async def inbound_call_controls_transfer_and_recording(live: LiveServer, rig: Rig, tmp: Path) -> None:
    """A customer calls the recorded line: the notice, the pop rings the browser, Answer in the pop,
    audio both ways, hold (hold music), mute, keypad DTMF, recording paused and resumed, a blind
    transfer to a second browser agent, hang-up; then the call log, and the recording plays."""
    guard = ConsoleGuard()
    peer = await RtpPeer(700.0).start()
    customer: SippPhone | None = None
    async with agent_browser(live.url, tone_wav(tmp / "a1.wav", 440), guard) as desk1, \
            agent_browser(live.url, tone_wav(tmp / "a2.wav", 1500), guard) as desk2:
        a1 = await desk1("webagent1", PASSWORD)
        a2 = await desk2("webagent2", PASSWORD)
        await registered(a1)
        await registered(a2)
        await a1.get_by_role("button", name="Ready").click()
        await expect(a1.locator("#state-pill")).to_have_text("Ready")
        try:
            called = time.time()
            customer = customer_call(rig, peer)
            # the pop and the phone are one thing: the record pops and the browser rings
            await expect(a1.locator("#pop-answer")).to_be_visible(timeout=25_000)
            await expect(a1.locator("#pop-matches")).to_contain_text("Amina Wanjiru")
            notice = peer.power(880, called, time.time())
            assert notice >= PRESENT, f"the customer did not hear the recording notice before the agent ({notice})"
            await a1.locator("#pop-answer").click()
            await expect(a1.locator("#phonebar")).to_have_attribute("data-call", "live")
            await expect(a1.locator("#call-card")).to_have_attribute("data-call-state", "answered")

            t0, t1, inbound = await _window(a1, peer)
            assert inbound >= 50, f"the browser received {inbound} RTP packets in {WINDOW}s"
            assert len(peer.since(t0, t1)) >= 50, "the customer received no RTP"
            assert peer.power(440, t0, t1) >= PRESENT, "the customer does not hear the agent"
            assert (await hears(a1, t0))["700"] >= HEARD_DB, "the agent does not hear the customer"

            await a1.get_by_role("button", name="Hold").click()
            await expect(a1.get_by_role("button", name="Resume")).to_be_visible()
            t0, t1, _ = await _window(None, peer)
            assert peer.power(523, t0, t1) + peer.power(659, t0, t1) >= PRESENT, "no hold music for the customer"
            assert peer.power(440, t0, t1) <= ABSENT, "the customer still hears the agent on hold"
            await a1.get_by_role("button", name="Resume").click()
            await expect(a1.get_by_role("button", name="Hold")).to_be_visible()
            t0, t1, _ = await _window(None, peer)
            assert peer.power(440, t0, t1) >= PRESENT, "the customer does not hear the agent after hold"

            await a1.get_by_role("button", name="Mute").click()
            t0, t1, _ = await _window(None, peer)
            assert peer.power(440, t0, t1) <= ABSENT, "the customer hears a muted agent"
            await a1.get_by_role("button", name="Unmute").click()

            pressed = time.time()
            await a1.get_by_role("button", name="Keypad").click()
            await a1.get_by_role("button", name="Transfer", exact=True).click()
            await screenshot(a1, "agent-desktop-phone.png")
            await a1.get_by_role("button", name="Transfer", exact=True).click()
            for key in ("1", "2", "#"):
                await a1.get_by_role("button", name=f"Key {key}").click()
                await asyncio.sleep(0.4)
            for _ in range(50):  # RFC 4733 end packets: bounded wait
                if {1, 2, 11} <= peer.digits(pressed):
                    break
                await asyncio.sleep(0.1)
            sent = await a1.evaluate("() => window.switchboard.phone.events.filter((e) => e.type === 'dtmf')")
            events = sorted({(p.payload[0], p.payload[1] >> 7) for p in peer.since(pressed, pt=101)})
            assert {1, 2, 11} <= peer.digits(pressed), f"DTMF at the customer: {events}; sent {sent}"

            await a1.get_by_role("button", name="Pause recording").click()
            await expect(a1.get_by_role("button", name="Resume recording")).to_be_visible()
            await asyncio.sleep(2.5)
            await a1.get_by_role("button", name="Resume recording").click()
            await expect(a1.get_by_role("button", name="Pause recording")).to_be_visible()

            await _transfer(a1, "agent", "webagent2")
            await expect(a2.locator("#phone-answer")).to_be_visible(timeout=15_000)
            await a2.locator("#phone-answer").click()
            await expect(a2.locator("#phonebar")).to_have_attribute("data-call", "live")
            await expect(a1.locator("#phonebar")).to_have_attribute("data-call", "idle")
            await expect(a1.locator("#state-pill")).to_have_text("Wrap-up")  # out of the call, which goes on
            await expect(a1.locator("#phone-keypad")).to_be_hidden()  # no controls without a call
            await expect(a1.get_by_role("button", name="Hang up")).to_be_hidden()
            t0, t1, inbound = await _window(a2, peer)
            assert inbound >= 50 and peer.power(1500, t0, t1) >= PRESENT, "the customer does not hear the new agent"
            assert (await hears(a2, t0))["700"] >= HEARD_DB, "the new agent does not hear the customer"

            await a2.get_by_role("button", name="Hang up").click()
            await asyncio.get_running_loop().run_in_executor(None, lambda: customer.check(timeout=30))
        finally:
            peer.close()
            if customer is not None:
                customer.cleanup()
    await _call_log_and_recording(live, guard, tmp)
    guard.check()


async def _call_log_and_recording(live: LiveServer, guard: ConsoleGuard, tmp: Path) -> None:
    token = live.login("webagent1", PASSWORD)
    log = wait_api(live, token, "/api/calls", lambda got: got["items"] and got["items"][0]["ended_at"])
    call = log["items"][0]  # type: ignore[index]
    actions = [(a["action"], a["outcome"]) for a in call["actions"]]
    for expected in (("hold", "done"), ("unhold", "done"), ("recording_pause", "done"),
                     ("recording_resume", "done"), ("transfer_blind", "done")):
        assert expected in actions, f"{expected} missing from the call log: {actions}"
    found = wait_api(live, token, f"/api/recordings?call_id={call['call_id']}",
                     lambda got: got["items"] and got["items"][0]["status"] == "stored", timeout=30)
    recording = found["items"][0]  # type: ignore[index]
    assert recording["duration_ms"] > 3000 and len(recording["sha256"]) == 64
    other = live.login("agent2", "agent2-pass")
    assert live.api("POST", f"/api/recordings/{recording['id']}/play", other).status_code == 404
    supervisor = live.login("supervisor", "supervisor-pass")
    wav = live.api("GET", f"/api/recordings/{recording['id']}/download", supervisor)
    assert wav.status_code == 200 and hashlib.sha256(wav.content).hexdigest() == recording["sha256"]
    seconds = tones_per_second(wav.content)
    assert any(s[440] >= PRESENT and s[700] >= PRESENT for s in seconds), "no conversation in the recording"
    assert any(s[1500] >= PRESENT and s[700] >= PRESENT for s in seconds), "the second agent is not recorded"
    assert any(max(s.values()) <= ABSENT for s in seconds), "no silence where the recording was paused"

    async with agent_browser(live.url, tone_wav(tmp / "a3.wav", 440), guard) as desk:
        page = await desk("webagent1", PASSWORD)
        await page.get_by_role("tab", name="Call log").click()
        item = page.locator(f".call-log-item[data-call-id='{call['call_id']}']")
        await expect(item).to_contain_text("Blind transfer")
        await item.get_by_role("button", name="Play").click()
        await screenshot(page, "call-log-recording.png")
        seconds = await wait_for(page, """(id) => { const a = document.querySelector(
            `.call-log-item [data-recording-id='${id}'] audio`); return a && a.duration > 0 && a.duration; }""",
                                 arg=recording["id"])
        assert abs(float(seconds) * 1000 - recording["duration_ms"]) < 1500


async def warm_transfer_return_then_complete(live: LiveServer, rig: Rig, tmp: Path) -> None:
    """Consult a second agent while the customer hears hold music, return to the customer, consult
    again and complete: the customer ends up talking to the second agent (AMI Atxfer / CancelAtxfer)."""
    guard = ConsoleGuard()
    peer = await RtpPeer(700.0).start()
    customer: SippPhone | None = None
    async with agent_browser(live.url, tone_wav(tmp / "w1.wav", 440), guard) as desk1, \
            agent_browser(live.url, tone_wav(tmp / "w2.wav", 1500), guard) as desk2:
        a1 = await desk1("webagent1", PASSWORD)
        a2 = await desk2("webagent2", PASSWORD)
        await registered(a1)
        await registered(a2)
        await a1.get_by_role("button", name="Ready").click()
        try:
            customer = customer_call(rig, peer)
            await expect(a1.locator("#pop-answer")).to_be_visible(timeout=25_000)
            await a1.locator("#pop-answer").click()
            await expect(a1.locator("#phonebar")).to_have_attribute("data-call", "live")

            await _transfer(a1, "agent", "webagent2", warm=True)
            await expect(a2.locator("#phone-answer")).to_be_visible(timeout=15_000)
            await a2.locator("#phone-answer").click()
            t0, t1, _ = await _window(a1, peer)
            assert (await hears(a1, t0))["1500"] >= HEARD_DB, "the agent does not hear the consulted agent"
            assert peer.power(523, t0, t1) + peer.power(659, t0, t1) >= PRESENT, "the customer hears no hold music"
            assert peer.power(1500, t0, t1) <= ABSENT, "the customer hears the consultation"

            await a1.get_by_role("button", name="Return to caller").click()
            await expect(a2.locator("#phonebar")).to_have_attribute("data-call", "idle", timeout=10_000)
            t0, t1, _ = await _window(a1, peer)
            assert peer.power(440, t0, t1) >= PRESENT, "the customer is not back with the agent"

            await _transfer(a1, "agent", "webagent2", warm=True)
            await expect(a2.locator("#phone-answer")).to_be_visible(timeout=15_000)
            await a2.locator("#phone-answer").click()
            await expect(a2.locator("#phonebar")).to_have_attribute("data-call", "live")
            await asyncio.sleep(SETTLE)
            await a1.get_by_role("button", name="Complete transfer").click()
            await expect(a1.locator("#phonebar")).to_have_attribute("data-call", "idle")
            await expect(a1.locator("#state-pill")).to_have_text("Wrap-up")
            t0, t1, _ = await _window(a2, peer)
            assert peer.power(1500, t0, t1) >= PRESENT, "the customer does not hear the agent it was transferred to"
            assert (await hears(a2, t0))["700"] >= HEARD_DB, "the second agent does not hear the customer"
            await a2.get_by_role("button", name="Hang up").click()
            await asyncio.get_running_loop().run_in_executor(None, lambda: customer.check(timeout=30))
        finally:
            peer.close()
            if customer is not None:
                customer.cleanup()
    token = live.login("webagent1", PASSWORD)
    log = wait_api(live, token, "/api/calls", lambda got: got["items"] and got["items"][0]["ended_at"])
    actions = [(a["action"], a["outcome"]) for a in log["items"][0]["actions"]]  # type: ignore[index]
    assert actions.count(("transfer_warm", "done")) == 2 and ("transfer_return", "done") in actions, actions
    assert ("transfer_complete", "done") in actions, actions
    guard.check()


async def click_to_call_rings_the_browser_first(live: LiveServer, rig: Rig, tmp: Path) -> None:
    """From the customer's record: the agent's browser rings first; only when the agent answers is
    the customer dialled; then audio both ways and the agent hangs up."""
    supervisor = live.login("supervisor", "supervisor-pass")
    amina = live.api("GET", f"/api/customers?q={AMINA}", supervisor).json()["items"][0]
    moved = live.api("PUT", f"/api/customers/{amina['id']}/assignee", supervisor, json={"agent": "webagent1"})
    assert moved.status_code == 200, moved.text
    guard = ConsoleGuard()
    peer = await RtpPeer(700.0).start()
    customer = customer_answering(rig, peer)
    try:
        async with agent_browser(live.url, tone_wav(tmp / "c1.wav", 440), guard) as desk:
            page = await desk("webagent1", PASSWORD)
            await registered(page)
            await page.goto(f"/customers/{amina['id']}")
            await page.wait_for_selector("body[data-ready='true']")
            await install_meter(page)
            await expect(page.locator("#record-name")).to_have_text("Amina Wanjiru")
            await registered(page)
            await page.get_by_role("button", name="Ready").click()  # a logged-out agent cannot dial
            await expect(page.locator("#state-pill")).to_have_text("Ready")
            await page.locator("[data-quick='call']").click()
            await page.locator("#quick-save").click()
            await expect(page.locator("#quick-error")).to_be_hidden()
            await expect(page.locator("#quick-dialog")).to_be_hidden()
            await expect(page.locator("#phone-answer")).to_be_visible(timeout=15_000)
            await asyncio.sleep(1.0)
            assert "INVITE" not in customer.msg_path.read_text(errors="replace"), "the customer rang before the agent"
            await page.locator("#phone-answer").click()
            await expect(page.locator("#phonebar")).to_have_attribute("data-call", "live")
            t0, t1, inbound = await _window(page, peer)
            assert inbound >= 50 and peer.power(440, t0, t1) >= PRESENT, "no audio between agent and customer"
            assert (await hears(page, t0))["700"] >= HEARD_DB
            await page.get_by_role("button", name="Hang up").click()
            await asyncio.get_running_loop().run_in_executor(None, lambda: customer.check(timeout=30))
    finally:
        peer.close()
        customer.cleanup()
    guard.check()
