"""One caller in the menu, carrier-independent: the engine, its requests answered by the data
port, and the session record kept. FastAGI holds one :class:`IvrCall` per connection; the TwiML
path rebuilds it from the stored state on each of Twilio's requests. Each move runs in a unit of
work (:mod:`ivr.unit`) that the carrier's side opens.

    call = IvrCall(menu, data, recorder, CallRef("default/1733.2", "asterisk"), caller="+2547...")
    async with units.open() as unit:
        step = await call.begin(unit)            # what to say, then Collect / Route / Hangup
    async with units.open() as unit:
        step = await call.advance(Digits("1"), unit)
"""

from __future__ import annotations

import logging

from config.lists.ivr_menu import IvrMenu
from domain.errors import InvalidInput, StoreUnavailable
from ivr.data import CallRef, StoreIvrData
from ivr.engine import IvrEngine
from ivr.instructions import HungUp, Input, Request, Speech, Step
from ivr.recorder import IvrRecorder
from ivr.state import EngineState
from ivr.unit import Unit

log = logging.getLogger(__name__)


class IvrCall:
    def __init__(self, menu: IvrMenu, data: StoreIvrData, recorder: IvrRecorder, call: CallRef, *,
                 caller: str = "", server: str = "default", state: EngineState | None = None,
                 session_id: int | None = None) -> None:
        self.menu, self.call, self.server = menu, call, server
        self.engine = IvrEngine(menu, caller, state=state)
        self._data, self._recorder = data, recorder
        self.session_id = session_id

    @property
    def finished(self) -> bool:
        return self.engine.finished

    async def begin(self, unit: Unit) -> Step:
        self.session_id = await self._recorder.open(
            unit, call_id=self.call.call_id, carrier=self.call.carrier, menu=self.menu.menu,
            caller=self.engine.state.caller or None, language=self.engine.state.language)
        return await self._resolve(self.engine.start(), unit)

    async def advance(self, item: Input, unit: Unit) -> Step:
        return await self._resolve(self.engine.feed(item), unit)

    async def hang_up(self, unit: Unit) -> None:
        """The caller left (or the connection did): the session is closed as abandoned."""
        if not self.engine.finished and self.engine.state.waiting != "new":
            await self._resolve(self.engine.feed(HungUp()), unit)

    async def _resolve(self, step: Step, unit: Unit) -> Step:
        say: list[Speech] = list(step.say)
        while isinstance(step.then, Request):
            try:
                answer = await self._data.answer(step.then, self.call, unit)
            except InvalidInput as exc:  # e.g. the customer was deleted meanwhile
                log.warning("ivr %s: %s refused (%s); sending the caller to agents", self.call.call_id,
                            type(step.then).__name__, exc.message)
                step = self.engine.give_up()
            except StoreUnavailable:
                self.engine.give_up()
                raise
            else:
                step = self.engine.feed(answer)
            say += step.say
        if step.finished and self.session_id is not None:
            await self._recorder.close(unit, self.session_id, self.menu, self.engine.record(), server=self.server)
        return Step(tuple(say), step.then)
