"""How a Twilio call is bridged, as data (issue 22): the customer and the agent meet in a conference.

Every connected call is a conference named after the call id (:func:`conference_name`), so a
supervisor can join it (:mod:`cti.twilio.conference`):

* inbound, the customer's leg answers ``<Dial><Conference>`` (:func:`cti.twilio.twiml.join_conference`),
  labelled ``customer``, waiting with hold music (it does not start the conference) and ending it
  when they leave;
* the agent is added through the Participants API (:func:`agent_participant` gives the request's
  parameters, in the ``twilio`` library's names), labelled ``agent``: their device rings for the
  ring timeout, their answer starts the conference and their hanging up ends it. The agent leg's
  status callbacks (ringing, answered, and how it ended) drive the ACD as the ``<Dial>`` used to.

Outbound (agent first), the agent's answered leg joins the conference as ``agent`` (it starts it)
and the customer is dialled into it (:func:`customer_participant`), labelled ``customer``; the
customer leg's status callbacks give the dial's result.

Nothing here sends anything; :class:`cti.twilio.service.TwilioVoiceService` does.
"""

from __future__ import annotations

from typing import Any

from cti.twilio.decisions import AgentRef, CallRef
from cti.twilio.twiml import parse_device

CARRIER = "twilio"
AGENT_LABEL = "agent"
CUSTOMER_LABEL = "customer"
STATUS_EVENTS = ("initiated", "ringing", "answered", "completed")


def conference_name(call_id: str) -> str:
    """The conference's FriendlyName for ``call_id``: the id itself, with ``/`` (which cannot go in
    the Participants API's path, where the name stands for the conference) as ``-``."""
    return call_id.replace("/", "-")


def agent_participant(
    call: CallRef, agent: AgentRef, *, caller_id: str, status_url: str, timeout: int, recording_url: str | None,
) -> dict[str, Any]:
    """The Participants API request that rings ``agent`` into inbound ``call``'s conference.

    ``From`` is the number the customer called (a number of ours, as Twilio requires for a
    ``From``), else ``caller_id``. With ``recording_url``, the agent's leg is recorded in two
    channels (the agent; the conference) from their answer, announced there when the file is done.
    """
    return _leg(to=parse_device(agent.device).address, label=AGENT_LABEL, from_=call.dialed_number or caller_id,
                early_media=False, status_url=status_url, timeout=timeout, recording_url=recording_url)


def customer_participant(
    customer: str, *, caller_id: str, status_url: str, timeout: int, recording_url: str | None,
) -> dict[str, Any]:
    """Outbound: the agent answered and waits in the conference; this request dials the customer into
    it with our caller ID. ``EarlyMedia``: the agent hears it ring (or the network's message)."""
    return _leg(to=customer, label=CUSTOMER_LABEL, from_=caller_id, early_media=True, status_url=status_url,
                timeout=timeout, recording_url=recording_url)


def _leg(*, to: str, label: str, from_: str, early_media: bool, status_url: str, timeout: int,
         recording_url: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "from_": from_, "to": to, "label": label, "timeout": timeout, "beep": "false", "early_media": early_media,
        "start_conference_on_enter": True, "end_conference_on_exit": True,
        "status_callback": status_url, "status_callback_method": "POST", "status_callback_event": list(STATUS_EVENTS),
    }
    if recording_url:
        params.update(record=True, recording_channels="dual", recording_status_callback=recording_url,
                      recording_status_callback_method="POST", recording_status_callback_event=["completed"])
    return params
