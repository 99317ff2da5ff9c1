"""A dialled call's record keeps its attempt id whichever consumer writes first (both backends).

The pop links the matched customer and the call log records the call's events independently; on
the real PBX the pop sometimes won, and the record of an ``sb-`` call was left with no
``attempt_id`` (seen in test_progressive_pbx). No PBX here: the two writers in both orders.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from domain.events import AgentRinging, CallEnded, CallOffered, Direction, EndCause, utcnow
from store.db import Database
from store.models import CallRecord
from store.repositories.call_log import CallLog
from tests.cti_pbx.support import seed

CALL = "sb-0123456789abcdef"


async def _link(database: Database, log: CallLog, call_id: str, customer_id: int, at: datetime) -> None:
    """What the pop does on its hot connection."""
    async with database.hot() as connection:
        await log.link_customer_on(connection, call_id, customer_id, at)


async def _record(database: Database) -> CallRecord:
    async with database.session() as session:
        row = await session.scalar(select(CallRecord).where(CallRecord.call_id == CALL))
    assert row is not None
    return row


async def test_the_pop_first_then_the_call_log(database: Database) -> None:
    amina = await seed(database)
    log, at = CallLog(database, "KE"), utcnow()
    await _link(database, log, CALL, amina, at)
    await log.record(CallOffered(call_id=CALL, at=at, direction=Direction.OUTBOUND, caller_number="",
                                 dialed_number="+254712345678"))
    await log.record(AgentRinging(call_id=CALL, at=at, device="PJSIP/1001", member_name=None, queue=None,
                                  caller_number="", dialed_number="+254712345678", direction=Direction.OUTBOUND))
    await log.record(CallEnded(call_id=CALL, at=at, cause=EndCause.BUSY, cause_code=17, talk_seconds=None))
    row = await _record(database)
    assert (row.attempt_id, row.direction, row.customer_id, row.cause) == (CALL, "outbound", amina, "busy")


async def test_the_call_log_first_then_the_pop(database: Database) -> None:
    amina = await seed(database)
    log, at = CallLog(database, "KE"), utcnow()
    await log.record(CallOffered(call_id=CALL, at=at, direction=Direction.OUTBOUND, caller_number="",
                                 dialed_number="+254712345678"))
    await _link(database, log, CALL, amina, at)
    row = await _record(database)
    assert (row.attempt_id, row.direction, row.customer_id) == (CALL, "outbound", amina)


async def test_an_inbound_call_linked_first_stays_inbound_without_attempt(database: Database) -> None:
    amina = await seed(database)
    log, at, call = CallLog(database, "KE"), utcnow(), "default/1795330718.33"
    await _link(database, log, call, amina, at)
    await log.record(CallOffered(call_id=call, at=at, direction=Direction.INBOUND, caller_number="0712345678",
                                 dialed_number="0800123457"))
    async with database.session() as session:
        row = await session.scalar(select(CallRecord).where(CallRecord.call_id == call))
    assert row is not None and (row.attempt_id, row.direction, row.customer_id) == (None, "inbound", amina)
