"""Every TwiML answer is well-formed XML with the verbs and attributes Twilio needs."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from cti.twilio import twiml
from domain.errors import InvalidInput


def _root(xml: str) -> ET.Element:
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(xml)
    assert root.tag == "Response"
    return root


def test_dial_client_identity() -> None:
    xml = twiml.dial_agent("client:amina", action_url="https://sb/twilio/dial-action?call_id=sb-1&agent=amina",
                           status_url="https://sb/twilio/status?call_id=sb-1&leg=agent", timeout=20)
    [dial] = _root(xml)
    assert dial.tag == "Dial"
    assert dial.attrib == {"action": "https://sb/twilio/dial-action?call_id=sb-1&agent=amina",
                           "method": "POST", "timeout": "20"}
    [client] = dial
    assert (client.tag, client.text) == ("Client", "amina")
    assert client.attrib["statusCallback"] == "https://sb/twilio/status?call_id=sb-1&leg=agent"
    assert client.attrib["statusCallbackEvent"] == "initiated ringing answered completed"


def test_dial_phone_number() -> None:
    [dial] = _root(twiml.dial_agent("+254712000111", action_url="https://sb/a", status_url="https://sb/s",
                                    timeout=15, caller_id="+254709000000"))
    assert dial.attrib["callerId"] == "+254709000000"
    [number] = dial
    assert (number.tag, number.text, number.attrib["statusCallback"]) == ("Number", "+254712000111", "https://sb/s")


@pytest.mark.parametrize("device", ["PJSIP/1001", "client:", "client:a b", "0712345678", "+0", "client:<x>"])
def test_undialable_devices_are_refused(device: str) -> None:
    with pytest.raises(InvalidInput):
        twiml.dial_agent(device, action_url="https://sb/a", status_url="https://sb/s", timeout=20)
    assert not twiml.is_twilio_device(device)


def test_hostile_text_is_escaped_not_pasted() -> None:
    xml = twiml.enqueue('q"><Hangup/>', wait_url="https://sb/wait?a=1&b=<2>")
    [enqueue] = _root(xml)
    assert enqueue.text == 'q"><Hangup/>'
    assert enqueue.attrib["waitUrl"] == "https://sb/wait?a=1&b=<2>"
    assert enqueue.attrib["waitUrlMethod"] == "POST"


def test_wait_music_announces_position_then_plays() -> None:
    say, play = _root(twiml.wait_music(3, "https://sb/hold.mp3"))
    assert (say.tag, say.text) == ("Say", "You are number 3 in the queue.")
    assert (play.tag, play.text) == ("Play", "https://sb/hold.mp3")
    [only_play] = _root(twiml.wait_music(None))
    assert only_play.tag == "Play" and only_play.text == twiml.DEFAULT_HOLD_MUSIC


def test_dial_queue_connects_an_agent_to_the_front_caller() -> None:
    [dial] = _root(twiml.dial_queue("collections", action_url="https://sb/a"))
    [queue] = dial
    assert (queue.tag, queue.text) == ("Queue", "collections")


def test_outbound_dials_the_customer_with_our_caller_id() -> None:
    [dial] = _root(twiml.dial_customer("+254711000111", caller_id="+254709000000", action_url="https://sb/a",
                                       status_url="https://sb/s", timeout=30))
    assert dial.attrib["callerId"] == "+254709000000"
    [number] = dial
    assert number.text == "+254711000111" and number.attrib["statusCallback"] == "https://sb/s"


def test_hangup_reject_empty() -> None:
    assert [e.tag for e in _root(twiml.hangup())] == ["Hangup"]
    [reject] = _root(twiml.reject())
    assert reject.tag == "Reject" and reject.attrib == {"reason": "busy"}
    assert list(_root(twiml.empty())) == []
