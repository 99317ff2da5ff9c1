"""The desk's call controls that the PBX performs, and the call log of every control used.

Answer, hang-up, mute, hold (the PBX plays hold music to the customer) and the keypad (RFC 4733)
are SIP, done by the browser's user agent; the desk reports hold and unhold here so the call log
has them. Transfers are AMI commands on the bus: blind (``BlindTransfer``) to a queue, an agent or
a number, and warm (``Atxfer``: the agent consults the target while the customer hears hold music,
then completes by hanging up, or returns with ``CancelAtxfer``). A number passes the compliance
gate first. Each command's answer (``PbxCommandDone``) settles its call-log row and is pushed to
the agent's desk as ``phone.control``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select

from bus.base import EventBus, Outbox
from bus.outbox_names import PHONE_CONTROL, agent_stream
from config.settings import Settings
from domain.agent_state import ON_A_CALL
from domain.compliance import Pack
from domain.errors import Conflict, InvalidInput, NotFound
from domain.events import AgentLeftCall, CallTransferRequested, Event, PbxCommandDone, TransferKind, utcnow
from domain.phone import national_digits, to_e164
from phone.gate import check_transfer_number
from phone.service import GROUP, device_endpoint
from store.db import Database
from store.models import CallRecord, User
from store.repositories.phone import CallActionRepository
from store.repositories.presence import PresenceRepository

Publish = Callable[[Event], Awaitable[None]]
TargetType = Literal["queue", "agent", "number"]
NOTED = frozenset({"hold", "unhold", "transfer_complete"})  # done by the browser over SIP, logged here
_QUEUE = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
_DIGITS = re.compile(r"^[0-9]{2,20}$")


class CallControls:
    def __init__(self, database: Database, settings: Settings, publish: Publish, outbox: Outbox | None,
                 pack: Pack, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._db, self._settings, self._publish, self._outbox = database, settings, publish, outbox
        self._pack, self.clock = pack, clock

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(PbxCommandDone, self.on_done, group=f"{GROUP}-controls")

    async def _live_call(self, user: User, call_id: str) -> CallRecord:
        """The call the agent is on now (404 for any other: nothing is said about other calls)."""
        async with self._db.session() as session:
            view = await PresenceRepository(session).view(user)
            record = (await session.execute(
                select(CallRecord).where(CallRecord.call_id == call_id))).scalar_one_or_none()
        if view.call_id != call_id or view.state not in ON_A_CALL or record is None:
            raise NotFound("you are not on this call")
        if not user.extension or record.carrier != "asterisk":
            raise Conflict("transfers from the desk work on Asterisk calls", {"carrier": record.carrier})
        return record

    async def _target(self, user: User, target_type: TargetType, target: str) -> tuple[str, str, str]:
        """(context, exten, what the call log shows) of a transfer target; the gate checks a number."""
        phone = self._settings.phone
        if target_type == "queue":
            if not _QUEUE.match(target) or target not in self._settings.ami.queues:
                raise InvalidInput("no such queue", {"target": f"one of {', '.join(self._settings.ami.queues)}"})
            return phone.queue_transfer_context, target, f"queue {target}"
        if target_type == "agent":
            async with self._db.session() as session:
                other = (await session.execute(select(User).where(User.username == target))).scalar_one_or_none()
            endpoint = device_endpoint(other.extension or "") if other is not None and other.active else None
            if other is None or endpoint is None or not _DIGITS.match(endpoint):
                raise InvalidInput("that agent has no phone a transfer can ring", {"target": "unknown agent"})
            if other.id == user.id:
                raise InvalidInput("you cannot transfer a call to yourself", {"target": "yourself"})
            return phone.agent_transfer_context, endpoint, f"agent {other.username}"
        e164 = to_e164(target, self._settings.default_region)
        if e164 is None:
            raise InvalidInput("that is not a phone number", {"target": "expected a number such as 0712345678"})
        async with self._db.session() as session:
            await check_transfer_number(session, self._pack, e164, now=self.clock(),
                                        default_zone=self._settings.timezone)
        return phone.number_transfer_context, national_digits(e164), e164

    async def transfer(self, user: User, call_id: str, *, warm: bool, target_type: TargetType,
                       target: str) -> dict[str, Any]:
        record = await self._live_call(user, call_id)
        context, exten, shown = await self._target(user, target_type, target.strip())
        kind = TransferKind.ATTENDED if warm else TransferKind.BLIND
        action = "transfer_warm" if warm else "transfer_blind"
        return await self._command(user, record, action, shown, kind, context, exten)

    async def cancel_warm(self, user: User, call_id: str) -> dict[str, Any]:
        """Back to the customer: the consultation ends (``CancelAtxfer``)."""
        record = await self._live_call(user, call_id)
        return await self._command(user, record, "transfer_return", None, TransferKind.CANCEL, "", "")

    async def _command(self, user: User, record: CallRecord, action: str, target: str | None, kind: TransferKind,
                       context: str, exten: str) -> dict[str, Any]:
        assert user.extension is not None
        request_id = f"xfer-{uuid.uuid4().hex[:16]}"
        async with self._db.session() as session:
            CallActionRepository(session).add(record.call_id, action, actor_id=user.id, target=target,
                                              outcome="requested", request_id=request_id)
        await self._publish(CallTransferRequested(request_id=request_id, call_id=record.call_id, device=user.extension,
                                                  kind=kind, context=context, exten=exten,
                                                  server=record.server or "default"))
        return {"request_id": request_id, "action": action, "target": target, "outcome": "requested"}

    async def note(self, user: User, call_id: str, action: str) -> dict[str, Any]:
        """A control the browser did itself over SIP (hold, unhold, completing a warm transfer)."""
        if action not in NOTED:
            raise InvalidInput("unknown call control", {"action": f"one of {', '.join(sorted(NOTED))}"})
        record = await self._live_call(user, call_id)
        async with self._db.session() as session:
            row = CallActionRepository(session).add(call_id, action, actor_id=user.id)
            await session.flush()
            at = row.at
        if action == "transfer_complete" and user.extension:  # the agent leaves the call they handed on
            server = record.server or "default"
            await self._publish(AgentLeftCall(call_id=call_id, device=user.extension, server=server))
        return {"action": action, "outcome": "done", "at": at.isoformat()}

    async def on_done(self, ev: PbxCommandDone) -> None:
        if ev.command != "transfer":
            return
        async with self._db.session() as session:
            row = await CallActionRepository(session).settle(ev.request_id, ev.ok, ev.message)
            actor = None if row is None or row.actor_id is None else await session.get(User, row.actor_id)
            action = None if row is None else row.action
        if actor is not None and actor.extension and ev.ok and action == "transfer_blind" and ev.call_id:
            await self._publish(AgentLeftCall(call_id=ev.call_id, device=actor.extension, server=ev.server))
        if actor is None or self._outbox is None:
            return
        await self._outbox.append(agent_stream(actor.username), PHONE_CONTROL, {
            "request_id": ev.request_id, "call_id": ev.call_id, "action": action, "ok": ev.ok,
            "message": ev.message})
