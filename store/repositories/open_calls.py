"""What the shared store believes is live on one carrier server: open calls and busy agents.

The AMI lease holder compares this with what Asterisk has (``cti/ami/reconcile.py``): a call whose
record has no ``ended_at``, or an agent ringing or on a call, that Asterisk no longer has ended
while nobody was listening (a failover gap). Both queries are bounded to one server and cheap when
nothing is open: the open calls use the partial index ``ix_call_records_open`` (rows without
``ended_at`` only), and the presence table has one row per agent.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from domain.agent_state import ON_A_CALL
from store.db import Database
from store.models import AgentPresence, CallRecord, DialAttempt, User

OPEN_CALLS_LIMIT = 500  # per pass; the next pass takes the rest
BUSY_STATES = tuple(s.value for s in ON_A_CALL)


@dataclass(frozen=True, slots=True)
class OpenCall:
    """A call record without ``ended_at``: the fields a re-offered call is announced with."""

    call_id: str
    direction: str
    caller_number: str | None
    dialed_number: str | None
    queue: str | None
    answered: bool


@dataclass(frozen=True, slots=True)
class BusyAgent:
    """A presence row ringing or on a call, with the carrier and server its call belongs to."""

    username: str
    state: str
    call_id: str
    carrier: str | None  # of the call record, else of the dial attempt; None if neither exists
    server: str | None  # of the call record


async def open_calls(database: Database, server: str, *, carrier: str = "asterisk",
                     limit: int = OPEN_CALLS_LIMIT) -> list[OpenCall]:
    """Records of ``carrier``/``server`` calls without ``ended_at``, oldest first."""
    r = CallRecord
    query = (select(r.call_id, r.direction, r.caller_number, r.dialed_number, r.queue, r.answered_at)
             .where(r.ended_at.is_(None), r.server == server, r.carrier == carrier)
             .order_by(r.offered_at).limit(limit))
    async with database.autocommit() as connection:
        rows = (await connection.execute(query)).all()
    return [OpenCall(call_id, direction, caller, dialed, queue, answered is not None)
            for call_id, direction, caller, dialed, queue, answered in rows]


async def busy_agents(database: Database) -> list[BusyAgent]:
    """Every agent ringing or on a call, with where their call belongs (the caller filters)."""
    p, r, a = AgentPresence, CallRecord, DialAttempt
    query = (select(User.username, p.state, p.call_id, func.coalesce(r.carrier, a.carrier), r.server)
             .join(User, User.id == p.user_id)
             .outerjoin(r, r.call_id == p.call_id)
             .outerjoin(a, a.id == p.call_id)
             .where(p.state.in_(BUSY_STATES), p.call_id.is_not(None))
             .order_by(User.username))
    async with database.autocommit() as connection:
        rows = (await connection.execute(query)).all()
    return [BusyAgent(username, state, call_id, carrier, server)
            for username, state, call_id, carrier, server in rows if call_id is not None]
