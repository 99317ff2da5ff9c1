"""Wires Twilio, the second carrier, into the app: the webhook service, its ACD and the Calls API.

Started by :func:`agent_ui.wiring.default_components` only when ``SWITCHBOARD_TWILIO__ACCOUNT_SID``
is set. ``start`` builds (inside the running loop) the REST client, the ACD, the webhook service
and the :class:`~cti.twilio.carrier.TwilioCarrier`; puts them in ``services.twilio`` (:class:`TwilioParts`)
for the ``/twilio/*`` routes; subscribes the carrier's commands; and runs the ACD's once-a-second
tick (wrap-ups that ran out) under the supervisor. ``stop`` waits for the redirects in flight and
closes the HTTP client.

Commands consumed from the bus (``carrier == "twilio"`` only; Asterisk's bridge takes the rest):

* ``AgentStateRequested`` (also through ``CarrierCommands``): ready / paused -> the agent joins
  each of their queues in the ACD, then is paused (with the reason) or made ready; logged_out ->
  leaves every queue. Presence sends ``ready`` when the outcome is saved or the wrap-up time runs
  out, which ends the ACD wrap-up.
* ``MonitorRequested`` / ``MonitorStopRequested`` (issue 22): a supervisor joins or leaves the call's
  conference (``cti.twilio.conference.TwilioMonitor``).
* ``DialRequested``: ``TwilioCarrier.dial`` through :class:`cti.commands.CarrierCommands`, the
  command path both carriers share: at most once in the cluster, not when stale, never raising
  into the bus; answered with one ``DialResult``.

One process: the ACD (who is ready, who waits) lives in memory, so ``/twilio/*`` and this
component must run in exactly one worker (``uvicorn --workers 1``, or route ``/twilio/`` to one
instance at the proxy).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from fastapi import APIRouter

from agent_ui.services import Services
from cti.commands import CarrierCommands
from cti.twilio.acd import TwilioAcd
from cti.twilio.carrier import TwilioCarrier
from cti.twilio.conference import TwilioMonitor
from cti.twilio.rest import TwilioRest
from cti.twilio.service import TwilioVoiceService
from domain.errors import SwitchboardError
from store.repositories.webhook_receipts import WebhookReceipts

log = logging.getLogger(__name__)

TICK_TASK = "twilio-acd-tick"
PRUNE_SECONDS = 3600.0  # old webhook receipts are forgotten this often


@dataclass
class TwilioParts:
    service: TwilioVoiceService
    commands: CarrierCommands


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
        commands = CarrierCommands(TwilioCarrier(service), bus, lease, worker_id=settings.worker_id)
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
