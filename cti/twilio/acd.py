"""The ACD for Twilio, as pure logic: Twilio has no queue that picks agents, so Switchboard does.

:class:`TwilioAcd` holds the agents (device, username, queues, paused, what they are doing, idle
since) and the calls (waiting FIFO per queue, offered to an agent, connected). Every method takes
``now`` and returns a :class:`Step`: the decision for the TwiML answer (offer an agent, enqueue,
hang up), the waiting callers to connect through the Calls API, and the events to publish
(``AgentStateChanged``, ``CallQueued``, ``CallAbandoned``). No I/O, no clock, no randomness.

Agent states are the domain's (ready / paused / ringing / on call / wrap-up / logged out), derived
as on Asterisk: a call in progress shows over a pause, which applies to the next call. The rows
and the change tracker are in :mod:`cti.twilio.acd_state`.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from datetime import datetime

from cti.twilio.acd_state import CARRIER, AcdAgent, AcdCall, Activity, Changes, DialStatus, Phase
from cti.twilio.acd_state import call_ref as _call_ref
from cti.twilio.decisions import AgentRef, Connect, Ended, Enqueue, Hangup, Offer, Step
from domain.errors import AgentNotAvailable
from domain.events import AgentState, CallAbandoned, CallQueued, Direction, Event

__all__ = ["CARRIER", "AcdAgent", "AcdCall", "Activity", "DialStatus", "Phase", "TwilioAcd"]


class TwilioAcd:
    """Longest-idle ready agent first; callers FIFO per queue; an unanswered offer moves on."""

    def __init__(self, *, wrapup_seconds: int = 0, autopause_on_no_answer: bool = False) -> None:
        self.wrapup_seconds = wrapup_seconds
        self.autopause_on_no_answer = autopause_on_no_answer
        self._agents: dict[str, AcdAgent] = {}
        self._calls: dict[str, AcdCall] = {}
        self._waiting: dict[str, list[tuple[datetime, str]]] = {}  # per queue, oldest first

    # ---- introspection -------------------------------------------------------------------
    def agent(self, device: str) -> AcdAgent | None:
        return self._agents.get(device)

    def agents(self) -> list[AcdAgent]:
        return list(self._agents.values())

    def call(self, call_id: str) -> AcdCall | None:
        return self._calls.get(call_id)

    def waiting(self, queue: str) -> list[str]:
        """call_ids waiting in ``queue``, longest-waiting first."""
        return [call_id for _, call_id in self._waiting.get(queue, [])]

    def position(self, call_id: str) -> int | None:
        call = self._calls.get(call_id)
        if call is None or call.phase is not Phase.WAITING:
            return None
        return bisect.bisect_left(self._waiting[call.queue], (call.arrived_at, call_id)) + 1

    # ---- agents ----------------------------------------------------------------------------
    def queue_add(self, queue: str, device: str, username: str, now: datetime) -> Step:
        agent = self._agents.get(device)
        if agent is None:
            agent = self._agents[device] = AcdAgent(device=device, username=username, idle_since=now)
        with Changes(self.agent, now, agent) as changes:
            if not agent.queues:
                agent.idle_since = now
            agent.username = username
            agent.queues.add(queue)
        return changes.step(connects=self._dispatch(changes, now))

    def queue_remove(self, queue: str, device: str, now: datetime) -> Step:
        agent = self._agents.get(device)
        if agent is None:
            return Step()
        with Changes(self.agent, now, agent) as changes:
            agent.queues.discard(queue)
        return changes.step()

    def pause(self, device: str, reason: str | None, now: datetime) -> Step:
        agent = self._agents.get(device)
        if agent is None:
            return Step()
        with Changes(self.agent, now, agent) as changes:
            agent.paused, agent.reason = True, reason
        return changes.step()

    def on_agent_ready(self, device: str, now: datetime) -> Step:
        """Unpause / end wrap-up: the agent takes the longest-waiting caller of their queues, if any."""
        agent = self._agents.get(device)
        if agent is None:
            return Step()
        with Changes(self.agent, now, agent) as changes:
            if agent.paused or agent.activity is Activity.WRAP_UP:
                agent.idle_since = now
            agent.paused, agent.reason = False, None
            if agent.activity is Activity.WRAP_UP:
                self._set_activity(agent, Activity.IDLE, now)
        for call in self._calls.values():
            call.tried.discard(device)  # pressing ready again makes them eligible again
        return changes.step(connects=self._dispatch(changes, now))

    def expire_wrap_ups(self, now: datetime) -> Step:
        """Agents whose wrap-up time ran out become ready (or stay paused) and may take a caller."""
        changes = Changes(self.agent, now)
        for agent in self._agents.values():
            since = agent.activity_since
            expired = since is not None and (now - since).total_seconds() >= self.wrapup_seconds
            if agent.activity is Activity.WRAP_UP and expired:
                changes.track(agent)
                self._set_activity(agent, Activity.IDLE, now)
                agent.idle_since = now
        changes.flush()
        return changes.step(connects=self._dispatch(changes, now))

    # ---- calls -----------------------------------------------------------------------------
    def on_incoming(
        self, call_id: str, call_sid: str, queue: str, caller_number: str, dialed_number: str,
        now: datetime,
    ) -> Step:
        """A new inbound call: offer it to the longest-idle ready agent of ``queue``, or enqueue it."""
        existing = self._calls.get(call_id)
        if existing is not None:  # a repeated webhook: answer the same way, change nothing
            if existing.phase is Phase.OFFERING and existing.agent:
                return Step(decision=Offer(_call_ref(existing), self._ref(existing.agent)))
            if existing.phase is Phase.WAITING:
                return Step(decision=Enqueue(_call_ref(existing), self.position(call_id) or 1))
            return Step(decision=Hangup(call_id))
        call = AcdCall(call_id, call_sid, queue, caller_number, dialed_number, arrived_at=now)
        self._calls[call_id] = call
        return self._offer_or_enqueue(call, now, Changes(self.agent, now))

    def on_dial_result(self, call_id: str, device: str, status: DialStatus, now: datetime) -> Step:
        """The ring of ``device`` ended: answered, or try the next agent, or enqueue."""
        call = self._calls.get(call_id)
        if call is None or call.agent != device:
            return Step(decision=Hangup(call_id))
        if status is DialStatus.ANSWERED:
            return self.on_answered(call_id, device, now)
        agent = self._agents.get(device)
        changes = Changes(self.agent, now)
        if status is DialStatus.COMPLETED:
            if call.answered_at is None:
                call.answered_at = now
            self._set_phase(call, Phase.FINISHED)
            if agent is not None and agent.call_id == call_id:
                changes.track(agent)
                self._finish_agent(agent, now)
            changes.flush()
            return changes.step(decision=Hangup(call_id), connects=self._dispatch(changes, now))
        if agent is not None and agent.call_id == call_id:
            changes.track(agent)
            self._release_agent(agent, now, no_answer=status is not DialStatus.CANCELED)
        call.tried.add(device)
        call.agent = None
        if status is DialStatus.CANCELED:  # the caller went away while the agent rang
            self._set_phase(call, Phase.FINISHED)
            changes.flush()
            return changes.step(decision=Hangup(call_id), connects=self._dispatch(changes, now))
        return self._offer_or_enqueue(call, now, changes)

    def on_answered(self, call_id: str, device: str, now: datetime) -> Step:
        call = self._calls.get(call_id)
        agent = self._agents.get(device)
        if call is None or call.phase in (Phase.CONNECTED, Phase.FINISHED) or call.agent != device:
            return Step()
        self._set_phase(call, Phase.CONNECTED)
        call.answered_at = now
        changes = Changes(self.agent, now)
        if agent is not None:
            changes.track(agent)
            self._set_activity(agent, Activity.ON_CALL, now)
        changes.flush()
        return changes.step()

    def on_outbound(
        self, call_id: str, device: str, username: str, customer_number: str, caller_id: str,
        now: datetime,
    ) -> Step:
        """We are ringing ``device`` first for an outbound call; AgentNotAvailable if it is busy."""
        agent = self._agents.get(device)
        if agent is None:
            agent = self._agents[device] = AcdAgent(device=device, username=username, idle_since=now)
        if agent.activity in (Activity.RINGING, Activity.ON_CALL):
            raise AgentNotAvailable(f"{device} is on a call", {"device": device, "call_id": agent.call_id})
        call = AcdCall(call_id, "", "", caller_id, customer_number, arrived_at=now,
                       direction=Direction.OUTBOUND, phase=Phase.OFFERING, agent=device)
        self._calls[call_id] = call
        with Changes(self.agent, now, agent) as changes:
            agent.call_id = call_id
            self._set_activity(agent, Activity.RINGING, now)
        return changes.step()

    def on_call_ended(self, call_id: str, now: datetime) -> Step:
        """The call is over (caller's leg, or our outbound agent leg, completed)."""
        call = self._calls.get(call_id)
        if call is None:
            return Step()
        position = self.position(call_id)
        self._set_phase(call, Phase.FINISHED)
        del self._calls[call_id]
        changes = Changes(self.agent, now)
        agent = self._agents.get(call.agent) if call.agent else None
        events: list[Event] = []
        abandoned = call.direction is Direction.INBOUND and call.answered_at is None
        if abandoned:
            events.append(CallAbandoned(
                at=now, call_id=call_id, carrier=CARRIER, queue=call.queue, position=position,
                hold_seconds=int((now - call.arrived_at).total_seconds()),
            ))
        if agent is not None and agent.call_id == call_id:
            changes.track(agent)
            if call.answered_at is None:
                self._release_agent(agent, now, no_answer=False)
            else:
                self._finish_agent(agent, now)
        talk = int((now - call.answered_at).total_seconds()) if call.answered_at else None
        ended = Ended(call_id, abandoned, talk, self._ref(agent.device) if agent else None)
        changes.flush()
        connects = self._dispatch(changes, now)
        return Step(connects=tuple(connects), events=(*events, *changes.events), ended=ended)

    def connect_failed(self, call_id: str, now: datetime, *, call_gone: bool) -> Step:
        """The Calls API could not redirect the caller to the agent offered by a :class:`Connect`."""
        call = self._calls.get(call_id)
        if call is None or call.agent is None:
            return Step()
        if call_gone:  # the caller hung up meanwhile; their status callback will end the call
            return self.on_dial_result(call_id, call.agent, DialStatus.CANCELED, now)
        return self.on_dial_result(call_id, call.agent, DialStatus.FAILED, now)

    # ---- internals -------------------------------------------------------------------------
    def _ref(self, device: str) -> AgentRef:
        agent = self._agents.get(device)
        return AgentRef(device, agent.username if agent else device)

    def _set_activity(self, agent: AcdAgent, activity: Activity, now: datetime) -> None:
        agent.activity, agent.activity_since = activity, now
        if activity is Activity.IDLE:
            agent.call_id = None

    def _release_agent(self, agent: AcdAgent, now: datetime, *, no_answer: bool) -> None:
        """An offer ended unanswered: back to ready at the back of the line (or auto-paused)."""
        self._set_activity(agent, Activity.IDLE, now)
        if no_answer:
            agent.idle_since = now
            if self.autopause_on_no_answer:
                agent.paused, agent.reason = True, "no-answer"

    def _finish_agent(self, agent: AcdAgent, now: datetime) -> None:
        if self.wrapup_seconds > 0:
            self._set_activity(agent, Activity.WRAP_UP, now)
            agent.call_id = None
        else:
            self._set_activity(agent, Activity.IDLE, now)
            agent.idle_since = now

    def _candidates(self, queue: str, exclude: Iterable[str]) -> list[AcdAgent]:
        excluded = set(exclude)
        ready = [a for a in self._agents.values()
                 if queue in a.queues and a.state is AgentState.READY and a.device not in excluded]
        return sorted(ready, key=lambda a: (a.idle_since or datetime.min, a.device))

    def _offer_or_enqueue(self, call: AcdCall, now: datetime, changes: Changes) -> Step:
        """Decide for ``call``; then an agent this freed may take another waiting caller."""
        candidates = self._candidates(call.queue, call.tried)
        if candidates:
            agent = candidates[0]
            changes.track(agent)
            self._ring(call, agent, now)
            changes.flush()
            return changes.step(decision=Offer(_call_ref(call), self._ref(agent.device)),
                                connects=self._dispatch(changes, now))
        self._set_phase(call, Phase.WAITING)
        call.agent = None
        position = self.position(call.call_id) or 1
        changes.flush()
        queued = CallQueued(at=now, call_id=call.call_id, carrier=CARRIER, queue=call.queue,
                            position=position, caller_number=call.caller_number)
        connects = self._dispatch(changes, now)
        return changes.step(decision=Enqueue(_call_ref(call), position), connects=connects, extra=(queued,))

    def _ring(self, call: AcdCall, agent: AcdAgent, now: datetime) -> None:
        self._set_phase(call, Phase.OFFERING)
        call.agent = agent.device
        agent.call_id = call.call_id
        self._set_activity(agent, Activity.RINGING, now)

    def _set_phase(self, call: AcdCall, phase: Phase) -> None:
        """Change a call's phase, keeping the per-queue waiting lists (sorted) in step."""
        key = (call.arrived_at, call.call_id)
        if call.phase is Phase.WAITING and phase is not Phase.WAITING:
            entries = self._waiting[call.queue]
            del entries[bisect.bisect_left(entries, key)]
        elif phase is Phase.WAITING and call.phase is not Phase.WAITING:
            bisect.insort(self._waiting.setdefault(call.queue, []), key)
        call.phase = phase

    def _dispatch(self, changes: Changes, now: datetime) -> list[Connect]:
        """Give waiting callers (longest-waiting first) to ready agents (longest-idle first)."""
        connects: list[Connect] = []
        while True:
            best: tuple[tuple[datetime, str], AcdCall, AcdAgent] | None = None
            for queue, entries in self._waiting.items():
                ready = self._candidates(queue, ()) if entries else []
                for key in entries if ready else ():
                    call = self._calls[key[1]]
                    agent = next((a for a in ready if a.device not in call.tried), None)
                    if agent is not None:
                        if best is None or key < best[0]:
                            best = (key, call, agent)
                        break
            if best is None:
                break
            _, call, agent = best
            changes.track(agent)
            self._ring(call, agent, now)
            connects.append(Connect(_call_ref(call), self._ref(agent.device)))
        changes.flush()
        return connects
