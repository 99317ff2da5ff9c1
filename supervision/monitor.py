"""Live monitoring (issue 22): a supervisor listens to, whispers to or barges into an agent's call.

:meth:`MonitorService.start` checks the call (open, an agent talking on it, not the supervisor's own),
writes the audit row (``monitor_sessions``: who, which call, which mode, from when) and publishes
:class:`~domain.events.MonitorRequested` for the carrier of the call (Asterisk: ``Originate`` of the
supervisor's device into the ChanSpy context; Twilio: a conference participant). A new mode on the
same call is a new session: the previous one ends (its leg is hung up) as the new one starts. The
carrier's answer (``PbxCommandDone``, ``command="monitor"``) marks the row live or failed and goes
to the supervisors' wallboard stream as ``monitor.status``. When the centre's policy says so (the setting, or a
compliance pack that requires it) the agent's desk gets ``monitor.notice``: "A supervisor is
listening", and the notice goes away when the session ends (stopped, replaced, or the call ended).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from bus.base import EventBus, Outbox
from bus.outbox_names import MONITOR_NOTICE, MONITOR_STATUS, SUPERVISORS, agent_stream
from config.settings import Settings
from domain.agent_state import AgentState
from domain.carrier import carrier_for_device
from domain.compliance import Pack
from domain.errors import Conflict, NotFound
from domain.events import (
    CallEnded,
    Event,
    MonitorLegEnded,
    MonitorMode,
    MonitorRequested,
    MonitorStopRequested,
    PbxCommandDone,
    utcnow,
)
from store.db import Database
from store.models import CallRecord, MonitorSession, User
from store.repositories.audit import AuditLog
from store.repositories.presence import PresenceRepository

log = logging.getLogger(__name__)
Publish = Callable[[Event], Awaitable[None]]
OPEN = ("requested", "live")
NOTICE = {
    MonitorMode.LISTEN: "A supervisor is listening to this call.",
    MonitorMode.WHISPER: "A supervisor is listening and may speak to you; the customer cannot hear them.",
    MonitorMode.BARGE: "A supervisor has joined this call; the customer can hear them.",
}


def session_json(row: MonitorSession, names: dict[int, str]) -> dict[str, Any]:
    return {"id": row.id, "request_id": row.request_id, "call_id": row.call_id, "mode": row.mode,
            "status": row.status, "supervisor": names.get(row.supervisor_id, ""),
            "agent": None if row.agent_id is None else names.get(row.agent_id), "carrier": row.carrier,
            "device": row.device, "failure": row.failure, "agent_notified": row.agent_notified,
            "started_at": row.started_at.isoformat(),
            "ended_at": None if row.ended_at is None else row.ended_at.isoformat()}


class MonitorService:
    def __init__(self, database: Database, settings: Settings, publish: Publish, outbox: Outbox | None,
                 pack: Pack, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._db, self._settings, self._publish, self._outbox = database, settings, publish, outbox
        self._pack, self.clock = pack, clock

    @property
    def notify_agent(self) -> bool:
        return self._settings.monitor.notify_agent or self._pack.monitor_notice_required

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(PbxCommandDone, self.on_done, group="monitor-results")
        bus.subscribe(CallEnded, self.on_call_ended, group="monitor-call-ended")
        bus.subscribe(MonitorLegEnded, self.on_leg_ended, group="monitor-leg-ended")

    async def _talking_agent(self, call_id: str) -> tuple[CallRecord, User]:
        async with self._db.session() as session:
            record = (await session.execute(
                select(CallRecord).where(CallRecord.call_id == call_id))).scalar_one_or_none()
            if record is None:
                raise NotFound("no such call")
            if record.ended_at is not None:
                raise Conflict("this call has ended")
            presence = PresenceRepository(session)
            for user in await presence.on_call(call_id):
                if (await presence.view(user)).state is AgentState.ON_CALL and user.extension:
                    return record, user
        raise Conflict("no agent is talking on this call now")

    async def start(self, supervisor: User, call_id: str, mode: MonitorMode) -> dict[str, Any]:
        if not supervisor.extension:
            raise Conflict("you have no phone to listen on: an administrator sets your extension",
                           {"extension": "not set"})
        record, agent = await self._talking_agent(call_id)
        if agent.id == supervisor.id:
            raise Conflict("you cannot monitor your own call")
        if carrier_for_device(supervisor.extension) != record.carrier:  # the one rule (domain.carrier)
            raise Conflict(f"your phone cannot join a call on {record.carrier.title()}: an administrator sets "
                           "your extension", {"extension": supervisor.extension})
        for previous in await self._open_sessions(call_id, supervisor.id):  # a new mode: the old leg goes
            await self._end(previous, "replaced")
        request_id = f"mon-{uuid.uuid4().hex[:16]}"
        notify, now = self.notify_agent, self.clock()
        async with self._db.session() as session:
            row = MonitorSession(request_id=request_id, call_id=call_id, supervisor_id=supervisor.id,
                                 agent_id=agent.id, mode=mode.value, carrier=record.carrier,
                                 device=supervisor.extension, status="requested", agent_notified=notify,
                                 started_at=now)
            session.add(row)
            AuditLog(session, supervisor.id).record("monitor", "call", call_id, customer_id=record.customer_id,
                                                    details={"mode": mode.value, "agent": agent.username,
                                                             "request_id": request_id})
            await session.flush()
            out = session_json(row, {supervisor.id: supervisor.username, agent.id: agent.username})
        assert agent.extension is not None
        await self._publish(MonitorRequested(
            request_id=request_id, call_id=call_id, agent_device=record.device or agent.extension,
            supervisor_device=supervisor.extension, mode=mode, carrier=record.carrier,
            server=record.server or "default", context=self._settings.monitor.context,
            ring_seconds=self._settings.monitor.ring_seconds,
            caller_id=f"{mode.value.title()}: {agent.display_name or agent.username}"))
        if notify and self._outbox is not None:
            await self._outbox.append(agent_stream(agent.username), MONITOR_NOTICE, {
                "call_id": call_id, "active": True, "mode": mode.value, "text": NOTICE[mode]})
        return out

    async def stop(self, supervisor: User, session_id: int) -> dict[str, Any]:
        async with self._db.session() as session:
            row = await session.get(MonitorSession, session_id)
            if row is None or row.supervisor_id != supervisor.id:
                raise NotFound("no such monitoring session of yours")
        if row.status in OPEN:
            row = await self._end(row, "stopped")
        return await self._json(row)

    async def _open_sessions(self, call_id: str, supervisor_id: int | None = None) -> list[MonitorSession]:
        query = select(MonitorSession).where(MonitorSession.call_id == call_id, MonitorSession.status.in_(OPEN))
        if supervisor_id is not None:
            query = query.where(MonitorSession.supervisor_id == supervisor_id)
        async with self._db.session() as session:
            return list((await session.execute(query)).scalars())

    async def _end(self, row: MonitorSession, why: str, *, hang_up: bool = True) -> MonitorSession:
        async with self._db.session() as session:  # one UPDATE decides who ends it (a race ends it once)
            ended = await session.execute(update(MonitorSession).where(
                MonitorSession.id == row.id, MonitorSession.status.in_(OPEN)).values(status="ended",
                                                                                     ended_at=self.clock()))
            fresh = await session.get(MonitorSession, row.id, populate_existing=True)
            if fresh is None or not ended.rowcount:  # type: ignore[attr-defined]
                return fresh or row
            agent = None if fresh.agent_id is None else await session.get(User, fresh.agent_id)
            record = (await session.execute(
                select(CallRecord).where(CallRecord.call_id == fresh.call_id))).scalar_one_or_none()
            notified, request_id, call_id, device = fresh.agent_notified, fresh.request_id, fresh.call_id, fresh.device
            carrier = fresh.carrier
        if hang_up:
            await self._publish(MonitorStopRequested(
                request_id=request_id, call_id=call_id, supervisor_device=device, carrier=carrier,
                server=(record.server if record is not None else None) or "default"))
        if notified and agent is not None and self._outbox is not None:
            await self._outbox.append(agent_stream(agent.username), MONITOR_NOTICE,
                                      {"call_id": call_id, "active": False, "mode": fresh.mode,
                                       "text": "The supervisor has left the call."})
        log.info("monitoring %s of %s ended (%s)", request_id, call_id, why)
        return fresh

    async def _json(self, row: MonitorSession) -> dict[str, Any]:
        async with self._db.session() as session:
            ids = {row.supervisor_id} | ({row.agent_id} if row.agent_id is not None else set())
            users = (await session.execute(select(User.id, User.username).where(User.id.in_(ids)))).all()
        return session_json(row, {uid: name for uid, name in users})

    async def on_done(self, ev: PbxCommandDone) -> None:
        if ev.command != "monitor":
            return
        values: dict[str, Any] = {"status": "live"} if ev.ok else {
            "status": "failed", "failure": (ev.message or "the carrier refused")[:500], "ended_at": self.clock()}
        async with self._db.session() as session:  # only a session still waiting for this answer takes it
            changed = await session.execute(update(MonitorSession).where(
                MonitorSession.request_id == ev.request_id, MonitorSession.status == "requested").values(**values))
            if not changed.rowcount:  # type: ignore[attr-defined]
                return
            row = (await session.execute(select(MonitorSession).where(
                MonitorSession.request_id == ev.request_id).execution_options(populate_existing=True))).scalar_one()
            supervisor = await session.get(User, row.supervisor_id)
            data = session_json(row, {})
        if not ev.ok:
            log.warning("monitoring %s failed: %s", ev.request_id, ev.message)
            await self._end_notice(data)
        if supervisor is not None and self._outbox is not None:
            await self._outbox.append(SUPERVISORS, MONITOR_STATUS, {
                **data, "supervisor": supervisor.username,
                "message": "Your phone is ringing: answer it to join the call." if ev.ok
                else f"Could not join the call: {ev.message or 'the phone system refused'}."})

    async def _end_notice(self, data: dict[str, Any]) -> None:
        async with self._db.session() as session:
            row = await session.get(MonitorSession, data["id"])
            agent = None if row is None or row.agent_id is None else await session.get(User, row.agent_id)
        if row is not None and row.agent_notified and agent is not None and self._outbox is not None:
            await self._outbox.append(agent_stream(agent.username), MONITOR_NOTICE,
                                      {"call_id": row.call_id, "active": False, "mode": row.mode,
                                       "text": "The supervisor has left the call."})

    async def on_leg_ended(self, ev: MonitorLegEnded) -> None:
        """The supervisor hung up (or the leg was hung up): the session ends now."""
        async with self._db.session() as session:
            row = (await session.execute(
                select(MonitorSession).where(MonitorSession.request_id == ev.request_id))).scalar_one_or_none()
        if row is not None and row.status in OPEN:
            await self._end(row, "the supervisor's leg ended", hang_up=False)

    async def on_call_ended(self, ev: CallEnded) -> None:
        for row in await self._open_sessions(ev.call_id):
            await self._end(row, "call ended", hang_up=False)  # ChanSpy's E: the spy leg ends with the call

    async def sessions(self, *, call_id: str | None, since: datetime | None, until: datetime | None,
                       limit: int) -> list[dict[str, Any]]:
        query = select(MonitorSession).order_by(MonitorSession.started_at.desc(), MonitorSession.id.desc())
        if call_id:
            query = query.where(MonitorSession.call_id == call_id)
        if since is not None:
            query = query.where(MonitorSession.started_at >= since)
        if until is not None:
            query = query.where(MonitorSession.started_at < until)
        async with self._db.session() as session:
            rows = list((await session.execute(query.limit(limit))).scalars())
            names = dict((await session.execute(select(User.id, User.username))).all())
        return [session_json(r, names) for r in rows]
