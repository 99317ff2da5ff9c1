"""The local Twilio stand-in with the conference resources: our call flow's and live monitoring's (issue 22).

Stateful, in the recorded shapes of ``tests/fixtures/twilio/*.json``:

* a leg that runs ``<Dial><Conference>`` is played by :meth:`FakeConferenceApi.join` (Twilio starts
  the conference named so if none is running);
* ``POST Conferences/{sid or FriendlyName}/Participants.json`` adds a participant (a FriendlyName
  with no running conference starts one, as Twilio does; an unknown CF SID is a 404), echoing
  ``Label``, ``Muted``, ``Coaching``, ``CallSidToCoach``, ``StartConferenceOnEnter``,
  ``EndConferenceOnExit``, with a new call SID (``CAfff...``);
* ``GET Conferences.json?FriendlyName=&Status=in-progress`` lists the running conference of that name;
* ``GET .../Participants.json`` lists its participants; ``DELETE .../Participants/{label or call
  SID}.json`` removes one (204; 404 if unknown).

Every request is recorded with its basic-auth user, as in :class:`FakeTwilioApi`.
"""

from __future__ import annotations

import copy
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.twilio.fake_api import FakeTwilioApi

SHAPES = Path(__file__).resolve().parents[1] / "fixtures" / "twilio"
NOT_FOUND = {"code": 20404, "message": "The requested resource was not found", "status": 404}


def shape(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SHAPES / f"{name}.json").read_text())
    return data


@dataclass
class Room:
    sid: str
    name: str
    participants: list[dict[str, Any]] = field(default_factory=list)

    def labels(self) -> dict[str, str]:
        """label -> call SID of the participants in the room."""
        return {p["label"]: p["call_sid"] for p in self.participants}


@dataclass
class FakeConferenceApi(FakeTwilioApi):
    rooms: dict[str, Room] = field(default_factory=dict)  # running conferences by FriendlyName
    _room_sids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _leg_sids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def routes(self, app: web.Application) -> None:
        super().routes(app)
        base = "/2010-04-01/Accounts/{account}/Conferences"
        app.router.add_get(f"{base}.json", self._conferences)
        app.router.add_get(base + "/{conference}/Participants.json", self._participants)
        app.router.add_post(base + "/{conference}/Participants.json", self._add)
        app.router.add_delete(base + "/{conference}/Participants/{who}.json", self._remove)

    def room(self, name: str) -> Room:
        """The running conference ``name``, started if there is none (as Twilio does)."""
        if name not in self.rooms:
            self.rooms[name] = Room(f"CF{next(self._room_sids):032x}", name)
        return self.rooms[name]

    def new_leg_sid(self) -> str:
        """A participant's new call SID: ``CAf...`` (never one of the test helpers' ``CA0...`` SIDs)."""
        return f"CA{'f' * 16}{next(self._leg_sids):016x}"

    def join(self, name: str, call_sid: str, label: str, **options: Any) -> dict[str, Any]:
        """A leg that ran ``<Dial><Conference participantLabel=label>name</Conference>``."""
        room = self.room(name)
        body = copy.deepcopy(shape("participant_created"))
        body.update(call_sid=call_sid, label=label, muted=False, coaching=False, call_sid_to_coach=None,
                    conference_sid=room.sid, status="connected",
                    uri=f"/2010-04-01/Accounts/{body['account_sid']}/Conferences/{room.sid}/Participants/{call_sid}.json")
        body.update(options)
        room.participants.append(body)
        return body

    def _find(self, key: str) -> Room | None:
        return next((r for r in self.rooms.values() if key in (r.sid, r.name)), None)

    async def _conferences(self, request: web.Request) -> web.Response:
        rec = await self._record(request)
        body = shape("conferences_list")
        room = self.rooms.get(rec.value("FriendlyName") or "")
        if room is not None and rec.value("Status") == "in-progress":
            body["conferences"][0].update(friendly_name=room.name, sid=room.sid)
        else:
            body["conferences"] = []
        return web.json_response(body)

    async def _participants(self, request: web.Request) -> web.Response:
        await self._record(request)
        room = self._find(request.match_info["conference"])
        if room is None:
            return web.json_response(NOT_FOUND, status=404)
        body = shape("participants_list")
        body["participants"] = room.participants
        return web.json_response(body)

    async def _add(self, request: web.Request) -> web.Response:
        rec = await self._record(request)
        scripted = await self._scripted()
        if scripted is not None:
            return scripted
        key = request.match_info["conference"]
        if key.startswith("CF") and self._find(key) is None:
            return web.json_response(NOT_FOUND, status=404)
        room = self._find(key) or self.room(key)
        flag = {"true": True, "false": False}
        joined = self.join(room.name, self.new_leg_sid(), rec.value("Label") or "",
                           muted=rec.value("Muted") == "true", coaching=rec.value("Coaching") == "true",
                           call_sid_to_coach=rec.value("CallSidToCoach"), status="queued",
                           start_conference_on_enter=flag.get(rec.value("StartConferenceOnEnter") or "", True),
                           end_conference_on_exit=flag.get(rec.value("EndConferenceOnExit") or "", False))
        return web.json_response(joined, status=201)

    async def _remove(self, request: web.Request) -> web.Response:
        await self._record(request)
        room, who = self._find(request.match_info["conference"]), request.match_info["who"]
        gone = [p for p in room.participants if who in (p["label"], p["call_sid"])] if room else []
        if room is None or not gone:
            return web.json_response(NOT_FOUND, status=404)
        room.participants.remove(gone[0])
        return web.Response(status=204)
