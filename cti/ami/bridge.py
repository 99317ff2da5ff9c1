"""The Asterisk carrier: one bridge per Asterisk server (one AMI user each).

Two AMI logins per worker and server:
- an *event* connection, held by exactly one worker at a time (a lease), whose messages go
  through the pure normaliser onto the bus, so no event is published twice; after each login it
  resyncs live calls, queue members and the browser phones' registrations (CoreShowChannels,
  QueueStatus, PJSIPShowContacts) without duplicating pops;
- an *action* connection (``Events: off``) on every worker, so a command consumed by any worker
  (DialRequested, AgentStateRequested, through :class:`cti.commands.CarrierCommands`, the one
  command path of both carriers) is sent from there. Nothing is ever re-sent: an Originate whose
  answer is lost becomes DialResult(UNKNOWN), reconciled from the call's events.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bus.base import EventBus, Lease
from bus.fencing import FencedPublisher, LeaseLost
from bus.lease import LeaseKeeper
from config.settings import AmiServer, AmiSettings
from cti.ami.calltable import CallTable
from cti.ami.connection import AmiConnection
from cti.ami.contacts import contacts_snapshot, no_contacts
from cti.ami.framing import AmiMessage
from cti.ami.normaliser import normalise
from cti.ami.reconcile import Reconciler, SharedState, ended_events, live_linkedids, stale_calls
from cti.ami.resync import resync_channels, resync_queue_status
from cti.commands import CarrierCommands
from domain.errors import CarrierError, CarrierRejected, SwitchboardError
from domain.events import DialRequested, Event, PhoneRegistrationChanged, utcnow
from domain.phone import national_digits
from runtime.supervisor import TaskSupervisor

log = logging.getLogger(__name__)
_ALREADY = ("already there", "not there", "not in queue")
ACTIONS_WAIT_SECONDS = 10.0  # a member command waits this long for the action connection to log in
# Asterisk accepts AMI logins before its modules have loaded: just after a restart QueueAdd is
# "Invalid/unknown command" until app_queue is up. A member command retries that refusal this long.
MODULES_WAIT_SECONDS = 30.0
MODULES_RETRY_SECONDS = 0.5
_LOADING = "invalid/unknown command"
OnResynced = Callable[[], Awaitable[object]]


def dial_string(template: str, e164: str) -> str:
    """Fill ``{e164}``, ``{national}`` (0712345678) and ``{digits}`` (254712345678)."""
    return template.format(e164=e164, national=national_digits(e164), digits=e164.lstrip("+"))


class AsteriskBridge:
    name = "asterisk"

    def __init__(self, server: AmiServer, ami: AmiSettings, *, dial_template: str, bus: EventBus,
                 lease: Lease, supervisor: TaskSupervisor, worker_id: str, default: bool = True,
                 connection_factory: Callable[..., AmiConnection] = AmiConnection,
                 on_resynced: OnResynced | None = None, reconciler: Reconciler | None = None) -> None:
        self.server = server
        self._on_resynced = on_resynced  # e.g. put the ready agents back after an Asterisk restart
        self._reconciler = reconciler  # the store's open calls and busy agents of this server
        self._ami, self._template, self._bus, self._lease = ami, dial_template, bus, lease
        self._supervisor, self._worker_id, self._default = supervisor, worker_id, default
        self._factory = connection_factory
        self.table = CallTable()
        # the devices this worker saw registered on this server (kept across its reconnects): one
        # absent from the contacts after a gap went away unseen (cti/ami/contacts.py)
        self.registered: set[str] = set()
        self.actions = self._connection(events=False)
        self.events: AmiConnection | None = None
        self._events_task = f"ami-events-{server.name}"
        self._reconcile_task = f"ami-reconcile-{server.name}"
        self.keeper = LeaseKeeper(lease, f"ami:{server.name}", worker_id, ttl=ami.lease_seconds,
                                  renew_every=ami.lease_renew_seconds, on_acquired=self._acquired,
                                  on_lost=self._lost)
        # what the event connection publishes is fenced by the lease (bus/fencing.py)
        self._fenced = FencedPublisher(bus, lease, self.keeper.name, worker_id, valid=self.keeper.valid)
        self.commands = CarrierCommands(self, bus, lease, worker_id=worker_id, server=server.name, default=default)

    def _connection(self, *, events: bool) -> AmiConnection:
        return self._factory(
            self.server, events=events, on_events=self._on_events if events else None,
            on_login=self._resync if events else None, ping_interval=self._ami.ping_interval,
            dead_after=self._ami.dead_after, max_backoff=self._ami.reconnect_max_backoff,
        )

    # -- wiring ---------------------------------------------------------------------------------
    def subscribe(self, bus: EventBus) -> None:
        """Dials (this server's, and the default one's for a request naming none) and, on the
        default bridge, agent-state commands: :class:`cti.commands.CarrierCommands` around this."""
        self.commands.subscribe(bus)

    def start(self) -> None:
        self._supervisor.spawn(f"ami-actions-{self.server.name}", self.actions.run)
        self._supervisor.spawn(f"ami-lease-{self.server.name}", self.keeper.run)

    async def _acquired(self) -> None:
        log.info("AMI %s: this worker (%s) now holds the event connection", self.server.name,
                 self._worker_id, extra={"server": self.server.name})
        self.table = CallTable()
        self.events = self._connection(events=True)
        self._supervisor.spawn(self._events_task, self.events.run)
        if self._reconciler is not None:
            self._supervisor.spawn(self._reconcile_task, self._reconcile_periodically)

    async def _lost(self) -> None:
        await self._supervisor.cancel(self._events_task, self._reconcile_task)
        self.events = None
        log.info("AMI %s: this worker (%s) stopped its event connection", self.server.name,
                 self._worker_id, extra={"server": self.server.name})

    async def _publish(self, events: list[Event]) -> bool:
        """Publish under the lease; False (and nothing more is sent) once the lease is lost."""
        try:
            for event in events:
                await self._fenced.publish(event)
                if isinstance(event, PhoneRegistrationChanged):
                    (self.registered.add if event.registered else self.registered.discard)(event.device)
        except LeaseLost as exc:
            if self._fenced.refused == 1 or self._fenced.refused % 100 == 0:
                log.warning("AMI %s: %s", self.server.name, exc.message, extra={"server": self.server.name})
            self.keeper.recheck()
            return False
        return True

    # -- events in ------------------------------------------------------------------------------
    async def _on_events(self, messages: list[AmiMessage]) -> None:
        for msg in messages:
            try:
                events = normalise(self.table, msg, self.server.name)
            except Exception:  # a bug on one odd message must not stop the stream
                log.exception("AMI %s: normaliser failed on %s", self.server.name, msg.event)
                continue
            if not await self._publish(events):
                # This connection's events stop here. If the lease is still ours after all (the
                # refusal was the local check while a renewal was late), the supervisor restarts
                # the connection: a new login resyncs what was dropped; if not, on_lost stops it.
                raise LeaseLost(f"AMI {self.server.name}: events refused by the lease fence; reconnecting",
                                {"server": self.server.name})

    async def _resync(self) -> None:
        """After each login: live calls and queue members from Asterisk, and whatever the shared
        store has that Asterisk no longer has is ended (:mod:`cti.ami.reconcile`)."""
        conn = self.events
        if conn is None:
            return
        shared = await self._shared_state()
        before = set(self.table.calls)  # only these can be judged by the snapshot
        channels = await conn.action("CoreShowChannels", {}, timeout=15)
        records = shared.known() if shared is not None else None
        if not await self._publish(resync_channels(self.table, channels.items, self.server.name,
                                                   records=records, only=before)):
            return
        ended = 0
        if shared is not None:
            ended = await self._end_stale(shared, live_linkedids(channels.items), "resync")
        status = await conn.action("QueueStatus", {}, timeout=15)
        if not await self._publish(resync_queue_status(self.table, status.items, self.server.name)):
            return
        phones = await self._resync_contacts(conn)
        if phones is None:
            return
        log.info("AMI %s: resynced %d channels, %d queue items, %d phone registration(s); %d call(s) ended "
                 "that Asterisk no longer had", self.server.name, len(channels.items), len(status.items), phones,
                 ended, extra={"server": self.server.name})
        if self._on_resynced is not None:
            # Asterisk may have restarted and forgotten its dynamic queue members
            await self._on_resynced()

    async def _resync_contacts(self, conn: AmiConnection) -> int | None:
        """The browser phones' registrations missed while no connection listened; None: the lease
        was lost. A refusal other than "No Contacts found" leaves them as they were."""
        contacts = await conn.action("PJSIPShowContacts", {}, timeout=15)
        if not contacts.success and not no_contacts(contacts.response):
            log.warning("AMI %s: cannot list the phones' registrations: %s", self.server.name, contacts.message,
                        extra={"server": self.server.name})
            return 0
        events = contacts_snapshot(contacts.items, self.server.name, utcnow(), known=set(self.registered))
        if not await self._publish(list(events)):
            return None
        return len(events)

    async def _shared_state(self) -> SharedState | None:
        if self._reconciler is None:
            return None
        try:
            return await self._reconciler.shared_state()
        except SwitchboardError as exc:  # resync without it; the periodic pass tries again
            log.warning("AMI %s: cannot read the open calls to reconcile: %s", self.server.name, exc.message)
            return None

    async def _end_stale(self, shared: SharedState, live: set[str], why: str) -> int:
        stale = stale_calls(shared, self.table, live)
        for item in stale:
            self.table.mark_ended(item.call_id.removeprefix(f"{self.server.name}/"))
            log.info("AMI %s: %s: call %s is gone from Asterisk; ending it (ended_during_failover)%s",
                     self.server.name, why, item.call_id,
                     f", agent(s) {', '.join(item.agents)}" if item.agents else "",
                     extra={"server": self.server.name, "call_id": item.call_id,
                            "agent": ",".join(item.agents) or None})
        await self._publish(list(ended_events(stale, self.server.name)))
        return len(stale)

    async def _reconcile_periodically(self) -> None:
        """The safety net while holding the lease: two small queries when nothing is stale, and a
        ``CoreShowChannels`` only when the store has a call the table does not account for."""
        assert self._reconciler is not None
        while True:
            await asyncio.sleep(self._ami.reconcile_seconds)
            conn = self.events
            if conn is None or not conn.connected:
                continue
            shared = await self._reconciler.shared_state()
            if not stale_calls(shared, self.table):
                continue
            try:
                channels = await conn.action("CoreShowChannels", {}, timeout=15)
            except CarrierError as exc:
                log.warning("AMI %s: reconcile skipped: %s", self.server.name, exc.message)
                continue
            await self._end_stale(shared, live_linkedids(channels.items), "reconcile")

    # -- commands out (domain.carrier.Carrier) --------------------------------------------------
    async def dial(self, request: DialRequested) -> None:
        fields = [
            ("Channel", request.agent_device),
            ("Application", "Dial"),
            ("Data", f"{dial_string(self._template, request.customer_number)},{request.timeout_seconds}"),
            ("Timeout", str(request.timeout_seconds * 1000)),
            ("ChannelId", request.call_id),
            ("CallerID", request.caller_id or request.customer_number),
            ("Async", "true"),
            ("Variable", f"SB_CALL_ID={request.call_id}"),
            *(("Variable", f"{k}={v}") for k, v in request.variables),
        ]
        action_id = f"orig-{request.call_id}"
        # The event connection's table learns the customer number (outbound legs show Exten "s").
        self.table.register_originate(request.call_id, action_id=action_id,
                                      customer_number=request.customer_number,
                                      agent_device=request.agent_device, caller_id=request.caller_id)
        result = await self.actions.action("Originate", fields, action_id=action_id)
        if not result.success:
            raise CarrierRejected(f"Originate refused: {result.message}", {"call_id": request.call_id})

    async def _member_action(self, name: str, fields: list[tuple[str, str]]) -> None:
        if not self.actions.connected:  # e.g. just after a restart: the link is coming back
            await self.actions.wait_connected(ACTIONS_WAIT_SECONDS)
        deadline = asyncio.get_running_loop().time() + MODULES_WAIT_SECONDS
        while True:
            result = await self.actions.action(name, fields)
            message = result.message.lower()
            if result.success or any(s in message for s in _ALREADY):
                return
            if _LOADING not in message or asyncio.get_running_loop().time() >= deadline:
                raise CarrierRejected(f"{name} refused: {result.message}")
            log.info("AMI %s: %s is not loaded yet (Asterisk is starting); trying again", self.server.name, name,
                     extra={"server": self.server.name})
            await asyncio.sleep(MODULES_RETRY_SECONDS)

    async def queue_add(self, queue: str, device: str, member_name: str, *, paused: bool = False) -> None:
        await self._member_action("QueueAdd", [("Queue", queue), ("Interface", device),
                                               ("MemberName", member_name),
                                               ("Paused", "true" if paused else "false")])

    async def queue_remove(self, queue: str, device: str) -> None:
        await self._member_action("QueueRemove", [("Queue", queue), ("Interface", device)])

    async def queue_pause(self, queue: str | None, device: str, paused: bool, reason: str | None) -> None:
        fields = [("Interface", device), ("Paused", "true" if paused else "false")]
        if queue:
            fields.append(("Queue", queue))
        if reason:
            fields.append(("Reason", reason))
        await self._member_action("QueuePause", fields)
