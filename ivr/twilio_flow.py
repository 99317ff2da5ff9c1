"""The IVR over Twilio: ``POST /twilio/voice?ivr=main`` starts a session, each ``<Gather>`` action
(``POST /twilio/ivr?s=<session>&n=<step>``) moves it on. The routes check the signatures.

Where the state lives between two requests: in the store, on the session's row (``ivr_sessions.
state``), keyed by the session id in the signed action URL and checked against the CallSid. Why
there and not in the URL: the row is written anyway (every session is stored), so keeping the
state on it costs one read and one write per request and any worker can answer; the URL would put
the customer's id, amounts and verification result in Twilio's request logs and grow with the
path; and a stored step number makes a repeated or stale request harmless (it replays the current
prompt instead of feeding the same digits twice).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from config.lists.ivr_menu import IvrMenu
from domain.errors import ProtocolViolation
from ivr.data import CallRef, StoreIvrData
from ivr.engine import IvrEngine
from ivr.instructions import Collect, Digits, Input, NoInput, Route, Step
from ivr.recorder import IvrRecorder
from ivr.session import IvrCall
from ivr.state import EngineState
from ivr.twiml import HANGUP, TwimlUrls, render
from ivr.unit import Unit, Units
from store.repositories import ivr_hot

log = logging.getLogger(__name__)
_CALL_SID = re.compile(r"^CA[0-9a-fA-F]{32}$")
_DIGITS = re.compile(r"^[0-9*#]{0,32}$")
CARRIER = "twilio"


def _call_sid(form: Mapping[str, str]) -> str:
    sid = form.get("CallSid", "")
    if not _CALL_SID.match(sid):
        raise ProtocolViolation("malformed twilio CallSid", {"CallSid": "not a call sid"})
    return sid


def _int(query: Mapping[str, str], key: str) -> int:
    value = query.get(key, "")
    if not value.isdigit() or len(value) > 12:
        raise ProtocolViolation(f"the IVR action URL needs {key}", {key: "not a number"})
    return int(value)


class TwilioIvr:
    def __init__(self, menu: Callable[[], IvrMenu], data: StoreIvrData, recorder: IvrRecorder, units: Units,
                 *, public_url: str, recordings_dir: Path | None = None) -> None:
        self._menu, self._data, self._recorder, self._units = menu, data, recorder, units
        self.public_url = public_url.rstrip("/")
        self.recordings_dir = recordings_dir

    def _call(self, menu: IvrMenu, sid: str, caller: str = "", session_id: int | None = None,
              state: dict[str, Any] | None = None) -> IvrCall:
        return IvrCall(menu, self._data, self._recorder, CallRef(f"twilio/{sid}", CARRIER), caller=caller,
                       state=None if state is None else EngineState.from_json(state), session_id=session_id)

    async def start(self, form: Mapping[str, str], menu_name: str) -> str:
        """The number's Voice URL (``?ivr=<menu>``): a new caller in the menu."""
        sid = _call_sid(form)
        menu = self._menu()
        if menu_name != menu.menu:
            log.warning("twilio ivr: no menu %r (ivr.yaml has %r); the caller goes to %s", menu_name, menu.menu,
                        menu.queue)
            return render(Step((), Route(menu.queue)), menu, self._urls(0, 0), self._recorded)
        async with self._units.open() as unit:
            async with unit.hot() as hot:
                existing = await ivr_hot.latest(hot, f"twilio/{sid}")
            if existing is not None and existing["outcome"] is None and existing["state"] is not None:
                return self._replay(menu, existing["id"], existing["step"], existing["state"])  # Twilio asked twice
            call = self._call(menu, sid, form.get("From", ""))
            return await self._answer(call, await call.begin(unit), 0, unit)

    async def gather(self, form: Mapping[str, str], query: Mapping[str, str]) -> str:
        """A ``<Gather>`` action, or the fall-through ``<Redirect>`` when nothing was pressed."""
        sid = _call_sid(form)
        session_id, step_no = _int(query, "s"), _int(query, "n")
        menu = self._menu()
        try:
            async with self._units.open() as unit:
                async with unit.hot() as hot:
                    row = await ivr_hot.session_state(hot, session_id)
                if row is None or row["call_id"] != f"twilio/{sid}":
                    raise ProtocolViolation("this IVR session is not this call's", {"s": str(session_id)})
                if row["outcome"] == "agent":  # already on its way to agents: send it there again
                    return render(Step((), Route(row["queue"] or menu.queue)), menu,
                                  self._urls(session_id, row["step"]), self._recorded)
                if row["outcome"] is not None or row["state"] is None:
                    return HANGUP
                if step_no != row["step"]:
                    log.info("twilio ivr %s: step %s is stale (at %s): the prompt is said again", sid, step_no,
                             row["step"])
                    return self._replay(menu, session_id, row["step"], row["state"])
                call = self._call(menu, sid, session_id=session_id, state=row["state"])
                return await self._answer(call, await call.advance(_input(form, query), unit), row["step"], unit)
        except _Stale:
            log.info("twilio ivr %s: step %s was answered meanwhile: the prompt is said again", sid, step_no)
            return await self._current(menu, session_id)

    async def caller_left(self, call_id: str) -> bool:
        """The call ended (Twilio's status callback) while the caller was in the menu: the session is
        closed as abandoned at its node. True when there was one."""
        async with self._units.open() as unit:
            async with unit.hot() as hot:
                row = await ivr_hot.latest(hot, call_id)
            if row is None or row["outcome"] is not None or row["state"] is None:
                return False
            call = self._call(self._menu(), call_id.removeprefix("twilio/"), session_id=row["id"], state=row["state"])
            await call.hang_up(unit)
        return True

    async def _answer(self, call: IvrCall, step: Step, current: int, unit: Unit) -> str:
        assert call.session_id is not None
        number = current + 1
        state = call.engine.state.to_json()
        if isinstance(step.then, Collect) and not await self._recorder.save_state(
                unit, call.session_id, state, current, number):
            raise _Stale  # another request moved the session on: undo this one's writes
        return render(step, call.menu, self._urls(call.session_id, number), self._recorded)

    async def _current(self, menu: IvrMenu, session_id: int) -> str:
        async with self._units.open() as unit, unit.hot() as hot:
            row = await ivr_hot.session_state(hot, session_id)
        if row is None or row["state"] is None:
            return HANGUP
        return self._replay(menu, session_id, row["step"], row["state"])

    def _replay(self, menu: IvrMenu, session_id: int, number: int, state: dict[str, Any]) -> str:
        engine = IvrEngine(menu, state=EngineState.from_json(state))
        return render(engine.repeat(), menu, self._urls(session_id, number), self._recorded)

    def _urls(self, session_id: int, number: int) -> TwimlUrls:
        base = f"{self.public_url}/twilio/ivr?s={int(session_id)}&n={int(number)}"  # = urlencode's, for ints
        return TwimlUrls(action=base, no_input=base + "&timeout=1",
                         queue=lambda q: f"{self.public_url}/twilio/voice?" + urlencode({"queue": q}))

    def _recorded(self, language: str, name: str) -> str | None:
        if self.recordings_dir is None or not (self.recordings_dir / language / f"{name}.wav").is_file():
            return None
        return f"{self.public_url}/ivr/prompts/{language}/{name}.wav"


class _Stale(Exception):
    """A request lost the race for its step (the unit is rolled back)."""


def _input(form: Mapping[str, str], query: Mapping[str, str]) -> Input:
    if query.get("timeout") == "1" and "Digits" not in form:
        return NoInput()
    digits = form.get("Digits", "")
    if not _DIGITS.match(digits):
        raise ProtocolViolation("malformed Digits", {"Digits": "digits, * and # only"})
    return Digits(digits)


def recorded_file(recordings_dir: Path, language: str, name: str) -> Path | None:
    """A recorded prompt under ``recordings_dir`` (only plain names: no way out of the directory)."""
    if not re.fullmatch(r"[a-z]{2,3}", language) or not re.fullmatch(r"[a-z0-9_]{1,80}", name):
        return None
    path = recordings_dir / language / f"{name}.wav"
    return path if path.is_file() else None
