"""``TwilioCarrier``: the :class:`domain.carrier.Carrier` port on Twilio.

``dial`` places the agent's leg first through the Calls API; when the agent answers, Twilio fetches
``/twilio/outbound``, whose TwiML puts the agent in the call's conference, and the customer is dialled
into it with our caller ID (:mod:`cti.twilio.legs`). Every URL carries the
attempt id (``call_id``), so all callbacks join one call. Queue membership and pauses change the
Switchboard ACD (there is no Twilio queue that picks agents).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from cti.twilio.service import TwilioVoiceService
from cti.twilio.twiml import parse_device
from cti.twilio.webhooks import CallbackContext, Leg, callback_url
from domain.errors import CarrierRejected, CarrierUnavailable, InvalidInput
from domain.events import DialRequested, Direction, utcnow
from domain.events.calls import OWN_CALL_ID, OWN_CALL_PREFIX


class TwilioCarrier:
    name = "twilio"

    def __init__(self, service: TwilioVoiceService, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.service = service
        self._clock = clock

    async def dial(self, request: DialRequested) -> None:
        """Ring ``request.agent_device``, then the customer; raises per the Carrier contract."""
        if not OWN_CALL_ID.match(request.call_id):
            raise InvalidInput(f"a Twilio dial needs an attempt id {OWN_CALL_PREFIX}...",
                               {"call_id": f"must start with {OWN_CALL_PREFIX}"})
        device = parse_device(request.agent_device).address
        settings = self.service.settings
        caller_id = request.caller_id or settings.twilio.caller_id
        if not caller_id:
            raise InvalidInput("no caller ID for Twilio", {"caller_id": "set SWITCHBOARD_TWILIO__CALLER_ID"})
        acd = self.service.acd
        known = acd.agent(device)
        username = known.username if known else device
        step = acd.on_outbound(request.call_id, device, username, request.customer_number, caller_id,
                               self._clock())
        await self.service.apply(step)
        ctx = CallbackContext(
            call_id=request.call_id, leg=Leg.AGENT, device=device, agent=username, queue=request.campaign,
            caller=caller_id, dialed=request.customer_number, direction=Direction.OUTBOUND,
        )
        try:
            await self.service.rest.create_call(
                to=device, from_=caller_id,
                url=callback_url(settings.public_url, "/twilio/outbound", ctx),
                status_callback=callback_url(settings.public_url, "/twilio/status", ctx),
                timeout_seconds=request.timeout_seconds,
            )
        except (CarrierUnavailable, CarrierRejected):
            # nothing was dialled: free the agent again (DialOutcomeUnknown keeps the state:
            # the callbacks will tell how the call went)
            await self.service.apply(acd.on_call_ended(request.call_id, self._clock()))
            raise

    async def queue_add(self, queue: str, device: str, member_name: str, *, paused: bool = False) -> None:
        """Join ``queue`` in the ACD. ``paused`` is applied by the ``queue_pause`` that follows in the
        same command (:class:`cti.commands.CarrierCommands`); the ACD has no paused join of its own."""
        address = self._device(device)
        await self.service.apply(self.service.acd.queue_add(queue, address, member_name, self._clock()))

    async def queue_remove(self, queue: str, device: str) -> None:
        address = self._device(device)
        await self.service.apply(self.service.acd.queue_remove(queue, address, self._clock()))

    async def queue_pause(self, queue: str | None, device: str, paused: bool, reason: str | None) -> None:
        """Pause (reason code) or make ready; pauses apply to all the agent's queues, as on Asterisk."""
        address = self._device(device)
        acd, now = self.service.acd, self._clock()
        step = acd.pause(address, reason, now) if paused else acd.on_agent_ready(address, now)
        await self.service.apply(step)

    @staticmethod
    def _device(device: str) -> str:
        return parse_device(device).address
