"""Every TwiML answer is well-formed XML with the verbs and attributes Twilio needs."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

import pytest

from cti.twilio import twiml
from cti.twilio.decisions import AgentRef, CallRef
from cti.twilio.legs import agent_participant, conference_name, customer_participant
from domain.errors import InvalidInput


def _root(xml: str) -> ET.Element:
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(xml)
    assert root.tag == "Response"
    return root


def test_the_customer_joins_the_calls_conference_waiting_for_the_agent() -> None:
    [dial] = _root(twiml.join_conference("twilio-CA1", action_url="https://sb/twilio/dial-action?call_id=x&leg=caller",
                                         wait_url="https://sb/hold.mp3"))
    assert dial.tag == "Dial" and dial.attrib == {"action": "https://sb/twilio/dial-action?call_id=x&leg=caller",
                                                  "method": "POST"}
    [conference] = dial
    assert (conference.tag, conference.text) == ("Conference", "twilio-CA1")
    assert conference.attrib == {"participantLabel": "customer", "beep": "false", "startConferenceOnEnter": "false",
                                 "endConferenceOnExit": "true", "waitUrl": "https://sb/hold.mp3", "waitMethod": "GET"}


def test_the_agent_is_rung_into_the_conference_labelled_agent() -> None:
    call = CallRef("twilio/CA1", "CA1", "collections", "+254712345678", "+254709000000")
    params = agent_participant(call, AgentRef("client:amina", "amina"), caller_id="+254700000001",
                               status_url="https://sb/s", timeout=20, recording_url=None)
    assert params == {"from_": "+254709000000", "to": "client:amina", "label": "agent", "timeout": 20,
                      "beep": "false", "early_media": False, "start_conference_on_enter": True,
                      "end_conference_on_exit": True, "status_callback": "https://sb/s",
                      "status_callback_method": "POST",
                      "status_callback_event": ["initiated", "ringing", "answered", "completed"]}
    phone = agent_participant(dataclasses.replace(call, dialed_number=""), AgentRef("+254733555666", "w"),
                              caller_id="+254700000001", status_url="s", timeout=15, recording_url="https://sb/r")
    assert (phone["from_"], phone["to"], phone["record"], phone["recording_channels"]) == (
        "+254700000001", "+254733555666", True, "dual")
    assert (phone["recording_status_callback"], phone["recording_status_callback_event"]) == ("https://sb/r",
                                                                                              ["completed"])
    assert conference_name("twilio/CA1") == "twilio-CA1" and conference_name("sb-att-1") == "sb-att-1"


@pytest.mark.parametrize("device", ["PJSIP/1001", "client:", "client:a b", "0712345678", "+0", "client:<x>"])
def test_undialable_devices_are_refused(device: str) -> None:
    call = CallRef("twilio/CA1", "CA1", "collections", "+254712345678", "+254709000000")
    with pytest.raises(InvalidInput):
        agent_participant(call, AgentRef(device, "x"), caller_id="", status_url="s", timeout=20, recording_url=None)
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


def test_outbound_the_agent_starts_the_conference_and_the_customer_is_dialled_into_it() -> None:
    [dial] = _root(twiml.join_conference("sb-att-1", action_url="https://sb/a", label="agent", starts=True))
    [conference] = dial
    assert conference.attrib == {"participantLabel": "agent", "beep": "false", "startConferenceOnEnter": "true",
                                 "endConferenceOnExit": "true"}
    params = customer_participant("+254711000111", caller_id="+254709000000", status_url="https://sb/s", timeout=30,
                                  recording_url=None)
    assert (params["from_"], params["to"], params["label"], params["early_media"]) == (
        "+254709000000", "+254711000111", "customer", True)
    assert (params["start_conference_on_enter"], params["end_conference_on_exit"], params["timeout"]) == (True, True, 30)


def test_hangup_reject_empty() -> None:
    assert [e.tag for e in _root(twiml.hangup())] == ["Hangup"]
    [reject] = _root(twiml.reject())
    assert reject.tag == "Reject" and reject.attrib == {"reason": "busy"}
    assert list(_root(twiml.empty())) == []
