"""Call records written from call events, in any order and at least once.

Each event sets only the fields it knows, so the record converges whatever order the events
arrive in (the Redis bus orders per event type, not across types) and a replayed event changes
nothing. Most events are one prebuilt ``INSERT ... ON CONFLICT (call_id) DO UPDATE`` whose SET clause
states the same per-field rules in SQL (earliest time wins, a known value is kept, ...), so two
workers racing on one call need no retry; IVR choices and the end of a call (which read the row)
take the read-modify-write path, where the loser of a creation race retries as an update.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Executable, Table, bindparam, case, func, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.events import (
    AgentConnected,
    AgentRinging,
    CallAbandoned,
    CallEnded,
    CallEvent,
    CallOffered,
    CallQueued,
    EndCause,
    IvrInput,
)
from domain.events.calls import is_own_call
from domain.phone import to_e164
from store.db import Database
from store.hot import HotConnection, HotStatement
from store.models import CallRecord, DialAttempt, User

# The events a call's record is made of (:meth:`CallLog.record` applies each; the live layer's
# call-log writer subscribes exactly these).
RECORDED_EVENTS: tuple[type[CallEvent], ...] = (
    CallOffered, IvrInput, CallQueued, AgentRinging, AgentConnected, CallEnded, CallAbandoned,
)
Values = dict[str, Any]
CALL_RECORDS: Table = CallRecord.__table__  # type: ignore[assignment]
AGENT_OF = "agent_of_device"  # parameter: agent_id is the id of the user with this extension
CUSTOMER_OF = "customer_of_attempt"  # parameter: customer_id is this dial attempt's customer
SetClause = Callable[[Any], Mapping[str, Any]]  # excluded -> the SET clause


@functools.lru_cache(maxsize=8192)
def cached_e164(raw: str, region: str) -> str | None:
    """:func:`domain.phone.to_e164`, remembered: every event of a call carries the same numbers."""
    return to_e164(raw, region)


def _earliest(current: datetime | None, new: datetime) -> datetime:
    return new if current is None or new < current else current


class CallLog:
    def __init__(self, database: Database, region: str) -> None:
        self._db = database
        self._region = region
        self._insert = postgresql.insert if database.engine.dialect.name == "postgresql" else sqlite.insert
        self._statements: dict[tuple[type[CallEvent], bool], HotStatement] = {}
        self._link = HotStatement(link_statement(self._insert))

    def _number(self, raw: str | None) -> str | None:
        if not raw:
            return None
        return cached_e164(raw, self._region) or raw

    async def record(self, event: CallEvent) -> str | None:
        """Apply ``event`` to its call's record; returns the record's queue (None if not known yet)."""
        upsert = self._upsert_of(event)
        if upsert is not None:
            async with self._db.hot() as connection:
                return await self._upsert(connection, event, *upsert)
        for attempt in range(3):
            try:
                async with self._db.session() as session:
                    return await self._apply(session, event)
            except IntegrityError:
                if attempt == 2:
                    raise
        return None  # pragma: no cover (the loop returns or raises)

    # -- one statement per event ----------------------------------------------------------------
    def _upsert_of(self, event: CallEvent) -> tuple[Values, SetClause] | None:
        """(the new row's event fields, the SET clause for an existing row), or None: read the row."""
        c = CallRecord
        match event:
            case CallOffered():
                return ({"direction": event.direction.value, "caller_number": self._number(event.caller_number),
                         "dialed_number": self._number(event.dialed_number)},
                        lambda ex: {"direction": ex.direction, "caller_number": _kept(c.caller_number, ex),
                                    "dialed_number": _kept(c.dialed_number, ex)})
            case CallQueued():
                return ({"queue": event.queue, "queued_at": event.at,
                         "caller_number": self._number(event.caller_number)},
                        lambda ex: {"queue": ex.queue, "queued_at": _earliest_sql(c.queued_at, ex),
                                    "caller_number": _kept(c.caller_number, ex)})
            case AgentRinging():
                ringing = c.answered_at.is_(None)  # the agent who answers wins over those who only rang
                return ({"queue": event.queue, "caller_number": self._number(event.caller_number),
                         "device": event.device, AGENT_OF: event.device},
                        lambda ex: {"queue": _kept(c.queue, ex), "caller_number": _kept(c.caller_number, ex),
                                    "device": case((ringing, ex.device), else_=c.device),
                                    "agent_id": case((ringing, ex.agent_id), else_=c.agent_id)})
            case AgentConnected():
                return ({"device": event.device, AGENT_OF: event.device, "answered_at": event.at,
                         "hold_seconds": event.hold_seconds, "ring_seconds": event.ring_seconds,
                         "queue": event.queue},
                        lambda ex: {"device": ex.device, "agent_id": ex.agent_id,
                                    "answered_at": _earliest_sql(c.answered_at, ex),
                                    "hold_seconds": func.coalesce(ex.hold_seconds, c.hold_seconds),
                                    "ring_seconds": func.coalesce(ex.ring_seconds, c.ring_seconds),
                                    "queue": _kept(c.queue, ex)})
            case CallAbandoned():
                return ({"abandoned": True, "cause": EndCause.ABANDONED.value, "queue": event.queue,
                         "hold_seconds": event.hold_seconds, "ended_at": event.at},
                        lambda ex: {"abandoned": true(), "cause": ex.cause, "queue": _kept(c.queue, ex),
                                    "hold_seconds": ex.hold_seconds, "ended_at": _kept(c.ended_at, ex)})
        return None

    async def _upsert(self, connection: HotConnection, event: CallEvent, fields: Values,
                      rules: SetClause) -> str | None:
        params: Values = {"call_id": event.call_id, "direction": "inbound", "carrier": event.carrier,
                          "server": event.server, "offered_at": event.at, "ivr": [], "abandoned": False}
        ours = is_own_call(event.call_id)
        if ours:  # our own dial knows its customer
            params.update(direction="outbound", attempt_id=event.call_id, **{CUSTOMER_OF: event.call_id})
        params.update(fields)
        key = (type(event), ours)
        stmt = self._statements.get(key)
        if stmt is None:
            stmt = self._statements[key] = HotStatement(self._build(tuple(params), rules, ours))
        row = await connection.fetchrow(stmt, params)
        assert row is not None  # an upsert always returns its row
        queue: str | None = row[0]
        return queue

    def _build(self, names: tuple[str, ...], rules: SetClause, ours: bool) -> Executable:
        """The upsert of one event type, with a parameter per value (built once, then reused)."""
        table = CALL_RECORDS
        values: Values = {}
        for name in names:
            if name == AGENT_OF:
                values["agent_id"] = (select(User.id).where(User.extension == bindparam(AGENT_OF))
                                      .limit(1).scalar_subquery())
            elif name == CUSTOMER_OF:
                values["customer_id"] = (select(DialAttempt.customer_id)
                                         .where(DialAttempt.id == bindparam(CUSTOMER_OF)).scalar_subquery())
            else:
                values[name] = bindparam(name, type_=table.c[name].type)
        stmt = self._insert(table).values(values)
        ex = stmt.excluded
        update = {**rules(ex), "offered_at": _earliest_sql(CallRecord.offered_at, ex)}
        if ours:  # the row may come from the pop's link_customer
            update.update(attempt_id=_kept(CallRecord.attempt_id, ex), customer_id=_kept(CallRecord.customer_id, ex))
        return stmt.on_conflict_do_update(index_elements=[table.c.call_id], set_=update).returning(table.c.queue)

    # -- read, change, write (IVR choices, the end of a call) ------------------------------------
    async def _apply(self, session: AsyncSession, event: CallEvent) -> str | None:
        row = (
            await session.execute(select(CallRecord).where(CallRecord.call_id == event.call_id))
        ).scalar_one_or_none()
        if row is None:
            row = CallRecord(
                call_id=event.call_id, direction="inbound", carrier=event.carrier,
                server=event.server, offered_at=event.at, ivr=[],
            )
            if is_own_call(event.call_id):
                row.direction, row.attempt_id = "outbound", event.call_id
                # our own dial knows its customer (the pop's link may run before this row exists)
                row.customer_id = await session.scalar(
                    select(DialAttempt.customer_id).where(DialAttempt.id == event.call_id))
            session.add(row)
        row.offered_at = _earliest(row.offered_at, event.at)
        match event:
            case IvrInput():
                choice = f"{event.menu}:{event.digit}"
                if choice not in row.ivr:
                    row.ivr = [*row.ivr, choice]
            case CallEnded():
                self._ended(row, event)
        return row.queue

    def _ended(self, row: CallRecord, ev: CallEnded) -> None:
        if ev.cause is EndCause.ENDED_DURING_FAILOVER and row.ended_at is not None:
            return  # a reconciliation's late guess never overwrites the end the call log saw
        row.ended_at = row.ended_at or ev.at
        if not row.abandoned:
            row.cause = ev.cause.value
        row.cause_code = ev.cause_code if ev.cause_code is not None else row.cause_code
        if ev.talk_seconds is not None:
            row.talk_seconds = ev.talk_seconds
        elif row.talk_seconds is None and row.answered_at is not None:
            row.talk_seconds = max(0, int((ev.at - row.answered_at).total_seconds()))
        if ev.cause is EndCause.ABANDONED:
            row.abandoned = True

    async def link_customer_on(self, connection: HotConnection, call_id: str, customer_id: int, at: datetime, *,
                               carrier: str = "asterisk", server: str = "default") -> None:
        """Remember the matched customer (the pop's first match), on the pop's connection (one
        statement). The pop and the call log consume independently, so the row may not exist yet:
        create it then (the log fills in the rest)."""
        await connection.fetch(self._link, link_params(call_id, at, carrier, server, customer_id))


LINK_COLUMNS = ("call_id", "direction", "attempt_id", "offered_at", "ivr", "customer_id", "abandoned", "carrier",
                "server")


def link_params(call_id: str, at: datetime, carrier: str, server: str, customer_id: int | None = None) -> Values:
    """The parameters of :func:`link_statement` (``customer_id`` unless the statement computes it)."""
    ours = is_own_call(call_id)  # our own dial: outbound, and the call_id is the attempt's id
    return {"call_id": call_id, "direction": "outbound" if ours else "inbound", "attempt_id": call_id if ours else None,
            "offered_at": at, "ivr": [], "customer_id": customer_id, "abandoned": False, "carrier": carrier,
            "server": server}


def link_statement(insert: Callable[[Table], Any], *, customer: ColumnElement[int] | None = None,
                   when: ColumnElement[bool] | None = None) -> Any:
    """The customer's link on a call record: the row is created (as :func:`link_params` says) if
    the log has not made it yet, and a customer once linked is kept. ``customer`` replaces the
    ``:customer_id`` parameter and ``when`` guards the insert (both for the pop's one-statement
    form on PostgreSQL, ``store.repositories.caller_lookup``)."""
    table = CALL_RECORDS
    values = [customer if name == "customer_id" and customer is not None
              else bindparam(name, type_=table.c[name].type) for name in LINK_COLUMNS]
    source = select(*values) if when is None else select(*values).where(when)
    stmt = insert(table).from_select(list(LINK_COLUMNS), source)
    return stmt.on_conflict_do_update(
        index_elements=[table.c.call_id],
        set_={"customer_id": func.coalesce(CallRecord.customer_id, stmt.excluded.customer_id)})


def _kept(current: Any, ex: Any) -> ColumnElement[Any]:
    """A value once known is kept: COALESCE(stored, the event's)."""
    return func.coalesce(current, getattr(ex, current.key))


def _earliest_sql(current: Any, ex: Any) -> ColumnElement[Any]:
    """The earliest of the stored and the event's time (either may be NULL), like :func:`_earliest`."""
    new = getattr(ex, current.key)
    return case((current.is_(None), new), (new.is_(None), current), (new < current, new), else_=current)
