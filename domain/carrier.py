"""The carrier port: the one small interface behind which Asterisk (AMI) and Twilio sit.

A carrier turns its protocol into :mod:`domain.events.calls` events on the bus (events in), and
performs these actions (commands out). Nothing outside ``cti/`` knows which carrier is behind it.
"""

from __future__ import annotations

from typing import Literal, Protocol

from domain.events.commands import DialRequested


class Carrier(Protocol):
    """Implemented by ``cti.ami.bridge.AsteriskBridge`` and ``cti.twilio.carrier.TwilioCarrier``;
    :class:`cti.commands.CarrierCommands` drives either from the bus (dial-once, staleness, outcomes).

    ``dial`` raises CarrierUnavailable when nothing was sent (safe to retry), CarrierRejected when
    the carrier refused, and DialOutcomeUnknown when the request went out but no answer came back
    (never re-send: reconcile from the call's events by ``request.call_id``).
    """

    name: str

    async def dial(self, request: DialRequested) -> None: ...

    async def queue_add(self, queue: str, device: str, member_name: str, *, paused: bool = False) -> None:
        """Join ``queue``; ``paused``: the agent joins paused, so no call reaches them in between."""

    async def queue_remove(self, queue: str, device: str) -> None: ...

    async def queue_pause(self, queue: str | None, device: str, paused: bool, reason: str | None) -> None: ...


CarrierName = Literal["asterisk", "twilio"]
TWILIO_CLIENT_PREFIX = "client:"  # a Twilio browser client: ``client:amina``


def carrier_for_device(device: str | None) -> CarrierName:
    """Which carrier serves an agent's device (their extension): the one place that decides it.

    Twilio for a browser client ``client:<identity>`` or a number Twilio dials ``+E.164``
    (``+254712345678``); Asterisk for everything else: a channel (``PJSIP/1001``, ``SIP/1001``) or
    plain digits (``1001``). The pop, presence, the dialer's pauses, the phone line and the Twilio
    device parser all ask here, so an agent's commands always go to the carrier that holds them.
    """
    return "twilio" if (device or "").strip().startswith((TWILIO_CLIENT_PREFIX, "+")) else "asterisk"
