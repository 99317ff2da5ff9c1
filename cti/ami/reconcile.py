"""Reconciliation: calls the shared store thinks are live on a server, that Asterisk no longer has.

A new lease holder starts with an empty call table, so the resync after its login cannot end a
call that hung up while no worker was listening: only the store remembers it (a record without
``ended_at``, an agent ringing or on that call). The bridge therefore, on every login of its
event connection and every ``reconcile_seconds`` as a safety net:

1. reads the shared state of its server (:class:`Reconciler`, :mod:`store.repositories.open_calls`): first, so
   that every call in it started before the snapshot of step 2;
2. asks Asterisk (``CoreShowChannels``) unless the periodic pass finds nothing the call table does
   not already account for (then it is two small queries and no AMI action);
3. ends each call that is in the store, not in Asterisk and not in the table (live or recently
   ended) with ``CallEnded(cause=ended_during_failover)``: the call log closes the record, presence
   moves the agent to wrap-up (then ready) or back to ready if it only rang, the pop tells the
   agent's desktop.

The decisions are the pure functions here; the bridge does the I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from cti.ami.calltable import CallTable, KnownCall
from cti.ami.framing import AmiMessage
from domain.events import CallEnded, Direction, EndCause, utcnow
from domain.events.calls import is_own_call
from store.db import Database
from store.repositories.open_calls import BusyAgent, OpenCall, busy_agents, open_calls


def linkedid_of(call_id: str, server: str) -> str:
    """The Asterisk Linkedid of one of this server's call ids (``server/<Linkedid>`` or ``sb-...``)."""
    return call_id.removeprefix(f"{server}/")


def live_linkedids(items: Iterable[AmiMessage]) -> set[str]:
    """The Linkedids of a ``CoreShowChannels`` answer's channels."""
    return {item.get("Linkedid") or "" for item in items if item.event == "CoreShowChannel"} - {""}


def belongs(agent: BusyAgent, server: str, *, carrier: str, default: bool) -> bool:
    """Whether ``agent``'s call is one of this server's: by its record, else by its id (the record
    may not be written yet); an ``sb-`` dial without a record is the default server's if it was
    dialled on this carrier."""
    if agent.server is not None:
        return agent.server == server and agent.carrier == carrier
    if agent.call_id.startswith(f"{server}/"):
        return True
    return default and is_own_call(agent.call_id) and agent.carrier == carrier


@dataclass(frozen=True)
class SharedState:
    """One server's open calls and busy agents, as the store has them."""

    server: str
    calls: list[OpenCall] = field(default_factory=list)
    agents: list[BusyAgent] = field(default_factory=list)

    def known(self) -> dict[str, KnownCall]:
        """The records' fields by call id, for :func:`cti.ami.resync.resync_channels`."""
        return {c.call_id: KnownCall(Direction(c.direction), c.caller_number, c.dialed_number, c.queue)
                for c in self.calls if c.direction in (Direction.INBOUND, Direction.OUTBOUND)}

    def call_ids(self) -> set[str]:
        return {c.call_id for c in self.calls} | {a.call_id for a in self.agents}


@dataclass(frozen=True)
class Stale:
    """A call to end: its id, and the agents the store has on it (for the log)."""

    call_id: str
    agents: tuple[str, ...]


def stale_calls(state: SharedState, table: CallTable, live: set[str] | None = None) -> list[Stale]:
    """The calls of ``state`` the table does not account for and, if ``live`` (the Linkedids
    Asterisk has) is given, that Asterisk does not have either. ``live=None``: the candidates."""
    out: list[Stale] = []
    for call_id in sorted(state.call_ids()):
        linkedid = linkedid_of(call_id, state.server)
        if linkedid in table.calls or table.has_ended(linkedid):
            continue  # live in the table, or ended by it (its CallEnded is on the bus)
        if live is not None and linkedid in live:
            continue
        out.append(Stale(call_id, tuple(a.username for a in state.agents if a.call_id == call_id)))
    return out


def ended_events(stale: Iterable[Stale], server: str) -> list[CallEnded]:
    now = utcnow()
    return [CallEnded(call_id=s.call_id, server=server, at=now, cause=EndCause.ENDED_DURING_FAILOVER,
                      cause_code=None) for s in stale]


class Reconciler:
    """Reads one server's shared state (open call records and busy agents) from the store."""

    def __init__(self, database: Database, server: str, *, carrier: str = "asterisk", default: bool = True) -> None:
        self._db, self.server, self._carrier, self._default = database, server, carrier, default

    async def shared_state(self) -> SharedState:
        calls = await open_calls(self._db, self.server, carrier=self._carrier)
        agents = [a for a in await busy_agents(self._db)
                  if belongs(a, self.server, carrier=self._carrier, default=self._default)]
        return SharedState(self.server, calls, agents)
