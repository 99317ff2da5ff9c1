"""The Twilio webhook service: signature check -> parse -> ACD decision -> publish events -> TwiML.

The FastAPI routes are one line each: build a :class:`WebhookRequest` from the request (path, raw
query string, form pairs, ``X-Twilio-Signature``), call the handler, answer its string as
``application/xml``; SwitchboardError gives 403 (signature) or 400 (malformed form).

Paths (relative to ``settings.public_url``), all POST:

* ``/twilio/voice[?queue=NAME]``  the number's Voice URL: a new inbound call
* ``/twilio/status``              status callbacks (also the number's status callback URL)
* ``/twilio/dial-action``         a leg's ``<Dial><Conference>`` ended (it left the call's conference)
* ``/twilio/wait``                ``<Enqueue waitUrl>``: position + hold music
* ``/twilio/connect``             a waiting caller redirected to an agent that turned ready (or back
                                  to the queue when nobody answered)
* ``/twilio/outbound``            our outbound agent leg answered: it joins the conference, the
                                  customer is dialled into it

Inbound, a customer given an agent joins the call's conference (:mod:`cti.twilio.legs`) and the agent
is rung into it through the Participants API; the agent leg's status callbacks say how the ring
ended (answered; or no answer, busy, failed: the next agent, or back to the queue).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl

from config.settings import Settings
from cti.twilio import legs, twiml
from cti.twilio.acd import DialStatus, TwilioAcd
from cti.twilio.calls import TwilioCalls
from cti.twilio.decisions import CallRef, Enqueue, Hangup, Offer, Step
from cti.twilio.ledger import CallbackLedger, MemoryLedger, ledger_keys
from cti.twilio.rest import TwilioRest
from cti.twilio.signature import public_request_url, verify_signature
from cti.twilio.webhooks import (
    FINAL_STATUSES,
    CallbackContext,
    CallStatus,
    Leg,
    TwilioCallback,
    callback_url,
    offered_events,
    parse_callback,
    status_events,
)
from domain.errors import ProtocolViolation
from domain.events import AgentConnected, CallAbandoned, Direction, Event, utcnow

log = logging.getLogger(__name__)

Publish = Callable[[Event], Awaitable[None]]
UNKNOWN_QUEUE_MESSAGE = "Sorry, this number is not connected to a service. Please call our main number."


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    path: str  # e.g. "/twilio/status", as the app sees it
    query: str  # the raw query string, without "?"
    form: Sequence[tuple[str, str]]
    signature: str | None


class TwilioVoiceService:
    def __init__(
        self,
        settings: Settings,
        acd: TwilioAcd,
        publish: Publish,
        rest: TwilioRest,
        *,
        default_queue: str | None = None,
        ring_timeout: int = 20,
        hold_music_url: str = twiml.DEFAULT_HOLD_MUSIC,
        clock: Callable[[], datetime] = utcnow,
        known_queue: Callable[[str], bool] | None = None,
        ledger: CallbackLedger | None = None,
    ) -> None:
        self.settings, self.acd, self.rest = settings, acd, rest
        self._publish = publish
        self.default_queue = default_queue or (settings.ami.queues[0] if settings.ami.queues else "default")
        self.ring_timeout = ring_timeout
        self.hold_music_url = hold_music_url
        self._clock = clock
        self.known_queue = known_queue or (lambda _queue: True)
        self.ledger: CallbackLedger = ledger or MemoryLedger()  # the database's in the app: restarts, workers
        self.calls = TwilioCalls(self)

    # ---- webhooks --------------------------------------------------------------------------
    def _verified(self, req: WebhookRequest) -> tuple[dict[str, str], dict[str, str]]:
        url = public_request_url(self.settings.public_url, req.path, req.query)
        verify_signature(url, req.form, req.signature, self.settings.twilio.auth_token.get_secret_value())
        return dict(req.form), dict(parse_qsl(req.query, keep_blank_values=True))

    def _parse(self, req: WebhookRequest) -> TwilioCallback:
        form, query = self._verified(req)
        return parse_callback(form, query)

    async def _repeat(self, kind: str, cb: TwilioCallback) -> str | None:
        """The answer already given if this callback is a repeat, else None (and remember it)."""
        keys = ledger_keys(kind, cb)
        if await self.ledger.first_time(keys):
            return None
        log.info("twilio %s callback repeated (%s %s): ignored", kind, cb.call_sid, cb.status)
        return await self.ledger.answer(keys[0]) or twiml.empty()

    async def _remember(self, kind: str, cb: TwilioCallback, answer: str) -> str:
        await self.ledger.remember(ledger_keys(kind, cb)[0], answer)
        return answer

    async def handle_voice(self, req: WebhookRequest) -> str:
        """A new inbound call: CallOffered, then offer the longest-idle agent or enqueue."""
        cb = self._parse(req)
        repeat = await self._repeat("voice", cb)
        if repeat is not None:
            return repeat
        now = self._clock()
        queue = cb.context.queue or self.default_queue
        if not self.known_queue(queue):  # a number pointed at a queue nobody works: say so, log it
            log.warning("twilio: call %s from %s to unknown queue %r refused (check the number's Voice URL)",
                        cb.call_sid, cb.from_number, queue[:64])
            return await self._remember("voice", cb, twiml.refuse(UNKNOWN_QUEUE_MESSAGE))
        step = self.acd.on_incoming(cb.call_id, cb.call_sid, queue, cb.from_number, cb.to_number, now)
        await self.emit([*offered_events(cb, now), *step.events])
        self.calls.start_connects(step.connects)
        if isinstance(step.decision, Offer):
            self.calls.ring_agent(step.decision.call, step.decision.agent)
        return await self._remember("voice", cb, self._answer(step, notice=self._notice()))

    async def handle_status(self, req: WebhookRequest) -> str:
        cb = self._parse(req)
        if await self._repeat("status", cb) is not None:
            return twiml.empty()
        now = self._clock()
        step, abandoned, talk = Step(), False, None
        device = cb.context.device or ""
        agent_ring = cb.leg is Leg.AGENT and cb.direction is Direction.INBOUND  # rung into the conference
        if agent_ring and cb.status in (CallStatus.INITIATED, CallStatus.RINGING):
            self.calls.agent_legs[cb.call_id] = cb.call_sid
        if cb.status is CallStatus.IN_PROGRESS and cb.leg is Leg.AGENT:
            step = self.acd.on_answered(cb.call_id, device, now)
            if agent_ring and self.acd.call(cb.call_id) is None:  # answered after the customer left
                self.calls.hang_up(cb.call_sid, ringing=False)
        elif cb.status in FINAL_STATUSES and agent_ring:
            if self.calls.agent_legs.get(cb.call_id) == cb.call_sid:
                del self.calls.agent_legs[cb.call_id]
            step = self.acd.on_dial_result(cb.call_id, device, DialStatus(cb.status.value), now)
        elif cb.status in FINAL_STATUSES and (
            cb.leg is Leg.CALLER or (cb.leg is Leg.AGENT and cb.direction is Direction.OUTBOUND)
        ):
            step = self.acd.on_call_ended(cb.call_id, now)
            ringing = self.calls.agent_legs.pop(cb.call_id, None)
            if step.ended is not None:
                abandoned, talk = step.ended.abandoned, step.ended.talk_seconds
                if cb.leg is Leg.CALLER and ringing and step.ended.agent is not None and talk is None:
                    self.calls.hang_up(ringing, ringing=True)  # the customer left while the agent rang
            dialled = self.calls.customer_legs.pop(cb.call_id, None)
            if dialled:  # outbound: the agent left while the customer's phone rang
                self.calls.hang_up(dialled, ringing=True)
        elif cb.leg is Leg.CUSTOMER:
            self.calls.on_customer_leg(cb)
        found = status_events(cb, now, abandoned=abandoned, talk_seconds=talk)
        parsed = [self._with_hold(e, now) for e in found]
        first = [e for e in step.events if isinstance(e, CallAbandoned)]
        rest = [e for e in step.events if not isinstance(e, CallAbandoned)]
        await self.emit([*first, *parsed, *rest])
        self.calls.start_connects(step.connects)
        if agent_ring:
            self.calls.follow(step)
        return twiml.empty()

    async def handle_dial_action(self, req: WebhookRequest) -> str:
        """A leg left the call's conference (it ended): hang up. The legs' own status callbacks told
        the ACD how the ring went (inbound: the agent's; outbound: the customer's)."""
        cb = self._parse(req)
        if cb.dial_call_status is None:
            raise ProtocolViolation("dial action without DialCallStatus", {"DialCallStatus": "missing"})
        repeat = await self._repeat("dial", cb)
        if repeat is not None:
            return repeat
        return await self._remember("dial", cb, twiml.hangup())

    async def handle_wait(self, req: WebhookRequest) -> str:
        """``<Enqueue waitUrl>``: announce the caller's position, then hold music."""
        form, query = self._verified(req)
        position = self.acd.position(query.get("call_id", ""))
        if position is None and form.get("QueuePosition", "").isdigit():
            position = int(form["QueuePosition"])
        return twiml.wait_music(position, self.hold_music_url)

    async def handle_connect(self, req: WebhookRequest) -> str:
        """A waiting caller we redirected: into the call's conference, where the agent the ACD chose for
        them is rung (or back to the queue, when that offer is over)."""
        cb = self._parse(req)
        call = self.acd.call(cb.call_id)
        if call is None:
            return twiml.hangup()
        if call.agent and call.agent == cb.context.device:
            return self._join_twiml(call.call_id)
        return self._enqueue_twiml(call.call_id, call.queue)

    async def handle_outbound(self, req: WebhookRequest) -> str:
        """Our outbound agent leg answered: it starts the call's conference, and the customer is
        dialled into it with our caller ID (once, however often Twilio asks)."""
        cb = self._parse(req)
        customer = cb.context.dialed
        if not customer:
            raise ProtocolViolation("outbound callback without the customer number", {"dialed": "missing"})
        repeat = await self._repeat("outbound", cb)
        if repeat is not None:
            return repeat
        self.calls.agent_legs[cb.call_id] = cb.call_sid
        ctx = dataclasses.replace(cb.context, leg=Leg.CUSTOMER, direction=Direction.OUTBOUND)
        self.calls.dial_customer(cb.call_id, customer, ctx)
        answer = twiml.join_conference(legs.conference_name(cb.call_id), label=legs.AGENT_LABEL, starts=True,
                                       action_url=self.url("/twilio/dial-action", cb.context))
        return await self._remember("outbound", cb, answer)

    # ---- agents (from the carrier) ---------------------------------------------------------
    async def apply(self, step: Step) -> None:
        """Publish a step's events and start its connects (for agent-side ACD changes)."""
        await self.emit(list(step.events))
        self.calls.start_connects(step.connects)

    def now(self) -> datetime:
        return self._clock()

    async def tick(self) -> None:
        """Call about once a second: ends wrap-ups whose time ran out."""
        await self.apply(self.acd.expire_wrap_ups(self._clock()))

    async def drain(self) -> None:
        """Wait for the connects in flight (tests, shutdown)."""
        await self.calls.drain()

    # ---- internals -------------------------------------------------------------------------
    def url(self, path: str, ctx: CallbackContext) -> str:
        return callback_url(self.settings.public_url, path, ctx)

    def _notice(self) -> str | None:
        """Issue 20: "this call may be recorded", said before a new caller reaches an agent."""
        recordings = self.settings.recordings
        return recordings.notice_text if recordings.enabled and recordings.notice_text else None

    def recording_url(self, ctx: CallbackContext) -> str | None:
        """Issue 20: where Twilio announces the call's finished recording (None: recording is off)."""
        if not self.settings.recordings.enabled:
            return None
        return callback_url(self.settings.public_url, "/twilio/recording",
                            CallbackContext(call_id=ctx.call_id, agent=ctx.agent))

    def _answer(self, step: Step, *, notice: str | None = None) -> str:
        decision = step.decision
        if isinstance(decision, Offer):
            return self._join_twiml(decision.call.call_id, notice)
        if isinstance(decision, Enqueue):
            return self._enqueue_twiml(decision.call.call_id, decision.call.queue, notice)
        if isinstance(decision, Hangup) or decision is None:
            return twiml.hangup()
        raise AssertionError(f"unknown decision {decision!r}")  # pragma: no cover

    def agent_context(self, call: CallRef, device: str, username: str) -> CallbackContext:
        return CallbackContext(
            call_id=call.call_id, leg=Leg.AGENT, device=device, agent=username, queue=call.queue,
            caller=call.caller_number, dialed=call.dialed_number, direction=Direction.INBOUND,
        )

    def _join_twiml(self, call_id: str, notice: str | None = None) -> str:
        """The customer's leg joins the call's conference; its ``<Dial action>`` hears when they left."""
        action = self.url("/twilio/dial-action", CallbackContext(call_id=call_id, leg=Leg.CALLER))
        return twiml.join_conference(legs.conference_name(call_id), action_url=action,
                                     wait_url=self.hold_music_url, notice=notice)

    def _enqueue_twiml(self, call_id: str, queue: str, notice: str | None = None) -> str:
        wait = self.url("/twilio/wait", CallbackContext(call_id=call_id, queue=queue))
        return twiml.enqueue(queue, wait_url=wait, notice=notice)

    def _with_hold(self, event: Event, now: datetime) -> Event:
        if isinstance(event, AgentConnected):
            call = self.acd.call(event.call_id)
            if call is not None and call.direction is Direction.INBOUND:
                hold = int(((call.answered_at or now) - call.arrived_at).total_seconds())
                return dataclasses.replace(event, hold_seconds=hold)
        return event

    async def emit(self, events: Sequence[Event]) -> None:
        for event in events:
            await self._publish(event)
