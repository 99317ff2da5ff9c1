"""Events of the customers' phone menu (``ivr/``), for the wallboard and any other listener."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from domain.events.base import Event


@dataclass(frozen=True, kw_only=True)
class IvrSessionStarted(Event, type_name="ivr.session_started"):
    session_id: int
    call_id: str
    carrier: str
    menu: str


@dataclass(frozen=True, kw_only=True)
class IvrSessionEnded(Event, type_name="ivr.session_ended"):
    """``outcome``: self_served, promise, callback, agent or hung_up; ``abandoned``: the caller hung
    up in the menu, at ``end_node``."""

    session_id: int
    call_id: str
    carrier: str
    outcome: str
    end_node: str
    abandoned: bool
    customer_id: int | None
    verified: bool | None
    queue: str | None
    duration_ms: int


@dataclass(frozen=True, kw_only=True)
class IvrPromiseTaken(Event, type_name="ivr.promise_taken"):
    promise_id: int
    customer_id: int
    amount: str  # decimal as a string, in the customer's currency
    due_date: date
    call_id: str


@dataclass(frozen=True, kw_only=True)
class IvrCallbackBooked(Event, type_name="ivr.callback_booked"):
    customer_id: int
    due_at: datetime
    call_id: str
    task_id: int | None  # the call task in the calls-to-make queue
