"""The local Twilio stand-in with the conference resources that live monitoring uses (issue 22).

Answers in the recorded shapes of ``tests/fixtures/twilio/*.json``: the conference list (only when the
asked ``FriendlyName`` is a live conference of ``conferences``), the participant list (the customer
and the agent of that conference), a created participant (echoing ``Label``, ``Muted``, ``Coaching``,
``CallSidToCoach``) and a deleted one (204; 404 for an unknown label). Every request is recorded
with its basic-auth user, as in :class:`FakeTwilioApi`.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.twilio.fake_api import FakeTwilioApi

SHAPES = Path(__file__).resolve().parents[1] / "fixtures" / "twilio"
CONFERENCE_SID = "CF" + "a" * 32
AGENT_CALL_SID = "CA" + "0" * 31 + "2"


def shape(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SHAPES / f"{name}.json").read_text())
    return data


@dataclass
class FakeConferenceApi(FakeTwilioApi):
    conferences: set[str] = field(default_factory=set)  # friendly names of the live conferences
    labels: set[str] = field(default_factory=set)  # supervisor participants added and not removed

    def routes(self, app: web.Application) -> None:
        super().routes(app)
        base = "/2010-04-01/Accounts/{account}/Conferences"
        app.router.add_get(f"{base}.json", self._conferences)
        app.router.add_get(base + "/{conference}/Participants.json", self._participants)
        app.router.add_post(base + "/{conference}/Participants.json", self._add)
        app.router.add_delete(base + "/{conference}/Participants/{label}.json", self._remove)

    async def _conferences(self, request: web.Request) -> web.Response:
        rec = await self._record(request)
        body = shape("conferences_list")
        name = rec.value("FriendlyName") or ""
        if name in self.conferences and rec.value("Status") == "in-progress":
            body["conferences"][0]["friendly_name"] = name
        else:
            body["conferences"] = []
        return web.json_response(body)

    async def _participants(self, request: web.Request) -> web.Response:
        await self._record(request)
        return web.json_response(shape("participants_list"))

    async def _add(self, request: web.Request) -> web.Response:
        rec = await self._record(request)
        scripted = await self._scripted()
        if scripted is not None:
            return scripted
        body = copy.deepcopy(shape("participant_created"))
        body.update(label=rec.value("Label"), muted=rec.value("Muted") == "true",
                    coaching=rec.value("Coaching") == "true", call_sid_to_coach=rec.value("CallSidToCoach"),
                    conference_sid=request.match_info["conference"])
        self.labels.add(rec.value("Label") or "")
        return web.json_response(body, status=201)

    async def _remove(self, request: web.Request) -> web.Response:
        await self._record(request)
        label = request.match_info["label"]
        if label not in self.labels:
            return web.json_response({"code": 20404, "message": "not found", "status": 404}, status=404)
        self.labels.discard(label)
        return web.Response(status=204)
