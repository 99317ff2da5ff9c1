"""Agent states: the desktop's requests, the carrier's view, calls and wrap-up, in one place.

The states, the events that move them and what each move does at the carrier are one table,
:mod:`domain.agent_state`; this service only brings each event to it. A request from the desktop
is written to the presence table and sent to the carrier as an AgentStateRequested command
(QueueAdd / QueuePause on Asterisk, the ACD on Twilio). Call events move the agent through
ringing -> on_call -> wrap_up; wrap-up ends when the agent saves the outcome or the time runs out,
and keeps the agent paused at the carrier meanwhile so no next call arrives.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy import select

from bus.base import EventBus, Outbox
from bus.outbox_names import AGENT_STATE, SUPERVISORS, agent_stream
from domain.agent_state import ASKABLE, FORCEABLE, REAPPLY, AgentEvent, Move, transition
from domain.carrier import carrier_for_device
from domain.errors import InvalidInput, NotFound, SwitchboardError
from domain.events import (
    AgentConnected,
    AgentLeftCall,
    AgentRinging,
    AgentState,
    AgentStateChanged,
    AgentStateRequested,
    CallEnded,
    InteractionSaved,
    utcnow,
)
from live.devices import DeviceDirectory
from store.db import Database
from store.models import User
from store.repositories.audit import AuditLog
from store.repositories.presence import AgentIdentity, AgentView, PresenceRepository, identity_by_device, move_device

log = logging.getLogger(__name__)
_CARRIER_SAYS = {AgentState.READY: AgentEvent.CARRIER_READY, AgentState.LOGGED_OUT: AgentEvent.CARRIER_LOGGED_OUT}


class PresenceService:
    def __init__(
        self, database: Database, bus: EventBus, outbox: Outbox, *, wrapup_seconds: int,
        is_pause_code: Callable[[str], bool],
        devices: DeviceDirectory | None = None, on_change: Callable[[AgentView], Awaitable[None]] | None = None,
    ) -> None:
        self._db = database
        self._bus = bus
        self._outbox = outbox
        self._wrapup = timedelta(seconds=wrapup_seconds)
        self._is_pause_code = is_pause_code
        self._devices = devices or DeviceDirectory(database)
        self._on_change = on_change  # the agent state log (store.repositories.agent_activity)

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(AgentRinging, self.on_ringing, group="presence")
        bus.subscribe(AgentConnected, self.on_connected, group="presence")
        bus.subscribe(CallEnded, self.on_call_ended, group="presence")
        bus.subscribe(AgentStateChanged, self.on_carrier_state, group="presence")
        bus.subscribe(InteractionSaved, self.on_interaction_saved, group="presence")
        bus.subscribe(AgentLeftCall, self.on_agent_left, group="presence")  # issue 20: after a transfer

    async def _push(self, view: AgentView) -> None:
        data = view.to_json()
        await self._outbox.append_many([(agent_stream(view.username), AGENT_STATE, data),
                                        (SUPERVISORS, AGENT_STATE, data)])
        if self._on_change is not None:  # after the live frames: the history never delays them
            try:
                await self._on_change(view)
            except SwitchboardError as exc:  # the history misses a step; the live state goes on
                log.warning("agent state log: %s %s", exc.error_id, exc.message)

    async def _tell_carrier(self, user: User, move: Move, code: str | None = None) -> None:
        """What the move does at the carrier (its ``carrier``), if anything."""
        if move.carrier is not None:
            await self._command(user, move.carrier, move.carrier_reason(code))

    async def _command(self, user: User, state: AgentState, reason: str | None) -> None:
        if not user.extension:
            return
        await self._bus.publish(AgentStateRequested(
            username=user.username, device=user.extension, state=state, reason=reason,
            queues=tuple(user.queues or ()), carrier=carrier_for_device(user.extension),
        ))

    def _asked(self, table: dict[AgentState, AgentEvent], state: str, reason: str | None) -> AgentEvent:
        try:
            event = table.get(AgentState(state))
        except ValueError:
            event = None
        if event is None:
            raise InvalidInput("state must be ready, paused or logged_out", {"state": "not allowed"})
        if event in (AgentEvent.ASK_PAUSE, AgentEvent.FORCE_PAUSE) and (not reason or not self._is_pause_code(reason)):
            raise InvalidInput("a known pause code is required", {"reason": "unknown pause code"})
        return event

    async def request(self, username: str, state: str, reason: str | None) -> AgentView:
        """The desktop asks for ready, paused (with a pause code) or logged_out."""
        event = self._asked(ASKABLE, state, reason)
        async with self._db.session() as session:
            repo = PresenceRepository(session)
            user = await repo.user_by_name(username)
            if user is None:
                raise NotFound("no such agent")
            if not user.extension:
                raise InvalidInput("this user has no phone extension", {"extension": "missing"})
            current = await repo.view(user)
            if transition(current.state, event) is None:
                raise InvalidInput("on a call; the state follows the call", {"state": current.state.value})
            moved = await repo.set_state(user, event, code=reason)
            assert moved is not None
            view, move = moved
        await self._tell_carrier(user, move, reason)
        await self._push(view)
        return view

    async def signed_out(self, username: str) -> AgentView | None:
        """The agent signed out: out of the queues, as "Leave queue" does, so that no call (nor the
        dialer) waits for someone who left. Ringing or on a call, the state follows the call (None)."""
        try:
            now = await self.view_of(username)
            if now.state in (AgentState.RINGING, AgentState.ON_CALL):
                log.info("presence: %s signed out on a call; the state follows the call", username,
                         extra={"agent": username, "call_id": now.call_id})
                return None
            return await self.request(username, "logged_out", None)
        except InvalidInput as exc:  # no phone extension, already out, or on a call
            log.info("presence: %s signed out and stays %s", username, exc.details.get("state", "as is"),
                     extra={"agent": username})
        except SwitchboardError as exc:  # the store or the bus failed: the sign-out itself still ends
            log.warning("presence: %s signed out but could not leave the queues: %s %s", username,
                        exc.error_id, exc.message, extra={"agent": username})
        return None

    async def force(self, username: str, state: str, reason: str | None, *, actor: User) -> AgentView:
        """A supervisor sets an agent's state whatever it is now (e.g. stuck on a call that a lost
        carrier event never ended): written, audited as ``agent_state_forced``, sent to the carrier."""
        event = self._asked(FORCEABLE, state, reason)
        async with self._db.session() as session:
            repo = PresenceRepository(session)
            user = await repo.user_by_name(username)
            if user is None or not user.extension:
                raise NotFound("no such agent")
            before = await repo.view(user)
            moved = await repo.set_state(user, event, code=reason)
            assert moved is not None  # a supervisor's move is in the table from every state
            view, move = moved
            AuditLog(session, actor.id).record("agent_state_forced", "agent", user.username, details={
                "from": before.state.value, "to": view.state.value, "reason": view.reason,
                "call_id": before.call_id})
        log.info("presence: %s forced %s from %s to %s", actor.username, username, before.state, view.state,
                 extra={"agent": username, "call_id": before.call_id})
        await self._tell_carrier(user, move, reason)
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
                     if REAPPLY[v.state] is not None}
        sent = 0
        for view in views:
            user = users.get(view.username)
            again = REAPPLY[view.state]
            if user is None or not user.extension or again is None:
                continue
            state, reason = again
            await self._command(user, state, reason.value if reason else
                                view.reason if state is AgentState.PAUSED else None)
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

    async def _move(self, device: str, event: AgentEvent, *, call_id: str | None = None) -> AgentView | None:
        """A carrier event moves the device's agent: one conditional statement, then the push."""
        async with self._db.hot() as connection:
            row = await move_device(connection, device, event, call_id=call_id, now=utcnow())
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
        await self._move(ev.device, AgentEvent.RING, call_id=ev.call_id)

    async def on_connected(self, ev: AgentConnected) -> None:
        await self._move(ev.device, AgentEvent.CONNECT, call_id=ev.call_id)

    async def _end(self, user: User, event: AgentEvent, call_id: str) -> None:
        """A call of the agent ended or they left it: wrap-up (paused at the carrier, so that no
        next call arrives until the outcome is saved or time runs out), or ready if it only rang."""
        async with self._db.session() as session:
            moved = await PresenceRepository(session).set_state(
                user, event, call_id=call_id, wrapup_until=utcnow() + self._wrapup)
        if moved is not None:
            view, move = moved
            await self._tell_carrier(user, move)
            await self._push(view)

    async def on_call_ended(self, ev: CallEnded) -> None:
        async with self._db.session() as session:
            users = await PresenceRepository(session).on_call(ev.call_id)
        for user in users:
            assert user.extension is not None
            await self._end(user, AgentEvent.CALL_ENDED, ev.call_id)

    async def on_agent_left(self, ev: AgentLeftCall) -> None:
        """The agent transferred the call away: their wrap-up starts, the call goes on without them."""
        async with self._db.session() as session:
            user = (await session.execute(select(User).where(User.extension == ev.device))).scalar_one_or_none()
        if user is not None:
            await self._end(user, AgentEvent.LEFT_CALL, ev.call_id)

    async def on_carrier_state(self, ev: AgentStateChanged) -> None:
        """The carrier's own view: a ring that timed out returns the agent to ready."""
        event = _CARRIER_SAYS.get(ev.state)
        if event is not None:
            await self._move(ev.device, event)

    async def on_interaction_saved(self, ev: InteractionSaved) -> None:
        if ev.call_id is None:
            return
        async with self._db.session() as session:
            repo = PresenceRepository(session)
            user = await repo.user_by_name(ev.operator)
            if user is None:
                return
            moved = await repo.set_state(user, AgentEvent.OUTCOME_SAVED, call_id=ev.call_id)
        if moved is not None:
            view, move = moved
            await self._tell_carrier(user, move)
            await self._push(view)

    async def expire_wrapups(self) -> int:
        """End wrap-ups whose time ran out (each claimed by one worker); call every second."""
        async with self._db.session() as session:
            repo = PresenceRepository(session)
            move, ids = await repo.claim_expired_wrapups(utcnow())
            users = [u for u in [await session.get(User, i) for i in ids] if u is not None]
            views = [await repo.view(u) for u in users]
        for user, view in zip(users, views, strict=True):
            await self._tell_carrier(user, move)
            await self._push(view)
        return len(users)
