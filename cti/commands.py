"""One command path for both carriers: the bus side of a :class:`domain.carrier.Carrier`.

The Asterisk bridge (one per server) and the Twilio component each make one
:class:`CarrierCommands` around their carrier; what is carrier-specific (an AMI ``Originate``, a
Calls API request, an ACD change) sits behind the port. What is the same for both lives here, once:

* **dial-once**: a ``DialRequested`` is dialled at most once in the whole cluster, even when the bus
  delivers it again (a ``dial-once:<call_id>`` claim in the shared lease store, kept a day);
* **the staleness window**: a request older than :data:`STALE_DIAL_SECONDS` (queued while no worker
  consumed it) is not dialled: the agent has moved on;
* **the outcome mapping** of the port's errors onto one :class:`~domain.events.DialResult`;
* **never raising into the bus** for a dial (the bus would redeliver it), and the log line.

``AgentStateRequested`` (ready / paused / logged out) becomes queue joins, leaves and a pause at
the carrier; a refusal is logged, never retried. The other commands (transfer, recording, monitor)
are answered by :func:`answer_command`: exactly one ``PbxCommandDone`` each, on either carrier.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

from bus.base import EventBus, Lease
from domain.carrier import Carrier
from domain.errors import AgentNotAvailable, CarrierUnavailable, DialOutcomeUnknown, SwitchboardError
from domain.events import (
    AgentState,
    AgentStateRequested,
    DialOutcome,
    DialRequested,
    DialResult,
    PbxCommandDone,
    utcnow,
)

log = logging.getLogger(__name__)

STALE_DIAL_SECONDS = 30.0  # an older request (queued while nothing consumed it) is not dialled
DIAL_ONCE_SECONDS = 86_400  # how long a dial's once-only claim is kept
DIAL_ONCE_PREFIX = "dial-once:"
DUPLICATE = "duplicate request ignored"
INTERNAL = "internal error while dialling"


def outcome_of(error: BaseException | None) -> tuple[DialOutcome, str | None]:
    """The :class:`DialOutcome` of a dial that raised ``error`` (None: it went out)."""
    if error is None:
        return DialOutcome.SENT, None
    if isinstance(error, CarrierUnavailable | AgentNotAvailable):  # nothing went out: safe to retry
        return DialOutcome.NOT_SENT, error.message
    if isinstance(error, DialOutcomeUnknown):  # may have dialled: the call's events will tell
        return DialOutcome.UNKNOWN, error.message
    if isinstance(error, SwitchboardError):  # refused, or a device / caller ID the carrier cannot use
        return DialOutcome.FAILED, error.message
    return DialOutcome.UNKNOWN, INTERNAL  # a bug: whether anything went out is not known


class CarrierCommands:
    """``DialRequested`` and ``AgentStateRequested`` for one carrier in, ``DialResult`` out.

    ``server``: the Asterisk server this instance dials on (None: the carrier has no servers, as
    Twilio); a request naming no server goes to the ``default`` one. Only a ``default`` instance
    takes agent-state commands (queue membership is the carrier's, not a server's, business).
    """

    def __init__(self, carrier: Carrier, bus: EventBus, lease: Lease, *, worker_id: str,
                 server: str | None = None, default: bool = True,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.carrier = carrier
        self.server, self.default = server, default
        self._bus, self._lease, self._worker_id, self._clock = bus, lease, worker_id, clock
        self._label = f"{carrier.name} {server}" if server else carrier.name

    @property
    def dial_group(self) -> str:
        return f"{self.carrier.name}-dial" + (f"-{self.server}" if self.server else "")

    @property
    def state_group(self) -> str:
        return f"{self.carrier.name}-agent-state"

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(DialRequested, self.on_dial_requested, group=self.dial_group)
        if self.default:
            bus.subscribe(AgentStateRequested, self.on_state_requested, group=self.state_group)

    def mine(self, ev: DialRequested) -> bool:
        if ev.carrier != self.carrier.name:
            return False
        return self.server is None or ev.server == self.server or (ev.server is None and self.default)

    # -- dials ----------------------------------------------------------------------------------
    async def on_dial_requested(self, ev: DialRequested) -> None:
        """Dial at most once in the whole cluster, and never raise (the bus would redeliver)."""
        if not self.mine(ev):
            return
        try:
            outcome, reason = await self.dial_once(ev)
        except Exception as exc:  # never let the bus redeliver a dial
            log.exception("%s: dial %s failed unexpectedly", self._label, ev.call_id)
            outcome, reason = outcome_of(exc)
        log.info("%s: dial %s from %s: %s%s", self._label, ev.call_id, ev.agent_device, outcome.value,
                 f" ({reason})" if reason else "", extra={"server": self.server})
        try:
            await self._bus.publish(DialResult(call_id=ev.call_id, outcome=outcome, reason=reason,
                                               carrier=self.carrier.name))
        except Exception:
            log.exception("%s: could not publish the result of %s", self._label, ev.call_id)

    async def dial_once(self, ev: DialRequested) -> tuple[DialOutcome, str | None]:
        age = (self._clock() - ev.at).total_seconds()
        if age > STALE_DIAL_SECONDS:
            return DialOutcome.NOT_SENT, f"request is {age:.0f}s old; the agent has moved on"
        # A once-only claim shared by every worker: a redelivered command finds it taken.
        holder = f"{self._worker_id}:{uuid.uuid4().hex}"
        if not await self._lease.try_acquire(f"{DIAL_ONCE_PREFIX}{ev.call_id}", holder, ttl=DIAL_ONCE_SECONDS):
            log.warning("%s: dial %s was already handled; not sending it again", self._label, ev.call_id)
            return DialOutcome.UNKNOWN, DUPLICATE
        try:
            await self.carrier.dial(ev)
        except SwitchboardError as exc:
            return outcome_of(exc)
        return outcome_of(None)

    # -- agent state ----------------------------------------------------------------------------
    async def on_state_requested(self, ev: AgentStateRequested) -> None:
        """Never raises for a refusal (a device this carrier cannot serve, a refused change): logged."""
        if ev.carrier != self.carrier.name:
            return
        carrier = self.carrier
        try:
            if ev.state == AgentState.LOGGED_OUT:
                for queue in ev.queues:
                    await carrier.queue_remove(queue, ev.device)
                return
            paused = ev.state == AgentState.PAUSED
            for queue in ev.queues:  # a paused agent joins paused: no call slips in between
                await carrier.queue_add(queue, ev.device, ev.username, paused=paused)
            await carrier.queue_pause(None, ev.device, paused, ev.reason)
        except SwitchboardError as exc:
            log.warning("%s: agent %s (%s) -> %s refused: %s %s", self._label, ev.username, ev.device,
                        ev.state, exc.error_id, exc.message)


async def answer_command(bus: EventBus, work: Awaitable[str], *, label: str, request_id: str, command: str,
                         call_id: str | None, server: str) -> None:
    """Run one carrier command and answer it with exactly one ``PbxCommandDone`` (``ok`` and the
    carrier's message, or the refusal's); never raises into the bus (it would redeliver)."""
    try:
        ok, message = True, await work
    except SwitchboardError as exc:
        ok, message = False, exc.message
        log.warning("%s: %s %s failed: %s", label, command, request_id, exc.message)
    except Exception:
        ok, message = False, "internal error"
        log.exception("%s: %s %s failed unexpectedly", label, command, request_id)
    try:
        await bus.publish(PbxCommandDone(request_id=request_id, command=command, ok=ok, message=message,
                                         call_id=call_id, server=server))
    except Exception:
        log.exception("%s: could not publish the result of %s", label, request_id)
