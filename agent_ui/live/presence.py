"""Agent states: the desktop's requests, the carrier's view, calls and wrap-up, in one place.

States: logged_out, ready, paused (with a pause code), ringing, on_call, wrap_up. A request from
the desktop is written to the presence table and sent to the carrier as an AgentStateRequested
command (QueueAdd / QueuePause on Asterisk, the ACD on Twilio). Call events move the agent through
ringing -> on_call -> wrap_up; wrap-up ends when the agent saves the outcome or the time runs out,
and keeps the agent paused at the carrier meanwhile so no next call arrives.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from agent_ui.live.devices import DeviceDirectory
from bus.base import EventBus, Outbox
from domain.errors import InvalidInput, NotFound
from domain.events import (
    AgentConnected,
    AgentRinging,
    AgentState,
    AgentStateChanged,
    AgentStateRequested,
    CallEnded,
    InteractionSaved,
    utcnow,
)
from store.db import Database
from store.models import User
from store.presence import AgentIdentity, AgentView, PresenceRepository, identity_by_device, move_device

log = logging.getLogger(__name__)
SUPERVISORS = "supervisors"
WRAP_UP_REASON = "wrap_up"


def agent_stream(username: str) -> str:
    return f"agent:{username}"


class PresenceService:
    def __init__(
        self, database: Database, bus: EventBus, outbox: Outbox, *, wrapup_seconds: int,
        is_pause_code: Callable[[str], bool], carrier_of: Callable[[User], str] = lambda _u: "asterisk",
        devices: DeviceDirectory | None = None,
    ) -> None:
        self._db = database
        self._bus = bus
        self._outbox = outbox
        self._wrapup = timedelta(seconds=wrapup_seconds)
        self._is_pause_code = is_pause_code
        self._carrier_of = carrier_of
        self._devices = devices or DeviceDirectory(database)

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(AgentRinging, self.on_ringing, group="presence")
        bus.subscribe(AgentConnected, self.on_connected, group="presence")
        bus.subscribe(CallEnded, self.on_call_ended, group="presence")
        bus.subscribe(AgentStateChanged, self.on_carrier_state, group="presence")
        bus.subscribe(InteractionSaved, self.on_interaction_saved, group="presence")

    async def _push(self, view: AgentView) -> None:
        data = view.to_json()
        await self._outbox.append_many([(agent_stream(view.username), "agent.state", data),
                                        (SUPERVISORS, "agent.state", data)])

    async def _command(self, user: User, state: str, reason: str | None) -> None:
        if not user.extension:
            return
        await self._bus.publish(AgentStateRequested(
            username=user.username, device=user.extension, state=state, reason=reason,
            queues=tuple(user.queues or ()), carrier=self._carrier_of(user),
        ))

    async def request(self, username: str, state: str, reason: str | None) -> AgentView:
        """The desktop asks for ready, paused (with a pause code) or logged_out."""
        if state not in ("ready", "paused", "logged_out"):
            raise InvalidInput("state must be ready, paused or logged_out", {"state": "not allowed"})
        if state == "paused" and (not reason or not self._is_pause_code(reason)):
            raise InvalidInput("a known pause code is required", {"reason": "unknown pause code"})
        async with self._db.session() as session:
            repo = PresenceRepository(session)
            user = await repo.user_by_name(username)
            if user is None:
                raise NotFound("no such agent")
            if not user.extension:
                raise InvalidInput("this user has no phone extension", {"extension": "missing"})
            current = await repo.view(user)
            if state == "ready" and current.state in ("ringing", "on_call"):
                raise InvalidInput("on a call; the state follows the call", {"state": current.state})
            view = await repo.set_state(user, state, reason=reason if state == "paused" else None)
            assert view is not None
        await self._command(user, state, reason if state == "paused" else None)
        await self._push(view)
        return view

    async def reapply(self) -> int:
        """Send every signed-in agent's state to the carrier again (QueueAdd / QueuePause).

        Called after the carrier link is (re)established and resynced: an Asterisk that restarted
        has forgotten its dynamic queue members, while our agents are still ready or paused.
        Agents in a call or ringing are put back as ready (the resync ends calls that died).
        """
        async with self._db.session() as session:
            repo = PresenceRepository(session)
            views = await repo.all_views()
            users = {v.username: await repo.user_by_name(v.username) for v in views
                     if v.state != "logged_out"}
        sent = 0
        for view in views:
            user = users.get(view.username)
            if user is None or not user.extension:
                continue
            if view.state == "paused":
                await self._command(user, "paused", view.reason)
            elif view.state == "wrap_up":
                await self._command(user, "paused", WRAP_UP_REASON)
            else:
                await self._command(user, "ready", None)
            sent += 1
        log.info("presence: re-sent %d agent states to the carrier", sent)
        return sent

    async def list_agents(self) -> list[AgentView]:
        async with self._db.session() as session:
            return await PresenceRepository(session).all_views()

    async def view_of(self, username: str) -> AgentView:
        async with self._db.session() as session:
            repo = PresenceRepository(session)
            user = await repo.user_by_name(username)
            if user is None:
                raise NotFound("no such agent")
            return await repo.view(user)

    async def _move(self, device: str, state: str, *, call_id: str | None = None,
                    only_from: tuple[str, ...]) -> AgentView | None:
        """A call event moves the device's agent: one conditional statement, then the push."""
        async with self._db.hot() as connection:
            row = await move_device(connection, device, state, call_id=call_id, only_from=only_from, now=utcnow())
        if row is None:
            return None
        who = self._devices.cached(device)
        if who is None or who.user_id != row.user_id:
            async with self._db.autocommit() as lookup:
                who = await identity_by_device(lookup, device)
            self._devices.remember(device, who)
        if who is None or who.user_id != row.user_id:  # the extension moved in between
            async with self._db.session() as session:
                user = await session.get(User, row.user_id)
                assert user is not None
                who = AgentIdentity.of(user)
        view = row.view(who)
        await self._push(view)
        return view

    async def on_ringing(self, ev: AgentRinging) -> None:
        await self._move(ev.device, "ringing", call_id=ev.call_id, only_from=("ready", "logged_out"))

    async def on_connected(self, ev: AgentConnected) -> None:
        await self._move(ev.device, "on_call", call_id=ev.call_id,
                         only_from=("ready", "ringing", "logged_out", "paused"))

    async def on_call_ended(self, ev: CallEnded) -> None:
        async with self._db.session() as session:
            users = await PresenceRepository(session).on_call(ev.call_id)
        for user in users:
            assert user.extension is not None
            async with self._db.session() as session:
                repo = PresenceRepository(session)
                current = await repo.view(user)
                if current.state == "ringing":  # rang, never answered: back to ready
                    view = await repo.set_state(user, "ready", only_call=ev.call_id)
                    wrap = False
                else:
                    view = await repo.set_state(
                        user, "wrap_up", reason=WRAP_UP_REASON, call_id=ev.call_id,
                        wrapup_until=utcnow() + self._wrapup, only_from=("on_call",), only_call=ev.call_id,
                    )
                    wrap = True
            if view is None:
                continue
            if wrap:  # keep the next call away until the outcome is saved or time runs out
                await self._command(user, "paused", WRAP_UP_REASON)
            await self._push(view)

    async def on_carrier_state(self, ev: AgentStateChanged) -> None:
        """The carrier's own view: a ring that timed out returns the agent to ready."""
        if ev.state is AgentState.READY:
            await self._move(ev.device, "ready", only_from=("ringing",))
        elif ev.state is AgentState.LOGGED_OUT:
            await self._move(ev.device, "logged_out", only_from=("ready", "paused", "ringing"))

    async def on_interaction_saved(self, ev: InteractionSaved) -> None:
        if ev.call_id is None:
            return
        async with self._db.session() as session:
            repo = PresenceRepository(session)
            user = await repo.user_by_name(ev.operator)
            if user is None:
                return
            view = await repo.set_state(user, "ready", only_from=("wrap_up",), only_call=ev.call_id)
        if view is not None:
            await self._command(user, "ready", None)
            await self._push(view)

    async def expire_wrapups(self) -> int:
        """End wrap-ups whose time ran out (each claimed by one worker); call every second."""
        async with self._db.session() as session:
            repo = PresenceRepository(session)
            ids = await repo.claim_expired_wrapups(utcnow())
            users = [u for u in [await session.get(User, i) for i in ids] if u is not None]
            views = [await repo.view(u) for u in users]
        for user, view in zip(users, views, strict=True):
            await self._command(user, "ready", None)
            await self._push(view)
        return len(users)
