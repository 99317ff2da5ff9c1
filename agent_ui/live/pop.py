"""The screen-pop: when an agent's phone rings, that agent alone gets ``call.ringing``.

The pop carries the caller's matches (customers whose number it is, and the customers a guarantor,
relationship officer or alternative contact with that number belongs to), each with a short
summary, so the agent sees who is calling before answering. Matched records are opened to the
agent for the call and its wrap-up (call-scoped access).
"""

from __future__ import annotations

import logging
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select

from agent_ui.live.devices import DeviceDirectory
from agent_ui.live.presence import agent_stream
from bus.base import EventBus, Lease, Outbox
from domain.events import AgentConnected, AgentRinging, CallEnded, Direction, utcnow
from store.call_log import cached_e164
from store.db import Database
from store.models import CallRecord, User
from store.presence import PresenceRepository

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PopMatch:
    customer_id: int
    name: str
    relation: str  # customer, guarantor, alternative_contact, relationship_officer
    summary: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"customer_id": self.customer_id, "name": self.name, "relation": self.relation,
                "summary": self.summary}


class CallerLookup(Protocol):
    """Finds who a number belongs to and opens those records to the ringing agent."""

    async def matches_for_call(
        self, e164: str, *, agent_id: int, call_id: str, rang_at: datetime, until: datetime
    ) -> Sequence[PopMatch]:
        """The matches of ``e164``, granted to ``agent_id`` for ``call_id`` until ``until``; the first
        is remembered as the call's customer (the call record is created if the log has not yet)."""
        ...


CLAIM_SECONDS = 3600.0


class PopService:
    """``claims`` (the shared lease store, with several workers) makes each frame once-only across
    workers: after a failover the new AMI holder's resync re-announces a call that is still ringing,
    and the Redis bus delivers at least once; the agent still gets one ``call.ringing``."""

    def __init__(self, database: Database, outbox: Outbox, lookup: CallerLookup, *,
                 region: str, grant_minutes: int = 30, claims: Lease | None = None,
                 devices: DeviceDirectory | None = None) -> None:
        self._db = database
        self._outbox = outbox
        self._lookup = lookup
        self._region = region
        self._grant = timedelta(minutes=grant_minutes)
        self._seen: OrderedDict[tuple[str, str, str], None] = OrderedDict()
        self._claims = claims
        self._devices = devices or DeviceDirectory(database)  # a changed extension: seen within 10 s
        self._rang: OrderedDict[str, set[str]] = OrderedDict()  # call_id -> agents popped here
        self._holder = f"pop-{uuid.uuid4().hex}"

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(AgentRinging, self.on_ringing, group="pop")
        bus.subscribe(AgentConnected, self.on_connected, group="pop")
        bus.subscribe(CallEnded, self.on_ended, group="pop")

    async def _first_time(self, kind: str, call_id: str, device: str) -> bool:
        k = (kind, call_id, device)
        if k in self._seen:
            return False
        if self._claims is not None and not await self._claims.try_acquire(
                f"pop:{kind}:{call_id}:{device}", self._holder, CLAIM_SECONDS):
            return False  # another worker sent this frame
        self._seen[k] = None
        while len(self._seen) > 10_000:
            self._seen.popitem(last=False)
        return True

    async def _undo(self, kind: str, call_id: str, device: str) -> None:
        """The frame was not sent: let the bus's retry send it."""
        self._seen.pop((kind, call_id, device), None)
        if self._claims is not None:
            try:
                await self._claims.release(f"pop:{kind}:{call_id}:{device}", self._holder)
            except Exception:
                log.exception("pop: could not release the claim on %s %s", kind, call_id)

    async def on_ringing(self, ev: AgentRinging) -> None:
        if not await self._first_time("ring", ev.call_id, ev.device):
            return
        try:
            await self._pop(ev)
        except Exception:
            await self._undo("ring", ev.call_id, ev.device)
            raise

    async def _pop(self, ev: AgentRinging) -> None:
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
        )) if e164 else []
        await self._outbox.append(agent_stream(username), "call.ringing", {
            "call_id": ev.call_id,
            "direction": ev.direction.value,
            "caller_number": e164 or ev.caller_number,
            "dialed_number": cached_e164(ev.dialed_number, self._region) or ev.dialed_number,
            "queue": ev.queue,
            "ivr": list(ev.ivr),
            "matches": [m.to_json() for m in matches],
            "device": ev.device,
            "carrier": ev.carrier,
            "rang_at": ev.at.isoformat(),
        })
        self._rang.setdefault(ev.call_id, set()).add(username)
        while len(self._rang) > 10_000:
            self._rang.popitem(last=False)

    async def on_connected(self, ev: AgentConnected) -> None:
        if not await self._first_time("answer", ev.call_id, ev.device):
            return
        try:
            who = await self._devices.agent(ev.device)
            if who is not None:
                await self._outbox.append(agent_stream(who.username), "call.answered", {
                    "call_id": ev.call_id, "device": ev.device, "queue": ev.queue,
                    "hold_seconds": ev.hold_seconds, "answered_at": ev.at.isoformat(),
                })
        except Exception:
            await self._undo("answer", ev.call_id, ev.device)
            raise

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
        if not await self._first_time("end", ev.call_id, ""):
            return
        try:
            for username in sorted(await self._involved(ev.call_id)):
                await self._outbox.append(agent_stream(username), "call.ended", {
                    "call_id": ev.call_id, "cause": ev.cause.value, "cause_code": ev.cause_code,
                    "talk_seconds": ev.talk_seconds, "ended_at": ev.at.isoformat(),
                })
        except Exception:
            await self._undo("end", ev.call_id, "")
            raise
