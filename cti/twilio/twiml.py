"""Every TwiML answer we give Twilio, built with ``twilio.twiml.voice_response`` (never by pasting).

A customer reaches an agent in a conference (:func:`join_conference`; the agent is added through
the Participants API, see :mod:`cti.twilio.legs`). Agent devices come from the agent's
``extension``: a Twilio Client identity ``client:amina`` or an E.164 number ``+2547...``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from twilio.twiml.voice_response import VoiceResponse

from domain.carrier import carrier_for_device
from domain.errors import InvalidInput

# Twilio's own default hold music (documented in the <Enqueue waitUrl> docs).
DEFAULT_HOLD_MUSIC = "http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3"
STATUS_EVENTS = "initiated ringing answered completed"
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_CLIENT = re.compile(r"^client:([A-Za-z0-9_.@-]{1,121})$")


@dataclass(frozen=True, slots=True)
class Device:
    """A dialable agent device: ``kind`` is "client" or "number"."""

    kind: str
    target: str

    @property
    def address(self) -> str:
        return f"client:{self.target}" if self.kind == "client" else self.target


def parse_device(device: str) -> Device:
    """``client:amina`` or ``+254712345678``; InvalidInput for anything Twilio cannot dial
    (an Asterisk device by :func:`domain.carrier.carrier_for_device`, or a malformed one)."""
    text = device.strip()
    if carrier_for_device(text) != "twilio":
        raise InvalidInput(f"{device!r} is not a Twilio device: it is an Asterisk one",
                           {"extension": "use client:<identity> or an E.164 number"})
    match = _CLIENT.match(text)
    if match:
        return Device("client", match.group(1))
    if _E164.match(text):
        return Device("number", text)
    raise InvalidInput(
        f"{device!r} is not a Twilio device", {"extension": "use client:<identity> or an E.164 number"}
    )


def is_twilio_device(device: str) -> bool:
    try:
        parse_device(device)
    except InvalidInput:
        return False
    return True


def join_conference(
    name: str, *, action_url: str, wait_url: str | None = None, notice: str | None = None,
    label: str = "customer", starts: bool = False,
) -> str:
    """This leg joins conference ``name`` (issue 22) as ``label``; the conference ends when it leaves.
    A leg that does not start it (the customer waiting for the agent) hears ``wait_url`` meanwhile;
    ``action_url`` hears when the leg left; ``notice`` ("this call may be recorded") is said first."""
    response = VoiceResponse()
    if notice:
        response.say(notice)
    dial = response.dial(action=action_url, method="POST")
    dial.conference(name, participant_label=label, beep="false", start_conference_on_enter=starts,
                    end_conference_on_exit=True, wait_url=wait_url, wait_method="GET" if wait_url else None)
    return str(response.to_xml())


def enqueue(queue: str, *, wait_url: str, notice: str | None = None) -> str:
    """Park the caller in Twilio queue ``queue``; ``wait_url`` plays hold music and the position."""
    response = VoiceResponse()
    if notice:
        response.say(notice)
    response.enqueue(queue, wait_url=wait_url, wait_url_method="POST")
    return str(response.to_xml())


def wait_music(position: int | None, hold_music_url: str = DEFAULT_HOLD_MUSIC) -> str:
    """The ``waitUrl`` answer: announce the position (when known), then play hold music."""
    response = VoiceResponse()
    if position is not None and position > 0:
        response.say(f"You are number {position} in the queue.")
    response.play(hold_music_url)
    return str(response.to_xml())


def dial_queue(queue: str, *, action_url: str | None = None) -> str:
    """Connect the requesting leg (an agent) to the caller at the front of Twilio queue ``queue``."""
    response = VoiceResponse()
    dial = response.dial(action=action_url, method="POST" if action_url else None)
    dial.queue(queue)
    return str(response.to_xml())


def refuse(message: str) -> str:
    """Tell the caller why in a sentence, then hang up (a call we cannot take)."""
    response = VoiceResponse()
    response.say(message)
    response.hangup()
    return str(response.to_xml())


def hangup() -> str:
    response = VoiceResponse()
    response.hangup()
    return str(response.to_xml())


def reject(reason: str = "busy") -> str:
    """Refuse the call without answering it (``busy`` or ``rejected``)."""
    response = VoiceResponse()
    response.reject(reason=reason)
    return str(response.to_xml())


def empty() -> str:
    """An answer with no verbs (for status callbacks, which need none)."""
    return str(VoiceResponse().to_xml())
