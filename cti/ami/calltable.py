"""The explicit state the AMI normaliser needs: live calls keyed by Linkedid, and what was emitted.

One :class:`CallTable` per Asterisk server. It is plain data, mutated only by
:func:`cti.ami.normaliser.normalise` and the resync functions, so a test can build one, feed it
messages and inspect it. Memory is bounded: a call leaves the table when its last leg hangs up, and
only the last ``max_ended`` ended Linkedids are remembered (to ignore late events of ended calls).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from domain.events import AgentState, Direction
from domain.events.calls import OWN_CALL_PREFIX


@dataclass
class OriginateInfo:
    """An Originate we sent (registered by the bridge before sending it)."""

    call_id: str
    action_id: str | None
    customer_number: str
    agent_device: str | None
    caller_id: str | None


@dataclass(frozen=True, slots=True)
class KnownCall:
    """What the shared call record says about a call (a new holder's table starts empty): a call
    the resync finds still live is announced again with these fields, not the channel's current
    dialplan position (``Exten`` is ``queue`` by then)."""

    direction: Direction
    caller_number: str | None
    dialed_number: str | None
    queue: str | None


@dataclass
class CallInfo:
    """One call: every leg shares the Linkedid."""

    call_id: str
    linkedid: str
    direction: Direction
    caller_number: str
    dialed_number: str
    first_leg: str  # Uniqueid of the first channel
    legs: set[str] = field(default_factory=set)  # Uniqueids of the legs still alive
    customer_leg: str | None = None  # outbound: the leg that dials the customer
    agent_device: str | None = None
    queue: str | None = None
    ivr: list[tuple[str, str]] = field(default_factory=list)  # (menu, digit) in order
    abandoned: bool = False
    connected_device: str | None = None
    answered_ts: float | None = None
    talk_seconds: int | None = None
    causes: dict[str, int] = field(default_factory=dict)  # Uniqueid -> Hangup Cause
    dial_status: str | None = None  # outbound: DialEnd's DialStatus of the customer leg (NOANSWER, BUSY ...)


class CallTable:
    """Per-server normaliser state. See the module docstring."""

    def __init__(
        self,
        *,
        own_prefixes: tuple[str, ...] = (OWN_CALL_PREFIX,),
        dtmf_as_ivr: bool = False,
        max_ended: int = 10_000,
    ) -> None:
        #: Linkedids starting with one of these were set by us (Originate ChannelId).
        self.own_prefixes = own_prefixes
        #: Also turn received DTMF on the caller's leg before queueing into IvrInput (for dialplans
        #: that do not send ``UserEvent(IvrChoice,...)``). Off by default: ours sends it.
        self.dtmf_as_ivr = dtmf_as_ivr
        self.max_ended = max_ended
        self.calls: dict[str, CallInfo] = {}
        self.rings: set[tuple[str, str]] = set()  # (call_id, device) AgentRinging already emitted
        self.members: dict[tuple[str, str], tuple[AgentState, str | None]] = {}  # (queue, device)
        self.originates: dict[str, OriginateInfo] = {}  # by call_id
        self._originate_by_action: dict[str, str] = {}  # ActionID -> call_id
        self._ended: OrderedDict[str, None] = OrderedDict()  # Linkedids of ended calls

    def register_originate(
        self,
        call_id: str,
        *,
        action_id: str | None = None,
        customer_number: str = "",
        agent_device: str | None = None,
        caller_id: str | None = None,
    ) -> None:
        """Remember an Originate sent with ``ChannelId: call_id`` (its legs get Linkedid call_id)."""
        self.originates[call_id] = OriginateInfo(call_id, action_id, customer_number, agent_device, caller_id)
        if action_id is not None:
            self._originate_by_action[action_id] = call_id

    def originate_for_action(self, action_id: str) -> OriginateInfo | None:
        call_id = self._originate_by_action.get(action_id)
        return None if call_id is None else self.originates.get(call_id)

    def forget_originate(self, call_id: str) -> None:
        info = self.originates.pop(call_id, None)
        if info is not None and info.action_id is not None:
            self._originate_by_action.pop(info.action_id, None)

    def is_ours(self, linkedid: str) -> bool:
        return linkedid.startswith(self.own_prefixes) or linkedid in self.originates

    def call_id_for(self, linkedid: str, server: str) -> str:
        return linkedid if self.is_ours(linkedid) else f"{server}/{linkedid}"

    def has_ended(self, linkedid: str) -> bool:
        return linkedid in self._ended

    def end(self, call: CallInfo) -> None:
        """Drop an ended call, remembering its Linkedid so late events are ignored."""
        self.calls.pop(call.linkedid, None)
        self.forget_originate(call.call_id)
        if self.rings:
            self.rings = {r for r in self.rings if r[0] != call.call_id}
        self._ended[call.linkedid] = None
        while len(self._ended) > self.max_ended:
            self._ended.popitem(last=False)

    def mark_ended(self, linkedid: str) -> None:
        """Remember a call ended elsewhere (a reconciliation): its late events are ignored."""
        self._ended[linkedid] = None
        while len(self._ended) > self.max_ended:
            self._ended.popitem(last=False)

    def call_by_leg(self, uniqueid: str) -> CallInfo | None:
        for call in self.calls.values():
            if uniqueid in call.legs:
                return call
        return None
