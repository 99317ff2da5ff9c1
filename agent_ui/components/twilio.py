"""Wires Twilio, the second carrier, into the app: the webhook service, its ACD and the Calls API.

Started by :func:`agent_ui.wiring.default_components` only when ``SWITCHBOARD_TWILIO__ACCOUNT_SID``
is set. ``start`` builds (inside the running loop) the REST client, the ACD, the webhook service
and the :class:`~cti.twilio.carrier.TwilioCarrier`; puts them in ``services.twilio`` (:class:`TwilioParts`)
for the ``/twilio/*`` routes; subscribes the carrier's commands; and runs the ACD's once-a-second
tick (wrap-ups that ran out) under the supervisor. ``stop`` waits for the redirects in flight and
closes the HTTP client.

Commands consumed from the bus (``carrier == "twilio"`` only; Asterisk's bridge takes the rest):

* ``AgentStateRequested``: ready / paused -> the agent joins each of their queues in the ACD, then
  is paused (with the reason) or made ready; logged_out -> leaves every queue. Presence sends
  ``ready`` when the outcome is saved or the wrap-up time runs out, which ends the ACD wrap-up.
* ``MonitorRequested`` / ``MonitorStopRequested`` (issue 22): a supervisor joins or leaves the call's
  conference (``cti.twilio.conference.TwilioMonitor``).
* ``DialRequested``: ``TwilioCarrier.dial`` at most once in the cluster (a ``dial-once:<call_id>``
  claim, as the Asterisk bridge), never raising into the bus; answered with one ``DialResult``.

One process: the ACD (who is ready, who waits) lives in memory, so ``/twilio/*`` and this
component must run in exactly one worker (``uvicorn --workers 1``, or route ``/twilio/`` to one
instance at the proxy).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter

from agent_ui.services import Services
from bus.base import EventBus, Lease
from cti.twilio.acd import TwilioAcd
from cti.twilio.carrier import TwilioCarrier
from cti.twilio.conference import TwilioMonitor
from cti.twilio.rest import TwilioRest
from cti.twilio.service import TwilioVoiceService
from domain.errors import AgentNotAvailable, CarrierUnavailable, DialOutcomeUnknown, SwitchboardError
from domain.events import AgentState, AgentStateRequested, DialOutcome, DialRequested, DialResult, utcnow
from store.repositories.webhook_receipts import WebhookReceipts

log = logging.getLogger(__name__)

CARRIER = "twilio"
TICK_TASK = "twilio-acd-tick"
STALE_DIAL_SECONDS = 30.0  # an older request (queued while nothing consumed it) is not dialled
PRUNE_SECONDS = 3600.0  # old webhook receipts are forgotten this often


class TwilioCommands:
    """The bus side of the Twilio carrier: agent-state and dial commands in, DialResult out."""

    def __init__(self, carrier: TwilioCarrier, bus: EventBus, lease: Lease, *, worker_id: str,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.carrier = carrier
        self._bus, self._lease, self._worker_id, self._clock = bus, lease, worker_id, clock

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(AgentStateRequested, self.on_state_requested, group="twilio-agent-state")
        bus.subscribe(DialRequested, self.on_dial_requested, group="twilio-dial")

    async def on_state_requested(self, ev: AgentStateRequested) -> None:
        """Never raises: a device Twilio cannot dial or a refused change is logged."""
        if ev.carrier != CARRIER:
            return
        try:
            if ev.state == AgentState.LOGGED_OUT:
                for queue in ev.queues:
                    await self.carrier.queue_remove(queue, ev.device)
                return
            for queue in ev.queues:
                await self.carrier.queue_add(queue, ev.device, ev.username)
            await self.carrier.queue_pause(None, ev.device, ev.state == AgentState.PAUSED, ev.reason)
        except SwitchboardError as exc:
            log.warning("twilio: agent %s (%s) -> %s refused: %s %s", ev.username, ev.device, ev.state,
                        exc.error_id, exc.message)

    async def on_dial_requested(self, ev: DialRequested) -> None:
        """Dial at most once in the whole cluster and never raise (the bus would redeliver)."""
        if ev.carrier != CARRIER:
            return
        try:
            outcome, reason = await self._dial_once(ev)
        except Exception:  # never let the bus redeliver a dial
            log.exception("twilio: dial %s failed unexpectedly", ev.call_id)
            outcome, reason = DialOutcome.UNKNOWN, "internal error while dialling"
        try:
            await self._bus.publish(DialResult(call_id=ev.call_id, outcome=outcome, reason=reason,
                                               carrier=CARRIER))
        except Exception:
            log.exception("twilio: could not publish the result of %s", ev.call_id)

    async def _dial_once(self, ev: DialRequested) -> tuple[DialOutcome, str | None]:
        age = (self._clock() - ev.at).total_seconds()
        if age > STALE_DIAL_SECONDS:
            return DialOutcome.NOT_SENT, f"request is {age:.0f}s old; the agent has moved on"
        claim = f"dial-once:{ev.call_id}"
        if not await self._lease.try_acquire(claim, f"{self._worker_id}:{uuid.uuid4().hex}", ttl=86_400):
            log.warning("twilio: dial %s was already handled; not sending it again", ev.call_id)
            return DialOutcome.UNKNOWN, "duplicate request ignored"
        try:
            await self.carrier.dial(ev)
        except (CarrierUnavailable, AgentNotAvailable) as exc:  # nothing went out
            return DialOutcome.NOT_SENT, exc.message
        except DialOutcomeUnknown as exc:  # may have dialled: the callbacks will tell
            return DialOutcome.UNKNOWN, exc.message
        except SwitchboardError as exc:  # refused, or a device / caller ID Twilio cannot use
            return DialOutcome.FAILED, exc.message
        return DialOutcome.SENT, None


@dataclass
class TwilioParts:
    service: TwilioVoiceService
    commands: TwilioCommands


class TwilioComponent:
    """Registered by :func:`agent_ui.wiring.default_components` when an account SID is configured."""

    name = "twilio"

    def __init__(self, *, tick_seconds: float = 1.0) -> None:
        self.tick_seconds = tick_seconds
        self.rest: TwilioRest | None = None
        self.service: TwilioVoiceService | None = None

    async def start(self, services: Services) -> None:
        settings, bus, lease = services.settings, services.bus, services.lease
        if bus is None or lease is None:
            raise SwitchboardError("the Twilio carrier needs the bus and the lease")
        twilio = settings.twilio
        if not twilio.auth_token.get_secret_value():
            log.warning("twilio: SWITCHBOARD_TWILIO__AUTH_TOKEN is empty; every webhook will be refused")
        if settings.redis_url is not None:
            log.warning("twilio: the ACD lives in this process; serve /twilio/* from one worker only")
        rest = TwilioRest(twilio)
        acd = TwilioAcd(wrapup_seconds=settings.wrapup_seconds,
                        autopause_on_no_answer=twilio.autopause_on_no_answer)
        def known_queue(queue: str) -> bool:
            """Queues of the settings and of the dialer's campaigns (an edited list counts at once)."""
            dialer = services.lists.dialer
            return queue in {*settings.ami.queues, dialer.escalation.queue, *(c.queue for c in dialer.campaigns)}

        receipts = WebhookReceipts(services.database)  # repeats known after a restart and on any worker
        service = TwilioVoiceService(settings, acd, bus.publish, rest, ring_timeout=twilio.ring_timeout,
                                     hold_music_url=twilio.hold_music_url, known_queue=known_queue,
                                     ledger=receipts)
        commands = TwilioCommands(TwilioCarrier(service), bus, lease, worker_id=settings.worker_id)
        commands.subscribe(bus)
        TwilioMonitor(rest, bus, caller_id=twilio.caller_id or "",
                      ring_seconds=settings.monitor.ring_seconds).subscribe(bus)  # issue 22: live monitoring
        self.rest, self.service = rest, service

        async def tick() -> None:
            pruned_at = 0.0
            while True:
                await service.tick()
                if time.monotonic() - pruned_at > PRUNE_SECONDS:
                    pruned_at = time.monotonic()
                    await receipts.prune()
                await asyncio.sleep(self.tick_seconds)

        services.supervisor.spawn(TICK_TASK, tick)
        services.twilio = TwilioParts(service, commands)
        log.info("twilio carrier started (public URL %s)", settings.public_url)

    async def stop(self, services: Services) -> None:
        await services.supervisor.cancel(TICK_TASK)
        if self.service is not None:
            try:
                async with asyncio.timeout(10):
                    await self.service.drain()
            except TimeoutError:
                log.warning("twilio: redirects still in flight at shutdown")
        if self.rest is not None:
            await self.rest.aclose()
        services.twilio = None


def routes() -> list[APIRouter]:
    from agent_ui.routes import twilio

    return [twilio.router]
