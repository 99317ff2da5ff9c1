"""A signed Twilio call to a queue nobody works (issue 13, item 7): the caller hears a sentence and
the call ends, a log line names the queue, and no call is offered or recorded."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET

import pytest

from tests.twilio.helpers import PUBLIC_URL, call_sid, voice_form
from tests.twilio_app.conftest import CUSTOMER_NUMBER, TwilioWorld
from tests.twilio_app.support import ready_in_acd, twiml


async def test_a_call_to_an_unknown_queue_is_told_and_logged(twilio_app: TwilioWorld,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    world = twilio_app
    await ready_in_acd(world, "amina")
    sid = call_sid()
    with caplog.at_level(logging.WARNING, logger="cti.twilio.service"):
        response = await world.twilio(f"{PUBLIC_URL}/twilio/voice?queue=vip",
                                      voice_form(sid, caller=CUSTOMER_NUMBER))
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.text)
    assert [child.tag for child in root] == ["Say", "Hangup"]
    assert "not connected to a service" in (root[0].text or "")
    assert any("unknown queue 'vip'" in r.getMessage() and sid in r.getMessage() for r in caplog.records)
    assert await world.record(f"twilio/{sid}") is None
    # a queue of the dialer's campaigns (config lists) is known: the call is offered to amina, after the
    # recording notice a caller hears first (issue 20); the refused call above is not recorded, so no notice
    ok = await world.twilio(f"{PUBLIC_URL}/twilio/voice?queue=collections", voice_form(call_sid(),
                                                                                     caller=CUSTOMER_NUMBER))
    offered = ET.fromstring(ok.text)
    assert [child.tag for child in offered] == ["Say", "Dial"]
    assert "may be recorded" in (offered[0].text or "")
    assert [child.tag for child in twiml(ok.text)] == ["Dial"]
