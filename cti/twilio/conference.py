"""Live monitoring on Twilio (issue 22): the supervisor joins the call's conference as a participant.

The call's conference is the one whose ``FriendlyName`` is the call id (``/`` as ``-``: see
:func:`cti.twilio.legs.conference_name`; our call flow puts every connected call in it), and the
agent's participant is labelled ``agent``. A ``MonitorRequested`` (``carrier == "twilio"``) becomes, through the Calls
API's conference resources (``/2010-04-01/Accounts/{sid}/Conferences...``):

1. ``GET Conferences.json?FriendlyName=<conference name>&Status=in-progress``: the conference's SID;
2. ``GET Conferences/{CF}/Participants.json``: the agent's call SID (label ``agent``), for coaching;
3. ``POST Conferences/{CF}/Participants.json`` with ``From`` (our caller ID), ``To`` (the supervisor's
   device: ``client:<identity>`` or a number), ``Label=supervisor-<request id>``, ``Beep=false``, and
   listen: ``Muted=true``; whisper: ``Coaching=true`` + ``CallSidToCoach=<the agent's call SID>``;
   barge: ``Muted=false``.

It is answered with one ``PbxCommandDone`` (``command="monitor"``). ``MonitorStopRequested`` removes
the supervisor's participant (``DELETE .../Participants/{label}.json``; a participant is addressed by
its call SID or its label). Nothing here is a webhook: the requests are signed by the account's
credentials (HTTP basic auth), and nothing calls back.
"""

from __future__ import annotations

from typing import Any

from bus.base import EventBus
from cti.commands import answer_command
from cti.twilio.legs import AGENT_LABEL, conference_name
from cti.twilio.rest import CallNotFound, TwilioRest
from cti.twilio.twiml import parse_device
from domain.errors import CarrierRejected
from domain.events import MonitorMode, MonitorRequested, MonitorStopRequested

CARRIER = "twilio"


def supervisor_label(request_id: str) -> str:
    return f"supervisor-{request_id}"


class TwilioMonitor:
    def __init__(self, rest: TwilioRest, bus: EventBus, *, caller_id: str, ring_seconds: int = 30) -> None:
        self._rest, self._bus, self._caller_id, self._ring = rest, bus, caller_id, ring_seconds

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(MonitorRequested, self.on_monitor, group="twilio-monitor")
        bus.subscribe(MonitorStopRequested, self.on_stop, group="twilio-monitor-stop")

    async def conference_sid(self, call_id: str) -> str:
        api = self._rest.api()
        found = await self._rest.send("conference lookup", lambda: api.conferences.list_async(
            friendly_name=conference_name(call_id), status="in-progress", limit=1))
        if not found:
            raise CarrierRejected("this call is not in a conference that a supervisor can join")
        return str(found[0].sid)

    async def agent_call_sid(self, conference: str) -> str:
        api = self._rest.api()
        people = await self._rest.send("participants", lambda: api.conferences(conference).participants.list_async())
        agent = next((p for p in people if getattr(p, "label", None) == AGENT_LABEL), None)
        if agent is None:
            raise CarrierRejected("the agent is no longer in the call's conference")
        return str(agent.call_sid)

    async def join(self, ev: MonitorRequested) -> str:
        device = parse_device(ev.supervisor_device)
        conference = await self.conference_sid(ev.call_id)
        options: dict[str, Any] = {"muted": ev.mode is MonitorMode.LISTEN}
        if ev.mode is MonitorMode.WHISPER:
            options.update(muted=False, coaching=True, call_sid_to_coach=await self.agent_call_sid(conference))
        participants = self._rest.api().conferences(conference).participants
        joined = await self._rest.send("participant create", lambda: participants.create_async(
            from_=self._caller_id, to=device.address, label=supervisor_label(ev.request_id), beep="false",
            timeout=ev.ring_seconds or self._ring, early_media=False, end_conference_on_exit=False, **options))
        return f"participant {joined.call_sid} ({ev.mode.value}) in {conference}"

    async def leave(self, ev: MonitorStopRequested) -> str:
        conference = await self.conference_sid(ev.call_id)
        api = self._rest.api()
        try:
            await self._rest.send("participant delete", lambda: api.conferences(conference).participants(
                supervisor_label(ev.request_id)).delete_async())
        except CallNotFound:
            return "the supervisor had already left"
        return "the supervisor left"

    async def on_monitor(self, ev: MonitorRequested) -> None:
        if ev.carrier == CARRIER:
            await answer_command(self._bus, self.join(ev), label="twilio", request_id=ev.request_id,
                                 command="monitor", call_id=ev.call_id, server=CARRIER)

    async def on_stop(self, ev: MonitorStopRequested) -> None:
        if ev.carrier == CARRIER:
            await answer_command(self._bus, self.leave(ev), label="twilio", request_id=ev.request_id,
                                 command="monitor_stop", call_id=ev.call_id, server=CARRIER)
