"""How a Twilio call is bridged, as data (issue 22): the customer and the agent meet in a conference.

Every connected call is a conference named after the call id (:func:`conference_name`), so a
supervisor can join it (:mod:`cti.twilio.conference`):

* the customer's leg answers ``<Dial><Conference>`` (:func:`cti.twilio.twiml.join_conference`),
  labelled ``customer``, waiting with hold music (it does not start the conference) and ending it
  when they leave;
* the agent is added through the Participants API (:func:`agent_participant` gives the request's
  parameters, in the ``twilio`` library's names), labelled ``agent``: their device rings for the
  ring timeout, their answer starts the conference and their hanging up ends it. The agent leg's
  status callbacks (ringing, answered, and how it ended) drive the ACD as the ``<Dial>`` used to.

Nothing here sends anything; :class:`cti.twilio.service.TwilioVoiceService` does.
"""

from __future__ import annotations

from typing import Any

from cti.twilio.decisions import AgentRef, CallRef
from cti.twilio.twiml import parse_device

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
    """The Participants API request that rings ``agent`` into ``call``'s conference.

    ``From`` is the number the customer called (a number of ours, as Twilio requires for a
    ``From``), else ``caller_id``. With ``recording_url``, the agent's leg is recorded in two
    channels (the agent; the conference) from their answer, announced there when the file is done.
    """
    params: dict[str, Any] = {
        "from_": call.dialed_number or caller_id, "to": parse_device(agent.device).address, "label": AGENT_LABEL,
        "timeout": timeout, "beep": "false", "early_media": False,
        "start_conference_on_enter": True, "end_conference_on_exit": True,
        "status_callback": status_url, "status_callback_method": "POST", "status_callback_event": list(STATUS_EVENTS),
    }
    if recording_url:
        params.update(record=True, recording_channels="dual", recording_status_callback=recording_url,
                      recording_status_callback_method="POST", recording_status_callback_event=["completed"])
    return params
