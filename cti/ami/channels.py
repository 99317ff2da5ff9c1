"""Which channel of a call a PBX command acts on (pure): ``CoreShowChannel`` items in, names out.

A call is every channel sharing its Linkedid (the part of our ``call_id`` after ``<server>/``, or the
whole ``sb-...`` id of a call we originated). The agent's channel is the one of their device
(``PJSIP/2001-0000002a`` for ``PJSIP/2001``: the trailing dash, so ``PJSIP/20011`` never matches);
the customer's is the call's first channel when it is not the agent's (an inbound call), else the
first other one (our originated calls start with the agent's leg).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from domain.events import Event, MonitorLegEnded
from domain.events.calls import is_own_call

MONITOR_PREFIX = "mon-"  # the Uniqueid (ChannelId) of a supervisor's monitoring leg (issue 22)


def is_monitor_leg(linkedid: str) -> bool:
    """A supervisor's ChanSpy leg is no call of its own: the normaliser and the resync skip it."""
    return linkedid.startswith(MONITOR_PREFIX)


def monitor_leg_event(event: str, headers: Mapping[str, str], server: str) -> list[Event]:
    """What an AMI event of a monitoring leg means: only the Hangup of the leg itself (its Uniqueid is
    the request id) is news, :class:`MonitorLegEnded`; the rest is nothing."""
    uniqueid = headers.get("Uniqueid") or ""
    if event == "Hangup" and is_monitor_leg(uniqueid):
        return [MonitorLegEnded(request_id=uniqueid, server=server)]
    return []


@dataclass(frozen=True, slots=True)
class Channel:
    name: str
    uniqueid: str
    linkedid: str


def linkedid_of(call_id: str) -> str:
    """``default/1733.12`` -> ``1733.12``; ``sb-abc`` -> ``sb-abc``."""
    _head, sep, tail = call_id.partition("/")
    return tail if sep and not is_own_call(call_id) else call_id


def call_channels(items: Iterable[Mapping[str, str]], linkedid: str) -> list[Channel]:
    out = []
    for item in items:
        if item.get("Event") not in (None, "CoreShowChannel") or item.get("Linkedid") != linkedid:
            continue
        name, uniqueid = item.get("Channel") or "", item.get("Uniqueid") or ""
        if name and uniqueid:
            out.append(Channel(name, uniqueid, linkedid))
    return out


def _is_device(channel: Channel, device: str) -> bool:
    return channel.name.startswith(device + "-")


def agent_channel(channels: Iterable[Channel], device: str) -> Channel | None:
    return next((c for c in channels if _is_device(c, device)), None)


def customer_channel(channels: Iterable[Channel], device: str) -> Channel | None:
    others = [c for c in channels if not _is_device(c, device) and not c.name.startswith("Local/")]
    first = next((c for c in others if c.uniqueid == c.linkedid), None)
    return first or (others[0] if others else None)
