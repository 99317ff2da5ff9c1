"""Whether an agent has a working phone line (issue 15 item 5: no phone line, no fake dialling).

A line works when the carrier of the agent's extension is connected in this process and knows the
extension: Asterisk (``PJSIP/1001``) needs a connected AMI link and, for a browser phone, its
registration; Twilio (``client:amina``) needs the Twilio part running. The desk disables its dial
buttons with :func:`line_status`'s sentence, and the dial routes refuse at once with it (409
``agent-not-available``) before anything is written, so no dial is left holding the agent.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent_ui.services import Services
from domain.carrier import CarrierName, carrier_for_device
from domain.errors import AgentNotAvailable
from store.models import User


@dataclass(frozen=True, slots=True)
class Line:
    ok: bool
    carrier: CarrierName | None
    extension: str | None
    reason: str | None  # why not, as a sentence (None when ok)


async def line_status(services: Services, user: User) -> Line:
    if not user.extension:
        return Line(False, None, None, "You have no phone extension, so you cannot place calls: ask an admin to "
                    "give you one.")
    carrier = carrier_for_device(user.extension)
    if carrier == "twilio":
        if services.twilio is None:
            return Line(False, carrier, user.extension, f"Your extension {user.extension} is a Twilio phone, but "
                        "Twilio is not set up on this server, so calls cannot be placed.")
        return Line(True, carrier, user.extension, None)
    if services.asterisk is None or not services.asterisk.connected:
        return Line(False, carrier, user.extension, "The phone system (Asterisk) is not connected, so calls "
                    "cannot be placed. Tell your supervisor.")
    if services.phone is not None:
        status = await services.phone.service.status(user)
        if status.kind == "webrtc" and not status.registered:
            return Line(False, carrier, user.extension, f"Your browser phone ({user.extension}) is not registered "
                        "with the phone system yet, so calls cannot be placed.")
    return Line(True, carrier, user.extension, None)


async def require_line(services: Services, user: User) -> None:
    """AgentNotAvailable (409) with the sentence when the agent has no working line."""
    line = await line_status(services, user)
    if not line.ok:
        raise AgentNotAvailable(line.reason or "you have no working phone line", {"line": "none"})
