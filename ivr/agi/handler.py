"""One FastAGI connection is one caller in the menu: the state lives in the connection, the
records go to the store, so any worker may run a FastAGI server.

The dialplan runs ``AGI(agi://127.0.0.1:4573/ivr,main)``: the script is ``ivr`` and the menu the
first argument (``?menu=main`` in the URL works too). The call id is the one the AMI bridge gives
the same call, ``<server>/<linkedid>``, so the agent's screen-pop finds this session.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

from config.lists.ivr_menu import IvrMenu
from domain.errors import CarrierError, StoreUnavailable
from ivr.agi.player import QUEUE_VARIABLE, AgiSpeaker, run_step
from ivr.agi.protocol import AgiCommand, AgiEnvironment
from ivr.agi.server import AgiClosed, AgiConnection, exchange
from ivr.data import CallRef, StoreIvrData
from ivr.instructions import HungUp
from ivr.recorder import IvrRecorder
from ivr.session import IvrCall
from ivr.unit import Units

log = logging.getLogger(__name__)
SCRIPT = "ivr"


class IvrAgiHandler:
    def __init__(self, *, menu: Callable[[], IvrMenu], data: StoreIvrData, recorder: IvrRecorder, units: Units,
                 sounds: str, server_name: str = "default") -> None:
        self._menu, self._data, self._recorder, self._units = menu, data, recorder, units
        self.sounds, self.server_name = sounds, server_name

    async def __call__(self, connection: AgiConnection, env: AgiEnvironment) -> None:
        if env.script != SCRIPT:
            log.warning("FastAGI: no script %r here (only %r)", env.script, SCRIPT)
            await connection.send(AgiCommand("VERBOSE", (f"switchboard: no AGI script {env.script!r}", "1")))
            return
        menu = self._menu()
        wanted = env.args[0] if env.args else env.query.get("menu", menu.menu)
        if wanted != menu.menu:
            log.warning("FastAGI: no menu %r (ivr.yaml has %r); the caller goes to %s", wanted, menu.menu, menu.queue)
            await connection.send(AgiCommand("SET VARIABLE", (QUEUE_VARIABLE, menu.queue)))
            return
        linked = await connection.send(AgiCommand("GET VARIABLE", ("CHANNEL(linkedid)",)))
        linkedid = linked.data if linked.ok and linked.number == 1 and linked.data else env.get("agi_uniqueid")
        call = IvrCall(menu, self._data, self._recorder, CallRef(f"{self.server_name}/{linkedid}", "asterisk"),
                       caller=env.caller, server=self.server_name)
        speaker = AgiSpeaker(menu, self.sounds, env.get("agi_language") or "en")
        try:
            async with self._units.open() as unit:
                step = await call.begin(unit)
            while not step.finished:
                heard = await exchange(connection, run_step(speaker, step))
                async with self._units.open() as unit:  # one unit of work per key the caller pressed
                    step = await call.advance(HungUp() if heard is None else heard, unit)
                if isinstance(heard, HungUp) or (connection.hung_up and step.finished):
                    return
            await exchange(connection, run_step(speaker, step))  # the last words, then the queue or hang-up
        except (AgiClosed, ConnectionError, CarrierError) as exc:
            log.info("ivr %s: the channel went (%s)", call.call.call_id, exc)
        except StoreUnavailable as exc:  # the caller is never left in silence: to the agents
            log.error("ivr %s: the store is unavailable (%s); the caller goes to %s", call.call.call_id,
                      exc.message, menu.queue)
            await connection.send(AgiCommand("SET VARIABLE", (QUEUE_VARIABLE, menu.queue)))
        finally:
            if not call.finished:
                with contextlib.suppress(StoreUnavailable):
                    async with self._units.open() as unit:
                        await call.hang_up(unit)
