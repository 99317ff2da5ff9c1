"""Events about accounts and the agent's work, published by the API and consumed by the dialer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.agent_state import AgentState
from domain.events.base import Event


@dataclass(frozen=True, kw_only=True)
class PaymentReceived(Event, type_name="account.payment_received"):
    customer_id: int
    amount: str  # decimal as a string, in the settings currency
    reference: str


@dataclass(frozen=True, kw_only=True)
class InteractionSaved(Event, type_name="account.interaction_saved"):
    interaction_id: int
    customer_id: int
    operator: str
    call_id: str | None
    status: str | None
    reason: str | None
    resolution: str | None
    promised_date: date | None = None


@dataclass(frozen=True, kw_only=True)
class PromiseRecorded(Event, type_name="account.promise_recorded"):
    """A promise to pay taken outside a note (POST /api/customers/{id}/promises): the wallboard's
    "Promises to pay today" follows it."""

    promise_id: int
    customer_id: int
    due_date: date


@dataclass(frozen=True, kw_only=True)
class AgentStateRequested(Event, type_name="agent.state_requested"):
    """An agent asked to go ready/paused/logged out from the desktop (the carrier acts on it)."""

    username: str
    device: str
    state: AgentState  # READY, PAUSED or LOGGED_OUT: a Move's ``carrier`` (domain.agent_state)
    reason: str | None
    queues: tuple[str, ...]
    carrier: str = "asterisk"
