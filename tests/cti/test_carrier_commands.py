"""``CarrierCommands``, the one command path of both carriers, against a fake port (no sockets).

Dial-once (a call id is dialled at most once, even when the bus delivers the request again, on
this worker or another), the staleness window, the mapping of the port's errors onto one
``DialResult``, routing by carrier and server, and agent-state commands. The lease store is the
real in-memory one; the bus is a recorder (the handlers are called as the bus would call them).
"""

from __future__ import annotations

import ast
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from bus.base import EventBus
from bus.lease import MemoryLease
from cti.ami.bridge import AsteriskBridge
from cti.commands import STALE_DIAL_SECONDS, CarrierCommands, answer_command
from cti.twilio.carrier import TwilioCarrier
from domain.carrier import Carrier
from domain.errors import (
    AgentNotAvailable,
    CarrierRejected,
    CarrierUnavailable,
    DialOutcomeUnknown,
    InvalidInput,
    SwitchboardError,
)
from domain.events import (
    AgentState,
    AgentStateRequested,
    DialOutcome,
    DialRequested,
    DialResult,
    Event,
    PbxCommandDone,
)

NOW = datetime(2026, 3, 4, 7, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class FakeCarrier:
    """The port, recording what it was asked; ``fail`` is raised by the next dial."""

    name: str = "asterisk"
    fail: BaseException | None = None
    dials: list[str] = field(default_factory=list)
    calls: list[tuple[Any, ...]] = field(default_factory=list)
    refuse: SwitchboardError | None = None

    async def dial(self, request: DialRequested) -> None:
        self.dials.append(request.call_id)
        if self.fail is not None:
            raise self.fail

    def _member(self, *call: Any) -> None:
        self.calls.append(call)
        if self.refuse is not None:
            raise self.refuse

    async def queue_add(self, queue: str, device: str, member_name: str, *, paused: bool = False) -> None:
        self._member("add", queue, device, member_name, paused)

    async def queue_remove(self, queue: str, device: str) -> None:
        self._member("remove", queue, device)

    async def queue_pause(self, queue: str | None, device: str, paused: bool, reason: str | None) -> None:
        self._member("pause", queue, device, paused, reason)


@dataclass
class RecordingBus:
    events: list[Event] = field(default_factory=list)
    groups: list[tuple[str, str | None]] = field(default_factory=list)
    broken: bool = False

    async def publish(self, event: Event) -> None:
        if self.broken:
            raise ConnectionError("the bus is down")
        self.events.append(event)

    def subscribe(self, event_type: type[Event], handler: Callable[..., Any], *, group: str | None = None,
                  concurrency: int = 1) -> None:
        self.groups.append((event_type.type_name, group))

    def results(self) -> list[DialResult]:
        return [e for e in self.events if isinstance(e, DialResult)]


def _commands(carrier: FakeCarrier, bus: RecordingBus, lease: MemoryLease | None = None, *,
              worker_id: str = "w1", **kw: Any) -> CarrierCommands:
    return CarrierCommands(carrier, cast(EventBus, bus), lease or MemoryLease(), worker_id=worker_id,
                           clock=lambda: NOW, **kw)


def _dial(call_id: str = "sb-1", *, carrier: str = "asterisk", server: str | None = None,
          age: float = 1.0) -> DialRequested:
    return DialRequested(call_id=call_id, agent_device="PJSIP/1001", customer_number="+254712345678",
                         carrier=carrier, server=server, at=NOW - timedelta(seconds=age))


async def test_a_dial_is_sent_once_and_answered_with_one_result() -> None:
    carrier, bus = FakeCarrier(), RecordingBus()
    commands = _commands(carrier, bus)
    await commands.on_dial_requested(_dial())
    assert carrier.dials == ["sb-1"]
    [result] = bus.results()
    assert (result.call_id, result.outcome, result.reason, result.carrier) == ("sb-1", DialOutcome.SENT, None,
                                                                               "asterisk")


async def test_a_redelivered_dial_is_not_sent_again_on_any_worker() -> None:
    carrier, bus, lease = FakeCarrier(), RecordingBus(), MemoryLease()  # one lease store, as Redis
    first, second = _commands(carrier, bus, lease, worker_id="w1"), _commands(carrier, bus, lease, worker_id="w2")
    await first.on_dial_requested(_dial())
    await first.on_dial_requested(_dial())  # the bus delivered it again to the same worker
    await second.on_dial_requested(_dial())  # ... and to another worker
    assert carrier.dials == ["sb-1"]
    assert [(r.outcome, r.reason) for r in bus.results()] == [
        (DialOutcome.SENT, None), (DialOutcome.UNKNOWN, "duplicate request ignored"),
        (DialOutcome.UNKNOWN, "duplicate request ignored")]


async def test_a_stale_request_is_not_dialled_and_takes_no_claim() -> None:
    carrier, bus, lease = FakeCarrier(), RecordingBus(), MemoryLease()
    commands = _commands(carrier, bus, lease)
    await commands.on_dial_requested(_dial(age=STALE_DIAL_SECONDS + 5))
    assert carrier.dials == []
    [result] = bus.results()
    assert result.outcome is DialOutcome.NOT_SENT and "35s old" in (result.reason or "")
    assert await lease.holder("dial-once:sb-1") is None
    await commands.on_dial_requested(_dial(age=STALE_DIAL_SECONDS - 1))  # inside the window: dialled
    assert carrier.dials == ["sb-1"] and bus.results()[-1].outcome is DialOutcome.SENT


@pytest.mark.parametrize(("error", "outcome", "reason"), [
    (CarrierUnavailable("AMI pbx1 is not connected"), DialOutcome.NOT_SENT, "AMI pbx1 is not connected"),
    (AgentNotAvailable("client:amina is not in the ACD"), DialOutcome.NOT_SENT, "client:amina is not in the ACD"),
    (DialOutcomeUnknown("no answer to the Originate"), DialOutcome.UNKNOWN, "no answer to the Originate"),
    (CarrierRejected("Originate refused: Extension does not exist"), DialOutcome.FAILED,
     "Originate refused: Extension does not exist"),
    (InvalidInput("PJSIP/1001 is not a Twilio device"), DialOutcome.FAILED, "PJSIP/1001 is not a Twilio device"),
    (RuntimeError("a bug"), DialOutcome.UNKNOWN, "internal error while dialling"),
])
async def test_the_outcome_of_each_error_of_the_port(error: BaseException, outcome: DialOutcome,
                                                     reason: str) -> None:
    carrier, bus = FakeCarrier(name="twilio", fail=error), RecordingBus()
    await _commands(carrier, bus).on_dial_requested(_dial(carrier="twilio"))  # never raises
    [result] = bus.results()
    assert (result.outcome, result.reason, result.carrier) == (outcome, reason, "twilio")
    assert carrier.dials == ["sb-1"]


async def test_a_result_the_bus_refuses_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    carrier, bus = FakeCarrier(), RecordingBus(broken=True)
    with caplog.at_level(logging.ERROR, logger="cti.commands"):
        await _commands(carrier, bus).on_dial_requested(_dial())
    assert carrier.dials == ["sb-1"]
    assert "could not publish the result of sb-1" in caplog.text


async def test_dials_are_routed_by_carrier_and_server() -> None:
    bus = RecordingBus()
    default, other = FakeCarrier(), FakeCarrier()
    pbx1 = _commands(default, bus, server="pbx1", default=True)
    pbx2 = _commands(other, bus, server="pbx2", default=False)
    for commands in (pbx1, pbx2):
        await commands.on_dial_requested(_dial("sb-any"))  # no server named: the default one
        await commands.on_dial_requested(_dial("sb-2", server="pbx2"))
        await commands.on_dial_requested(_dial("sb-tw", carrier="twilio"))  # another carrier's
    assert (default.dials, other.dials) == (["sb-any"], ["sb-2"])
    twilio = FakeCarrier(name="twilio")
    serverless = _commands(twilio, bus)  # Twilio has no servers: every request of its carrier
    for request in (_dial("sb-t1", carrier="twilio"), _dial("sb-t2", carrier="twilio", server="pbx2"),
                    _dial("sb-a")):
        await serverless.on_dial_requested(request)
    assert twilio.dials == ["sb-t1", "sb-t2"]


def test_the_bus_groups_are_those_of_before() -> None:
    bus = RecordingBus()
    _commands(FakeCarrier(), bus, server="pbx1", default=True).subscribe(cast(EventBus, bus))
    _commands(FakeCarrier(), bus, server="pbx2", default=False).subscribe(cast(EventBus, bus))
    _commands(FakeCarrier(name="twilio"), bus).subscribe(cast(EventBus, bus))
    dial, state = DialRequested.type_name, AgentStateRequested.type_name
    assert bus.groups == [(dial, "asterisk-dial-pbx1"), (state, "asterisk-agent-state"),
                          (dial, "asterisk-dial-pbx2"),  # only the default server takes agent commands
                          (dial, "twilio-dial"), (state, "twilio-agent-state")]


def _state(state: AgentState, reason: str | None = None, *, carrier: str = "asterisk") -> AgentStateRequested:
    return AgentStateRequested(username="amina", device="PJSIP/1001", state=state, reason=reason,
                               queues=("collections", "sales"), carrier=carrier)


async def test_agent_state_commands_become_joins_leaves_and_pauses() -> None:
    carrier = FakeCarrier()
    commands = _commands(carrier, RecordingBus())
    await commands.on_state_requested(_state(AgentState.READY))
    await commands.on_state_requested(_state(AgentState.PAUSED, "lunch"))
    await commands.on_state_requested(_state(AgentState.LOGGED_OUT))
    await commands.on_state_requested(_state(AgentState.READY, carrier="twilio"))  # not this carrier's
    device = "PJSIP/1001"
    assert carrier.calls == [
        ("add", "collections", device, "amina", False), ("add", "sales", device, "amina", False),
        ("pause", None, device, False, None),
        ("add", "collections", device, "amina", True), ("add", "sales", device, "amina", True),  # joins paused
        ("pause", None, device, True, "lunch"),
        ("remove", "collections", device), ("remove", "sales", device),
    ]


async def test_a_refused_agent_command_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    carrier = FakeCarrier(name="twilio", refuse=InvalidInput("PJSIP/1001 is not a Twilio device"))
    with caplog.at_level(logging.WARNING, logger="cti.commands"):
        await _commands(carrier, RecordingBus()).on_state_requested(_state(AgentState.READY, carrier="twilio"))
    assert carrier.calls == [("add", "collections", "PJSIP/1001", "amina", False)]  # stopped at the refusal
    assert "is not a Twilio device" in caplog.text


async def test_every_other_command_is_answered_exactly_once() -> None:
    bus = RecordingBus()

    async def done() -> str:
        return "transferred"

    async def refused() -> str:
        raise CarrierRejected("the agent's leg of this call is gone")

    async def bug() -> str:
        raise KeyError("Channel")

    for request_id, work in (("r1", done()), ("r2", refused()), ("r3", bug())):
        await answer_command(cast(EventBus, bus), work, label="AMI pbx1", request_id=request_id,
                             command="transfer", call_id="sb-1", server="pbx1")
    answers = [(e.request_id, e.ok, e.message, e.server) for e in bus.events if isinstance(e, PbxCommandDone)]
    assert answers == [("r1", True, "transferred", "pbx1"),
                       ("r2", False, "the agent's leg of this call is gone", "pbx1"),
                       ("r3", False, "internal error", "pbx1")]


def test_both_carriers_implement_the_port() -> None:
    carriers: tuple[type[Carrier], ...] = (AsteriskBridge, TwilioCarrier)  # mypy checks the shapes
    assert [c.name for c in carriers] == ["asterisk", "twilio"]


def test_the_staleness_window_is_written_once() -> None:
    """One module assigns STALE_DIAL_SECONDS; the carriers import nothing of their own."""
    owners = []
    for path in ROOT.glob("*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(node, ast.Assign | ast.AnnAssign) and "STALE_DIAL_SECONDS" in ast.unparse(node).split("=")[0]
               for node in ast.walk(tree)):
            owners.append(path.relative_to(ROOT).as_posix())
    assert owners == ["cti/commands.py"]
