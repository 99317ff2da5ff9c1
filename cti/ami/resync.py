"""Resync after a (re)connect: CoreShowChannels / QueueStatus list items -> CallTable + events.

Pure like the normaliser. The bridge runs ``CoreShowChannels`` and ``QueueStatus`` (their items come
back in :class:`cti.ami.session.ActionResult.items`) and passes the items here:

- :func:`resync_channels` restores the live calls. A call new to the table is offered (with the
  fields of its shared record, when the caller passes them: a new lease holder); an agent leg
  that is ringing pops ``AgentRinging`` unless that (call, device) was already popped, one answered
  unseen pops and announces ``AgentConnected``; a call of the
  table that is no longer live ended while we were away and gets its ``CallEnded``
  (``cause_code=None``: the real cause was not seen).
- :func:`resync_queue_status` turns ``QueueMember`` items into ``AgentStateChanged`` (always, since
  consumers may have missed changes) and links ``QueueEntry`` callers to their queue.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime

from cti.ami.call_events import device_of, new_call, offered, ringing
from cti.ami.calltable import CallInfo, CallTable, KnownCall
from cti.ami.channels import is_monitor_leg
from cti.ami.framing import AmiMessage
from cti.ami.queue_events import member_event
from domain.events import AgentConnected, CallEnded, Direction, EndCause, Event, utcnow


def resync_channels(table: CallTable, items: Iterable[AmiMessage], server: str, *,
                    records: Mapping[str, KnownCall] | None = None,
                    only: Collection[str] | None = None) -> list[Event]:
    """Reconcile ``table`` with the ``CoreShowChannel`` items of one CoreShowChannels.

    ``records``: the shared records of calls by call_id; a call new to the table takes its direction,
    numbers and queue from there. ``only``: the Linkedids the table knew when the action was sent;
    only those may be ended for being absent (a call that started after the snapshot is not in it).
    """
    now = utcnow()
    groups: dict[str, list[AmiMessage]] = {}
    for item in items:
        if item.event != "CoreShowChannel":
            continue
        linkedid = item.get("Linkedid")
        if linkedid and item.get("Uniqueid") and not is_monitor_leg(linkedid):
            groups.setdefault(linkedid, []).append(item)
    out: list[Event] = []
    for call in list(table.calls.values()):
        if call.linkedid not in groups and (only is None or call.linkedid in only):
            table.end(call)
            cause = (
                EndCause.ABANDONED if call.abandoned
                else EndCause.NORMAL if call.connected_device else EndCause.FAILED
            )
            out.append(CallEnded(call_id=call.call_id, server=server, at=now, cause=cause, cause_code=None,
                                 talk_seconds=call.talk_seconds))
    for linkedid, legs in groups.items():
        if table.has_ended(linkedid):
            continue
        first = next((leg for leg in legs if leg.get("Uniqueid") == linkedid), legs[0])
        known = table.calls.get(linkedid)
        if known is None:
            call = new_call(table, first.headers, server)
            record = records.get(call.call_id) if records else None
            if record is not None:
                _adopt(call, record)
            out.append(offered(call, server, now))
        else:
            call = known
        call.legs = {leg.headers["Uniqueid"] for leg in legs}
        if call.queue is None and first.get("Application") == "Queue":
            call.queue = (first.get("ApplicationData") or "").split(",")[0] or None
        for leg in legs:
            uniqueid = leg.headers["Uniqueid"]
            if uniqueid == call.first_leg:
                if call.direction is Direction.OUTBOUND and leg.get("ChannelState") == "5":
                    device = call.agent_device or device_of(leg.get("Channel", ""))
                    out += ringing(table, call, device, None, server, now)
                continue
            if call.direction is Direction.OUTBOUND:
                call.customer_leg = call.customer_leg or uniqueid
            elif leg.get("ChannelState") == "5":  # an agent's phone ringing for this caller
                out += ringing(table, call, device_of(leg.get("Channel", "")), None, server, now)
            elif leg.get("ChannelState") == "6" and leg.get("BridgeId") and call.connected_device is None:
                out += _answered_unseen(table, call, device_of(leg.get("Channel", "")), server, now)
    return out


def _answered_unseen(table: CallTable, call: CallInfo, device: str, server: str, at: datetime) -> list[Event]:
    """An agent answered while nobody listened (a failover gap): the pop it missed (once per call
    and device, here and in the pop's outbox) and the answer, so the agent's desktop and presence
    follow the call."""
    call.connected_device = device
    return [*ringing(table, call, device, None, server, at),
            AgentConnected(call_id=call.call_id, server=server, at=at, device=device, queue=call.queue,
                           hold_seconds=None, ring_seconds=None)]


def _adopt(call: CallInfo, record: KnownCall) -> None:
    call.direction = record.direction
    call.caller_number = record.caller_number or call.caller_number
    call.dialed_number = record.dialed_number or call.dialed_number
    call.queue = call.queue or record.queue


def resync_queue_status(table: CallTable, items: Iterable[AmiMessage], server: str) -> list[Event]:
    """``QueueMember`` -> AgentStateChanged; ``QueueEntry`` -> the caller's queue in the table."""
    out: list[Event] = []
    for item in items:
        kind = item.event
        if kind == "QueueMember":
            out += member_event(table, item.headers, server, force=True)
        elif kind == "QueueEntry":
            call = table.call_by_leg(item.get("Uniqueid", ""))
            if call is not None and call.queue is None:
                call.queue = item.get("Queue") or None
    return out
