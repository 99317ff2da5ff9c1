"""The screen-pop: when an agent's phone rings, that agent alone gets ``call.ringing``.

The pop carries the caller's matches (customers whose number it is, and the customers a guarantor,
relationship officer or alternative contact with that number belongs to), each with a short
summary, so the agent sees who is calling before answering. Matched records are opened to the
agent for the call and its wrap-up (call-scoped access).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select

from bus.base import EventBus, Outbox
from bus.outbox_names import CALL_ANSWERED, CALL_ENDED, CALL_RINGING, agent_stream
from domain.events import AgentConnected, AgentRinging, CallEnded, Direction, utcnow
from live.devices import DeviceDirectory
from runtime.metrics import Metrics
from store.db import Database
from store.models import CallRecord, User
from store.repositories.call_log import cached_e164
from store.repositories.caller_lookup import PopMatch
from store.repositories.presence import PresenceRepository

log = logging.getLogger(__name__)


class CallerLookup(Protocol):
    """Finds who a number belongs to and opens those records to the ringing agent."""

    async def matches_for_call(
        self, e164: str, *, agent_id: int, call_id: str, rang_at: datetime, until: datetime,
        carrier: str = "asterisk", server: str = "default",
    ) -> Sequence[PopMatch]:
        """The matches of ``e164``, granted to ``agent_id`` for ``call_id`` until ``until``; the first
        is remembered as the call's customer (the call record, on ``carrier`` and ``server``, is
        created if the log has not yet)."""
        ...


class IvrOfCall(Protocol):
    """The IVR summary of a call whose caller came through the IVR (None otherwise)."""

    async def for_ring(self, call_id: str, *, agent_id: int, until: datetime) -> dict[str, Any] | None: ...


ONCE_SECONDS = 3600.0
POP_CONCURRENCY = 8
POP_GROUP = "pop"


class PopService:
    """Each frame is appended once across workers (``Outbox.append_once``, keyed by the frame, the
    call and the device): after a failover the new AMI holder's resync re-announces a call that is
    still ringing, and the Redis bus delivers at least once; the agent still gets one
    ``call.ringing``."""

    def __init__(self, database: Database, outbox: Outbox, lookup: CallerLookup, *,
                 region: str, grant_minutes: int = 30, devices: DeviceDirectory | None = None,
                 ivr: IvrOfCall | None = None, metrics: Metrics | None = None) -> None:
        self._db = database
        self._metrics = metrics
        self._outbox = outbox
        self._lookup = lookup
        self._region = region
        self._grant = timedelta(minutes=grant_minutes)
        self._sent: OrderedDict[tuple[str, str, str], None] = OrderedDict()  # frames sent from here
        self._devices = devices or DeviceDirectory(database)  # a changed extension: seen within 10 s
        self._rang: OrderedDict[str, tuple[str, ...]] = OrderedDict()  # call_id -> agents popped here
        self._ivr = ivr

    def subscribe(self, bus: EventBus) -> None:
        # several pops at once (in order per call and device): one slow lookup delays no other agent
        bus.subscribe(AgentRinging, self.on_ringing, group=POP_GROUP, concurrency=POP_CONCURRENCY)
        bus.subscribe(AgentConnected, self.on_connected, group=POP_GROUP)
        bus.subscribe(CallEnded, self.on_ended, group=POP_GROUP)

    async def _send_once(self, kind: str, call_id: str, device: str, username: str, type: str,
                         data: dict[str, Any]) -> None:
        frame = (kind, call_id, device)
        if await self._outbox.append_once(agent_stream(username), type, data,
                                          key=f"{kind}:{call_id}:{device}", ttl=ONCE_SECONDS) is None:
            log.debug("pop: %s of %s for %s was already sent", kind, call_id, username)
        self._sent[frame] = None
        while len(self._sent) > 10_000:
            self._sent.popitem(last=False)

    def _already_sent(self, kind: str, call_id: str, device: str) -> bool:
        return (kind, call_id, device) in self._sent

    async def on_ringing(self, ev: AgentRinging) -> None:
        if not self._already_sent("ring", ev.call_id, ev.device):
            await self._pop(ev)

    async def _pop(self, ev: AgentRinging) -> None:
        started = time.perf_counter()
        who = await self._devices.agent(ev.device)
        if who is None:
            log.warning("pop: no agent has device %s (call %s)", ev.device, ev.call_id)
            return
        # Inbound: who is calling. Outbound (our dial): the customer is the number dialled.
        number = ev.caller_number if ev.direction is Direction.INBOUND else ev.dialed_number
        e164 = cached_e164(number, self._region) if number else None
        username = who.username
        # granted before the pop: the desktop may open the record at once
        matches = list(await self._lookup.matches_for_call(
            e164, agent_id=who.user_id, call_id=ev.call_id, rang_at=ev.at, until=utcnow() + self._grant,
            carrier=ev.carrier, server=ev.server,
        )) if e164 else []
        ivr = None  # the IVR's path and verification; the customer it identified comes first
        if self._ivr is not None and ev.direction is Direction.INBOUND:
            ivr = await self._ivr.for_ring(ev.call_id, agent_id=who.user_id, until=utcnow() + self._grant)
            if ivr is not None and ivr.get("match"):
                first = PopMatch(**ivr.pop("match"))
                matches = [first, *(m for m in matches if m.customer_id != first.customer_id)]
        await self._send_once("ring", ev.call_id, ev.device, username, CALL_RINGING, {
            "call_id": ev.call_id,
            "direction": ev.direction.value,
            "caller_number": e164 or ev.caller_number,
            "dialed_number": cached_e164(ev.dialed_number, self._region) or ev.dialed_number,
            "queue": ev.queue,
            "ivr": ivr if ivr is not None else ({"path": list(ev.ivr)} if ev.ivr else None),
            "matches": [m.to_json() for m in matches],
            "device": ev.device,
            "carrier": ev.carrier,
            "rang_at": ev.at.isoformat(),
        })
        if self._metrics is not None:
            self._metrics.pops.labels(matched="true" if matches else "false").inc()
            self._metrics.pop_latency.observe(time.perf_counter() - started)
        rang = self._rang.get(ev.call_id, ())
        if username not in rang:  # tuples of strings: the collector stops tracking them
            self._rang[ev.call_id] = (*rang, username)
        while len(self._rang) > 10_000:
            self._rang.popitem(last=False)

    async def on_connected(self, ev: AgentConnected) -> None:
        if self._already_sent("answer", ev.call_id, ev.device):
            return
        who = await self._devices.agent(ev.device)
        if who is not None:
            await self._send_once("answer", ev.call_id, ev.device, who.username, CALL_ANSWERED, {
                "call_id": ev.call_id, "device": ev.device, "queue": ev.queue,
                "hold_seconds": ev.hold_seconds, "answered_at": ev.at.isoformat(),
            })

    async def _involved(self, call_id: str) -> set[str]:
        """Who must hear that the call ended: agents whose presence is on it, the agent the record
        names, and those this worker popped. Presence alone is not enough: a ring that timed out
        may have put the agent back to ready (another bus group) before this handler runs."""
        names = set(self._rang.pop(call_id, ()))
        async with self._db.session() as session:
            names.update(u.username for u in await PresenceRepository(session).on_call(call_id))
            names.update((await session.scalars(
                select(User.username).join(CallRecord, CallRecord.agent_id == User.id)
                .where(CallRecord.call_id == call_id))).all())
        return names

    async def on_ended(self, ev: CallEnded) -> None:
        for username in sorted(await self._involved(ev.call_id)):
            if not self._already_sent("end", ev.call_id, username):
                await self._send_once("end", ev.call_id, username, username, CALL_ENDED, {
                    "call_id": ev.call_id, "cause": ev.cause.value, "cause_code": ev.cause_code,
                    "talk_seconds": ev.talk_seconds, "ended_at": ev.at.isoformat(),
                })
