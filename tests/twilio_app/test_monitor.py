"""Live monitoring of a call our own Twilio flow connected (issue 22), through the real app.

The customer's leg is bridged into the call's conference and the agent is rung into it (label
``agent``); ``POST /api/monitor`` then joins the supervisor's browser phone to that same conference
through the Participants API of the local stand-in: muted (listen), coaching the agent's own leg
(whisper: ``CallSidToCoach`` is the call SID of the participant our flow rang), unmuted (barge).
Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from domain.events import PbxCommandDone
from store.models import User
from tests.twilio.fake_api import Recorded
from tests.twilio.helpers import ACCOUNT_SID, PUBLIC_URL, call_sid, voice_form
from tests.twilio_app.conftest import CUSTOMER_NUMBER, TwilioWorld, until
from tests.twilio_app.support import desktop_state, ready_in_acd, rung

CONFERENCES = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Conferences"


def done(world: TwilioWorld, request_id: str) -> PbxCommandDone | None:
    return next((e for e in world.events if isinstance(e, PbxCommandDone) and e.request_id == request_id), None)


async def monitor(world: TwilioWorld, call_id: str, mode: str) -> tuple[dict[str, Any], Recorded]:
    """POST /api/monitor as the supervisor; wait for Twilio's answer; the participant request it made."""
    before = len(world.api.requests)
    answer = await world.http.post(f"{world.running.base_url}/api/monitor", json={"call_id": call_id, "mode": mode},
                                   headers=world.auth("sup"))
    assert answer.status_code == 202, answer.text
    session: dict[str, Any] = answer.json()
    await until(lambda: done(world, session["request_id"]) is not None, f"the carrier's answer to {mode}")
    result = done(world, session["request_id"])
    assert result is not None and result.ok, result
    [joined] = [r for r in world.api.requests[before:] if r.method == "POST" and r.path.startswith(CONFERENCES)]
    return session, joined


async def test_a_supervisor_joins_the_conference_our_flow_put_the_call_in(twilio_app: TwilioWorld) -> None:
    world = twilio_app
    async with world.running.services.database.session() as session:
        await session.execute(update(User).where(User.username == "sup").values(extension="client:sup"))
    await ready_in_acd(world, "amina")
    parent = call_sid()
    call_id = f"twilio/{parent}"
    answer = await world.twilio(f"{PUBLIC_URL}/twilio/voice?queue=collections", voice_form(parent))
    offer = await rung(world, answer.text)
    world.api.join(offer.room, parent, "customer")  # Twilio ran the customer's <Dial><Conference>
    for seq, status in enumerate(("ringing", "in-progress")):
        await world.twilio(offer.status_url, voice_form(offer.leg, status=status, caller=CUSTOMER_NUMBER,
                                                        to="client:amina", direction="outbound-api",
                                                        SequenceNumber=str(seq)))
    await desktop_state(world, "amina", "on_call")
    room = world.api.rooms[offer.room]
    assert room.labels() == {"agent": offer.leg, "customer": parent}

    listen, joined = await monitor(world, call_id, "listen")
    lookup = next(r for r in world.api.requests if r.method == "GET" and r.path == f"{CONFERENCES}.json")
    assert (lookup.value("FriendlyName"), lookup.value("Status")) == (offer.room, "in-progress")
    assert joined.path == f"{CONFERENCES}/{room.sid}/Participants.json"
    assert (joined.value("To"), joined.value("Muted"), joined.value("Coaching")) == ("client:sup", "true", None)
    assert joined.value("Label") == f"supervisor-{listen['request_id']}"

    whisper, joined = await monitor(world, call_id, "whisper")
    assert (joined.value("Coaching"), joined.value("CallSidToCoach"), joined.value("Muted")) == (
        "true", offer.leg, "false")  # the agent's own leg, as our flow rang it
    barge, joined = await monitor(world, call_id, "barge")
    assert (joined.value("Muted"), joined.value("Coaching")) == ("false", None)

    # each new mode replaced the previous supervisor leg: the room holds the call and the barging supervisor
    await until(lambda: set(room.labels()) == {"agent", "customer", f"supervisor-{barge['request_id']}"},
                "the earlier supervisor legs removed")
    removed = [r.path.rsplit("/", 1)[-1] for r in world.api.requests if r.method == "DELETE"]
    assert removed == [f"supervisor-{listen['request_id']}.json", f"supervisor-{whisper['request_id']}.json"]
