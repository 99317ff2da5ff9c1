"""The recorded prompts Twilio's ``<Play>`` fetches (public, WAV, only plain names under the folder) and
the wallboard's IVR panel snapshot (supervisors), on the real app and store."""

from __future__ import annotations

import io
import wave
from pathlib import Path

from agent_ui.components.ivr import ivr_parts
from tests.api.conftest import assert_error_shape
from tests.ivr_twilio.conftest import TwilioCaller
from tests.twilio.helpers import PUBLIC_URL
from tests.twilio_app.conftest import TwilioWorld


def a_wav() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x01" * 800)
    return buffer.getvalue()


def with_recordings(world: TwilioWorld, folder: Path) -> None:
    services = world.running.services
    services.settings = services.settings.model_copy(update={
        "ivr": services.settings.ivr.model_copy(update={"recordings_dir": folder})})
    ivr_parts(services).twilio.recordings_dir = folder


async def test_a_recorded_prompt_is_played_and_served_as_wav(ivr_world: TwilioWorld, tmp_path: Path) -> None:
    folder = tmp_path / "recorded"
    (folder / "en").mkdir(parents=True)
    (folder / "en" / "greeting.wav").write_bytes(a_wav())
    (tmp_path / "secret.wav").write_bytes(b"not for callers")
    with_recordings(ivr_world, folder)
    caller = TwilioCaller(ivr_world)
    await caller.dial()
    assert caller.doc is not None
    played = [p.text for p in caller.doc.iter("Play")]
    assert played == [f"{PUBLIC_URL}/ivr/prompts/en/greeting.wav"]  # the Kiswahili greeting is still said
    assert "Karibu Jua Power." in caller.said

    base = ivr_world.running.base_url
    served = await ivr_world.http.get(f"{base}/ivr/prompts/en/greeting.wav")  # Twilio sends no token
    assert served.status_code == 200
    assert served.headers["content-type"] == "audio/wav"
    assert served.content == a_wav()
    assert_error_shape(await ivr_world.http.get(f"{base}/ivr/prompts/sw/greeting.wav"), 404, "not-found")
    assert_error_shape(await ivr_world.http.get(f"{base}/ivr/prompts/en/..%2Fsecret.wav"), 404)
    assert_error_shape(await ivr_world.http.get(f"{base}/ivr/prompts/EN/greeting.wav"), 422)


async def test_the_ivr_panel_counts_the_caller_in_the_menu(ivr_world: TwilioWorld) -> None:
    base = ivr_world.running.base_url
    before = await ivr_world.http.get(f"{base}/api/ivr/wallboard", headers=ivr_world.auth("sup"))
    assert before.status_code == 200, before.text
    assert before.json()["in_ivr"] == 0
    caller = TwilioCaller(ivr_world)
    await caller.dial()
    panel = await ivr_world.http.get(f"{base}/api/ivr/wallboard", headers=ivr_world.auth("sup"))
    assert panel.status_code == 200, panel.text
    body = panel.json()
    assert (body["in_ivr"], body["hangup_nodes"], body["promises_today"]) == (1, [], {"count": 0, "amount": "0.00"})
    assert set(body) == {"at", "in_ivr", "sessions_today", "self_served_today", "self_service_rate",
                         "hangup_nodes", "promises_today"}
    denied = await ivr_world.http.get(f"{base}/api/ivr/wallboard", headers=ivr_world.auth("amina"))
    assert_error_shape(denied, 403, "permission-denied")
    assert_error_shape(await ivr_world.http.get(f"{base}/api/ivr/wallboard"), 401, "authentication-required")
