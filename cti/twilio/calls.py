"""The REST side of the Twilio call flow: the requests that bridge, move and end legs, in flight.

:class:`TwilioCalls` belongs to a :class:`~cti.twilio.service.TwilioVoiceService` and carries out what
its ACD decided that a TwiML answer cannot do: ring an agent into a call's conference, or dial the
customer into it (Participants API, :mod:`cti.twilio.legs`); redirect a waiting caller to the agent
that turned ready (or back to the queue); hang up a leg nobody needs any more. Each runs as a task
(``drain`` waits for them); a refused ring goes back to the ACD, which moves on (the next agent, or
the queue); a refused customer dial is a failed ``DialResult``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Coroutine, Sequence
from typing import TYPE_CHECKING, Any

from cti.twilio import legs
from cti.twilio.decisions import AgentRef, CallRef, Connect, Enqueue, Offer, Step
from cti.twilio.rest import CallNotFound
from cti.twilio.webhooks import FINAL_STATUSES, CallbackContext, CallStatus, TwilioCallback
from domain.errors import CarrierError, DialOutcomeUnknown
from domain.events import DialOutcome, DialResult

if TYPE_CHECKING:
    from cti.twilio.service import TwilioVoiceService

log = logging.getLogger(__name__)


class TwilioCalls:
    def __init__(self, service: TwilioVoiceService) -> None:
        self._service = service
        self._tasks: set[asyncio.Task[None]] = set()
        self.agent_legs: dict[str, str] = {}  # call_id -> the call SID of the agent leg rung (or answered, outbound)
        self.customer_legs: dict[str, str] = {}  # outbound call_id -> the customer leg dialled, until it is answered

    async def drain(self) -> None:
        """Wait for the requests in flight (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def ring_agent(self, call: CallRef, agent: AgentRef) -> None:
        self.spawn(self._ring(call, agent), f"twilio-ring-{call.call_id}")

    def dial_customer(self, call_id: str, customer: str, ctx: CallbackContext) -> None:
        self.spawn(self._dial_customer(call_id, customer, ctx), f"twilio-dial-{call_id}")

    def on_customer_leg(self, cb: TwilioCallback) -> None:
        """An outbound customer leg's progress: remembered while it rings; unanswered, the agent waiting
        alone in the conference is hung up (its status callback then ends the call)."""
        if cb.status in (CallStatus.INITIATED, CallStatus.RINGING):
            self.customer_legs[cb.call_id] = cb.call_sid
            return
        if self.customer_legs.get(cb.call_id) == cb.call_sid:
            del self.customer_legs[cb.call_id]
        agent_leg = self.agent_legs.get(cb.call_id)
        if cb.status in FINAL_STATUSES and cb.status is not CallStatus.COMPLETED and agent_leg:
            self.hang_up(agent_leg, ringing=False)

    def hang_up(self, call_sid: str, *, ringing: bool) -> None:
        self.spawn(self._hang_up(call_sid, ringing=ringing), f"twilio-hangup-{call_sid}")

    def start_connects(self, connects: Sequence[Connect]) -> None:
        for connect in connects:
            self.spawn(self._connect(connect), f"twilio-connect-{connect.call.call_id}")

    def spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("twilio task %s failed", task.get_name(), exc_info=task.exception())

    def follow(self, step: Step) -> None:
        """What the ACD decided after an agent's ring ended, for a customer waiting in the conference:
        ring the next agent, or send the customer back to the queue (``/twilio/connect`` answers
        ``<Enqueue>`` to a caller with no agent)."""
        decision = step.decision
        if isinstance(decision, Offer):
            self.ring_agent(decision.call, decision.agent)
        elif isinstance(decision, Enqueue):
            ctx = CallbackContext(call_id=decision.call.call_id, queue=decision.call.queue)
            back = self._service.url("/twilio/connect", ctx)
            self.spawn(self._redirect(decision.call, back), f"twilio-requeue-{decision.call.call_id}")

    async def _ring(self, call: CallRef, agent: AgentRef) -> None:
        """Ring ``agent`` into the call's conference; if Twilio refuses, the ACD moves on."""
        service = self._service
        ctx = service.agent_context(call, agent.device, agent.username)
        params = legs.agent_participant(
            call, agent, caller_id=service.settings.twilio.caller_id, status_url=service.url("/twilio/status", ctx),
            timeout=service.ring_timeout, recording_url=service.recording_url(ctx))
        try:
            leg = await self._service.rest.add_participant(legs.conference_name(call.call_id), params)
        except DialOutcomeUnknown as exc:  # the agent may be ringing: their leg's callbacks will tell
            log.warning("twilio ring of %s for %s: %s", agent.device, call.call_id, exc.message)
            return
        except CarrierError as exc:
            log.warning("twilio ring of %s for %s failed: %s", agent.device, call.call_id, exc.message)
            step = self._service.acd.connect_failed(call.call_id, self._service.now(), call_gone=False)
            await self._service.emit(list(step.events))
            self.start_connects(step.connects)
            self.follow(step)
            return
        self.agent_legs.setdefault(call.call_id, leg.sid)

    async def _dial_customer(self, call_id: str, customer: str, ctx: CallbackContext) -> None:
        service = self._service
        params = legs.customer_participant(
            customer, caller_id=service.settings.twilio.caller_id, status_url=service.url("/twilio/status", ctx),
            timeout=service.ring_timeout, recording_url=service.recording_url(ctx))
        try:
            leg = await service.rest.add_participant(legs.conference_name(call_id), params)
        except DialOutcomeUnknown as exc:  # the customer may be ringing: their leg's callbacks will tell
            log.warning("twilio dial of the customer for %s: %s", call_id, exc.message)
            return
        except CarrierError as exc:
            log.warning("twilio dial of the customer for %s refused: %s", call_id, exc.message)
            await service.emit([DialResult(at=service.now(), call_id=call_id, outcome=DialOutcome.FAILED,
                                           carrier=legs.CARRIER, reason=f"customer: {exc.message}")])
            agent_leg = self.agent_legs.get(call_id)
            if agent_leg:
                await self._hang_up(agent_leg, ringing=False)
            return
        self.customer_legs.setdefault(call_id, leg.sid)

    async def _redirect(self, call: CallRef, url: str) -> None:
        try:
            await self._service.rest.redirect_call(call.call_sid, url)
        except CallNotFound:
            log.info("twilio: caller %s already gone", call.call_id)
        except CarrierError as exc:
            log.warning("twilio redirect of %s failed: %s", call.call_id, exc.message)

    async def _hang_up(self, call_sid: str, *, ringing: bool) -> None:
        try:
            await self._service.rest.end_call(call_sid, ringing=ringing)
        except CarrierError as exc:  # already gone, mostly
            log.info("twilio hang-up of leg %s: %s", call_sid, exc.message)

    async def _connect(self, connect: Connect) -> None:
        """Redirect a waiting caller's leg to ``/twilio/connect`` (the conference), then ring the agent."""
        ctx = self._service.agent_context(connect.call, connect.agent.device, connect.agent.username)
        try:
            await self._service.rest.redirect_call(connect.call.call_sid, self._service.url("/twilio/connect", ctx))
        except CallNotFound:
            log.info("twilio connect: caller %s already gone", connect.call.call_id)
            step = self._service.acd.connect_failed(connect.call.call_id, self._service.now(), call_gone=True)
        except CarrierError as exc:
            log.warning("twilio connect of %s to %s failed: %s", connect.call.call_id,
                        connect.agent.device, exc.message)
            step = self._service.acd.connect_failed(connect.call.call_id, self._service.now(), call_gone=False)
        else:
            await self._ring(connect.call, connect.agent)
            return
        more = list(step.connects)
        if isinstance(step.decision, Offer):  # the caller is still in <Enqueue>: redirect again
            more.append(Connect(step.decision.call, step.decision.agent))
        await self._service.apply(dataclasses.replace(step, connects=tuple(more)))
