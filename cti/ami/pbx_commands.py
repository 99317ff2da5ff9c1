"""PBX commands of the browser phone and the recordings, performed over AMI (issue 20).

One :class:`PbxCommands` per Asterisk server, on that server's action connection (every worker has
one, so whichever worker consumes a command can perform it). Each command is answered with exactly
one ``PbxCommandDone`` (same ``request_id``) and never raises into the bus:

* ``PbxReloadRequested``: ``Reload Module=...`` (the provisioned includes changed);
* ``CallTransferRequested``: ``BlindTransfer`` / ``Atxfer`` / ``CancelAtxfer`` on the agent's channel;
* ``RecordingControlRequested``: ``MixMonitor`` (option ``b``: while bridged) on the customer's
  channel, ``MixMonitorMute Direction=both`` to pause and resume;
* ``MonitorRequested`` (issue 22): ``Originate`` (async) of the supervisor's device into the monitor
  context, extension ``listen`` / ``whisper`` / ``barge``, with ``SPY_CHANNEL`` set to the agent's
  channel (the context runs ``ChanSpy``); the new channel's Uniqueid is the request id, so
  ``MonitorStopRequested`` finds it and hangs it up.

The channels come from ``CoreShowChannels`` at the time of the command (:mod:`cti.ami.channels`).
"""

from __future__ import annotations

from collections.abc import Awaitable

from bus.base import EventBus
from cti.ami.channels import Channel, agent_channel, call_channels, customer_channel, linkedid_of
from cti.ami.connection import AmiConnection
from cti.commands import answer_command
from domain.errors import CarrierRejected, CarrierUnavailable
from domain.events import (
    CallTransferRequested,
    MonitorRequested,
    MonitorStopRequested,
    PbxReloadRequested,
    RecordingAction,
    RecordingControlRequested,
    TransferKind,
)

WAIT_CONNECTED = 5.0


class PbxCommands:
    def __init__(self, server: str, actions: AmiConnection, bus: EventBus, *, default: bool) -> None:
        self.server, self._actions, self._bus, self._default = server, actions, bus, default

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(PbxReloadRequested, self.on_reload, group=f"pbx-reload-{self.server}")
        bus.subscribe(CallTransferRequested, self.on_transfer, group=f"pbx-transfer-{self.server}")
        bus.subscribe(RecordingControlRequested, self.on_recording, group=f"pbx-recording-{self.server}")
        bus.subscribe(MonitorRequested, self.on_monitor, group=f"pbx-monitor-{self.server}")
        bus.subscribe(MonitorStopRequested, self.on_monitor_stop, group=f"pbx-monitor-stop-{self.server}")

    def _mine(self, server: str | None) -> bool:
        return server == self.server or (self._default and server in (None, "", "default"))

    async def _send(self, name: str, fields: list[tuple[str, str]]) -> str:
        if not self._actions.connected and not await self._actions.wait_connected(WAIT_CONNECTED):
            raise CarrierUnavailable(f"AMI {self.server} is not connected")
        result = await self._actions.action(name, fields)
        if not result.success:
            raise CarrierRejected(f"{name} refused: {result.message or 'no reason given'}")
        return result.message

    async def _channels(self, call_id: str) -> list[Channel]:
        if not self._actions.connected and not await self._actions.wait_connected(WAIT_CONNECTED):
            raise CarrierUnavailable(f"AMI {self.server} is not connected")
        listing = await self._actions.action("CoreShowChannels", {}, timeout=10)
        return call_channels((item.headers for item in listing.items), linkedid_of(call_id))

    async def _run(self, request_id: str, command: str, call_id: str | None, work: Awaitable[str]) -> None:
        await answer_command(self._bus, work, label=f"AMI {self.server}", request_id=request_id, command=command,
                             call_id=call_id, server=self.server)

    # -- handlers --------------------------------------------------------------------------------
    async def on_reload(self, ev: PbxReloadRequested) -> None:
        if ev.server is not None and not self._mine(ev.server):
            return
        await self._run(ev.request_id, "reload", None, self._reload(ev.modules))

    async def _reload(self, modules: tuple[str, ...]) -> str:
        for module in modules:
            await self._send("Reload", [("Module", module)])
        return "reloaded " + ", ".join(modules)

    async def on_transfer(self, ev: CallTransferRequested) -> None:
        if self._mine(ev.server):
            await self._run(ev.request_id, "transfer", ev.call_id, self._transfer(ev))

    async def _transfer(self, ev: CallTransferRequested) -> str:
        agent = agent_channel(await self._channels(ev.call_id), ev.device)
        if agent is None:
            raise CarrierRejected("the agent's leg of this call is gone")
        if ev.kind is TransferKind.CANCEL:
            return await self._send("CancelAtxfer", [("Channel", agent.name)])
        action = "BlindTransfer" if ev.kind is TransferKind.BLIND else "Atxfer"
        return await self._send(action, [("Channel", agent.name), ("Context", ev.context), ("Exten", ev.exten)])

    async def on_recording(self, ev: RecordingControlRequested) -> None:
        if self._mine(ev.server):
            await self._run(ev.request_id, "recording", ev.call_id, self._recording(ev))

    async def _recording(self, ev: RecordingControlRequested) -> str:
        customer = customer_channel(await self._channels(ev.call_id), ev.device)
        if customer is None:
            raise CarrierRejected("the customer's leg of this call is gone")
        if ev.action is RecordingAction.START:
            if not ev.file:
                raise CarrierRejected("no file to record into")
            return await self._send("MixMonitor", [("Channel", customer.name), ("File", ev.file), ("Options", "b")])
        state = "1" if ev.action is RecordingAction.PAUSE else "0"
        return await self._send("MixMonitorMute", [("Channel", customer.name), ("Direction", "both"),
                                                   ("State", state)])

    async def on_monitor(self, ev: MonitorRequested) -> None:
        if ev.carrier == "asterisk" and self._mine(ev.server):
            await self._run(ev.request_id, "monitor", ev.call_id, self._monitor(ev))

    async def _monitor(self, ev: MonitorRequested) -> str:
        agent = agent_channel(await self._channels(ev.call_id), ev.agent_device)
        if agent is None:
            raise CarrierRejected("the agent's leg of this call is gone")
        caller_id = ev.caller_id.replace('"', "").replace("\n", " ")[:60]
        return await self._send("Originate", [
            ("Channel", ev.supervisor_device), ("Context", ev.context), ("Exten", ev.mode.value), ("Priority", "1"),
            ("Timeout", str(ev.ring_seconds * 1000)), ("CallerID", f'"{caller_id}" <monitor>'),
            ("ChannelId", ev.request_id), ("Variable", f"SPY_CHANNEL={agent.name}"),
            ("Variable", f"SWITCHBOARD_MONITOR={ev.request_id}"), ("Async", "true")])

    async def on_monitor_stop(self, ev: MonitorStopRequested) -> None:
        if ev.carrier == "asterisk" and self._mine(ev.server):
            await self._run(ev.request_id, "monitor_stop", ev.call_id, self._monitor_stop(ev))

    async def _monitor_stop(self, ev: MonitorStopRequested) -> str:
        if not self._actions.connected and not await self._actions.wait_connected(WAIT_CONNECTED):
            raise CarrierUnavailable(f"AMI {self.server} is not connected")
        listing = await self._actions.action("CoreShowChannels", {}, timeout=10)
        names = [item.headers.get("Channel") or "" for item in listing.items
                 if item.headers.get("Uniqueid") == ev.request_id]
        if not names or not names[0]:
            return "the supervisor's leg had already ended"
        return await self._send("Hangup", [("Channel", names[0])])
