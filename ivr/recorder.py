"""Every IVR session is stored: opened when the caller arrives, closed with its record when the
caller leaves the menu (to an agent, by hanging up, or when the menu hangs up), in the caller's
unit of work. A caller who reaches an agent leaves the pop's summary on the row and their
customer linked to the call record, so the agent's screen-pop shows who they are and what they did."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from config.lists.ivr_menu import IvrMenu
from domain.events import IvrSessionEnded, IvrSessionStarted, utcnow
from ivr.instructions import Outcome
from ivr.state import SessionRecord
from ivr.unit import Unit
from store.repositories import ivr_hot
from store.repositories.ivr import customer_summary, link_call

NOTES = {"verification_failed": "verification failed", "not_identified": "caller not identified"}


class IvrRecorder:
    def __init__(self, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._clock = clock

    async def open(self, unit: Unit, *, call_id: str, carrier: str, menu: str, caller: str | None,
                   language: str) -> int:
        session_id = await ivr_hot.open_session(await unit.writer(), call_id=call_id, carrier=carrier, menu=menu,
                                                caller=caller, language=language, at=self._clock())
        unit.events.append(IvrSessionStarted(session_id=session_id, call_id=call_id, carrier=carrier, menu=menu))
        return session_id

    @staticmethod
    async def save_state(unit: Unit, session_id: int, state: dict[str, Any], old: int, new: int) -> bool:
        """The state between two Twilio requests (the path is in it until the session ends), saved
        only if the session is still at step ``old``. In the unit's transaction when it wrote
        something (the state moves with those records or not at all), else on its own."""
        if unit.wrote:
            return await ivr_hot.save_state(await unit.writer(), session_id, state, old, new)
        async with unit.hot() as hot:
            return await ivr_hot.save_state(hot, session_id, state, old, new)

    async def close(self, unit: Unit, session_id: int, menu: IvrMenu, record: SessionRecord, *,
                    server: str = "default") -> None:
        writer = await unit.writer()
        row = await ivr_hot.locked(writer, session_id)  # one request at a time closes it
        if row is None or row["outcome"] is not None:
            return
        now = self._clock()
        to_agent = record.outcome is Outcome.AGENT
        match = await customer_summary(writer, record.customer_id) if to_agent and record.customer_id else None
        duration = round((now - row["started_at"]).total_seconds(), 3)
        await ivr_hot.close_session(writer, session_id, {
            "customer_id": record.customer_id, "language": record.language, "identified_by": record.identified_by,
            "verified": record.verified, "path": [[p.node, p.input] for p in record.path],
            "outcome": record.outcome.value, "end_node": record.end_node, "abandoned": record.abandoned,
            "queue": record.queue, "note": record.note, "promise_id": record.promise_id,
            "callback_at": record.callback_at, "balance_heard": record.balance_heard, "ended_at": now,
            "duration_seconds": duration,
        }, pop_summary(session_id, menu.menu, record, match) if to_agent else None)
        if to_agent and record.customer_id is not None:  # the IVR's customer is the call's (a link once made is kept)
            await link_call(writer, row["call_id"], record.customer_id, now, carrier=row["carrier"], server=server)
        unit.events.append(IvrSessionEnded(
            session_id=session_id, call_id=row["call_id"], carrier=row["carrier"], outcome=record.outcome.value,
            end_node=record.end_node, abandoned=record.abandoned, customer_id=record.customer_id,
            verified=record.verified, queue=record.queue, duration_ms=int(duration * 1000)))


def pop_summary(session_id: int, menu: str, record: SessionRecord, match: dict[str, Any] | None) -> dict[str, Any]:
    """The ``ivr`` field of the agent's ``call.ringing``: the path, whether verification passed,
    and the customer the IVR identified (who the pop puts first in ``matches``)."""
    note = record.note
    if note is None and record.customer_id is None:
        note = "not_identified"
    return {
        "session_id": session_id, "menu": menu, "language": record.language,
        "path": [p.label() for p in record.path if p.input is not None or p.node == record.end_node],
        "identified": record.customer_id is not None, "identified_by": record.identified_by,
        "verified": record.verified, "customer_id": record.customer_id,
        "customer_name": None if match is None else match["name"],
        "note": NOTES.get(note or ""), "balance_heard": record.balance_heard, "promise_id": record.promise_id,
        "callback_at": None if record.callback_at is None else record.callback_at.isoformat(),
        "match": match,
    }
